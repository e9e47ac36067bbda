"""The live view: what the lifter sees during a set."""
