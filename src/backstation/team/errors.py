"""The team server's failures, as exceptions whose message is one line a user
can act on. Kept apart from psycopg (``connection.py`` raises them), so the
app can catch them without loading psycopg before a team server is used."""

from __future__ import annotations


class TeamError(Exception):
    """The team server cannot be reached or used; the message says why, in one line."""


class ServerUnreachable(TeamError):
    """No connection could be made (down, wrong name, refused login): nothing was sent."""


# libpq's words for a login that has no password or a wrong one: a station's
# .pgpass line is missing or does not match its service (docs/team.md).
_PASSWORD_REFUSALS = ("no password supplied", "password authentication failed")
PASSWORD_HINT = "the login's password goes in ~/.pgpass (docs/team.md)"


def unreachable(server: str, why: str) -> ServerUnreachable:
    """The one-line error for a server no connection could be made to, with
    where a password goes when the login lacked one or had a wrong one."""
    hint = f"; {PASSWORD_HINT}" if any(word in why for word in _PASSWORD_REFUSALS) else ""
    return ServerUnreachable(f"cannot reach the team server {server!r}: {why}{hint}")
