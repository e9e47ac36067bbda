"""The team database's schema (PostgreSQL) and its forward migrations.

As for the station's SQLite (storage/schema.py): ``MIGRATIONS[i]`` takes the
database from version ``i`` to ``i + 1``, each step in its own transaction;
append, never edit one that has shipped. The version is the one row of
``backstation_schema``. Migrations are run by the database's owner
(``python -m backstation.team.admin migrate``, docs/team.md); a station's
role cannot create tables and only checks the version.

Samples are the station's chunk rows with their blobs unchanged (bytea of
little-endian int32 / uint32 / uint16, storage/blobs.py): measured against
PostgreSQL arrays in docs/performance.md ("Team database"). Every table a
station writes carries the session's uid, and a session appears whole or not
at all: the upload is one transaction (team/upload.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

# pg_advisory_xact_lock key: two migrators take turns ("BkSt").
MIGRATION_LOCK_KEY = 0x426B5374
STATION_GROUP = "backstation_station"
COACH_GROUP = "backstation_coach"

# Every table of the schema (v1), children of sessions after it.
TEAM_TABLES: tuple[str, ...] = (
    "stations", "athletes", "sessions", "calibrations", "events", "sets", "reps",
    "force_chunks", "distance_chunks")
# The tables a station inserts a session's rows into, RLS checked.
SESSION_CHILD_TABLES: tuple[str, ...] = (
    "calibrations", "events", "sets", "reps", "force_chunks", "distance_chunks")


@dataclass(frozen=True)
class Migration:
    description: str
    statements: tuple[str, ...]


_V1 = (
    """CREATE TABLE stations (
        name text PRIMARY KEY,
        login_role name NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now())""",
    # Athletes are shared by uid; a name is one athlete team-wide (case-
    # insensitive for ASCII, as SQLite's NOCASE), the first station's uid wins.
    """CREATE TABLE athletes (
        uid uuid PRIMARY KEY,
        name text NOT NULL,
        body_mass_kg double precision,
        contact_mm double precision,
        contact_calibrated_at timestamptz,
        created_at timestamptz NOT NULL)""",
    "CREATE UNIQUE INDEX athletes_by_name ON athletes (lower(name))",
    """CREATE TABLE sessions (
        uid uuid PRIMARY KEY,
        station text NOT NULL REFERENCES stations(name),
        local_id bigint NOT NULL,
        athlete_uid uuid REFERENCES athletes(uid),
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        end_reason text,
        body_mass_kg double precision,
        exercise text NOT NULL,
        device_id text,
        firmware text,
        protocol integer,
        force_channels integer,
        force_rate_hz integer,
        distance_sensor text,
        port text,
        force_samples bigint NOT NULL,
        distance_samples bigint NOT NULL,
        crc_errors bigint NOT NULL,
        malformed bigint NOT NULL,
        overlong bigint NOT NULL,
        lost_force bigint NOT NULL,
        lost_distance bigint NOT NULL,
        reconnects bigint NOT NULL,
        reboots bigint NOT NULL,
        notes text,
        contact_mm double precision,
        uploaded_at timestamptz NOT NULL DEFAULT now())""",
    # Progress: an athlete's sessions over weeks; History: a station's.
    "CREATE INDEX sessions_by_athlete ON sessions (athlete_uid, started_at)",
    "CREATE INDEX sessions_by_station ON sessions (station, started_at)",
    """CREATE TABLE calibrations (
        session_uid uuid NOT NULL REFERENCES sessions(uid) ON DELETE CASCADE,
        ord integer NOT NULL,
        channel integer NOT NULL,
        offset_counts bigint NOT NULL,
        counts_per_newton double precision NOT NULL,
        t_device_us bigint,
        recorded_at timestamptz NOT NULL,
        source text NOT NULL,
        mass_grams double precision,
        PRIMARY KEY (session_uid, ord))""",
    """CREATE TABLE events (
        session_uid uuid NOT NULL REFERENCES sessions(uid) ON DELETE CASCADE,
        ord integer NOT NULL,
        t_device_us bigint,
        t_host_s double precision NOT NULL,
        kind text NOT NULL,
        detail text NOT NULL,
        PRIMARY KEY (session_uid, ord))""",
    # metrics as json, not jsonb: the text stays byte for byte what the
    # station stored (replay equals live, docs/architecture.md).
    """CREATE TABLE sets (
        session_uid uuid NOT NULL REFERENCES sessions(uid) ON DELETE CASCADE,
        set_index integer NOT NULL,
        exercise text NOT NULL,
        variant text,
        added_load_kg double precision,
        manual boolean NOT NULL,
        t_start_us bigint NOT NULL,
        t_end_us bigint,
        valid_reps integer NOT NULL,
        no_reps integer NOT NULL,
        metrics json NOT NULL,
        PRIMARY KEY (session_uid, set_index))""",
    """CREATE TABLE reps (
        session_uid uuid NOT NULL REFERENCES sessions(uid) ON DELETE CASCADE,
        set_index integer NOT NULL,
        rep_index integer NOT NULL,
        valid boolean,
        reason text,
        t_start_us bigint NOT NULL,
        t_end_us bigint NOT NULL,
        peak_force_n double precision,
        min_gap_mm double precision,
        metrics json NOT NULL,
        PRIMARY KEY (session_uid, set_index, rep_index))""",
    """CREATE TABLE force_chunks (
        session_uid uuid NOT NULL REFERENCES sessions(uid) ON DELETE CASCADE,
        chunk_no integer NOT NULL,
        n integer NOT NULL,
        channels integer NOT NULL,
        t_first_us bigint NOT NULL,
        t_last_us bigint NOT NULL,
        t_host_first_s double precision NOT NULL,
        seq bytea NOT NULL,
        t_device_us bytea NOT NULL,
        raw bytea NOT NULL,
        t_host_s bytea NOT NULL,
        PRIMARY KEY (session_uid, chunk_no))""",
    """CREATE TABLE distance_chunks (
        session_uid uuid NOT NULL REFERENCES sessions(uid) ON DELETE CASCADE,
        chunk_no integer NOT NULL,
        n integer NOT NULL,
        t_first_us bigint NOT NULL,
        t_last_us bigint NOT NULL,
        t_host_first_s double precision NOT NULL,
        seq bytea NOT NULL,
        t_device_us bytea NOT NULL,
        gap_mm bytea NOT NULL,
        t_host_s bytea NOT NULL,
        PRIMARY KEY (session_uid, chunk_no))""",
)


def _own_session_check() -> str:
    return ("EXISTS (SELECT 1 FROM sessions s WHERE s.uid = session_uid"
            " AND s.station = backstation_current_station())")


_V2 = (
    # Group roles (cluster-wide, so created only if missing); a station's login
    # role is a member of backstation_station and named in stations.
    f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{STATION_GROUP}') THEN
            CREATE ROLE {STATION_GROUP} NOLOGIN; END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{COACH_GROUP}') THEN
            CREATE ROLE {COACH_GROUP} NOLOGIN; END IF;
    END $$""",
    # The station the login belongs to: session_user, the role that logged in
    # (a definer function's current_user would be its owner).
    """CREATE FUNCTION backstation_current_station() RETURNS text
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
        AS $$ SELECT name FROM public.stations WHERE login_role = session_user $$""",
    "ALTER TABLE sessions ALTER COLUMN station SET DEFAULT backstation_current_station()",
    "REVOKE ALL ON " + ", ".join(TEAM_TABLES) + ", backstation_schema FROM PUBLIC",
    f"GRANT USAGE ON SCHEMA public TO {STATION_GROUP}, {COACH_GROUP}",
    "GRANT SELECT ON " + ", ".join(TEAM_TABLES) + f", backstation_schema TO {STATION_GROUP},"
    f" {COACH_GROUP}",
    # Least privilege: a station adds; only a coach corrects or deletes.
    "GRANT INSERT ON athletes, sessions, " + ", ".join(SESSION_CHILD_TABLES)
    + f" TO {STATION_GROUP}",
    "GRANT UPDATE, DELETE ON athletes, sessions, " + ", ".join(SESSION_CHILD_TABLES)
    + f" TO {COACH_GROUP}",
    "ALTER TABLE sessions ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY team_reads ON sessions FOR SELECT USING (true)",
    f"""CREATE POLICY station_inserts_its_own ON sessions FOR INSERT TO {STATION_GROUP}
        WITH CHECK (station = backstation_current_station())""",
    f"CREATE POLICY coach_corrects ON sessions FOR UPDATE TO {COACH_GROUP} USING (true)",
    f"CREATE POLICY coach_deletes ON sessions FOR DELETE TO {COACH_GROUP} USING (true)",
    *(statement for table in SESSION_CHILD_TABLES for statement in (
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY team_reads ON {table} FOR SELECT USING (true)",
        f"""CREATE POLICY station_inserts_its_own ON {table} FOR INSERT TO {STATION_GROUP}
            WITH CHECK ({_own_session_check()})""",
        f"CREATE POLICY coach_corrects ON {table} FOR UPDATE TO {COACH_GROUP} USING (true)",
        f"CREATE POLICY coach_deletes ON {table} FOR DELETE TO {COACH_GROUP} USING (true)",
    )),
)

