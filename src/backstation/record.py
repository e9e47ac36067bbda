"""Headless recording (``backstation record``): a station's stream into a
stored session through the same ``LiveSession`` the app uses. Plain Python.

Shutdown order: stop requested -> STOP sent and its ACK awaited (every
sample sent before it has been read) -> the last blocks drained and judged
-> the writer's final flush -> the session finished -> the link closed.

Storage faults (the write lock held by another program for longer than the
busy timeout, a full disk) do not end a recording: the session's writer is a
``storage.patient.PatientWriter`` (the policy the app's storage thread uses
too): every unsaved sample kept in memory and retried with back-off, the user
told on stderr once when saving starts failing and once when it works again,
and only after MAX_UNSAVED_S of failing does the recording stop with a
``StorageError``, everything saved before the fault kept (docs/reliability.md).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .link import DEFAULT_BAUDRATE, DeviceLink
from .session import LiveSession, SessionOptions, Step
from .storage import Database, StorageError
from .storage.patient import MAX_UNSAVED_S, PatientWriter

log = logging.getLogger(__name__)

DRAIN_INTERVAL_S = 0.1
# Nobody watches a headless recording sample by sample: reading the port
# every 50 ms instead of every 8 ms takes record from ~6 % to under 3 % of a
# core at 1 kHz (docs/performance.md, figure b). The OS buffers 4 KiB+.
RECORD_READ_PACING_S = 0.05
# What a USB serial adapter can be set to; pyserial takes any integer, and
# some (10^12) make the port layer hang or overflow instead of failing.
BAUD_RANGE = (300, 4_000_000)


def baud_rate(value: int) -> int:
    """``value`` if a serial port can run at it, else ValueError saying the range."""
    low, high = BAUD_RANGE
    if not low <= value <= high:
        raise ValueError(f"must be between {low} and {high} baud, not {value}")
    return value


def duration_s(value: float) -> float:
    """``value`` if a recording can last that many seconds, else ValueError."""
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"must be a positive number of seconds, not {value:g}")
    return value


@dataclass
class RecordOptions:
    port: str
    baud: int = DEFAULT_BAUDRATE
    duration_s: float | None = None
    session: SessionOptions | None = None
    max_unsaved_s: float = MAX_UNSAVED_S


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
                writer_factory=lambda db, sid: PatientWriter(
                    db, sid, max_unsaved_s=opts.max_unsaved_s, on_failing=say, on_saved=say,
                    clock=self._clock, wait=time.sleep))
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
            session.writer.flush_when_due()
            if self._on_step is not None:
                self._on_step(session, step)
