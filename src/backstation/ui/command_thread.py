"""The thread that runs whatever blocks (open, TARE, CAL, PING, shutdown), one
job at a time, so the GUI thread never waits on a serial port.

Plain Python: jobs never touch Qt. Each job's outcome goes to the ``done``
callback given with it, ``done(True, return value)`` or ``done(False, a
message a user can read)``, called on this thread; the owner passes one that
hands it to the GUI thread (``ui/delivery.py``). One owner, a stop event
(the ``None`` sentinel), a join timeout.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from ..link import LinkError
from ..storage import StorageError

log = logging.getLogger(__name__)

Done = Callable[[bool, object], None]


class CommandThread:
    def __init__(self, name: str = "backstation-commands"):
        self._jobs: queue.SimpleQueue[tuple[str, Callable[[], object], Done] | None] = \
            queue.SimpleQueue()
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=False)
        self._thread.start()

    @property
    def running(self) -> bool:
        return not self._closed

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def submit(self, name: str, job: Callable[[], object], done: Done) -> None:
        """Run ``job`` after the ones before it; ``done`` gets its outcome (at
        once, on this caller's thread, when the thread is closing)."""
        if self._closed:
            done(False, "the app is closing")
            return
        with self._lock:
            self._pending += 1
        self._jobs.put((name, job, done))

    def close(self, timeout_s: float) -> None:
        """Finish the queued jobs (the shutdown among them), then stop; safe twice."""
        if not self._closed:
            self._closed = True
            self._jobs.put(None)
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("the command thread did not stop in %g s", timeout_s)

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            name, job, done = item
            try:
                outcome = (True, job())
            except (LinkError, StorageError) as exc:
                outcome = (False, str(exc))
            except Exception as exc:   # noqa: BLE001 - a job's failure is shown, never fatal
                log.exception("%s failed", name)
                outcome = (False, f"{name} failed: {exc}")
            finally:
                with self._lock:
                    self._pending -= 1
            done(*outcome)
