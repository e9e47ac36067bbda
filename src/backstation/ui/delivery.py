"""The one way a result made on another thread reaches the GUI thread.

A worker (the command thread, the storage thread, a database job) never
touches a widget and never emits a signal a widget hears: it hands the
result to a ``GuiDelivery`` (``put``), which wakes the GUI thread with one
queued signal and runs every delivery there, in the order they were put. A
request's result arrives as a ``Future`` of its own (ACQ4's request futures,
STYLE habit 14): the caller connects to that future, never to a broadcast
it would have to filter for "probably mine". Nobody on the GUI thread waits
for a worker: ``GuiDelivery.deliver`` runs what has already arrived.
"""

from __future__ import annotations

import queue
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot


class GuiDelivery(QObject):
    """Runs callables put from any thread on the thread this object lives on."""

    _arrived = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._queue: queue.SimpleQueue[tuple[Callable[..., None], tuple]] = queue.SimpleQueue()
        self._arrived.connect(self.deliver, Qt.ConnectionType.QueuedConnection)

    def put(self, deliver: Callable[..., None], *args: object) -> None:
        """From any thread: ``deliver(*args)`` runs on the GUI thread, after
        everything put before it."""
        self._queue.put((deliver, args))
        self._arrived.emit()

    @Slot()
    def deliver(self) -> None:
        """Everything put so far, in order (the queued signal calls it; an owner
        that has joined its workers may call it to have their last results now)."""
        while True:
            try:
                deliver, args = self._queue.get_nowait()
            except queue.Empty:
                return
            deliver(*args)


class Future(QObject):
    """The result of one request, delivered on the GUI thread: exactly one of
    ``succeeded(result)`` or ``failed(message)``, then ``finished``. Connect
    after the request returns: nothing is delivered before the event loop
    runs again."""

    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.done = False
        self.result: object = None
        self.error: str | None = None

    def settle(self, ok: bool, payload: object) -> None:
        """On the GUI thread (through a ``GuiDelivery``); a second settle is ignored."""
        if self.done:
            return
        self.done = True
        if ok:
            self.result = payload
            self.succeeded.emit(payload)
        else:
            self.error = str(payload)
            self.failed.emit(self.error)
        self.finished.emit()
