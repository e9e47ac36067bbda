"""Uploading in the background: the app's sync worker (docs/team.md, "In the app").

One thread per app, owned by the window (``ui/team_sync.py`` is its thin Qt
wrapper). It runs ``upload.sync`` at start-up and whenever it is asked to
(a recording has ended), and after a failure again after a back-off (2 s,
doubling, at most ``MAX_RETRY_S``), until it is stopped. It opens its own
``Database`` per round, so the recorder's connection and thread are never
touched: a recording goes on whatever the server does.

Each change of state is handed to ``on_state`` (on the worker's thread; the
Qt wrapper passes it to the GUI thread): ``pending`` N finished sessions the
server does not have, ``uploading`` (N left), ``done``, or ``failed`` with
the one-line reason and the sessions still pending. Each state also carries
the athletes the station and the team disagree on (``conflicts``, one line
each as ``sync`` prints them), as the last round that reached the server
found them; a round with nothing to send still asks the server about them,
and a server it cannot reach then is no failure (nothing waits for it).

Stopping (``stop``): the worker ends after the session it is sending, or at
once when it is waiting. Its thread is a daemon, as the app's database jobs
are (ui/jobs.py): if a connection attempt outlasts the join, the process may
still end, and nothing is lost by that: the server rolls back a session
whose transaction did not commit, and the station notes an upload only after
the server's COMMIT (team/upload.py), so the session stays pending.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..storage import Database, NoDatabase, StorageError
from .errors import TeamError

if TYPE_CHECKING:
    from .pool import TeamPool

log = logging.getLogger(__name__)

FIRST_RETRY_S = 2.0
MAX_RETRY_S = 300.0
JOIN_TIMEOUT_S = 5.0

PENDING, UPLOADING, DONE, FAILED = "pending", "uploading", "done", "failed"


@dataclass(frozen=True)
class SyncState:
    phase: str                      # PENDING, UPLOADING, DONE or FAILED
    pending: int                    # finished sessions the server does not have yet
    reason: str = ""                # FAILED: why, in one line
    retry_in_s: float | None = None  # FAILED: when the next try is
    conflicts: tuple[str, ...] = ()  # athletes the team disagrees on (AthleteConflict.line)
    refused: tuple[str, ...] = ()    # sessions the server refused (RefusedSession.line)


def retry_delay_s(failures: int, first_s: float = FIRST_RETRY_S,
                  max_s: float = MAX_RETRY_S) -> float:
    """The wait after ``failures`` failed rounds in a row (1, 2, ...)."""
    return min(max_s, first_s * 2 ** max(0, failures - 1))


class _Stopped(Exception):
    """Raised between two sessions when the worker is asked to stop."""


class BackgroundSync:
    """Uploads ``db_path``'s finished sessions to ``server`` on its own thread."""

    def __init__(self, db_path: Path, server: str, on_state: Callable[[SyncState], None], *,
                 first_retry_s: float = FIRST_RETRY_S, max_retry_s: float = MAX_RETRY_S,
                 pool: TeamPool | None = None):
        """``pool``: the app's connections to ``server`` (team/pool.py), which
        its owner closes after ``stop``; None: a connection per round."""
        self.db_path = Path(db_path)
        self.server = server
        self._pool = pool
        self._on_state = on_state
        self._first_retry_s = first_retry_s
        self._max_retry_s = max_retry_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._conflicts: tuple[str, ...] = ()      # as the last round that reached the server
        self._refused: dict[int, str] = {}         # session id -> its line, as the last round
        self._thread = threading.Thread(target=self._run, name="backstation-team-sync",
                                        daemon=True)    # see the module's docstring

    def start(self) -> None:
        """Start the worker; its first round begins at once."""
        self._wake.set()
        self._thread.start()

    def request(self) -> None:
        """Sync soon (a session has ended); a failed round's back-off is cut short."""
        self._wake.set()

    def ask_to_stop(self) -> None:
        """The worker ends after the session it is sending; does not wait."""
        self._stop.set()
        self._wake.set()

    def stop(self, timeout_s: float = JOIN_TIMEOUT_S) -> bool:
        """Ask the worker to end and wait for it; True when its thread has ended."""
        self.ask_to_stop()
        if self._thread.ident is not None:
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def is_running(self) -> bool:
        return self._thread.is_alive()

    # -- the worker -------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            self._wake.clear()
            reason, left = self._round(retrying=failures > 0)
            if reason is None:
                failures = 0
                continue
            failures += 1
            delay_s = retry_delay_s(failures, self._first_retry_s, self._max_retry_s)
            self._tell(SyncState(FAILED, left, reason, delay_s))
            self._wake.wait(delay_s)
            self._wake.set()        # a retry is a round like any other

    def _round(self, retrying: bool) -> tuple[str | None, int]:
        """One sync; (None, 0) when it worked or was stopped, else (reason,
        sessions left). While ``retrying``, the failure stays shown until the
        server is reached."""
        left = 0
        try:
            with Database(self.db_path, create=False) as db:
                left = len(db.pending_uploads(self.server))
                if not left:
                    self._refused = {}
                    self._tell(SyncState(DONE, 0))
                    self._ask_about_athletes(db)
                    return None, 0
                if not retrying:
                    self._tell(SyncState(PENDING, left))

                def connected(_report) -> None:
                    self._tell(SyncState(UPLOADING, left))

                def sent(_session_id: int, _new: bool) -> None:
                    nonlocal left
                    left -= 1
                    if self._stop.is_set():
                        raise _Stopped
                    if left:
                        self._tell(SyncState(UPLOADING, left))

                from .upload import sync      # psycopg: loaded once a server is used

                report = sync(db, self.server, on_session=sent, on_connected=connected,
                              pool=self._pool)
                self._conflicts = tuple(c.line() for c in report.conflicts)
                self._refused = {r.session_id: r.line() for r in report.refused}
                # A refused session stays pending: tried again by the next
                # round that has something to send, not by one more now.
                left = len(set(db.pending_uploads(self.server)) - set(self._refused))
        except _Stopped:
            return None, 0
        except NoDatabase:
            self._tell(SyncState(DONE, 0))    # nothing recorded yet
            return None, 0
        except (TeamError, StorageError) as exc:
            return str(exc), left
        except Exception as exc:  # a bug must reach the user as a reason, not end the worker
            log.exception("background sync failed")
            return f"unexpected error: {exc}", left
        if left:                  # finished while this round ran: one more round
            self._wake.set()
        self._tell(SyncState(DONE, left) if not left else SyncState(PENDING, left))
        return None, 0

    def _ask_about_athletes(self, db: Database) -> None:
        """Nothing to send: a sync that only asks whether the station and the
        team disagree on an athlete; told when the answer changed. A server
        that cannot be used now is no failure: nothing is waiting for it."""
        from .upload import sync

        try:
            report = sync(db, self.server, pool=self._pool)
        except (TeamError, StorageError) as exc:
            log.info("team server not asked about athletes: %s", exc)
            return
        conflicts = tuple(c.line() for c in report.conflicts)
        if conflicts != self._conflicts:
            self._conflicts = conflicts
            self._tell(SyncState(DONE, 0))

    def _tell(self, state: SyncState) -> None:
        state = dataclasses.replace(state, conflicts=self._conflicts,
                                    refused=tuple(self._refused.values()))
        try:
            self._on_state(state)
        except Exception:  # noqa: BLE001 - the receiver's fault must not end the uploads
            log.exception("sync state not delivered")
