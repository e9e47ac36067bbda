"""Calibration: the bar (tare, a known mass per side, a check) and the
athlete's contact threshold (chest on the bar for 2 s)."""

from .contact import ContactCalibrationDialog
from .wizard import CalibrationWizard

__all__ = ["CalibrationWizard", "ContactCalibrationDialog"]
