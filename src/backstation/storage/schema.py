"""The schema and its forward migrations.

``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``; the
version lives in ``PRAGMA user_version`` (0 = empty file), so the code's
version is ``len(MIGRATIONS)``. To change the schema, append a migration;
never edit one that has shipped, since databases in the field already ran
it. ``migrate`` applies each step in its own transaction, so a crash
mid-upgrade leaves the database at the last completed version.

A migration is a list of SQL statements, or a function of the connection
when it must look at data. ``executescript`` is avoided on purpose: it
commits any open transaction first, which would break the one-transaction-
per-step guarantee.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Marks the file as Back Station's (PRAGMA application_id, "BkSt"), so a
# foreign SQLite database is refused instead of "upgraded".
APPLICATION_ID = 0x426B5374


@dataclass(frozen=True)
class Migration:
    description: str
    apply: Callable[[sqlite3.Connection], None]


def statements(*sql: str) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        for statement in sql:
            conn.execute(statement)
    return apply


_V1 = statements(
    """CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        firmware TEXT NOT NULL,
        protocol INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL)""",
    """CREATE TABLE athletes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        body_mass_kg REAL,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        athlete_id INTEGER REFERENCES athletes(id),
        body_mass_kg REAL,
        exercise TEXT NOT NULL DEFAULT 'inverted-row',
        device_id TEXT REFERENCES devices(device_id),
        firmware TEXT,
        protocol INTEGER,
        force_channels INTEGER,
        force_rate_hz INTEGER,
        distance_sensor TEXT,
        port TEXT,
        force_samples INTEGER NOT NULL DEFAULT 0,
        distance_samples INTEGER NOT NULL DEFAULT 0,
        crc_errors INTEGER NOT NULL DEFAULT 0,
        malformed INTEGER NOT NULL DEFAULT 0,
        overlong INTEGER NOT NULL DEFAULT 0,
        lost_force INTEGER NOT NULL DEFAULT 0,
        lost_distance INTEGER NOT NULL DEFAULT 0,
        reconnects INTEGER NOT NULL DEFAULT 0,
        notes TEXT)""",
    """CREATE TABLE calibrations (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        channel INTEGER NOT NULL,
        offset_counts INTEGER NOT NULL,
        counts_per_newton REAL NOT NULL,
        t_device_us INTEGER,
        recorded_at TEXT NOT NULL,
        source TEXT NOT NULL,
        mass_grams REAL)""",
    "CREATE INDEX calibrations_by_session ON calibrations(session_id)",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        t_device_us INTEGER,
        t_host_s REAL NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX events_by_session ON events(session_id)",
    # Samples as little-endian numpy blobs, one row per flush (docs/design.md §7:
    # 12x faster to write and 50x faster to read than a row per sample);
    # times relative to the chunk's first sample (storage/blobs.py).
    """CREATE TABLE force_chunks (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        chunk_no INTEGER NOT NULL,
        n INTEGER NOT NULL,
        channels INTEGER NOT NULL,
        t_first_us INTEGER NOT NULL,
        t_last_us INTEGER NOT NULL,
        t_host_first_s REAL NOT NULL,
        seq BLOB NOT NULL,
        t_device_us BLOB NOT NULL,
        raw BLOB NOT NULL,
        t_host_s BLOB NOT NULL,
        PRIMARY KEY (session_id, chunk_no))""",
    """CREATE TABLE distance_chunks (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        chunk_no INTEGER NOT NULL,
        n INTEGER NOT NULL,
        t_first_us INTEGER NOT NULL,
        t_last_us INTEGER NOT NULL,
        t_host_first_s REAL NOT NULL,
        seq BLOB NOT NULL,
        t_device_us BLOB NOT NULL,
        gap_mm BLOB NOT NULL,
        t_host_s BLOB NOT NULL,
        PRIMARY KEY (session_id, chunk_no))""",
    f"PRAGMA application_id = {APPLICATION_ID}",
)

_V2 = statements(
    # Judged sets and reps, written as they happen. Key figures are columns
    # (history and progress charts query them); every metric is in the JSON.
    """CREATE TABLE sets (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        set_index INTEGER NOT NULL,
        exercise TEXT NOT NULL,
        variant TEXT,
        added_load_kg REAL,
        manual INTEGER NOT NULL DEFAULT 0,
        t_start_us INTEGER NOT NULL,
        t_end_us INTEGER,
        valid_reps INTEGER NOT NULL DEFAULT 0,
        no_reps INTEGER NOT NULL DEFAULT 0,
        metrics TEXT NOT NULL DEFAULT '{}',
        UNIQUE (session_id, set_index))""",
    """CREATE TABLE reps (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        set_index INTEGER NOT NULL,
        rep_index INTEGER NOT NULL,
        valid INTEGER,
        reason TEXT,
        t_start_us INTEGER NOT NULL,
        t_end_us INTEGER NOT NULL,
        peak_force_n REAL,
        min_gap_mm REAL,
        metrics TEXT NOT NULL DEFAULT '{}',
        UNIQUE (session_id, set_index, rep_index))""",
    "CREATE INDEX reps_by_session ON reps(session_id)",
    # The athlete's contact threshold, from a 2 s touch of the bar.
    "ALTER TABLE athletes ADD COLUMN contact_mm REAL",
    "ALTER TABLE athletes ADD COLUMN contact_calibrated_at TEXT",
    "ALTER TABLE sessions ADD COLUMN contact_mm REAL",
    "ALTER TABLE sessions ADD COLUMN reboots INTEGER NOT NULL DEFAULT 0",
)

_V3 = statements(
    # NULL: finished by its recorder (or still recording); "interrupted": its
    # writer died and the next writer closed it (storage/liveness.py).
    "ALTER TABLE sessions ADD COLUMN end_reason TEXT",
)


def new_uid() -> str:
    """A globally unique id for a session or an athlete (a random UUID): the
    same on every station and on the team server (docs/team.md)."""
    return str(uuid.uuid4())


def _v4(conn: sqlite3.Connection) -> None:
    # A session or athlete keeps its uid wherever it is copied, so uploading
    # it twice is recognised (backstation sync, docs/team.md); rows recorded
    # before this version get theirs now.
    conn.execute("ALTER TABLE sessions ADD COLUMN uid TEXT")
    conn.execute("ALTER TABLE athletes ADD COLUMN uid TEXT")
    for table in ("sessions", "athletes"):
        for (row_id,) in conn.execute(f"SELECT id FROM {table}").fetchall():
            conn.execute(f"UPDATE {table} SET uid = ? WHERE id = ?", (new_uid(), row_id))
        conn.execute(f"CREATE UNIQUE INDEX {table}_by_uid ON {table}(uid)")
    # Which finished session went to which team server (by its service name),
    # written after the server committed it.
    conn.execute("""CREATE TABLE uploads (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        server TEXT NOT NULL,
        uploaded_at TEXT NOT NULL,
        PRIMARY KEY (session_id, server))""")


_V5 = statements(
    # A coach's corrections of the judge's verdicts (storage/corrections.py):
    # the judged sets and reps stay as they were stored.
    """CREATE TABLE corrections (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        set_index INTEGER NOT NULL,
        rep_index INTEGER,
        action TEXT NOT NULL CHECK (action IN ('valid', 'no_rep', 'delete')),
        made_at TEXT NOT NULL)""",
    "CREATE INDEX corrections_by_session ON corrections(session_id)",
)

_V6 = statements(
    # Given after a set, never written by the judge's upserts (training.save_set).
    "ALTER TABLE sets ADD COLUMN rpe REAL",
    "ALTER TABLE sets ADD COLUMN notes TEXT",
)

_V7 = statements(
    # The roster: what a coach keeps on an athlete besides name, mass and contact.
    "ALTER TABLE athletes ADD COLUMN straight_arm_mm REAL",
    "ALTER TABLE athletes ADD COLUMN notes TEXT",
)

_V8 = statements(
    # Sets of the exercises the station cannot measure (exercises.LOGGED_EXERCISES),
    # logged by hand (storage/logged.py); they stay on the station (docs/team.md).
    """CREATE TABLE logged_sets (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        set_no INTEGER NOT NULL,
        exercise TEXT NOT NULL,
        reps INTEGER NOT NULL,
        load_kg REAL,
        hold_s REAL,
        rpe REAL,
        notes TEXT,
        logged_at TEXT NOT NULL,
        t_device_us INTEGER,
        UNIQUE (session_id, set_no))""",
)


_V9 = statements(
    # How far the athlete's mid-back shrug raises the chest (the judge's squeeze depth).
    "ALTER TABLE athletes ADD COLUMN squeeze_mm REAL",
)


MIGRATIONS: list[Migration] = [
    Migration("sessions, devices, athletes, calibrations, events, sample chunks", _V1),
    Migration("judged sets and reps; athlete contact threshold", _V2),
    Migration("how a session ended (interrupted sessions closed by the next writer)", _V3),
    Migration("globally unique session and athlete ids; uploads to team servers", _v4),
    Migration("a coach's corrections of the judge's verdicts", _V5),
    Migration("a set's RPE and notes", _V6),
    Migration("the roster: an athlete's straight-arm gap and notes", _V7),
    Migration("sets logged by hand (rear-delt flye, dumbbell shrug)", _V8),
    Migration("an athlete's squeeze depth for the mid-back shrug", _V9),
]


def schema_version(migrations: Sequence[Migration] | None = None) -> int:
    return len(MIGRATIONS if migrations is None else migrations)


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] | None = None) -> int:
    """Bring ``conn`` (autocommit mode) up to ``len(migrations)``; returns the
    version it started at. Safe against a second process migrating at the same
    time: each step re-reads the version under the write lock."""
    steps = MIGRATIONS if migrations is None else migrations
    start = conn.execute("PRAGMA user_version").fetchone()[0]
    for target in range(start + 1, len(steps) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current < target:
                steps[target - 1].apply(conn)
                conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return start
