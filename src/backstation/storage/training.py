"""Judged sets and reps in the database (schema v2).

Rows are upserted by (session, set, rep) so a set can be written when it
starts and again as its reps come in; the full metrics travel as JSON
next to the few columns that history queries need.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .. import strictjson
from .errors import StorageError
from .records import RepRecord, SetRecord


def metrics_json(metrics: dict[str, Any]) -> str:
    # NaN/inf are not JSON: a metric that cannot be computed is stored as null.
    return strictjson.dumps(metrics, sort_keys=True)


def save_set(conn: sqlite3.Connection, record: SetRecord) -> None:
    conn.execute(
        "INSERT INTO sets (session_id, set_index, exercise, variant, added_load_kg, manual,"
        " t_start_us, t_end_us, valid_reps, no_reps, metrics)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (session_id, set_index) DO UPDATE SET exercise = excluded.exercise,"
        " variant = excluded.variant, added_load_kg = excluded.added_load_kg,"
        " manual = excluded.manual, t_start_us = excluded.t_start_us,"
        " t_end_us = excluded.t_end_us, valid_reps = excluded.valid_reps,"
        " no_reps = excluded.no_reps, metrics = excluded.metrics",
        (record.session_id, record.set_index, record.exercise, record.variant,
         record.added_load_kg, int(record.manual), record.t_start_us, record.t_end_us,
         record.valid_reps, record.no_reps, metrics_json(record.metrics)))


def save_rep(conn: sqlite3.Connection, record: RepRecord) -> None:
    conn.execute(
        "INSERT INTO reps (session_id, set_index, rep_index, valid, reason, t_start_us,"
        " t_end_us, peak_force_n, min_gap_mm, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (session_id, set_index, rep_index) DO UPDATE SET valid = excluded.valid,"
        " reason = excluded.reason, t_start_us = excluded.t_start_us,"
        " t_end_us = excluded.t_end_us, peak_force_n = excluded.peak_force_n,"
        " min_gap_mm = excluded.min_gap_mm, metrics = excluded.metrics",
        (record.session_id, record.set_index, record.rep_index,
         None if record.valid is None else int(record.valid), record.reason,
         record.t_start_us, record.t_end_us, strictjson.finite(record.peak_force_n),
         strictjson.finite(record.min_gap_mm), metrics_json(record.metrics)))


def _stored_metrics(text: str, what: str) -> dict[str, Any]:
    """A row's metrics JSON; ``StorageError`` naming the row if it is not a JSON object."""
    try:
        metrics = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise StorageError(f"damaged {what}: its stored metrics are not JSON ({exc})") from None
    if not isinstance(metrics, dict):
        raise StorageError(f"damaged {what}: its stored metrics are not a JSON object")
    return metrics


def set_record(fields: dict[str, Any]) -> SetRecord:
    """A ``sets`` row as stored (its columns by name; ``id`` ignored)."""
    fields = {k: v for k, v in fields.items() if k != "id"}
    fields["manual"] = bool(fields["manual"])
    fields["metrics"] = _stored_metrics(
        fields["metrics"], f"set {fields['set_index']} of session {fields['session_id']}")
    return SetRecord(**fields)


def rep_record(fields: dict[str, Any]) -> RepRecord:
    """A ``reps`` row as stored (its columns by name; ``id`` ignored)."""
    fields = {k: v for k, v in fields.items() if k != "id"}
    fields["valid"] = None if fields["valid"] is None else bool(fields["valid"])
    fields["metrics"] = _stored_metrics(
        fields["metrics"], f"rep {fields['set_index']}.{fields['rep_index']} of session "
        f"{fields['session_id']}")
    return RepRecord(**fields)


def load_sets(conn: sqlite3.Connection, session_id: int) -> list[SetRecord]:
    rows = conn.execute("SELECT * FROM sets WHERE session_id = ? ORDER BY set_index",
                        (session_id,)).fetchall()
    return [set_record(dict(row)) for row in rows]


def load_reps(conn: sqlite3.Connection, session_id: int) -> list[RepRecord]:
    rows = conn.execute("SELECT * FROM reps WHERE session_id = ? ORDER BY set_index, rep_index",
                        (session_id,)).fetchall()
    return [rep_record(dict(row)) for row in rows]
