"""The roster dialog: every athlete with their body mass, contact threshold,
straight-arm gap and notes, edited in place; athletes added by name. The
rules (a name taken, a mass no person has) are the storage's: a refusal is
said in one line under the table and the cell shows the stored value again."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog, QHBoxLayout, QHeaderView, QInputDialog, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from ..progress import MIN_SHRUGS_MEASURED, measured_squeeze
from ..storage import Athlete, Database, StorageError
from . import theme
from .plain_text import plain_label

# (column title, Athlete field, unit); the name column first.
COLUMNS = (
    ("Athlete", "name", ""),
    ("Body mass (kg)", "body_mass_kg", "kg"),
    ("Contact (mm)", "contact_mm", "mm"),
    ("Straight arm (mm)", "straight_arm_mm", "mm"),
    ("Squeeze (mm)", "squeeze_mm", "mm"),
    ("Notes", "notes", ""),
)
NUMBER_FIELDS = {"body_mass_kg", "contact_mm", "straight_arm_mm", "squeeze_mm"}
BUSY_TIMEOUT_S = 2.0      # the live session's writer holds the database only briefly


def cell_text(athlete: Athlete, field: str) -> str:
    value = getattr(athlete, field)
    if value is None:
        return ""
    return f"{value:g}" if field in NUMBER_FIELDS else str(value)


def parsed(field: str, text: str) -> object:
    """A cell's text as ``Database.update_athlete`` takes it (blank clears);
    ValueError saying what is wrong."""
    text = text.strip()
    if field not in NUMBER_FIELDS:
        return text
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


class RosterDialog(QDialog):
    """Athletes on the station's roster; ``roster_changed`` after every change stored."""

    roster_changed = Signal()
    renamed = Signal(str, str)           # an athlete's name before, after

    def __init__(self, db_path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Athletes")
        self.db_path = Path(db_path)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([title for title, _f, _u in COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1,
                                                          QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.status = plain_label(QLabel(self))
        self.status.setWordWrap(True)
        self.add_button = QPushButton("Add athlete…", self)
        self.add_button.clicked.connect(self.ask_new_athlete)
        self.squeeze_button = QPushButton("Squeeze from shrugs", self)
        self.squeeze_button.setToolTip("the chosen athlete's squeeze depth: the median of "
                                       "their good mid-back shrugs")
        self.squeeze_button.clicked.connect(
            lambda: self.measure_squeeze(max(self.table.currentRow(), 0)))
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.squeeze_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._athletes: list[Athlete] = []
        self.table.itemChanged.connect(self._on_item_changed)
        self.resize(760, 380)
        self.reload()

    def _database(self) -> Database:
        return Database(self.db_path, busy_timeout_s=BUSY_TIMEOUT_S)

    def reload(self) -> None:
        try:
            with self._database() as db:
                self._athletes = db.list_athletes()
        except StorageError as exc:
            self.say(str(exc), error=True)
            return
        self.table.blockSignals(True)
        self.table.setRowCount(len(self._athletes))
        for row, athlete in enumerate(self._athletes):
            for column, (_title, field, _unit) in enumerate(COLUMNS):
                item = QTableWidgetItem(cell_text(athlete, field))
                if field in NUMBER_FIELDS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()

    def say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {theme.NO_REP if error else theme.MUTED};")

    def add_athlete(self, name: str) -> bool:
        """Add ``name`` to the roster; False (said why) if it cannot be."""
        try:
            with self._database() as db:
                similar = db.similar_athletes(name)
                athlete = db.add_athlete(name)
        except (ValueError, StorageError) as exc:
            self.say(str(exc), error=True)
            return False
        also = f" ({', '.join(similar)} is on the roster too)" if similar else ""
        self.say(f"{athlete.name} added{also}")
        self.reload()
        self.roster_changed.emit()
        return True

    def ask_new_athlete(self) -> None:
        name, ok = QInputDialog.getText(self, "Add athlete", "Name")
        if ok:
            self.add_athlete(name)

    def edit(self, row: int, field: str, text: str) -> bool:
        """Store ``text`` as the athlete's ``field``; False (said why, the
        stored value shown again) if the storage refuses it."""
        athlete = self._athletes[row]
        try:
            value = parsed(field, text)
            with self._database() as db:
                if field == "name":
                    updated = db.update_athlete(athlete.name, new_name=str(value))
                else:
                    updated = db.update_athlete(athlete.name, **{field: value})
        except (ValueError, StorageError) as exc:
            self.say(f"{athlete.name}: {exc}", error=True)
            self.reload()
            return False
        self.say(f"{athlete.name}: saved")
        self.reload()
        if updated.name != athlete.name:
            self.renamed.emit(athlete.name, updated.name)
        self.roster_changed.emit()
        return True

    def measure_squeeze(self, row: int) -> bool:
        """The athlete's squeeze depth from their shrugs (``progress.measured_squeeze``),
        stored; False (said why) without enough of them."""
        if not 0 <= row < len(self._athletes):
            self.say("Choose an athlete first", error=True)
            return False
        athlete = self._athletes[row]
        try:
            with self._database() as db:
                measured = measured_squeeze(db, athlete.name)
                if measured is not None:
                    db.update_athlete(athlete.name, squeeze_mm=round(measured[0]))
        except (ValueError, StorageError) as exc:
            self.say(f"{athlete.name}: {exc}", error=True)
            return False
        if measured is None:
            self.say(f"{athlete.name}: fewer than {MIN_SHRUGS_MEASURED} good mid-back shrugs "
                     "recorded: nothing to measure", error=True)
            return False
        self.say(f"{athlete.name}: squeeze {round(measured[0])} mm, from {measured[1]} "
                 "good shrugs")
        self.reload()
        self.roster_changed.emit()
        return True

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        self.edit(item.row(), COLUMNS[item.column()][1], item.text())
