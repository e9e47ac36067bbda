"""Back Station: an instrumented upper-back training station."""

__version__ = "0.1.0"
