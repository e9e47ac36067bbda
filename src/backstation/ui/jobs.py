"""Database work off the GUI thread, one job per request.

Why plain ``threading`` and not QThreadPool: a pool thread that runs Python
becomes an immortal dummy ``threading`` thread, which the test fixture (and
anyone reading ``threading.enumerate()``) counts as leaked. A job is a
Python thread with an owner (the widget that started it), a cancel event and
a join timeout; its result comes back through a ``GuiDelivery``
(``ui/delivery.py``, the one way background results reach the GUI), so its
signals are emitted on the GUI thread and nothing touches a widget from the
worker.

The worker opens its own ``Database`` (one connection per thread, as
storage asks) and closes it before it reports.

A job's thread is a daemon, unlike the link's, the command thread and the
storage thread: its owner cancels and joins it (``JobOwner.join_all``, 5 s a
job) when it shuts down, and a job still in its work after that (a read far
past its busy timeout, work that does not look at ``cancel``) must not hold
the process open after the app's ending. What that costs is nothing stored:
a job reads, or writes one transaction, which SQLite rolls back if the
process ends inside it; an export writes ``.part`` files renamed only when
whole (export.py). Test: tests/test_ui_jobs.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QProgressBar, QWidget

from ..storage import Database, NoDatabase, StorageError
from ..team.errors import TeamError
from .delivery import GuiDelivery

if TYPE_CHECKING:
    from ..team.pool import TeamPool

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 5.0

Work = Callable[[Database, threading.Event], Any]


class DatabaseJob(QObject):
    """Runs ``work(db, cancel)`` on its own thread; reports exactly one of
    ``succeeded(result)`` or ``failed(message)``, then ``ended``, on the GUI thread."""

    succeeded = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(self, db_path: Path, work: Work, name: str, parent: QObject | None = None, *,
                 read_only: bool = False, if_no_database: Callable[[], Any] | None = None):
        """``read_only``: the work only reads (opened ``mode=ro``: works on a
        read-only database, never creates one); ``if_no_database``: the result
        when there is no database file yet, instead of failing."""
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._work = work
        self._read_only = read_only
        self._if_no_database = if_no_database
        self.cancel_event = threading.Event()
        self._delivery = GuiDelivery(self)
        self._thread = threading.Thread(target=self._run, name=f"backstation-{name}",
                                        daemon=True)    # see the module's docstring

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self.cancel_event.set()

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout_s: float = JOIN_TIMEOUT_S, *, cancel: bool = True) -> bool:
        """Cancel (unless told not to) and wait; True when the thread has ended."""
        if cancel:
            self.cancel_event.set()
        if self._thread.ident is not None:
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _open(self) -> AbstractContextManager:
        return Database(self._db_path, read_only=self._read_only)

    def _run(self) -> None:
        try:
            with self._open() as db:
                result = self._work(db, self.cancel_event)
        except TeamError as exc:
            outcome = (False, str(exc))
        except NoDatabase as exc:
            if self._if_no_database is None:
                outcome = (False, str(exc))
            else:
                outcome = (True, self._if_no_database())
        except StorageError as exc:
            outcome = (False, str(exc))
        except OSError as exc:
            outcome = (False, f"{exc.strerror or exc}"
                       + (f": {exc.filename}" if exc.filename else ""))
        except Exception as exc:  # a bug must reach the user as a message, not kill the app
            log.exception("background job failed")
            outcome = (False, f"unexpected error: {exc}")
        else:
            outcome = (True, result)
        try:
            self._delivery.put(self._report, *outcome)
        except RuntimeError:
            pass    # its owner was deleted while it ran: nobody is left to tell

    def _report(self, ok: bool, payload: object) -> None:
        if ok:
            self.succeeded.emit(payload)
        else:
            self.failed.emit(str(payload))
        self.ended.emit()


class ServerJob(DatabaseJob):
    """A ``DatabaseJob`` whose ``work(conn, cancel)`` reads the team server
    ``server`` (a connection at this Back Station's schema version,
    ``team.connection.reading``, from ``pool``, the app's, when given;
    team/read.py reads through it). A server that cannot be used is
    ``failed`` with the one-line reason, as ``backstation sync`` words it."""

    def __init__(self, server: str, work: Work, name: str, parent: QObject | None = None, *,
                 pool: TeamPool | None = None):
        super().__init__(Path(), work, name, parent)
        self._server = server
        self._pool = pool

    def _open(self) -> AbstractContextManager:
        from ..team.connection import reading     # psycopg: loaded once a server is used

        return reading(self._server, self._pool)


class JobOwner:
    """Keeps a widget's running jobs alive and joins them when it closes."""

    def __init__(self) -> None:
        self._jobs: list[DatabaseJob] = []

    def run(self, job: DatabaseJob) -> DatabaseJob:
        self._jobs = [j for j in self._jobs if j.is_running()]
        self._jobs.append(job)
        job.start()
        return job

    def busy(self) -> bool:
        return any(j.is_running() for j in self._jobs)

    def join_all(self, timeout_s: float = JOIN_TIMEOUT_S, *, cancel: bool = True) -> bool:
        """Wait for every job; with ``cancel=False`` they may finish their work
        first, and those still running after ``timeout_s`` are cancelled."""
        if not cancel:
            for j in self._jobs:
                j.join(timeout_s, cancel=False)
        ok = all([j.join(timeout_s) for j in self._jobs])
        self._jobs.clear()
        return ok


class BusyIndicator(QProgressBar):
    """An indeterminate bar shown while any job it tracks is running."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._pending = 0
        self.setRange(0, 0)            # indeterminate: a replay has no useful fraction
        self.setTextVisible(False)
        self.setMaximumWidth(160)
        self.hide()

    def track(self, job: DatabaseJob) -> None:
        job.ended.connect(self._on_job_ended)
        self._pending += 1
        self.show()

    @Slot()
    def _on_job_ended(self) -> None:
        self._pending -= 1
        self.setVisible(self._pending > 0)
