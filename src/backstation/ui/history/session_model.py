"""The stored sessions as a table (what the history list shows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ...device.sim.controls import is_simulated
from ...storage import Database, SessionInfo, SetRecord
from ...vocabulary import date_time_text, local_time

if TYPE_CHECKING:
    import psycopg


SIMULATED_DEVICE_TEXT = "simulated"


@dataclass(frozen=True)
class SessionRow:
    session_id: int               # the station's own id of it
    started_at: datetime          # local time, for display
    athlete: str
    sets: int
    valid_reps: int
    no_reps: int
    duration_s: float
    device: str
    recording: bool               # no end time: still recording, or the recorder was killed
    station: str = ""             # a team session's station; "" for this station's own
    uid: str | None = None        # the same on every copy (the team's key)

    @property
    def key(self) -> tuple[str, int]:
        """Names the row in its list: a station's ids repeat across the team."""
        return self.station, self.session_id


def session_row(info: SessionInfo, sets: list[SetRecord], station: str = "",
                logged_sets: int = 0) -> SessionRow:
    """``logged_sets``: how many sets were logged by hand (counted in ``sets``)."""
    return SessionRow(
        session_id=info.id, started_at=local_time(info.started_at),
        athlete=info.athlete_name or "—", sets=len(sets) + logged_sets,
        valid_reps=sum(s.valid_reps for s in sets), no_reps=sum(s.no_reps for s in sets),
        duration_s=info.duration_s, device=_device(info), recording=info.ended_at is None,
        station=station, uid=info.uid)


def session_rows(db: Database) -> list[SessionRow]:
    """Every session, newest first (what a lifter looks for is usually today's).
    Runs on a worker thread: a query per session for its sets, one for its logged sets."""
    return [session_row(info, db.sets(info.id), logged_sets=len(db.logged_sets(info.id)))
            for info in reversed(db.list_sessions())]


def team_session_rows(conn: psycopg.Connection, station: str | None = None,
                      athlete: str | None = None) -> list[SessionRow]:
    """The team server's sessions (one station's, one athlete's, or all),
    newest first, as ``session_rows`` lists the station's own (team/read.py)."""
    from ...team import read        # psycopg: loaded once a team server is used

    sessions = read.list_sessions(conn, athlete=athlete, station=station)
    judged = read.judgements(conn, [s.uid for s in sessions])
    return [session_row(s.info, judged.get(s.uid, ([], []))[0], s.station)
            for s in reversed(sessions)]


def _device(info: SessionInfo) -> str:
    # Practice on the simulated station is marked: Progress keeps it apart from training.
    mark = f", {SIMULATED_DEVICE_TEXT}" if is_simulated(info.port) else ""
    if info.device_id is None:
        return "—" + mark
    return info.device_id + (f" ({info.firmware})" if info.firmware else "") + mark


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours
            else f"{rest // 60}:{rest % 60:02d}")


COLUMNS: tuple[tuple[str, str], ...] = (
    ("date", "Date"), ("station", "Station"), ("athlete", "Athlete"), ("sets", "Sets"), ("valid_reps", "Valid"),
    ("no_reps", "No-reps"), ("duration", "Duration"), ("device", "Device"),
)
_NUMERIC = {"sets", "valid_reps", "no_reps", "duration"}


class SessionTableModel(QAbstractTableModel):
    """Read-only; the view replaces the rows wholesale after each load."""

    SESSION_ID_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[SessionRow] = []

    def set_rows(self, rows: list[SessionRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> SessionRow:
        return self._rows[row]

    def row_like(self, wanted: SessionRow) -> int | None:
        """Where ``wanted`` (a row of an earlier list) is in this one: by its uid,
        which two sessions never share (a station's database started again
        repeats its ids on the team), else by station and id."""
        for i, r in enumerate(self._rows):
            if (r.uid == wanted.uid) if wanted.uid is not None else (r.key == wanted.key):
                return i
        return None

    def row_of(self, session_id: int, station: str = "") -> int | None:
        for i, r in enumerate(self._rows):
            if r.key == (station, session_id):
                return i
        return None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, key)
        if role == self.SESSION_ID_ROLE:
            return row.session_id
        if role == Qt.ItemDataRole.TextAlignmentRole and key in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = (f"session {row.session_id}" + (f" of {row.station}" if row.station else "")
                   + f", station {row.device}")
            if row.recording:
                tip += "\nno end time: still recording, or the recording was interrupted"
            return tip
        return None

    @staticmethod
    def _text(row: SessionRow, key: str) -> str:
        if key == "date":
            return date_time_text(row.started_at) + (" •" if row.recording else "")
        if key == "duration":
            return format_duration(row.duration_s)
        return str(getattr(row, key))
