"""Riding out storage faults: the one policy for ``record`` and the app.

Another program holding the write lock for longer than the busy timeout, or
a full disk, must not end a recording. A ``PatientWriter`` is a
``SessionWriter`` that keeps every unsaved sample in memory after a failed
flush and retries with back-off (``retry_interval_s``: 1, 2, 4, 8, 8... s),
tells the user once when saving starts failing and once when it works again,
and only after ``max_unsaved_s`` of failing (``MAX_UNSAVED_S``, ten minutes
of samples) gives up with a ``StorageError`` saying so, everything saved
before the fault kept. Its wording is here and nowhere else.

The owner calls ``flush_when_due()`` on its loop (the recorder's thread, the
app's storage thread) and ``finish()`` at the end; both may raise
``StorageError`` only past the bound (or when ``finish()``'s wait is cut
short by its owner's stop).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from .database import Database
from .errors import StorageError
from .writer import SessionWriter, retry_interval_s

# How long saving may fail before the recording stops: ten minutes of
# samples held in memory (at 1 kHz and two channels, about 20 MB).
MAX_UNSAVED_S = 600.0

SAVING_WORKS_AGAIN = "Saving works again: nothing was lost"


def saving_failed_message(exc: StorageError, max_unsaved_s: float) -> str:
    """One line, short enough for the app's banner at two metres."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    bound = (f"{max_unsaved_s / 60:g} min" if max_unsaved_s >= 60
             else f"{max_unsaved_s:g} s")
    return f"Saving failed ({cause}): samples kept in memory, retrying for up to {bound}"


def _ignore(_message: str) -> None:
    pass


class PatientWriter(SessionWriter):
    """``on_failing`` and ``on_saved`` get the message to show; ``wait(s)``
    sleeps between retries of the final flush and may return True to stop
    retrying (the app's storage thread told to stop)."""

    def __init__(self, db: Database, session_id: int, *,
                 max_unsaved_s: float = MAX_UNSAVED_S,
                 on_failing: Callable[[str], None] = _ignore,
                 on_saved: Callable[[str], None] = _ignore,
                 clock: Callable[[], float] = time.monotonic,
                 wait: Callable[[float], object] = time.sleep):
        super().__init__(db, session_id, clock=clock)
        self.max_unsaved_s = max_unsaved_s
        self._on_failing = on_failing
        self._on_saved = on_saved
        self._wait = wait
        self.saying_failure = False

    @property
    def failing_s(self) -> float:
        """How long saving has been failing (0 while it works)."""
        since = self.unsaved_since_s
        return 0.0 if since is None else max(0.0, self._clock() - since)

    def flush_when_due(self) -> bool:
        """Flush if due (``flush_if_due``); True if it flushed. A failure is
        told once and retried later; ``StorageError`` only past the bound."""
        try:
            flushed = self.flush_if_due()
        except StorageError as exc:
            self.check(exc)
            return False
        if flushed:
            self.saved()
        return flushed

    def check(self, exc: StorageError) -> None:
        """After a failed flush: tell the user once, give up past the bound."""
        if self.failing_s >= self.max_unsaved_s:
            raise self._gave_up(exc)
        if not self.saying_failure:
            self.saying_failure = True
            self._on_failing(saving_failed_message(exc, self.max_unsaved_s))

    def saved(self) -> None:
        if self.saying_failure:
            self.saying_failure = False
            self._on_saved(SAVING_WORKS_AGAIN)

    def finish(self, ended_at: datetime | None = None, **stats: int) -> None:
        """The final flush, retried like the others until the bound."""
        while True:
            try:
                super().finish(ended_at, **stats)
                self.saved()
                return
            except StorageError as exc:
                self.check(exc)
                if self._wait(retry_interval_s(self.failures)):
                    raise self._gave_up(exc) from exc

    def _gave_up(self, exc: StorageError) -> StorageError:
        error = StorageError(
            f"could not save for {self.failing_s:.0f} s ({exc}); recording stopped. "
            f"Everything recorded before that is stored; {self.pending_samples} "
            "samples were lost")
        error.__cause__ = exc
        return error
