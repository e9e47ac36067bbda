"""Uploading finished sessions from a station's SQLite to the team server.

One session, one transaction: the session row first (``ON CONFLICT (uid) DO
NOTHING``: a session the server already has is left as it is, so uploading
twice changes nothing), then everything recorded with it, samples by COPY
(binary). A connection lost or a process killed before COMMIT leaves nothing
on the server, and the station still has the session pending: the next sync
uploads it whole. Two processes uploading the same session: the second
waits on the first's uncommitted uid, then finds it there.

Only after the server committed does the station write its ``uploads`` row;
a crash between the two costs one more ``DO NOTHING`` next time.

An athlete's body mass on the team is the first station's, changed only by a
coach (a station has no UPDATE privilege): a station whose athlete weighs
differently is told so in the report (``AthleteConflict``) at every sync
until the two agree, and nothing is overwritten on either side. Each session
keeps the body mass it was recorded with.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import psycopg

from ..storage import Athlete, Database, SessionNotFound
from ..storage.outbox import DISTANCE_CHUNK_COLUMNS, FORCE_CHUNK_COLUMNS, SessionBundle
from .connection import TeamError, check_version, connected, dead_peer_s, first_line
from .report import (AthleteConflict, RefusedSession, SyncReport,  # noqa: F401 - sync's words
                     conflicts_summary, refused_summary, sessions_text)

if TYPE_CHECKING:
    from .pool import TeamPool

# The session row's columns as the station stores them, copied as they are.
SESSION_COLUMNS: tuple[str, ...] = (
    "started_at", "ended_at", "end_reason", "body_mass_kg", "exercise", "device_id",
    "firmware", "protocol", "force_channels", "force_rate_hz", "distance_sensor", "port",
    "force_samples", "distance_samples", "crc_errors", "malformed", "overlong", "lost_force",
    "lost_distance", "reconnects", "reboots", "notes", "contact_mm")
_CHUNK_TYPES: dict[str, str] = {
    "chunk_no": "int4", "n": "int4", "channels": "int4", "t_first_us": "int8",
    "t_last_us": "int8", "t_host_first_s": "float8", "seq": "bytea", "t_device_us": "bytea",
    "raw": "bytea", "gap_mm": "bytea", "t_host_s": "bytea"}


class UploadInterrupted(TeamError):
    """The connection failed during an upload: that session is not on the
    server, every session before it is, and the next sync goes on from it."""


def _athlete_uid(conn: psycopg.Connection, athlete: dict[str, Any]) -> uuid.UUID:
    """The team's uid for the station's athlete: its own if the team did not
    know the name, else the one the team knows it by."""
    conn.execute(
        "INSERT INTO athletes (uid, name, body_mass_kg, contact_mm, contact_calibrated_at,"
        " created_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (uuid.UUID(athlete["uid"]), athlete["name"], athlete["body_mass_kg"],
         athlete["contact_mm"], athlete["contact_calibrated_at"], athlete["created_at"]))
    row = _team_athlete(conn, athlete["uid"], athlete["name"])
    if row is None:
        raise TeamError(f"the team server refused athlete {athlete['name']!r}")
    return row[0]


def _team_athlete(conn: psycopg.Connection, uid: str, name: str) -> tuple | None:
    """(uid, name, body_mass_kg) of the team's athlete a station's is: the
    one with its uid, else the one with its name (case-insensitive)."""
    return conn.execute(
        "SELECT uid, name, body_mass_kg FROM athletes WHERE uid = %s OR lower(name) = lower(%s)"
        " ORDER BY uid = %s DESC LIMIT 1", (uuid.UUID(uid), name, uuid.UUID(uid))).fetchone()


def _copy_chunks(conn: psycopg.Connection, table: str, columns: tuple[str, ...],
                 session_uid: uuid.UUID, rows: list[tuple]) -> None:
    """COPY (binary) into a temporary table, then one INSERT: COPY FROM cannot
    write a table under row-level security, the INSERT is checked by it."""
    if not rows:
        return
    staging = f"incoming_{table}"
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table})"
                 " ON COMMIT DELETE ROWS")
    names = ("session_uid", *columns)
    with conn.cursor() as cur:
        with cur.copy(f"COPY {staging} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["uuid", *(_CHUNK_TYPES[c] for c in columns)])
            for row in rows:
                copy.write_row((session_uid, *row))
    conn.execute(f"INSERT INTO {table} ({', '.join(names)})"
                 f" SELECT {', '.join(names)} FROM {staging}")


def upload_session(conn: psycopg.Connection, bundle: SessionBundle) -> tuple[bool, uuid.UUID | None]:
    """Send one session in one transaction; returns (sent now, the team's
    uid of its athlete). False: the server had it already."""
    s = bundle.session
    session_uid = uuid.UUID(s["uid"])
    with conn.transaction():
        # A session another upload holds (one whose connection died mid-COPY
        # and that the server has not dropped yet) is waited for only as
        # long as a silent connection is: then LockNotAvailable, not hours.
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{dead_peer_s()}s",))
        athlete_uid = None if bundle.athlete is None else _athlete_uid(conn, bundle.athlete)
        inserted = conn.execute(
            f"INSERT INTO sessions (uid, local_id, athlete_uid, {', '.join(SESSION_COLUMNS)})"
            f" VALUES (%s, %s, %s, {', '.join(['%s'] * len(SESSION_COLUMNS))})"
            " ON CONFLICT (uid) DO NOTHING RETURNING uid",
            (session_uid, s["id"], athlete_uid, *(s[c] for c in SESSION_COLUMNS))).fetchone()
        if inserted is None:
            return False, athlete_uid
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO calibrations (session_uid, ord, channel, offset_counts,"
                " counts_per_newton, t_device_us, recorded_at, source, mass_grams)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(session_uid, i, c["channel"], c["offset_counts"], c["counts_per_newton"],
                  c["t_device_us"], c["recorded_at"], c["source"], c["mass_grams"])
                 for i, c in enumerate(bundle.calibrations)])
            cur.executemany(
                "INSERT INTO events (session_uid, ord, t_device_us, t_host_s, kind, detail)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [(session_uid, i, e["t_device_us"], e["t_host_s"], e["kind"], e["detail"])
                 for i, e in enumerate(bundle.events)])
            cur.executemany(
                "INSERT INTO sets (session_uid, set_index, exercise, variant, added_load_kg,"
                " manual, t_start_us, t_end_us, valid_reps, no_reps, metrics)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json)",
                [(session_uid, r["set_index"], r["exercise"], r["variant"], r["added_load_kg"],
                  bool(r["manual"]), r["t_start_us"], r["t_end_us"], r["valid_reps"],
                  r["no_reps"], r["metrics"]) for r in bundle.sets])
            cur.executemany(
                "INSERT INTO reps (session_uid, set_index, rep_index, valid, reason, t_start_us,"
                " t_end_us, peak_force_n, min_gap_mm, metrics)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json)",
                [(session_uid, r["set_index"], r["rep_index"],
                  None if r["valid"] is None else bool(r["valid"]), r["reason"],
                  r["t_start_us"], r["t_end_us"], r["peak_force_n"], r["min_gap_mm"],
                  r["metrics"]) for r in bundle.reps])
        _copy_chunks(conn, "force_chunks", FORCE_CHUNK_COLUMNS, session_uid, bundle.force_chunks)
        _copy_chunks(conn, "distance_chunks", DISTANCE_CHUNK_COLUMNS, session_uid,
                     bundle.distance_chunks)
    return True, athlete_uid


def athlete_conflicts(conn: psycopg.Connection, athletes: list[Athlete]) -> list[AthleteConflict]:
    """The station's athletes the team knows (by uid, or by name as an upload
    matches them) with another body mass; a station that knows no mass has
    nothing to disagree with."""
    conflicts = []
    for athlete in athletes:
        if athlete.body_mass_kg is None or athlete.uid is None:
            continue
        row = _team_athlete(conn, athlete.uid, athlete.name)
        if row is not None and row[2] != athlete.body_mass_kg:
            conflicts.append(AthleteConflict(row[1], athlete.body_mass_kg, row[2]))
    return conflicts


def station_name(conn: psycopg.Connection, server: str) -> str:
    """The station the login belongs to; TeamError if it is none."""
    name = conn.execute("SELECT backstation_current_station()").fetchone()[0]
    if name is None:
        user = conn.execute("SELECT session_user").fetchone()[0]
        raise TeamError(f"the login {user!r} of the team server {server!r} is not a "
                        "registered station: the team's owner adds it (docs/team.md)")
    return name


# The server's refusals of one session's rows (a constraint, a value its
# columns cannot hold): that session is skipped, the others go on. A lost
# connection (OperationalError) or a refused login or privilege is no
# session's fault and stops the run.
_REFUSED_FOR_ITS_DATA = (psycopg.errors.IntegrityError, psycopg.errors.DataError)


def sync(db: Database, server: str,
         on_session: Callable[[int, bool], None] | None = None,
         on_connected: Callable[[SyncReport], None] | None = None,
         pool: TeamPool | None = None) -> SyncReport:
    """Upload every finished session ``server`` does not have, oldest first,
    over a connection of ``pool`` (the app's) or one of its own.
    ``on_connected``: called once the server is reached and its schema checked,
    before the first session; ``on_session(id, sent now)`` after each one.
    ``ServerUnreachable`` if it cannot be reached (nothing sent),
    ``UploadInterrupted`` if the connection fails part-way (the run stops
    there). A session the server refuses for its data (``_REFUSED_FOR_ITS_DATA``)
    is in ``report.refused`` and the run goes on with the next; any other
    error of the server stops it (``TeamError``)."""
    with connected(server, pool) as conn:
        try:
            check_version(conn, server)
            report = SyncReport(server, station_name(conn, server))
        except psycopg.Error as exc:
            raise TeamError(f"the team server {server!r}: {first_line(exc)}") from exc
        if on_connected is not None:
            on_connected(report)
        for session_id in db.pending_uploads(server):
            try:
                bundle = db.upload_bundle(session_id)
            except SessionNotFound:
                continue        # deleted on the station since the list was read
            try:
                sent, athlete_uid = upload_session(conn, bundle)
            except psycopg.errors.LockNotAvailable as exc:
                raise UploadInterrupted(
                    f"the team server {server!r} still holds session {session_id} for an "
                    "upload whose connection was lost; the server lets go of it once it "
                    "notices (its keepalives, docs/team.md): run sync again later") from exc
            except psycopg.OperationalError as exc:
                raise UploadInterrupted(
                    f"the connection to the team server {server!r} failed while uploading "
                    f"session {session_id} ({first_line(exc)}): it is not there; "
                    f"{sessions_text(len(report.uploaded))} uploaded before it; run sync "
                    "again") from exc
            except _REFUSED_FOR_ITS_DATA as exc:
                report.refused.append(RefusedSession(session_id, first_line(exc)))
                continue        # its transaction was rolled back; the connection goes on
            except psycopg.Error as exc:
                raise TeamError(f"the team server {server!r} refused session {session_id}: "
                                f"{first_line(exc)}") from exc
            adopted = None
            if athlete_uid is not None and str(athlete_uid) != bundle.athlete["uid"]:
                adopted = (bundle.athlete["id"], str(athlete_uid))
            db.mark_uploaded(session_id, server, athlete=adopted)
            (report.uploaded if sent else report.already).append(session_id)
            if on_session is not None:
                on_session(session_id, sent)
        try:
            report.conflicts = athlete_conflicts(conn, db.list_athletes())
        except psycopg.Error as exc:
            raise TeamError(f"the team server {server!r}: {first_line(exc)}") from exc
        return report
