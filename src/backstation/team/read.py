"""Reading the team database: the team's sessions, and one session whole.

The one place the team's sessions are read from PostgreSQL, for
``backstation sessions|export|replay --server NAME`` and for History's team
view. Every function takes an open connection (``connection.connect`` or a
pool's, after ``connection.check_version``) and only reads.

    list_sessions(conn, athlete=None, station=None) -> list[TeamSession]
    list_stations(conn) -> list[str]
    list_athletes(conn) -> list[str]
    find_session(conn, ref) -> uid          ref: "STATION/ID" or the session's uid
    load_session(conn, uid) -> SessionBundle
    judgements(conn, uids) -> {uid: ([SetRecord], [RepRecord])}

A loaded session is a ``SessionBundle`` (storage/outbox.py) with the rows as
the station stored them: the same column names, timestamps as the station
writes them (``storage.utc_iso``), metrics JSON as its text, the chunk blobs
unchanged; ``id`` is the station's own session id, and a calibration's or
event's ``id`` its place in the session (1, 2, ...), not the station's row
number. ``storage.bundle_reader.BundleReader(bundle)`` then reads it with
the ``Database``'s methods, so export, replay and History decode a team
session with the code that decodes a local one.

Errors: ``TeamSessionNotFound`` for a reference the server does not know,
``AmbiguousTeamSession`` for a ``STATION/ID`` that names several sessions;
psycopg's errors for a server that fails (callers word them, as sync does).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ..storage import RepRecord, SessionInfo, SetRecord, utc_iso
from ..storage import training
from ..storage.outbox import DISTANCE_CHUNK_COLUMNS, FORCE_CHUNK_COLUMNS, SessionBundle
from ..storage.chunks import device_span
from ..storage.records import session_info
from .connection import TeamError
from .upload import SESSION_COLUMNS


class TeamSessionNotFound(TeamError, LookupError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"no session {ref} on the team server (`backstation sessions "
                         "--server NAME` lists them)")
        self.ref = ref


class AmbiguousTeamSession(TeamError, LookupError):
    """``STATION/ID`` names more than one session: that station's database was
    started again (a new file numbers its sessions from 1 again)."""

    def __init__(self, ref: str, found: list[tuple[str, str]]) -> None:
        choices = ", ".join(f"{uid} (started {started[:16]})" for uid, started in found)
        super().__init__(f"{ref} names {len(found)} sessions on the team server (its "
                         f"station's database was started again): name one by its uid: "
                         f"{choices}")
        self.ref = ref
        self.uids = [uid for uid, _ in found]


@dataclass(frozen=True)
class TeamSession:
    """One session of the team's list: ``info`` as a local session's
    (``info.id`` is the station's own id of it, ``info.uid`` the team's)."""

    station: str
    athlete_uid: str | None
    info: SessionInfo

    @property
    def uid(self) -> str:
        return str(self.info.uid)

    @property
    def ref(self) -> str:
        """How the command line names it: ``STATION/ID``."""
        return f"{self.station}/{self.info.id}"


def _as_stored(value: Any) -> Any:
    """A value as the station's SQLite holds it: timestamps as ``utc_iso``
    text, uuids as text."""
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _stored_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _as_stored(v) for k, v in row.items()}


# The session row under the station's column names, with each chunk table's
# first and last device time (its span: storage.chunks.device_span).
_SPAN_COLUMNS = ("force_first_us", "force_last_us", "distance_first_us", "distance_last_us")
_SESSION_SELECT = (
    "SELECT s.local_id AS id, s.uid, s.station, s.athlete_uid, a.name AS athlete_name, "
    + ", ".join(f"s.{c}" for c in SESSION_COLUMNS)
    + ", f.first_us AS force_first_us, f.last_us AS force_last_us,"
    " d.first_us AS distance_first_us, d.last_us AS distance_last_us"
    " FROM sessions s LEFT JOIN athletes a ON a.uid = s.athlete_uid"
    " LEFT JOIN LATERAL (SELECT min(t_first_us) AS first_us, max(t_last_us) AS last_us"
    "  FROM force_chunks WHERE session_uid = s.uid) AS f ON true"
    " LEFT JOIN LATERAL (SELECT min(t_first_us) AS first_us, max(t_last_us) AS last_us"
    "  FROM distance_chunks WHERE session_uid = s.uid) AS d ON true")


def _team_session(row: dict[str, Any]) -> TeamSession:
    fields = _stored_row(row)
    span = device_span([(fields["force_first_us"], fields["force_last_us"]),
                        (fields["distance_first_us"], fields["distance_last_us"])])
    return TeamSession(fields["station"], fields["athlete_uid"],
                       session_info(fields, fields["athlete_name"], span))


def list_sessions(conn: psycopg.Connection, *, athlete: str | None = None,
                  station: str | None = None) -> list[TeamSession]:
    """The team's sessions by start time (then station and id, so sessions
    with the same start are listed in one order every time), optionally only
    one athlete's (by name, case-insensitive, as the team matches them) or
    one station's."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            _SESSION_SELECT
            + " WHERE (%(athlete)s::text IS NULL OR lower(a.name) = lower(%(athlete)s::text))"
            " AND (%(station)s::text IS NULL OR s.station = %(station)s::text)"
            " ORDER BY s.started_at, s.station, s.local_id",
            {"athlete": athlete, "station": station})
        return [_team_session(row) for row in cur.fetchall()]


