"""One session's rows (a ``SessionBundle``, storage/outbox.py) read as the
``Database`` reads a session: ``get_session``, ``load_force``,
``load_distance``, ``calibrations``, ``events``, ``sets``, ``reps``,
``corrections``, ``logged_sets``.

So ``export``, ``replay`` and History read a session the same way whether it
came from this station's SQLite or from a team server (team/read.py makes the
bundle): every row is decoded by the functions the ``Database`` uses, and
the chunk blobs by the same ``chunks`` decoders.
"""

from __future__ import annotations

from typing import Protocol

from ..samples import DistanceBlock, ForceBlock
from . import chunks, records, training
from .corrections import Correction
from .errors import SessionNotFound
from .outbox import DISTANCE_CHUNK_COLUMNS, FORCE_CHUNK_COLUMNS, SessionBundle
from .records import CalibrationRecord, EventRecord, LoggedSet, RepRecord, SessionInfo, SetRecord


class SessionReader(Protocol):
    """What export, replay and History read a session through: a ``Database``
    or a ``BundleReader``."""

    def get_session(self, session_id: int) -> SessionInfo: ...
    def load_force(self, session_id: int) -> ForceBlock: ...
    def load_distance(self, session_id: int) -> DistanceBlock: ...
    def calibrations(self, session_id: int) -> list[CalibrationRecord]: ...
    def events(self, session_id: int) -> list[EventRecord]: ...
    def sets(self, session_id: int) -> list[SetRecord]: ...
    def reps(self, session_id: int) -> list[RepRecord]: ...
    def corrections(self, session_id: int) -> list[Correction]: ...
    def judged_sets(self, session_id: int) -> list[SetRecord]: ...
    def judged_reps(self, session_id: int) -> list[RepRecord]: ...
    def logged_sets(self, session_id: int) -> list[LoggedSet]: ...


def _columns(rows: list[tuple], stored: tuple[str, ...], wanted: tuple[str, ...]) -> list[tuple]:
    at = [stored.index(name) for name in wanted]
    return [tuple(row[i] for i in at) for row in rows]


def _span_us(bundle: SessionBundle) -> tuple[int, int] | None:
    """``chunks.device_span`` of the bundle's chunks."""
    def firsts_lasts(rows: list[tuple], stored: tuple[str, ...]) -> list[tuple]:
        return _columns(rows, stored, ("t_first_us", "t_last_us"))
    return chunks.device_span(firsts_lasts(bundle.force_chunks, FORCE_CHUNK_COLUMNS)
                              + firsts_lasts(bundle.distance_chunks, DISTANCE_CHUNK_COLUMNS))


class BundleReader:
    """The one session of ``bundle``, with the ``Database``'s read methods;
    any other session id is ``SessionNotFound``."""

    def __init__(self, bundle: SessionBundle):
        self.bundle = bundle
        self.session_id = int(bundle.session["id"])
        athlete = None if bundle.athlete is None else bundle.athlete["name"]
        self._info = records.session_info(bundle.session, athlete, _span_us(bundle))

    def _check(self, session_id: int) -> None:
        if session_id != self.session_id:
            raise SessionNotFound(session_id)

    def get_session(self, session_id: int) -> SessionInfo:
        self._check(session_id)
        return self._info

    def load_force(self, session_id: int) -> ForceBlock:
        self._check(session_id)
        return chunks.force_from_rows(
            _columns(self.bundle.force_chunks, FORCE_CHUNK_COLUMNS, chunks.FORCE_READ_COLUMNS),
            session_id, self._info.force_channels or 1)

    def load_distance(self, session_id: int) -> DistanceBlock:
        self._check(session_id)
        return chunks.distance_from_rows(_columns(
            self.bundle.distance_chunks, DISTANCE_CHUNK_COLUMNS, chunks.DISTANCE_READ_COLUMNS))

    def calibrations(self, session_id: int) -> list[CalibrationRecord]:
        self._check(session_id)
        return [CalibrationRecord(**row) for row in self.bundle.calibrations]

    def events(self, session_id: int) -> list[EventRecord]:
        self._check(session_id)
        return [EventRecord(**row) for row in self.bundle.events]

    def sets(self, session_id: int) -> list[SetRecord]:
        self._check(session_id)
        return [training.set_record(row) for row in self.bundle.sets]

    def reps(self, session_id: int) -> list[RepRecord]:
        self._check(session_id)
        return [training.rep_record(row) for row in self.bundle.reps]

    def corrections(self, session_id: int) -> list[Correction]:
        """Always empty: a session travels to a team server as its judge
        stored it (a coach's corrections stay on the station)."""
        self._check(session_id)
        return []

    def logged_sets(self, session_id: int) -> list[LoggedSet]:
        """Always empty: sets logged by hand stay on the station, as a coach's
        corrections and a set's RPE do (docs/team.md)."""
        self._check(session_id)
        return []

    judged_sets = sets       # as its judge stored them: no correction travels with it
    judged_reps = reps
