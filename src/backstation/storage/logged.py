"""Sets logged by hand in the database (schema v8): the exercises done with
dumbbells away from the bar (exercises.LOGGED_EXERCISES), which the station
cannot measure, stored as the coach gives them (sets x reps x dumbbell
mass, and the hold of a dumbbell shrug), and their place among the
station's sets (``in_order``) for every reader: History and the CSV.

A logged set is numbered in its session from 1 (``set_no``); a number
deleted is not given again while a higher one remains, so a number names
one set for as long as it is stored.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .errors import SessionNotFound, StorageError
from .records import LoggedSet, SetRecord


def add(conn: sqlite3.Connection, session_id: int, fields: dict[str, Any], logged_at: str,
        t_device_us: int | None) -> LoggedSet:
    """Store a logged set (``fields``: records.logged_set_fields, already
    checked) as the session's next; ``SessionNotFound`` for no such session.
    In the caller's transaction."""
    if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
        raise SessionNotFound(session_id)
    set_no = conn.execute("SELECT coalesce(max(set_no), 0) + 1 FROM logged_sets"
                          " WHERE session_id = ?", (session_id,)).fetchone()[0]
    record = LoggedSet(session_id=session_id, set_no=int(set_no), logged_at=logged_at,
                       t_device_us=t_device_us, **fields)
    conn.execute(
        "INSERT INTO logged_sets (session_id, set_no, exercise, reps, load_kg, hold_s, rpe,"
        " notes, logged_at, t_device_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (record.session_id, record.set_no, record.exercise, record.reps, record.load_kg,
         record.hold_s, record.rpe, record.notes, record.logged_at, record.t_device_us))
    return record


def delete(conn: sqlite3.Connection, session_id: int, set_no: int) -> None:
    """``StorageError`` if the session has no logged set ``set_no``."""
    cursor = conn.execute("DELETE FROM logged_sets WHERE session_id = ? AND set_no = ?",
                          (session_id, set_no))
    if cursor.rowcount == 0:
        raise StorageError(f"session {session_id} has no logged set {set_no} to delete")


def logged_set(fields: dict[str, Any]) -> LoggedSet:
    """A ``logged_sets`` row as stored (its columns by name; ``id`` ignored)."""
    return LoggedSet(**{k: v for k, v in fields.items() if k != "id"})


def load(conn: sqlite3.Connection, session_id: int) -> list[LoggedSet]:
    rows = conn.execute("SELECT * FROM logged_sets WHERE session_id = ? ORDER BY set_no",
                        (session_id,)).fetchall()
    return [logged_set(dict(row)) for row in rows]


def in_order(sets: list[SetRecord], logged: list[LoggedSet]) -> list[SetRecord | LoggedSet]:
    """The session's station sets and logged sets in the order they were
    done: a logged set goes before the first station set that began after it
    was logged (``t_device_us``); one logged without a device time (no
    samples yet, or after the recording) after every station set left. Each
    kind keeps its own order."""
    station = sorted(sets, key=lambda s: s.set_index)
    ordered: list[SetRecord | LoggedSet] = []
    at = 0
    for entry in sorted(logged, key=lambda e: e.set_no):
        while at < len(station) and (entry.t_device_us is None
                                     or station[at].t_start_us <= entry.t_device_us):
            ordered.append(station[at])
            at += 1
        ordered.append(entry)
    ordered.extend(station[at:])
    return ordered