def list_stations(conn: psycopg.Connection) -> list[str]:
    """Every registered station's name, sorted."""
    return [row[0] for row in conn.execute("SELECT name FROM stations ORDER BY name")]


def list_athletes(conn: psycopg.Connection) -> list[str]:
    """Every athlete's name the team knows, sorted case-insensitively."""
    return [row[0] for row in conn.execute("SELECT name FROM athletes ORDER BY lower(name)")]


def find_session(conn: psycopg.Connection, ref: str) -> str:
    """The uid of the session ``ref`` names: ``STATION/ID`` (as listed) or
    its uid; ``TeamSessionNotFound`` if there is none, ``AmbiguousTeamSession``
    if ``STATION/ID`` names several."""
    station, slash, local_id = ref.rpartition("/")
    if slash:
        if not local_id.isdigit():
            raise TeamSessionNotFound(ref)
        rows = conn.execute("SELECT uid, started_at FROM sessions WHERE station = %s"
                            " AND local_id = %s ORDER BY started_at, uid",
                            (station, int(local_id))).fetchall()
        if len(rows) > 1:
            raise AmbiguousTeamSession(ref, [(str(u), utc_iso(t)) for u, t in rows])
        row = rows[0] if rows else None
    else:
        try:
            uid = uuid.UUID(ref)
        except ValueError:
            raise TeamSessionNotFound(ref) from None
        row = conn.execute("SELECT uid FROM sessions WHERE uid = %s", (uid,)).fetchone()
    if row is None:
        raise TeamSessionNotFound(ref)
    return str(row[0])


@dataclass(frozen=True)
class _Judged:
    """A table of a session's judgement as the station stores it."""

    columns: tuple[str, ...]     # but session_id and metrics
    order: str
    decode: Callable[[dict[str, Any]], Any]      # storage.training's, as Database reads
    slot: int                    # its place in a judgement (sets, reps)


_JUDGED = {
    "sets": _Judged(("set_index", "exercise", "variant", "added_load_kg", "manual",
                     "t_start_us", "t_end_us", "valid_reps", "no_reps"),
                    "t.set_index", training.set_record, 0),
    "reps": _Judged(("set_index", "rep_index", "valid", "reason", "t_start_us", "t_end_us",
                     "peak_force_n", "min_gap_mm"),
                    "t.set_index, t.rep_index", training.rep_record, 1),
}


def _judged_columns(table: str) -> str:
    """``table``'s columns (of alias ``t``) as the station's, metrics as its text."""
    return ", ".join(f"t.{c}" for c in _JUDGED[table].columns) + ", t.metrics::text AS metrics"


