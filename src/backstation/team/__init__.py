"""The team database: finished sessions gathered from every station into one
PostgreSQL database the team runs (issue 15, docs/team.md). Plain Python +
psycopg 3: no Qt here."""

from .connection import DEFAULT_SERVER, ServerUnreachable, TeamError
from .upload import SyncReport, UploadInterrupted, sync

__all__ = ["DEFAULT_SERVER", "ServerUnreachable", "SyncReport", "TeamError", "UploadInterrupted",
           "sync"]
