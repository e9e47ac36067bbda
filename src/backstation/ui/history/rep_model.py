"""The reps of one stored session as a table, as judged while recording."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ...exercises import exercise_text
from ...storage import LoggedSet, RepRecord, SetRecord
from ...vocabulary import (CORRECTED_TEXT, NO_REPS_TEXT, VALID_REPS_TEXT, logged_set_text,
                           metric_header, metric_name, metric_text, value_text, verdict_label)

# (header, metric key or attribute). Headers are two lines, the unit under
# the name, so a column is as wide as its numbers, not as its title; the
# numbers are vocabulary.value_text's, as in the live table.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Set", "set_index"),
    ("Rep", "rep_index"),
    ("Result", "result"),
    *((metric_header(key), key) for key in (
        "peak_force_n", "peak_force_pct_bm", "rom_mm", "mean_concentric_velocity_m_s",
        "top_hold_s", "asymmetry_pct")),
)


def rep_result(rep: RepRecord) -> str:
    return verdict_label(rep.valid, rep.reason, rep.judged)


def set_summary(s: SetRecord) -> str:
    # The exercise named: a workout mixes rows and shrugs in one session.
    parts = [f"Set {s.set_index}" + (f" ({CORRECTED_TEXT})" if s.corrected else "")
             + f": {exercise_text(s.exercise)}, {VALID_REPS_TEXT.lower()} {s.valid_reps}, "
             f"{NO_REPS_TEXT.lower()} {s.no_reps}"]
    for key in ("velocity_loss_pct", "peak_force_decay_pct"):
        value = s.metrics.get(key)
        if value is not None:
            parts.append(f"{metric_name(key).lower()} {metric_text(key, value)}")
    if s.variant:
        parts.append(s.variant)
    if s.added_load_kg:
        parts.append(f"+{s.added_load_kg:g} kg")
    if s.rpe is not None:
        parts.append(f"RPE {s.rpe:g}")
    if s.notes:
        parts.append(f"“{s.notes}”")
    return ", ".join(parts)


def logged_set_summary(alike: list[LoggedSet]) -> str:
    """Sets logged by hand one after another, all alike, as one line:
    "Rear-delt flye: 3 × 15 @ 6 kg, RPE 8"."""
    first = alike[0]
    parts = [logged_set_text(exercise_text(first.exercise), first.reps, first.load_kg,
                             first.hold_s, sets=len(alike))]
    if first.rpe is not None:
        parts.append(f"RPE {first.rpe:g}")
    if first.notes:
        parts.append(f"“{first.notes}”")
    return ", ".join(parts)


def _alike(entry: LoggedSet) -> tuple:
    return entry.exercise, entry.reps, entry.load_kg, entry.hold_s, entry.rpe, entry.notes


def session_summary(in_order: list[SetRecord | LoggedSet]) -> list[str]:
    """A line a set, in the order done (``LoadedSession.sets_in_order``); sets
    logged by hand one after another, all alike, share one line."""
    lines: list[str] = []
    run: list[LoggedSet] = []
    for entry in [*in_order, None]:
        if run and not (isinstance(entry, LoggedSet) and _alike(entry) == _alike(run[0])):
            lines.append(logged_set_summary(run))
            run = []
        if isinstance(entry, LoggedSet):
            run.append(entry)
        elif entry is not None:
            lines.append(set_summary(entry))
    return lines


class RepTableModel(QAbstractTableModel):
    VALID_ROLE = Qt.ItemDataRole.UserRole + 1     # True / False / None per row

    def __init__(self, parent=None):
        super().__init__(parent)
        self._reps: list[RepRecord] = []

    def set_reps(self, reps: list[RepRecord]) -> None:
        self.beginResetModel()
        self._reps = list(reps)
        self.endResetModel()

    def rep_at(self, row: int) -> RepRecord:
        return self._reps[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._reps)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[section][1] != "result":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        rep = self._reps[index.row()]
        _, key = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "result":
                return rep_result(rep)
            if key in ("set_index", "rep_index"):
                return str(getattr(rep, key))
            return value_text(key, rep.metrics.get(key))
        if role == self.VALID_ROLE:
            return rep.valid
        if role == Qt.ItemDataRole.TextAlignmentRole and key != "result":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
