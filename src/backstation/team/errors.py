"""The team server's failures, as exceptions whose message is one line a user
can act on. Kept apart from psycopg (``connection.py`` raises them), so the
app can catch them without loading psycopg before a team server is used."""

from __future__ import annotations


class TeamError(Exception):
    """The team server cannot be reached or used; the message says why, in one line."""


class ServerUnreachable(TeamError):
    """No connection could be made (down, wrong name, refused login): nothing was sent."""
