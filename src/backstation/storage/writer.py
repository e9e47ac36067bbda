"""Incremental, crash-safe recording of one session.

The recorder hands every block it drains to a ``SessionWriter``; the writer
buffers them and commits everything buffered in ONE transaction when
``flush_if_due`` finds a second has passed or the buffer is large. A process
killed at any moment therefore leaves a consistent session holding all but
(at most) the last second, with counts on the session row that match the
stored samples.

A failed commit (disk full, database locked) rolls back completely and the
buffer is kept, so the next flush writes everything exactly once; the
failure is raised as ``StorageError`` for the caller to show. Retries back
off (1, 2, 4, 8, 8... s). The buffer is not capped here: ``unsaved_since_s``
tells the owner how long saving has been failing, and the owner decides when
to give up (the recorder: after MAX_UNSAVED_S, record.py).

Single-threaded by design: one owner (the recorder) calls every method from
one thread; there is no lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from ..samples import DistanceBlock, ForceBlock
from . import corrections, records
from .database import Database
from .errors import StorageError
from .records import RepRecord, SetRecord

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 1.0
FLUSH_SAMPLES = 2000          # flush early when this many samples wait
MAX_CHUNK_SAMPLES = 4096      # a bigger flush is split into several chunk rows
MAX_RETRY_INTERVAL_S = 8.0    # back-off after failed flushes: 1, 2, 4, 8, 8... s


def retry_interval_s(failures: int) -> float:
    """How long to wait after ``failures`` consecutive failed flushes."""
    return min(FLUSH_INTERVAL_S * 2 ** max(failures - 1, 0), MAX_RETRY_INTERVAL_S)


@dataclass(frozen=True)
class _PendingCalibration:
    channel: int
    offset_counts: int
    counts_per_newton: float
    source: str
    t_device_us: int | None
    mass_grams: float | None
    recorded_at: datetime | None


@dataclass(frozen=True)
class _PendingLoggedSet:
    fields: dict                 # records.logged_set_fields, checked when it was added
    t_device_us: int | None
    logged_at: datetime


@dataclass(frozen=True)
class _PendingEvent:
    kind: str
    detail: str
    t_host_s: float
    t_device_us: int | None


class SessionWriter:
    def __init__(self, db: Database, session_id: int, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self.session_id = session_id
        self._clock = clock
        self._force: list[ForceBlock] = []
        self._distance: list[DistanceBlock] = []
        self._calibrations: list[_PendingCalibration] = []
        self._events: list[_PendingEvent] = []
        self._stats: dict[str, int] = {}
        # Keyed so a set re-sent as its reps arrive is written once per flush.
        self._sets: dict[int, SetRecord] = {}
        self._reps: dict[tuple[int, int], RepRecord] = {}
        # A coach's corrections and undos, in order (written after the reps they name).
        self._corrections: list[tuple[int, int | None, str] | None] = []
        self._set_notes: dict[int, tuple[float | None, str | None]] = {}   # the latest per set
        self._logged_sets: list[_PendingLoggedSet] = []                    # in the order logged
        self._last_flush_s = clock()
        self._retry_after_s = float("-inf")
        self.flushes = 0                       # successful flushes, for status displays
        self.last_error: StorageError | None = None
        self.failures = 0                      # consecutive failed flushes
        self.unsaved_since_s: float | None = None   # first failure since the last success

    # -- buffering --------------------------------------------------------

    def add_force(self, block: ForceBlock) -> None:
        """Raises ValueError if the channel count differs from the buffered
        blocks': refused here, it cannot wedge a later flush."""
        if not len(block):
            return
        if self._force and block.channels != self._force[0].channels:
            raise ValueError(f"{block.channels}-channel force block after "
                             f"{self._force[0].channels}-channel ones")
        self._force.append(block)

    def add_distance(self, block: DistanceBlock) -> None:
        if len(block):
            self._distance.append(block)

    def add_calibration(self, channel: int, offset_counts: int, counts_per_newton: float, *,
                        source: str = "device", t_device_us: int | None = None,
                        mass_grams: float | None = None,
                        recorded_at: datetime | None = None) -> None:
        self._calibrations.append(_PendingCalibration(
            channel, offset_counts, counts_per_newton, source, t_device_us, mass_grams,
            recorded_at))

    def add_event(self, kind: str, detail: str = "", *, t_host_s: float,
                  t_device_us: int | None = None) -> None:
        self._events.append(_PendingEvent(kind, detail, t_host_s, t_device_us))

    def add_set(self, record: SetRecord) -> None:
        """A set as it stands now (started, or updated); the latest one wins."""
        self._sets[record.set_index] = record

    def add_rep(self, record: RepRecord) -> None:
        self._reps[(record.set_index, record.rep_index)] = record

    def add_correction(self, set_index: int, rep_index: int | None, action: str) -> None:
        """A coach's correction (storage/corrections.py) of a rep or set added
        to this writer before; ValueError for an action that cannot be. One
        naming a rep or set that was never stored is dropped at the flush
        (logged), which it must never fail."""
        corrections.check(rep_index, action)
        self._corrections.append((set_index, rep_index, action))

    def undo_correction(self) -> None:
        """Take back the session's newest correction, in order with the others."""
        self._corrections.append(None)

    def add_set_note(self, set_index: int, rpe: float | None, notes: str | None) -> None:
        """The RPE and note of a set added to this writer before (either None:
        kept as it is; Database.note_set); ValueError for an RPE off the scale."""
        if rpe is not None:
            records.rpe(rpe)
        old_rpe, old_notes = self._set_notes.get(set_index, (None, None))
        self._set_notes[set_index] = (old_rpe if rpe is None else rpe,
                                      old_notes if notes is None else notes)

    def add_logged_set(self, exercise: str, reps: int, *, load_kg: float | None = None,
                       hold_s: float | None = None, rpe: float | None = None,
                       notes: str | None = None, t_device_us: int | None = None,
                       logged_at: datetime | None = None) -> None:
        """A set logged by hand (Database.add_logged_set), stored with the next
        flush as the session's next logged set; ValueError in one line for a
        value that cannot be, refused here so it can never fail a flush."""
        fields = records.logged_set_fields(exercise, reps, load_kg, hold_s, rpe, notes)
        self._logged_sets.append(_PendingLoggedSet(
            fields, t_device_us, datetime.now(timezone.utc) if logged_at is None else logged_at))

    def update_stats(self, **stats: int) -> None:
        """Latest stream counter totals, written with the next flush."""
        self._stats.update(stats)

    @property
    def pending_samples(self) -> int:
        return sum(map(len, self._force)) + sum(map(len, self._distance))

    @property
    def has_pending(self) -> bool:
        return bool(self._force or self._distance or self._calibrations or self._events
                    or self._stats or self._sets or self._reps or self._corrections
                    or self._set_notes or self._logged_sets)

    # -- writing ----------------------------------------------------------

    def flush_if_due(self, now_s: float | None = None) -> bool:
        """Flush if FLUSH_INTERVAL_S passed since the last flush or
        FLUSH_SAMPLES wait; True if it flushed. After a failure it waits
        ``retry_interval_s`` before retrying, whatever the buffer size, so a
        full disk is not hammered 30 times a second."""
        now_s = self._clock() if now_s is None else now_s
        if now_s < self._retry_after_s or not self.has_pending:
            return False
        due = (now_s - self._last_flush_s >= FLUSH_INTERVAL_S
               or self.pending_samples >= FLUSH_SAMPLES)
        if not due:
            return False
        try:
            self.flush(now_s)
        except StorageError:
            self._retry_after_s = now_s + retry_interval_s(self.failures)
            raise
        return True

    def flush(self, now_s: float | None = None) -> None:
        """Commit everything buffered in one transaction. On failure nothing
        is committed, the buffer is kept and ``StorageError`` is raised."""
        now_s = self._clock() if now_s is None else now_s
        if self.has_pending:
            try:
                self._write_all()
            except StorageError as exc:
                self.last_error = exc
                self.failures += 1
                if self.unsaved_since_s is None:
                    self.unsaved_since_s = now_s
                raise
            self._force.clear()
            self._distance.clear()
            self._calibrations.clear()
            self._events.clear()
            self._stats.clear()
            self._sets.clear()
            self._reps.clear()
            self._corrections.clear()
            self._set_notes.clear()
            self._logged_sets.clear()
            self.flushes += 1
        self.last_error = None
        self.failures = 0
        self.unsaved_since_s = None
        self._last_flush_s = now_s
        self._retry_after_s = float("-inf")

    def close(self) -> None:
        """Nothing to stop: this writer writes on its caller's thread
        (``ThreadedWriter.close`` stops its own)."""

    def finish(self, ended_at: datetime | None = None, **stats: int) -> None:
        """Flush what is left and mark the session ended."""
        self.update_stats(**stats)
        self.flush()
        self._db.finish_session(self.session_id, ended_at)

    def _write_all(self) -> None:
        db, sid = self._db, self.session_id
        with db.transaction():
            if self._force:
                force = ForceBlock.concat(self._force, self._force[0].channels)
                for start in range(0, len(force), MAX_CHUNK_SAMPLES):
                    db.append_force(sid, force[start:start + MAX_CHUNK_SAMPLES])
            if self._distance:
                distance = DistanceBlock.concat(self._distance)
                for start in range(0, len(distance), MAX_CHUNK_SAMPLES):
                    db.append_distance(sid, distance[start:start + MAX_CHUNK_SAMPLES])
            for cal in self._calibrations:
                db.add_calibration(sid, cal.channel, cal.offset_counts, cal.counts_per_newton,
                                   source=cal.source, t_device_us=cal.t_device_us,
                                   mass_grams=cal.mass_grams, recorded_at=cal.recorded_at)
            for event in self._events:
                db.add_event(sid, event.kind, event.detail, t_host_s=event.t_host_s,
                             t_device_us=event.t_device_us)
            for record in self._sets.values():
                db.save_set(record)
            for record in self._reps.values():
                db.save_rep(record)
            for correction in self._corrections:
                if correction is None:
                    db.undo_correction(sid)
                elif db.correct(sid, *correction, skip_missing=True) is None:
                    # never fail the flush (and so the recording) over it
                    log.warning("correction %s of session %d names no stored rep or set: "
                                "dropped", correction, sid)
            for set_index, (rpe, notes) in self._set_notes.items():
                if not db.note_set(sid, set_index, rpe, notes, skip_missing=True):
                    log.warning("note on set %d of session %d: no such set stored, dropped",
                                set_index, sid)
            for entry in self._logged_sets:
                db.add_logged_set(sid, **entry.fields, t_device_us=entry.t_device_us,
                                  logged_at=entry.logged_at)
            db.update_session_stats(sid, **self._stats)

