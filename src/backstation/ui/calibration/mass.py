"""Entering a known mass: a number and a unit (kg or g), checked before use;
the live readings of both sides while it hangs, and what they say about it."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from ...units import weight_n
from ...vocabulary import number_text

MIN_MASS_G = 100.0          # below this the HX711 noise swamps the scale
MAX_MASS_G = 200_000.0      # beyond a load cell's rating on this bar
UNITS_G = {"kg": 1000.0, "g": 1.0}


def parse_mass_grams(text: str, unit: str) -> float:
    """Grams, or ValueError saying what is wrong (a comma decimal is accepted)."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        raise ValueError("enter the mass hanging on the hook")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    if unit not in UNITS_G:
        raise ValueError(f"unknown unit {unit!r}")
    grams = value * UNITS_G[unit]
    if not MIN_MASS_G <= grams <= MAX_MASS_G:
        raise ValueError(f"use a mass between {MIN_MASS_G / 1000:g} kg and "
                         f"{MAX_MASS_G / 1000:g} kg")
    return grams


SIDES = ("left", "right")
LOW_SHARE = 0.5            # a side reading under half the mass's weight does not carry it
HIGH_SHARE = 2.0           # ... over twice it carries more than the mass


def expected_force_n(mass_grams: float) -> float:
    return weight_n(mass_grams / 1000.0)


def mass_text(mass_grams: float) -> str:
    return f"{mass_grams / 1000:g} kg" if mass_grams >= 1000 else f"{mass_grams:g} g"


def readings_text(forces_n: tuple[float, ...] | None) -> str:
    """Both sides' newest force, or a dash for a side without one."""
    forces = forces_n or ()
    return "   ".join(f"{side.capitalize()} "
                      + (f"{number_text(forces[ch], 1)} N"
                         if ch < len(forces) and math.isfinite(forces[ch])
                         else "—") for ch, side in enumerate(SIDES))


def reading_problem(channel: int, mass_grams: float, forces_n: tuple[float, ...] | None,
                    ) -> str | None:
    """What the live readings say when ``mass_grams`` should hang on ``channel``'s
    hook alone, in plain words; None when they agree (within the wide margin
    an uncalibrated scale leaves) or there is no reading yet."""
    forces = forces_n or ()
    if channel >= len(forces) or not math.isfinite(forces[channel]):
        return None
    side, other = SIDES[channel], SIDES[1 - channel]
    reading, expected = forces[channel], expected_force_n(mass_grams)
    mass = mass_text(mass_grams)
    if reading < LOW_SHARE * expected:
        elsewhere = forces[1 - channel] if 1 - channel < len(forces) else math.nan
        also = (f" (the {other} side reads {elsewhere:.1f} N)"
                if math.isfinite(elsewhere) and elsewhere >= LOW_SHARE * expected else "")
        return (f"The {side} side reads {reading:.1f} N{also} — "
                f"is the {mass} on the {side.upper()} hook?")
    if reading > HIGH_SHARE * expected:
        return (f"The {side} side reads {reading:.1f} N, more than {mass} weighs "
                f"({expected:.1f} N) — is something else on the bar? Tare it empty first.")
    return None


class MassEntry(QWidget):
    """A mass field with its unit; ``mass_changed(grams or None)`` on every edit."""

    mass_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("e.g. 10")
        self.unit = QComboBox(self)
        self.unit.addItems(list(UNITS_G))
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.unit)
        layout.addWidget(self.problem, 2)
        self.edit.textChanged.connect(self._on_edited)
        self.unit.currentTextChanged.connect(self._on_edited)

    def mass_grams(self) -> float | None:
        try:
            return parse_mass_grams(self.edit.text(), self.unit.currentText())
        except ValueError:
            return None

    def _on_edited(self, *_: object) -> None:
        try:
            grams = parse_mass_grams(self.edit.text(), self.unit.currentText())
        except ValueError as exc:
            self.problem.setText(str(exc) if self.edit.text().strip() else "")
            self.mass_changed.emit(None)
        else:
            self.problem.setText(f"= {expected_force_n(grams):.1f} N")
            self.mass_changed.emit(grams)
