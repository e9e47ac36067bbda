"""Opening the database: WAL, migrations forward, and refusing files it must
not touch (garbage, damaged, foreign, written by a newer Back Station)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from backstation.storage import Database, StorageError, schema
from backstation.storage.schema import APPLICATION_ID, MIGRATIONS, Migration, statements

# The schema as the first release wrote it; the tests below grow it with a
# stand-in step so they do not depend on what later releases added.
V1 = MIGRATIONS[:1]
V2_SETS = Migration("sets table (a stand-in for the rep-judgement schema)", statements(
    "CREATE TABLE sets (id INTEGER PRIMARY KEY,"
    " session_id INTEGER NOT NULL REFERENCES sessions(id), valid_reps INTEGER NOT NULL)",
    "ALTER TABLE sessions ADD COLUMN rep_model TEXT NOT NULL DEFAULT 'v1'",
))


def raw_query(path: Path, sql: str):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    return {r[0] for r in raw_query(path, "SELECT name FROM sqlite_master WHERE type='table'")}


def assert_refused_untouched(path: Path, match: str) -> None:
    before = path.read_bytes()
    siblings = set(os.listdir(path.parent))
    with pytest.raises(StorageError, match=match) as caught:
        Database(path)
    assert path.read_bytes() == before
    assert "left untouched" in str(caught.value) or "newer" in str(caught.value)
    assert set(os.listdir(path.parent)) <= siblings | {path.name + "-wal", path.name + "-shm"}


def test_new_database_gets_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with Database(path) as db:
        assert db.schema_version == len(MIGRATIONS)
        assert db._conn.execute("PRAGMA synchronous").fetchone()[0] == 1     # NORMAL
        assert db._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert raw_query(path, "PRAGMA journal_mode") == [("wal",)]              # persistent
    assert raw_query(path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert {"devices", "athletes", "sessions", "calibrations", "events",
            "force_chunks", "distance_chunks"} <= tables(path)


def test_empty_file_is_a_version_0_database_and_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with Database(path) as db:
        assert db.schema_version == len(MIGRATIONS)
        assert db.list_sessions() == []


def test_reopening_keeps_data_and_version(tmp_path: Path) -> None:
    path = tmp_path / "bs.db"
    with Database(path) as db:
        sid = db.create_session(exercise="mid-back-shrug")
    with Database(path) as db:
        assert db.schema_version == len(MIGRATIONS)
        assert db.get_session(sid).exercise == "mid-back-shrug"


def test_older_database_is_upgraded_through_a_registered_migration(tmp_path: Path,
                                                                   monkeypatch) -> None:
    path = tmp_path / "old.db"
    with Database(path, migrations=V1) as db:    # written by the first release
        db._conn.execute("INSERT INTO sessions (started_at, force_channels) VALUES ('x', 2)")
        sid = 1
    monkeypatch.setattr(schema, "MIGRATIONS", V1 + [V2_SETS])
    with Database(path) as db:
        assert db.schema_version == 2
        db._conn.execute("INSERT INTO sets (session_id, valid_reps) VALUES (?, 8)", (sid,))
    assert raw_query(path, "SELECT rep_model, force_channels FROM sessions") == [("v1", 2)]
    assert "sets" in tables(path)


def test_version_0_database_runs_every_migration_in_order(tmp_path: Path) -> None:
    path = tmp_path / "v0.db"
    with Database(path, migrations=[]) as db:    # a file from before any schema
        assert db.schema_version == 0
    with Database(path, migrations=V1 + [V2_SETS]) as db:
        assert db.schema_version == 2
        assert {"sessions", "sets"} <= tables(path)


def test_failing_migration_leaves_the_last_completed_version(tmp_path: Path) -> None:
    path = tmp_path / "bs.db"
    with Database(path, migrations=V1) as db:
        db._conn.execute("INSERT INTO sessions (started_at) VALUES ('x')")
        sid = 1
    broken = Migration("half-done", statements("CREATE TABLE reps (id INTEGER PRIMARY KEY)",
                                               "ALTER TABLE no_such_table ADD COLUMN x"))
    with pytest.raises(StorageError, match="no_such_table"):
        Database(path, migrations=V1 + [broken])
    assert raw_query(path, "PRAGMA user_version") == [(1,)]
    assert "reps" not in tables(path)            # the step rolled back as a whole
    with Database(path, migrations=V1) as db:
        assert db._conn.execute("SELECT id FROM sessions").fetchone()[0] == sid


def test_database_from_a_newer_back_station_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with Database(path):
        pass
    conn = sqlite3.connect(path)
    newer = len(MIGRATIONS) + 1                  # one past whatever this version knows
    conn.execute(f"PRAGMA user_version = {newer}")
    conn.close()
    assert_refused_untouched(
        path, rf"written by a newer Back Station .*version {newer}.* up to {len(MIGRATIONS)}")


def test_garbage_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(os.urandom(3000))
    assert_refused_untouched(path, "not an SQLite file")
    assert os.listdir(tmp_path) == ["notes.db"]


def test_text_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "readme.txt"
    path.write_text("session list\n")
    assert_refused_untouched(path, "not a Back Station database")


def test_damaged_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    with Database(path) as db:
        db.create_session()
    data = bytearray(path.read_bytes())
    data[100:1000] = os.urandom(900)             # the schema page, after the file header
    path.write_bytes(bytes(data))
    assert_refused_untouched(path, "damaged")


def test_another_applications_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    assert_refused_untouched(path, "another application")


def test_a_folder_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="folder"):
        Database(tmp_path)


def test_reader_sees_committed_sessions_while_a_writer_holds_a_transaction(tmp_path: Path) -> None:
    path = tmp_path / "bs.db"
    with Database(path) as writer, Database(path, busy_timeout_s=0.1) as reader:
        committed = writer.create_session()
        with writer.transaction():
            writer.create_session()
            # WAL: the reader is not blocked and sees only what was committed.
            assert [s.id for s in reader.list_sessions()] == [committed]
        assert len(reader.list_sessions()) == 2
