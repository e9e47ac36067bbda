"""Reaching the team server by name, and its errors in words a user can act on.

A server is named, never described, on the command line: ``--server NAME``
is a service in the libpq service file (``~/.pg_service.conf``, or the file
``PGSERVICEFILE`` names), which holds host, database, user and the TLS
settings; the password comes from ``~/.pgpass`` (``PGPASSFILE``). So no
credential is ever in argv, the app's settings or the station's SQLite
(docs/team.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psycopg
from psycopg.conninfo import make_conninfo

from . import schema
from .errors import ServerUnreachable, TeamError, unreachable  # noqa: F401 - named here too

if TYPE_CHECKING:
    from .pool import TeamPool

DEFAULT_SERVER = "backstation"       # the service used when --server is not given
CONNECT_TIMEOUT_S = 10
APPLICATION_NAME = "backstation"
# The exit code of a command that could not use the team server (sync, the
# admin commands); nothing local was lost or changed by the failure.
EXIT_TEAM_ERROR = 6


def _not_the_copys_second_word(record: logging.LogRecord) -> bool:
    """psycopg logs a warning when ending a COPY that a lost connection broke
    also fails ("error ignored terminating <psycopg.Copy [BAD]>: the connection
    is lost"); the exception it raises says why in words, as one line
    (``UploadInterrupted``), and the warning would be a second, cryptic one."""
    return not record.getMessage().startswith("error ignored terminating <psycopg.Copy")


logging.getLogger("psycopg").addFilter(_not_the_copys_second_word)


# A connection whose network went away without a word (Wi-Fi lost, a cable
# pulled, a NAT forgetting it: no FIN, no RST) is given up after about this
# long, rather than TCP's hours: an upload is then failed and retried like a
# cut one (libpq's TCP options; a Unix socket ignores them). The environment
# variable DEAD_PEER_ENV sets another whole number of seconds (the tests' 1).
DEAD_PEER_S = 30
DEAD_PEER_ENV = "BACKSTATION_DEAD_PEER_S"
_KEEPALIVE_PROBES = 4


def dead_peer_s() -> int:
    """How long a silent connection is waited for (``DEAD_PEER_ENV``, else
    ``DEAD_PEER_S``)."""
    text = os.environ.get(DEAD_PEER_ENV, "").strip()
    try:
        return max(1, int(text)) if text else DEAD_PEER_S
    except ValueError:
        raise TeamError(f"{DEAD_PEER_ENV} must be a whole number of seconds, not {text!r}") from None


def _dead_peer_options(seconds: int) -> dict[str, int]:
    """libpq's TCP options giving up a silent peer after about ``seconds``: an
    idle connection by keepalives (idle a third of it, then 4 probes a sixth
    apart), one with data unacknowledged (or a window that stays shut) by
    tcp_user_timeout."""
    return {"keepalives": 1, "keepalives_idle": max(1, seconds // 3),
            "keepalives_interval": max(1, seconds // 6),
            "keepalives_count": _KEEPALIVE_PROBES, "tcp_user_timeout": seconds * 1000}


def conninfo(server: str, connect_timeout_s: int = CONNECT_TIMEOUT_S) -> str:
    return make_conninfo(service=server, connect_timeout=connect_timeout_s,
                         application_name=APPLICATION_NAME,
                         **_dead_peer_options(dead_peer_s()))


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect(server: str) -> psycopg.Connection:
    """An autocommit connection to the service ``server`` (transactions are explicit)."""
    try:
        return psycopg.connect(conninfo(server), autocommit=True)
    except psycopg.Error as exc:
        raise unreachable(server, first_line(exc)) from exc


def check_version(conn: psycopg.Connection, server: str) -> None:
    """The team database must be at this Back Station's schema version."""
    version = schema.current_version(conn)
    wanted = schema.schema_version()
    if version < wanted:
        raise TeamError(
            f"the team database {server!r} is at schema version {version}, this Back Station "
            f"needs {wanted}: its owner runs `python -m backstation.team.admin --server "
            f"OWNER_SERVICE migrate` (docs/team.md)")
    if version > wanted:
        raise TeamError(
            f"the team database {server!r} was set up by a newer Back Station (schema "
            f"version {version}, this one understands up to {wanted}): upgrade Back Station")


@contextmanager
def connected(server: str, pool: TeamPool | None = None) -> Iterator[psycopg.Connection]:
    """An autocommit connection to ``server``: from ``pool`` when given (the
    app's, team/pool.py) and given back to it, else one of its own, closed
    after (a command: one command, one connection). ``ServerUnreachable``
    when none can be made."""
    if pool is not None:
        with pool.connection() as conn:
            yield conn
        return
    conn = connect(server)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def reading(server: str, pool: TeamPool | None = None) -> Iterator[psycopg.Connection]:
    """A connection to ``server`` (``connected``) at this Back Station's
    schema version, for reading (team/read.py); any failure of the server
    inside is a ``TeamError`` naming it, in one line."""
    with connected(server, pool) as conn:
        try:
            check_version(conn, server)
            yield conn
        except psycopg.Error as exc:
            raise TeamError(f"the team server {server!r}: {first_line(exc)}") from exc
