"""The team database: finished sessions gathered from every station into one
PostgreSQL database the team runs (issue 15, docs/team.md). Plain Python +
psycopg 3: no Qt here.

The names below are loaded on first use (PEP 562): the app imports this
package at start, and psycopg is loaded only once a team server is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import ServerUnreachable, TeamError

_LAZY = {"DEFAULT_SERVER": "connection", "SyncReport": "report",
         "UploadInterrupted": "upload", "sync": "upload"}

__all__ = ["DEFAULT_SERVER", "ServerUnreachable", "SyncReport", "TeamError", "UploadInterrupted",
           "sync"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
