"""Headless recording (``backstation record``): a station's stream into a
stored session through the same ``LiveSession`` the app uses. Plain Python.

Shutdown order: stop requested -> STOP sent and its ACK awaited (every
sample sent before it has been read) -> the last blocks drained and judged
-> the writer's final flush -> the session finished -> the link closed.

Storage faults (the write lock held by another program for longer than the
busy timeout, a full disk) do not end a recording: the writer keeps every
unsaved sample in memory and retries with back-off, the user is told once
when saving starts failing and once when it works again, and only after
MAX_UNSAVED_S of failing does the recording stop with a ``StorageError``,
everything saved before the fault kept (docs/reliability.md).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .link import DeviceLink
from .session import LiveSession, SessionOptions, Step
from .storage import Database, SessionWriter, StorageError
from .storage.writer import retry_interval_s

log = logging.getLogger(__name__)

DRAIN_INTERVAL_S = 0.1
# Nobody watches a headless recording sample by sample: reading the port
# every 50 ms instead of every 8 ms takes record from ~6 % to under 3 % of a
# core at 1 kHz (docs/performance.md, figure b). The OS buffers 4 KiB+.
RECORD_READ_PACING_S = 0.05
DEFAULT_BAUD = 250_000
# How long saving may fail before the recording stops: ten minutes of
# samples held in memory (at 1 kHz and two channels, about 20 MB).
MAX_UNSAVED_S = 600.0
# What a USB serial adapter can be set to; pyserial takes any integer, and
# some (10^12) make the port layer hang or overflow instead of failing.
BAUD_RANGE = (300, 4_000_000)


def baud_rate(value: int) -> int:
    """``value`` if a serial port can run at it, else ValueError saying the range."""
    low, high = BAUD_RANGE
    if not low <= value <= high:
        raise ValueError(f"must be between {low} and {high} baud, not {value}")
    return value


@dataclass
class RecordOptions:
    port: str
    baud: int = DEFAULT_BAUD
    duration_s: float | None = None
    session: SessionOptions | None = None
    max_unsaved_s: float = MAX_UNSAVED_S


class _PatientWriter(SessionWriter):
    """A ``SessionWriter`` whose final flush rides out storage faults like the
    recording loop does: retried with back-off until MAX_UNSAVED_S of failing."""

    def __init__(self, db: Database, session_id: int, *, max_unsaved_s: float,
                 say: Callable[[str], None], clock: Callable[[], float],
                 wait: Callable[[float], None]):
        super().__init__(db, session_id, clock=clock)
        self.max_unsaved_s = max_unsaved_s
        self._say = say
        self._wait = wait
        self.saying_failure = False

    def check(self, exc: StorageError) -> None:
        """After a failed flush: tell the user once, give up past the bound."""
        failing_s = self._clock() - (self.unsaved_since_s or self._clock())
        if failing_s >= self.max_unsaved_s:
            raise StorageError(
                f"could not save for {failing_s:.0f} s ({exc}); recording stopped. "
                f"Everything recorded before that is stored; {self.pending_samples} "
                "samples were lost") from exc
        if not self.saying_failure:
            self.saying_failure = True
            self._say(f"saving failed ({exc}); keeping the samples in memory and retrying "
                      f"(for up to {self.max_unsaved_s / 60:g} min)")

    def saved(self) -> None:
        if self.saying_failure:
            self.saying_failure = False
            self._say("saving works again: nothing was lost")

    def finish(self, ended_at=None, **stats: int) -> None:
        while True:
            try:
                super().finish(ended_at, **stats)
                self.saved()
                return
            except StorageError as exc:
                self.check(exc)
                self._wait(retry_interval_s(self.failures))


class Recorder:
    """Runs one recording until stopped; ``on_step`` sees every step (a live readout)."""

    def __init__(self, db: Database, options: RecordOptions, *,
                 link_factory: Callable[..., DeviceLink] = DeviceLink,
                 on_step: Callable[[LiveSession, Step], None] | None = None,
                 on_message: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.db = db
        self.options = options
        self._link_factory = link_factory
        self._on_step = on_step
        self._on_message = on_message
        self._clock = clock
        self.session: LiveSession | None = None

    def run(self, stop: threading.Event) -> dict:
        """Record until ``stop`` is set or the duration has passed; the session's JSON.

        Raises ``LinkError`` if the station cannot be opened (nothing is
        stored then) and ``StorageError`` if the database cannot be written.
        """
        opts = self.options
        session_options = opts.session or SessionOptions()
        session_options.port = opts.port
        link = self._link_factory(opts.port, baudrate=opts.baud,
                                  read_pacing_s=RECORD_READ_PACING_S)
        link.open()
        try:
            say = self._on_message or (lambda message: log.warning("%s", message))
            extra = {} if self._on_message is None else {"on_message": self._on_message}
            self.session = LiveSession(
                self.db, link, session_options, **extra,
                writer_factory=lambda db, sid: _PatientWriter(
                    db, sid, max_unsaved_s=opts.max_unsaved_s, say=say, clock=self._clock,
                    wait=time.sleep))
            link.start()
            self._loop(stop)
            return self.session.finish()
        except BaseException:
            self._abandon()
            raise
        finally:
            link.close()

    def _abandon(self) -> None:
        """The recording failed (START refused, storage given up, a bug): save
        what can be saved and close the session as interrupted now. If storage
        is what failed, the next writer closes it instead."""
        session = self.session
        if session is None:
            return
        try:
            session.writer.flush()
        except StorageError:
            pass
        try:
            self.db.abandon_session(session.session_id)
        except StorageError:
            pass

    def _loop(self, stop: threading.Event) -> None:
        session = self.session
        deadline = (None if self.options.duration_s is None
                    else self._clock() + self.options.duration_s)
        while not stop.is_set():
            wait_s = DRAIN_INTERVAL_S
            if deadline is not None:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    break
                wait_s = min(wait_s, remaining)
            stop.wait(wait_s)
            step = session.step()
            writer = session.writer
            try:
                if writer.flush_if_due():
                    writer.saved()
            except StorageError as exc:
                writer.check(exc)
            if self._on_step is not None:
                self._on_step(session, step)
