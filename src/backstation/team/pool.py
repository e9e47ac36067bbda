"""The app's connections to its team server: one pool, one owner (docs/team.md,
"One pool of connections").

``TeamPool`` holds a psycopg_pool ``ConnectionPool`` for one service name,
shared by the background uploads (team/background.py) and History's and
Progress's reads of the server (ui/jobs.ServerJob). The pool is opened on
first use, on the thread that asks for a connection (never the GUI's: both
users are worker threads), with ``min_size`` 0: opening it connects to
nothing, so a server that is down delays nothing at start; a connection is made within
``POOL_CONNECT_TIMEOUT_S``, and a request that gets none by
``REQUEST_TIMEOUT_S`` is ``ServerUnreachable`` with the server's own reason.
A connection that died while idle (the server restarted) is found by the
pool's check when it is handed out, and replaced.

The window owns it and closes it last in its shutdown order, after the
uploads and the views' jobs ended (``MainWindow.shut_down``): ``close`` stops
the pool's worker threads and joins them. The command line keeps one
connection per command (``team.connection.connect``).

psycopg is imported when the pool is first used, not when this module is:
the app imports this module at start whether or not a team server is set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .errors import TeamError, unreachable

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

POOL_CONNECT_TIMEOUT_S = 3     # libpq's connect_timeout for the pool's connections
REQUEST_TIMEOUT_S = 4.0        # a connection asked of the pool, at most this long
MAX_CONNECTIONS = 4            # the uploads, History's list and an open or export at once
CLOSE_TIMEOUT_S = 2.0          # the pool's threads joined at close, at most this long
POOL_NAME_PREFIX = "backstation-pool-"


def _not_said_twice(record: logging.LogRecord) -> bool:
    """psycopg_pool logs a warning at each failed connection attempt of a
    pool, on its own thread; a request of ours that gets no connection says
    why, in one line (``ServerUnreachable``), in the app's status or banner,
    so those warnings would be the same failure said again on stderr."""
    message = record.getMessage()
    return not (POOL_NAME_PREFIX in message and message.startswith(
        ("error connecting in", "reconnection attempt in pool")))


logging.getLogger("psycopg.pool").addFilter(_not_said_twice)


class TeamPool:
    """Connections to the team server ``server`` for the app's workers."""

    def __init__(self, server: str, *, max_size: int = MAX_CONNECTIONS):
        self.server = server
        self._max_size = max_size
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._closed = False
        self._last_failure = ""          # why the pool's last connection attempt failed

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """An autocommit connection, given back to the pool afterwards;
        ``ServerUnreachable`` when none can be made (callers use it through
        ``team.connection.connected`` and ``reading``)."""
        from psycopg_pool import PoolClosed, PoolTimeout

        pool = self._opened()
        try:
            conn = pool.getconn(timeout=REQUEST_TIMEOUT_S)
        except PoolTimeout:
            why = self._last_failure or f"no connection within {REQUEST_TIMEOUT_S:g} s"
            raise unreachable(self.server, why) from None
        except PoolClosed:
            raise TeamError(f"the team server {self.server!r}: the app is closing") from None
        try:
            yield conn
        finally:
            pool.putconn(conn)       # a broken one is closed there, not reused

    def stats(self) -> dict[str, int]:
        """The pool's counters (psycopg_pool's ``get_stats``); empty before first use."""
        with self._lock:
            return {} if self._pool is None else dict(self._pool.get_stats())

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> bool:
        """Close the pool and join its threads (a connection in use is closed
        when given back); True when they have ended. Later requests fail."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is None:
            return True
        pool.close(timeout=timeout_s)
        return not any(t.is_alive() for t in self.threads(pool))

    @staticmethod
    def threads(pool: Any) -> list[threading.Thread]:
        """The pool's worker and scheduler threads, by their name."""
        return [t for t in threading.enumerate() if t.name.startswith(f"{pool.name}-")]

    def _opened(self) -> ConnectionPool:
        with self._lock:
            if self._closed:
                raise TeamError(f"the team server {self.server!r}: the app is closing")
            if self._pool is None:
                self._pool = self._new_pool()
            return self._pool

    def _new_pool(self) -> ConnectionPool:
        from psycopg_pool import ConnectionPool

        from .connection import conninfo

        pool = ConnectionPool(
            conninfo(self.server, connect_timeout_s=POOL_CONNECT_TIMEOUT_S),
            min_size=0, max_size=self._max_size, open=False,
            connection_class=_reporting_connection(self._note_attempt),
            kwargs={"autocommit": True}, check=ConnectionPool.check_connection,
            # A failed attempt is retried for about as long as a request
            # waits, then left: the next request tries afresh (a server back up).
            reconnect_timeout=REQUEST_TIMEOUT_S, name=f"{POOL_NAME_PREFIX}{self.server}")
        pool.open()
        return pool

    def _note_attempt(self, exc: BaseException | None) -> None:
        from .connection import first_line

        self._last_failure = "" if exc is None else first_line(exc)


def _reporting_connection(on_attempt) -> type:
    """psycopg's Connection, telling ``on_attempt`` how each connection
    attempt ended (None, or why it failed: the pool's timeout alone does not say)."""
    import psycopg

    class ReportingConnection(psycopg.Connection):
        @classmethod
        def connect(cls, conninfo: str = "", **kwargs: Any):  # type: ignore[override]
            try:
                conn = super().connect(conninfo, **kwargs)
            except psycopg.Error as exc:
                on_attempt(exc)
                raise
            on_attempt(None)
            return conn

    return ReportingConnection