def load_session(conn: psycopg.Connection, uid: str) -> SessionBundle:
    """The session ``uid`` and everything recorded with it, from one snapshot
    of the server (a coach's correction or deletion meanwhile is seen whole
    or not at all); ``TeamSessionNotFound`` if the server has no such session."""
    session_uid = uuid.UUID(uid)
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(_SESSION_SELECT + " WHERE s.uid = %s", (session_uid,)).fetchone()
            if row is None:
                raise TeamSessionNotFound(uid)
            session = _stored_row(row)
            local_id = session["id"]
            session["athlete_id"] = None          # a station's own number; none here
            athlete = None
            if row["athlete_uid"] is not None:
                athlete = _stored_row(cur.execute(
                    "SELECT NULL::bigint AS id, uid, name, body_mass_kg, created_at, contact_mm,"
                    " contact_calibrated_at FROM athletes WHERE uid = %s",
                    (row["athlete_uid"],)).fetchone())

            def children(sql: str) -> list[dict[str, Any]]:
                return [_stored_row(r) for r in cur.execute(sql, (local_id, session_uid))]

            calibrations = children(
                "SELECT ord + 1 AS id, %s::bigint AS session_id, channel, offset_counts,"
                " counts_per_newton, t_device_us, recorded_at, source, mass_grams"
                " FROM calibrations WHERE session_uid = %s ORDER BY ord")
            events = children(
                "SELECT ord + 1 AS id, %s::bigint AS session_id, t_device_us, t_host_s, kind,"
                " detail FROM events WHERE session_uid = %s ORDER BY ord")
            sets, reps = (children(
                f"SELECT NULL::bigint AS id, %s::bigint AS session_id, {_judged_columns(table)}"
                f" FROM {table} t WHERE session_uid = %s ORDER BY {_JUDGED[table].order}")
                for table in ("sets", "reps"))
        force_chunks = conn.execute(
            f"SELECT {', '.join(FORCE_CHUNK_COLUMNS)} FROM force_chunks WHERE session_uid = %s"
            " ORDER BY chunk_no", (session_uid,)).fetchall()
        distance_chunks = conn.execute(
            f"SELECT {', '.join(DISTANCE_CHUNK_COLUMNS)} FROM distance_chunks"
            " WHERE session_uid = %s ORDER BY chunk_no", (session_uid,)).fetchall()
    for key in (*_SPAN_COLUMNS, "athlete_name", "athlete_uid"):
        session.pop(key)
    return SessionBundle(session=session, athlete=athlete, calibrations=calibrations,
                         events=events, sets=sets, reps=reps, force_chunks=force_chunks,
                         distance_chunks=distance_chunks)


def judgements(conn: psycopg.Connection,
               uids: list[str]) -> dict[str, tuple[list[SetRecord], list[RepRecord]]]:
    """The stored sets and reps of each session ``uids`` names, decoded as the
    station's ``Database.sets`` / ``reps`` decode them (``session_id``: the
    station's id of it), without the samples: what a session list and the
    progress charts need. A uid the server does not have is left out."""
    wanted = [uuid.UUID(u) for u in uids]
    found: dict[str, tuple[list[SetRecord], list[RepRecord]]] = {}
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with conn.cursor(row_factory=dict_row) as cur:
            for row in cur.execute("SELECT uid FROM sessions WHERE uid = ANY(%s)", (wanted,)):
                found[str(row["uid"])] = ([], [])
            for table, judged in _JUDGED.items():
                cur.execute(
                    f"SELECT t.session_uid, s.local_id AS session_id, {_judged_columns(table)}"
                    f" FROM {table} t JOIN sessions s ON s.uid = t.session_uid"
                    f" WHERE t.session_uid = ANY(%s) ORDER BY t.session_uid, {judged.order}",
                    (wanted,))
                for row in cur.fetchall():
                    found[str(row.pop("session_uid"))][judged.slot].append(judged.decode(row))
    return found
