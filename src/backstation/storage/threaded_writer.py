"""A ``PatientWriter`` behind a storage thread, so the GUI thread never waits
on SQLite (a flush, a full disk, a database locked for five seconds).

Plain Python, no Qt. The owner's thread (the GUI) calls the same
methods as on a ``SessionWriter``; each call only queues an operation. The
storage thread is the only one that touches the inner writer and the
``Database``: it applies the queued operations in order and flushes when due
(``PatientWriter.flush_when_due``). Storage faults follow the recorder's
policy, owned by ``storage/patient.py``: samples kept in memory and retried
with back-off, ``on_failing``/``on_saved`` told once each way, and past the
bound (``max_unsaved_s``) ``on_gave_up`` with the error, after which the
thread stops flushing and the owner is expected to stop recording.

Shutdown order: ``finish()`` queues the final flush (retried like the others
until the bound) and waits for it; ``close()`` sets the stop event (which
also cuts a final flush's retries short), lets the thread apply what is
queued and try one last flush, and joins it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime, timezone

from ..samples import DistanceBlock, ForceBlock
from . import corrections, records
from .database import Database
from .errors import StorageError
from .records import RepRecord, SetRecord
from .patient import MAX_UNSAVED_S, PatientWriter

log = logging.getLogger(__name__)

TICK_S = 0.25               # how often the storage thread looks for due flushes
FINISH_TIMEOUT_S = 10.0     # finish() waits this long past the bound for the final flush
JOIN_TIMEOUT_S = 5.0


class ThreadedWriter:
    """``on_error``: an unexpected failure of one operation; ``on_failing``,
    ``on_saved``, ``on_gave_up``: the storage policy's messages (each called
    on the storage thread)."""

    def __init__(self, db: Database, session_id: int, *,
                 on_error: Callable[[str], None] | None = None,
                 on_failing: Callable[[str], None] | None = None,
                 on_saved: Callable[[str], None] | None = None,
                 on_gave_up: Callable[[str], None] | None = None,
                 max_unsaved_s: float = MAX_UNSAVED_S,
                 inner_factory: Callable[..., PatientWriter] = PatientWriter):
        self.session_id = session_id
        self._on_error = on_error or (lambda m: log.warning("%s", m))
        self._on_gave_up = on_gave_up or self._on_error
        self._stop = threading.Event()
        self._impatient = threading.Event()   # set: the final flush is not retried again
        self.max_unsaved_s = max_unsaved_s
        self._inner = inner_factory(db, session_id, max_unsaved_s=max_unsaved_s,
                                    on_failing=on_failing or self._on_error,
                                    on_saved=on_saved or self._on_error,
                                    wait=self._impatient.wait)
        self.gave_up = False                # past the bound: no more flushing
        self._ops: queue.SimpleQueue[tuple[str, tuple, dict, threading.Event | None]] = \
            queue.SimpleQueue()
        self._wake = threading.Event()
        self._finish_error: StorageError | None = None
        self._thread = threading.Thread(target=self._run, daemon=False,
                                        name=f"backstation-storage[{session_id}]")
        self._thread.start()

    # -- SessionWriter's interface, from the owner's thread -----------------

    def add_force(self, block: ForceBlock) -> None:
        if len(block):
            self._put("add_force", block)

    def add_distance(self, block: DistanceBlock) -> None:
        if len(block):
            self._put("add_distance", block)

    def add_calibration(self, channel: int, offset_counts: int, counts_per_newton: float, *,
                        source: str = "device", t_device_us: int | None = None,
                        mass_grams: float | None = None,
                        recorded_at: datetime | None = None) -> None:
        self._put("add_calibration", channel, offset_counts, counts_per_newton, source=source,
                  t_device_us=t_device_us, mass_grams=mass_grams, recorded_at=recorded_at)

    def add_event(self, kind: str, detail: str = "", *, t_host_s: float,
                  t_device_us: int | None = None) -> None:
        self._put("add_event", kind, detail, t_host_s=t_host_s, t_device_us=t_device_us)

    def add_set(self, record: SetRecord) -> None:
        self._put("add_set", record)

    def add_rep(self, record: RepRecord) -> None:
        self._put("add_rep", record)

    def add_correction(self, set_index: int, rep_index: int | None, action: str) -> None:
        corrections.check(rep_index, action)     # refused here, on the owner's thread
        self._put("add_correction", set_index, rep_index, action)

    def undo_correction(self) -> None:
        self._put("undo_correction")

    def add_set_note(self, set_index: int, rpe: float | None, notes: str | None) -> None:
        if rpe is not None:
            records.rpe(rpe)                         # refused here, on the owner's thread
        self._put("add_set_note", set_index, rpe, notes)

    def add_logged_set(self, exercise: str, reps: int, *, load_kg: float | None = None,
                       hold_s: float | None = None, rpe: float | None = None,
                       notes: str | None = None, t_device_us: int | None = None,
                       logged_at: datetime | None = None) -> None:
        # refused here, on the owner's thread; the time is when it was logged, not flushed
        fields = records.logged_set_fields(exercise, reps, load_kg, hold_s, rpe, notes)
        self._put("add_logged_set", **fields, t_device_us=t_device_us,
                  logged_at=datetime.now(timezone.utc) if logged_at is None else logged_at)

    def update_stats(self, **stats: int) -> None:
        self._put("update_stats", **stats)

    def flush_if_due(self, now_s: float | None = None) -> bool:
        """The storage thread flushes on its own schedule; nothing to do here."""
        return False

    def flush(self, now_s: float | None = None) -> None:
        self._put("flush")
        self._wake.set()

    def finish(self, ended_at: datetime | None = None, **stats: int) -> None:
        """Queue the final flush and wait for it (its retries last up to the
        bound); ``StorageError`` if it failed (the samples stay buffered and
        ``close()`` tries once more)."""
        done = threading.Event()
        self._ops.put(("finish", (ended_at,), stats, done))
        self._wake.set()
        timeout_s = self.max_unsaved_s + FINISH_TIMEOUT_S
        if not done.wait(timeout_s):
            raise StorageError(f"saving the session took over {timeout_s:g} s")
        if self._finish_error is not None:
            raise self._finish_error

    @property
    def flushes(self) -> int:
        return self._inner.flushes

    @property
    def last_error(self) -> StorageError | None:
        return self._inner.last_error

    @property
    def failures(self) -> int:
        """Consecutive failed flushes (0 while saving works)."""
        return self._inner.failures

    def stop_retrying(self) -> None:
        """A final flush still failing gives up at its next try instead of
        retrying up to the bound (the app is quitting): what is unsaved then
        is lost, said through ``on_gave_up``."""
        self._impatient.set()

    def close(self, timeout_s: float = JOIN_TIMEOUT_S) -> None:
        """Apply what is queued, try a last flush, stop the thread; safe twice."""
        self._impatient.set()
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            self._on_error(f"the storage thread did not stop in {timeout_s:g} s")

    # -- the storage thread ---------------------------------------------------

    def _put(self, name: str, *args: object, **kwargs: object) -> None:
        self._ops.put((name, args, kwargs, None))

    def _run(self) -> None:
        while True:
            stopping = self._stop.is_set()
            self._apply_queued()
            if stopping:
                try:
                    if self._inner.has_pending:
                        self._inner.flush()
                except StorageError as exc:
                    if not self.gave_up:     # else: already said, with what was lost
                        self._on_error(f"the last samples could not be saved: {exc}")
                return
            if not self.gave_up:
                try:
                    self._inner.flush_when_due()
                except StorageError as exc:   # past the bound
                    self.gave_up = True
                    self._on_gave_up(str(exc))
            self._wake.wait(TICK_S)
            self._wake.clear()

    def _apply_queued(self) -> None:
        while True:
            try:
                name, args, kwargs, done = self._ops.get_nowait()
            except queue.Empty:
                return
            try:
                if name == "finish":
                    self._finish(args[0], kwargs)
                elif name == "flush":
                    self._flush_now()
                else:
                    getattr(self._inner, name)(*args, **kwargs)
            except StorageError as exc:
                if not self.gave_up:         # else: already said, with what was lost
                    self._on_error(str(exc))
            except Exception as exc:    # noqa: BLE001 - counted and shown, never kills the thread
                log.exception("storage operation %s failed", name)
                self._on_error(f"storage operation {name} failed: {exc}")
            finally:
                if done is not None:
                    done.set()

    def _flush_now(self) -> None:
        """An asked-for flush: a failure is the policy's like a due one's."""
        if self.gave_up:
            return
        try:
            self._inner.flush()
            self._inner.saved()
        except StorageError as exc:
            try:
                self._inner.check(exc)
            except StorageError as final:
                self.gave_up = True
                self._on_gave_up(str(final))

    def _finish(self, ended_at: datetime | None, stats: dict) -> None:
        try:
            self._inner.finish(ended_at, **stats)
            self._finish_error = None
        except StorageError as exc:
            self._finish_error = exc
            if not self.gave_up:             # the final flush reached the bound
                self.gave_up = True
                self._on_gave_up(str(exc))
            raise
