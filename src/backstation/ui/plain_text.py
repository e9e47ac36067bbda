"""Text from elsewhere (athlete, station and exercise names from other
stations, a server's messages) shown as it is written, never as Qt rich text.

A QLabel's text and a tooltip that *look* like HTML (``Qt.mightBeRichText``:
a name such as ``<b>Ann</b>``) are drawn as HTML by Qt; these two helpers
are the one way the app turns that off."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt       # mightBeRichText, convertFromPlainText
from PySide6.QtWidgets import QLabel


def plain_label(label: QLabel) -> QLabel:
    """``label`` showing its text as plain text, whatever it holds."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_tooltip(text: str) -> str:
    """``text`` for ``setToolTip``: as it is when Qt would show it as plain
    text anyway, else escaped into HTML that shows it verbatim (lines kept)."""
    if not GuiQt.mightBeRichText(text):
        return text
    return GuiQt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpacePre)
