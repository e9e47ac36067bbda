"""Errors the storage layer raises: one family, so a caller (CLI or GUI) can
catch ``StorageError`` and show its message instead of a traceback."""

from __future__ import annotations


class StorageError(Exception):
    """The database cannot be opened, read or written; the message says why
    in words a user can act on."""


class SessionNotFound(StorageError, LookupError):
    """No session with that id is stored."""

    def __init__(self, session_id: int) -> None:
        super().__init__(f"no session {session_id} in the database")
        self.session_id = session_id


class NoDatabase(StorageError, FileNotFoundError):
    """A command that only reads was pointed at a file that does not exist
    (only ``record`` and the app create a database)."""

    def __init__(self, path) -> None:
        super().__init__(f"no database at {path} (record a session first, or check --db)")
        self.path = path


class OlderDatabase(StorageError):
    """A read-only open of a database an older Back Station wrote: its schema
    is upgraded only by a writer (``record``, the app: ``database.upgrade``)."""
