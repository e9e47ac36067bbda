"""The gym theme: dark, high contrast, large type, colour-blind-safe curves.

Curve colours are the Okabe-Ito palette (distinguishable with the common
colour-vision deficiencies); valid and no-rep also differ in shape and text,
never by colour alone. Sizes are in points, scaled from the platform font, so
they follow the screen's DPI.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

BACKGROUND = "#101214"
PANEL = "#1b1e22"
TEXT = "#f2f2f2"
MUTED = "#a8b0b8"
LEFT = "#56B4E9"      # sky blue
RIGHT = "#E69F00"     # orange
TOTAL = "#F2F2F2"     # white
GAP = "#009E73"       # bluish green
CONTACT_BAND = (0, 158, 115, 110)
VALID = "#3DDC97"     # a brighter bluish green for text on dark
NO_REP = "#FF7F50"    # vermillion, lifted for contrast on dark
WARNING = "#F0E442"   # yellow
TOAST_INFO = "#1f4f6f"
TOAST_ERROR = "#7a2412"
ACTIVE = "#1f6f57"    # a checked button: the window shown, the mode on

BASE_POINT_SIZE = 13


def point_size(scale: float) -> int:
    return max(8, round(BASE_POINT_SIZE * scale))


def font(scale: float = 1.0, bold: bool = False) -> QFont:
    f = QFont(QApplication.font())
    f.setPointSize(point_size(scale))
    f.setBold(bold)
    return f


# A control a chalky finger can hit: 9 mm on the screen it is shown on.
TOUCH_TARGET_MM = 9.0
MM_PER_INCH = 25.4


def touch_px(widget: QWidget | None = None) -> int:
    """``TOUCH_TARGET_MM`` in pixels at the widget's (else the primary) screen's DPI."""
    screen = widget.screen() if widget is not None else None
    screen = screen or QApplication.primaryScreen()
    dpi = screen.logicalDotsPerInch() if screen is not None else 96.0
    return round(TOUCH_TARGET_MM * dpi / MM_PER_INCH)


def make_touchable(*widgets: QWidget) -> None:
    """At least ``TOUCH_TARGET_MM`` high and wide (buttons, boxes, fields)."""
    for w in widgets:
        px = touch_px(w)
        w.setMinimumHeight(max(w.minimumHeight(), px))
        w.setMinimumWidth(max(w.minimumWidth(), px))


STYLESHEET = f"""
QWidget {{ background: {BACKGROUND}; color: {TEXT}; }}
QGroupBox {{ border: 1px solid #3a4048; border-radius: 6px; margin-top: 1.2em; padding: 0.4em; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 0.6em; color: {MUTED}; }}
QPushButton {{ background: #2b3036; border: 1px solid #4a525c; border-radius: 6px;
               padding: 0.45em 1.1em; }}
QPushButton:hover {{ background: #363c44; }}
QPushButton:pressed {{ background: #454d57; }}
QPushButton:disabled {{ color: #6b737c; }}
QPushButton:checked {{ background: {ACTIVE}; border: 2px solid {VALID}; color: white; }}
QPushButton#primary {{ background: #1f6f57; border-color: {GAP}; font-weight: bold; }}
QComboBox, QLineEdit, QDoubleSpinBox, QSpinBox {{ background: {PANEL}; border: 1px solid #4a525c;
               border-radius: 4px; padding: 0.25em 0.4em; }}
QTabBar::tab {{ background: {PANEL}; padding: 0.5em 1.4em; border: 1px solid #3a4048;
               border-bottom: none; }}
QTabBar::tab:selected {{ background: #2b3036; color: white; font-weight: bold; }}
QTableView {{ gridline-color: #2e333a; background: {PANEL}; alternate-background-color: #20242a; }}
QHeaderView::section {{ background: #2b3036; color: {MUTED}; border: none; padding: 0.3em; }}
QStatusBar {{ background: {PANEL}; }}
QScrollBar:horizontal {{ min-height: 1.1em; background: {PANEL}; }}
QScrollBar::handle:horizontal {{ background: #4a525c; min-width: 2em; border-radius: 4px; }}
QLabel#banner {{ background: #5c4a00; color: white; padding: 0.5em; border-radius: 6px;
                 font-weight: bold; }}
QLabel#banner[kind="error"] {{ background: #7a2412; }}
QLabel#stationHealth {{ background: #7a2412; color: white; padding: 0.4em; border-radius: 6px; }}
QLabel#warning {{ color: {WARNING}; font-weight: bold; }}
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in (
            (QPalette.Window, BACKGROUND), (QPalette.WindowText, TEXT), (QPalette.Base, PANEL),
            (QPalette.AlternateBase, "#20242a"), (QPalette.Text, TEXT), (QPalette.Button, "#2b3036"),
            (QPalette.ButtonText, TEXT), (QPalette.Highlight, "#1f6f57"),
            (QPalette.HighlightedText, "white"), (QPalette.ToolTipBase, PANEL),
            (QPalette.ToolTipText, TEXT)):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    f = app.font()
    f.setPointSize(BASE_POINT_SIZE)
    app.setFont(f)
    app.setStyleSheet(STYLESHEET)
