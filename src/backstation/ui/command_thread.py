"""The thread that runs whatever blocks (open, TARE, CAL, PING, shutdown), one
job at a time, so the GUI thread never waits on a serial port.

Plain Python: jobs never touch Qt. Each result goes on a queue as
``(kind, name, payload)`` with kind ``ok`` (payload: the return value),
``error`` (payload: a message a user can read), ``message`` or
``storage_error``; the owner drains it on its display timer. One owner, a
stop event (the ``None`` sentinel), a join timeout.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from ..link import LinkError
from ..storage import StorageError

log = logging.getLogger(__name__)

Result = tuple[str, str, object]


class CommandThread:
    def __init__(self, name: str = "backstation-commands"):
        self._jobs: queue.SimpleQueue[tuple[str, Callable[[], object]] | None] = \
            queue.SimpleQueue()
        self._results: queue.SimpleQueue[Result] = queue.SimpleQueue()
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

    def submit(self, name: str, job: Callable[[], object]) -> None:
        if self._closed:
            self._results.put(("error", name, "the app is closing"))
            return
        with self._lock:
            self._pending += 1
        self._jobs.put((name, job))

    def post(self, kind: str, payload: object) -> None:
        """From any thread: a result with no job (a message, a storage error)."""
        self._results.put((kind, "", payload))

    def post_message(self, text: str) -> None:
        self.post("message", text)

    def take_results(self) -> list[Result]:
        out = []
        while True:
            try:
                out.append(self._results.get_nowait())
            except queue.Empty:
                return out

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
            name, job = item
            try:
                self._results.put(("ok", name, job()))
            except (LinkError, StorageError) as exc:
                self._results.put(("error", name, str(exc)))
            except Exception as exc:   # noqa: BLE001 - a job's failure is shown, never fatal
                log.exception("%s failed", name)
                self._results.put(("error", name, f"{name} failed: {exc}"))
            finally:
                with self._lock:
                    self._pending -= 1
