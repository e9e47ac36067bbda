"""Defaults that several layers start from, one place each: the judgement,
the simulator's ground truth and the live plot all take the contact threshold
from here (docs/design.md §4)."""

DEFAULT_CONTACT_MM = 25.0   # an athlete's contact threshold until a contact calibration
