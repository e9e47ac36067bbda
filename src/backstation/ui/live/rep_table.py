"""The open set's reps: ``RepTableModel`` (analysis ``Rep`` rows) and its view."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ...analysis import Rep
from ...storage import RepRecord
from ...vocabulary import (REASON_TEXT, metric_header, short_verdict_label, value_text,
                           verdict_label)
from .. import theme

def result_text(rep: Rep, corrected: RepRecord | None = None) -> str:
    """The verdict, or the coach's over it (the judge's is in the tooltip:
    the side panel has room for one verdict)."""
    if corrected is not None:
        return short_verdict_label(corrected.valid, corrected.reason, corrected.judged)
    return verdict_label(rep.valid, rep.reason)


def _metric_column(key: str) -> tuple[str, callable]:
    return metric_header(key), lambda r: value_text(key, getattr(r, key))


COLUMNS: list[tuple[str, callable]] = [
    ("#", lambda r: str(r.index)),
    ("Result", result_text),
    *(_metric_column(key) for key in ("peak_force_n", "rom_mm",
                                      "mean_concentric_velocity_m_s")),
]
# Two-line headers (unit under the name): columns as wide as their numbers,
# so the verdict keeps its room in a narrow side panel.
# Fewer columns than the history table: readable at a glance; the last rep's
# panel shows the rest.


class RepTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._reps: list[Rep] = []
        # A coach's corrections (storage/corrections.py): the reps as corrected
        # by (set, rep), and those the coach deleted (left out of the rows).
        self._corrected: dict[tuple[int, int], RepRecord] = {}
        self._deleted: set[tuple[int, int]] = set()

    def _rows(self) -> list[Rep]:
        return [r for r in self._reps if (r.set_index, r.index) not in self._deleted]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows())

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid():
            return None
        rep = self._rows()[index.row()]
        corrected = self._corrected.get((rep.set_index, rep.index))
        if role == Qt.DisplayRole:
            if index.column() == 1:
                return result_text(rep, corrected)
            return COLUMNS[index.column()][1](rep)
        if role == Qt.ToolTipRole and index.column() == 1 and corrected is not None:
            return verdict_label(corrected.valid, corrected.reason, corrected.judged)
        if role == Qt.ForegroundRole and index.column() == 1:
            valid = rep.valid if corrected is None else corrected.valid
            return QColor(theme.VALID if valid else theme.NO_REP)
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignLeft | Qt.AlignVCenter) if index.column() == 1 else \
                int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return COLUMNS[section][0]
        return None

    def add_rep(self, rep: Rep) -> None:
        row = len(self._rows())
        self.beginInsertRows(QModelIndex(), row, row)
        self._reps.append(rep)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._reps = []
        self._corrected, self._deleted = {}, set()
        self.endResetModel()

    def apply_corrections(self, reps: list[RepRecord]) -> None:
        """The session's reps as a coach's corrections left them
        (``LiveSession.corrected_records``): overruled verdicts shown, deleted
        reps left out."""
        self.beginResetModel()
        kept = {(r.set_index, r.rep_index): r for r in reps}
        self._corrected = {k: r for k, r in kept.items() if r.judged is not None}
        self._deleted = {(r.set_index, r.index) for r in self._reps} - set(kept)
        self.endResetModel()

    def rep(self, row: int) -> Rep:
        return self._rows()[row]


# The table takes the room the counter and last rep leave; it never asks
# for more than these rows (a 768 px laptop shows them with the counter).
MIN_VISIBLE_ROWS = 3


class RepTableView(QTableView):
    def __init__(self, model: RepTableModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setModel(model)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.NoSelection)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setFocusPolicy(Qt.NoFocus)       # Space stays the set key
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Stretch)     # the verdict takes the slack
        header.setStretchLastSection(False)
        self.setTextElideMode(Qt.ElideNone)     # a verdict whole, never "chest did ..."
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFont(theme.font(1.1))
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.setMinimumHeight(self.horizontalHeader().sizeHint().height()
                              + MIN_VISIBLE_ROWS * self.verticalHeader().defaultSectionSize()
                              + 2 * self.frameWidth())
        self.setMinimumWidth(self._widest_row_px())
        model.rowsInserted.connect(self._on_rows_inserted)

    def _widest_row_px(self) -> int:
        """Wide enough for the longest verdict and every number, whole: the
        side panel never squeezes "✗ chest did not touch" behind a scroll bar."""
        fm = self.fontMetrics()
        longest_result = max((*(verdict_label(False, r) for r in REASON_TEXT),
                              short_verdict_label(True, None, (False, None))),
                             key=fm.horizontalAdvance)
        cells = ("12", longest_result, "1234", "1234", "0.00")
        padding_px = 2 * fm.averageCharWidth() + 2      # the style's margin in each cell
        return (sum(fm.horizontalAdvance(c) + padding_px for c in cells)
                + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth())

    def _on_rows_inserted(self, *_args) -> None:
        self.scrollToBottom()