MIGRATIONS: list[Migration] = [
    Migration("stations, athletes, sessions and what they recorded; progress indexes", _V1),
    Migration("roles: a station inserts its own sessions, a coach corrects and deletes", _V2),
]


def schema_version(migrations: Sequence[Migration] | None = None) -> int:
    return len(MIGRATIONS if migrations is None else migrations)


def current_version(conn: psycopg.Connection) -> int:
    """The database's version; 0 for a database Back Station never migrated."""
    exists = conn.execute("SELECT to_regclass('backstation_schema') IS NOT NULL").fetchone()[0]
    if not exists:
        return 0
    row = conn.execute("SELECT version FROM backstation_schema").fetchone()
    return 0 if row is None else int(row[0])


def migrate(conn: psycopg.Connection, migrations: Sequence[Migration] | None = None) -> int:
    """Bring the database (``conn`` in autocommit mode, its owner's) up to
    ``len(migrations)``; returns the version it started at. Each step is one
    transaction under an advisory lock, so a second migrator waits, then
    finds the step done; a failing step leaves the last completed version."""
    steps = MIGRATIONS if migrations is None else migrations
    start = current_version(conn)
    for target in range(start + 1, len(steps) + 1):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
            conn.execute("CREATE TABLE IF NOT EXISTS backstation_schema (version integer NOT NULL)")
            version = current_version(conn)
            if version < target:
                for statement in steps[target - 1].statements:
                    conn.execute(statement)
                if version == 0:
                    conn.execute("INSERT INTO backstation_schema (version) VALUES (%s)", (target,))
                else:
                    conn.execute("UPDATE backstation_schema SET version = %s", (target,))
    return start
