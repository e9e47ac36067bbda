"""The reps of one stored session as a table, as judged while recording."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ...storage import RepRecord, SetRecord
from ...vocabulary import metric_header, verdict_label

# (header, metric key or attribute, format). Headers are two lines, the unit
# under the name, so a column is as wide as its numbers, not as its title.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Set", "set_index", "{:d}"),
    ("Rep", "rep_index", "{:d}"),
    ("Result", "result", "{}"),
    *((metric_header(key), key, fmt) for key, fmt in (
        ("peak_force_n", "{:.0f}"), ("peak_force_pct_bm", "{:.0f}"), ("rom_mm", "{:.0f}"),
        ("mean_concentric_velocity_m_s", "{:.2f}"), ("top_hold_s", "{:.2f}"),
        ("asymmetry_pct", "{:.0f}"))),
)


def rep_result(rep: RepRecord) -> str:
    return verdict_label(rep.valid, rep.reason)


def asymmetry_text(pct: float) -> str:
    """Which side pulled harder, as the live view says it ("4 R", not "-4")."""
    if abs(pct) < 0.5:
        return "0"
    return f"{abs(pct):.0f} {'L' if pct > 0 else 'R'}"


def set_summary(s: SetRecord) -> str:
    parts = [f"Set {s.set_index}: {s.valid_reps} valid, {s.no_reps} no-rep"]
    loss = s.metrics.get("velocity_loss_pct")
    if loss is not None:
        parts.append(f"velocity loss {loss:.0f} %")
    decay = s.metrics.get("peak_force_decay_pct")
    if decay is not None:
        parts.append(f"peak force decay {decay:.0f} %")
    if s.variant:
        parts.append(s.variant)
    if s.added_load_kg:
        parts.append(f"+{s.added_load_kg:g} kg")
    return ", ".join(parts)


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
        _, key, fmt = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "result":
                return rep_result(rep)
            value = getattr(rep, key) if key in ("set_index", "rep_index") else rep.metrics.get(key)
            if value is None:
                return "—"
            return asymmetry_text(value) if key == "asymmetry_pct" else fmt.format(value)
        if role == self.VALID_ROLE:
            return rep.valid
        if role == Qt.ItemDataRole.TextAlignmentRole and key != "result":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
