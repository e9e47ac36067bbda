"""A coach's corrections of the judge's verdicts, and the corrected result.

The judge's sets and reps stay stored as it judged them (what ``replay``
reproduces from the samples); a correction is a row of its own in
``corrections`` (schema v5): mark a rep valid, mark it a no-rep (reason
``verdicts.COACH_REASON``), delete a rep, or delete a set. Undo removes the
newest. ``corrected`` applies them, oldest first, the latest for a rep
deciding: this is the one place the corrected result is made, for History,
Progress, the CSV export and ``replay``. A corrected rep keeps the judge's
verdict beside the coach's (``RepRecord.judged``), and a set whose reps were
changed is counted again from what is left (``SetRecord.corrected``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace

from ..verdicts import COACH_REASON, count_verdicts
from .errors import StorageError
from .records import RepRecord, SetRecord

MARK_VALID, MARK_NO_REP, DELETE = "valid", "no_rep", "delete"
ACTIONS = (MARK_VALID, MARK_NO_REP, DELETE)


@dataclass(frozen=True)
class Correction:
    id: int
    session_id: int
    set_index: int
    rep_index: int | None        # None: the whole set (DELETE only)
    action: str                  # one of ACTIONS
    made_at: str                 # UTC, ISO-8601


def check(rep_index: int | None, action: str) -> None:
    """ValueError unless ``action`` can be done to a rep (or, ``rep_index``
    None, to a set: only deleted)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown correction {action!r} (one of {', '.join(ACTIONS)})")
    if rep_index is None and action != DELETE:
        raise ValueError("a whole set can only be deleted; mark its reps one by one")


def add(conn: sqlite3.Connection, session_id: int, set_index: int, rep_index: int | None,
        action: str, made_at: str, skip_missing: bool = False) -> Correction | None:
    """Store a correction; ``StorageError`` if the session has no such rep
    or set (``skip_missing``: None instead, nothing stored)."""
    check(rep_index, action)
    if rep_index is None:
        found = conn.execute("SELECT 1 FROM sets WHERE session_id = ? AND set_index = ?",
                             (session_id, set_index)).fetchone()
        what = f"set {set_index}"
    else:
        found = conn.execute("SELECT 1 FROM reps WHERE session_id = ? AND set_index = ?"
                             " AND rep_index = ?", (session_id, set_index, rep_index)).fetchone()
        what = f"rep {set_index}.{rep_index}"
    if found is None:
        if skip_missing:
            return None
        raise StorageError(f"session {session_id} has no {what} to correct")
    cursor = conn.execute(
        "INSERT INTO corrections (session_id, set_index, rep_index, action, made_at)"
        " VALUES (?, ?, ?, ?, ?)", (session_id, set_index, rep_index, action, made_at))
    return Correction(int(cursor.lastrowid), session_id, set_index, rep_index, action, made_at)


def undo(conn: sqlite3.Connection, session_id: int) -> Correction | None:
    """Remove the session's newest correction; None if it has none."""
    row = conn.execute("SELECT * FROM corrections WHERE session_id = ? ORDER BY id DESC"
                       " LIMIT 1", (session_id,)).fetchone()
    if row is None:
        return None
    conn.execute("DELETE FROM corrections WHERE id = ?", (row["id"],))
    return Correction(**dict(row))


def load(conn: sqlite3.Connection, session_id: int) -> list[Correction]:
    """The session's corrections, oldest first."""
    rows = conn.execute("SELECT * FROM corrections WHERE session_id = ? ORDER BY id",
                        (session_id,)).fetchall()
    return [Correction(**dict(row)) for row in rows]


def corrected(sets: list[SetRecord], reps: list[RepRecord], corrections: list[Correction]
              ) -> tuple[list[SetRecord], list[RepRecord]]:
    """The sets and reps as the coach left them (see the module's docstring)."""
    deleted_sets: set[int] = set()
    latest: dict[tuple[int, int], str] = {}
    for c in corrections:
        if c.rep_index is None:
            deleted_sets.add(c.set_index)
        else:
            latest[(c.set_index, c.rep_index)] = c.action
    out_reps: list[RepRecord] = []
    changed: set[int] = set()
    for rep in reps:
        if rep.set_index in deleted_sets:
            continue
        action = latest.get((rep.set_index, rep.rep_index))
        if action == DELETE:
            changed.add(rep.set_index)
            continue
        verdict = {MARK_VALID: (True, None), MARK_NO_REP: (False, COACH_REASON)}.get(action)
        if verdict is not None and verdict != (rep.valid, rep.reason):
            changed.add(rep.set_index)
            rep = replace(rep, valid=verdict[0], reason=verdict[1], judged=(rep.valid, rep.reason))
        out_reps.append(rep)
    out_sets: list[SetRecord] = []
    for s in sets:
        if s.set_index in deleted_sets:
            continue
        if s.set_index in changed:
            valid, no = count_verdicts(r.valid for r in out_reps if r.set_index == s.set_index)
            s = replace(s, valid_reps=valid, no_reps=no, corrected=True)
        out_sets.append(s)
    return out_sets, out_reps
