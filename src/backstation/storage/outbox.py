"""What a station has to upload to a team server, read as stored (schema v4).

A finished session (``ended_at`` set: by its recorder, or closed as
interrupted) is pending for a server until an ``uploads`` row says that
server committed it. The bundle is the session's rows exactly as stored,
sample chunks as their blobs unchanged, so the team copy decodes with the
same ``blobs`` functions and cannot drift from the local one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from .errors import SessionNotFound

# The chunk columns in table order: the team schema stores the same ones.
FORCE_CHUNK_COLUMNS: tuple[str, ...] = (
    "chunk_no", "n", "channels", "t_first_us", "t_last_us", "t_host_first_s", "seq",
    "t_device_us", "raw", "t_host_s")
DISTANCE_CHUNK_COLUMNS: tuple[str, ...] = (
    "chunk_no", "n", "t_first_us", "t_last_us", "t_host_first_s", "seq", "t_device_us",
    "gap_mm", "t_host_s")


@dataclass(frozen=True)
class SessionBundle:
    """One stored session and everything recorded with it, as rows."""

    session: dict[str, Any]
    athlete: dict[str, Any] | None
    calibrations: list[dict[str, Any]]
    events: list[dict[str, Any]]
    sets: list[dict[str, Any]]
    reps: list[dict[str, Any]]
    force_chunks: list[tuple]            # FORCE_CHUNK_COLUMNS, by chunk_no
    distance_chunks: list[tuple]         # DISTANCE_CHUNK_COLUMNS, by chunk_no


def pending(conn: sqlite3.Connection, server: str) -> list[int]:
    """Ids of the finished sessions ``server`` has not committed, oldest first."""
    return [row[0] for row in conn.execute(
        "SELECT id FROM sessions WHERE ended_at IS NOT NULL AND NOT EXISTS"
        " (SELECT 1 FROM uploads u WHERE u.session_id = sessions.id AND u.server = ?)"
        " ORDER BY id", (server,))]


def mark_uploaded(conn: sqlite3.Connection, session_id: int, server: str,
                  uploaded_at: str) -> None:
    conn.execute("INSERT INTO uploads (session_id, server, uploaded_at) VALUES (?, ?, ?)"
                 " ON CONFLICT DO NOTHING", (session_id, server, uploaded_at))


def uploaded_to(conn: sqlite3.Connection, session_id: int) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT server FROM uploads WHERE session_id = ? ORDER BY server", (session_id,))]


def adopt_athlete_uid(conn: sqlite3.Connection, athlete_id: int, uid: str) -> None:
    """The team already knows this athlete (by name) under ``uid``: use it here
    too, unless another athlete here has it. That one is the team's by name as
    well: two athletes this station tells apart and the team does not (names
    differing in the case of a non-ASCII letter, which SQLite's NOCASE keeps
    apart and a server's UTF-8 ``lower`` does not). Both keep their own uid;
    the team files either's sessions under its one athlete."""
    conn.execute("UPDATE athletes SET uid = ?1 WHERE id = ?2"
                 " AND NOT EXISTS (SELECT 1 FROM athletes WHERE uid = ?1)", (uid, athlete_id))


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def bundle(conn: sqlite3.Connection, session_id: int) -> SessionBundle:
    rows = _dicts(conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)))
    if not rows:
        raise SessionNotFound(session_id)
    session = rows[0]
    athlete = None
    if session["athlete_id"] is not None:
        found = _dicts(conn.execute("SELECT * FROM athletes WHERE id = ?",
                                    (session["athlete_id"],)))
        athlete = found[0] if found else None

    def children(table: str, order: str) -> list[dict[str, Any]]:
        return _dicts(conn.execute(f"SELECT * FROM {table} WHERE session_id = ? ORDER BY {order}",
                                   (session_id,)))

    return SessionBundle(
        session=session, athlete=athlete,
        calibrations=children("calibrations", "id"), events=children("events", "id"),
        sets=children("sets", "set_index"), reps=children("reps", "set_index, rep_index"),
        force_chunks=conn.execute(
            f"SELECT {', '.join(FORCE_CHUNK_COLUMNS)} FROM force_chunks WHERE session_id = ?"
            " ORDER BY chunk_no", (session_id,)).fetchall(),
        distance_chunks=conn.execute(
            f"SELECT {', '.join(DISTANCE_CHUNK_COLUMNS)} FROM distance_chunks"
            " WHERE session_id = ? ORDER BY chunk_no", (session_id,)).fetchall())
