"""The team database's schema and migrations (team/schema.py), on a real server."""

from __future__ import annotations

import itertools

import psycopg
import pytest

from backstation.team import schema

_numbers = itertools.count()


@pytest.fixture
def empty_db(pg_server):
    name = f"empty_{next(_numbers)}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(pg_server.conninfo(name), autocommit=True) as conn:
        yield conn


def _tables(conn) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_an_empty_database_is_migrated_to_the_code_version(empty_db):
    assert schema.migrate(empty_db) == 0
    assert schema.current_version(empty_db) == schema.schema_version() == len(schema.MIGRATIONS)
    assert set(schema.TEAM_TABLES) | {"backstation_schema"} <= _tables(empty_db)
    assert schema.migrate(empty_db) == schema.schema_version()      # again: nothing to do


@pytest.mark.parametrize("start", range(1, len(schema.MIGRATIONS)))
def test_each_earlier_version_is_upgraded_keeping_its_data(empty_db, start):
    schema.migrate(empty_db, schema.MIGRATIONS[:start])
    assert schema.current_version(empty_db) == start
    empty_db.execute("INSERT INTO stations (name, login_role) VALUES ('rack1', 'r1')")
    empty_db.execute("INSERT INTO athletes (uid, name, created_at)"
                     " VALUES (gen_random_uuid(), 'Anna', now())")
    assert schema.migrate(empty_db) == start
    assert schema.current_version(empty_db) == schema.schema_version()
    assert empty_db.execute("SELECT name FROM athletes").fetchall() == [("Anna",)]
    assert empty_db.execute("SELECT name FROM stations").fetchall() == [("rack1",)]


def test_a_failing_migration_leaves_the_last_completed_version(empty_db):
    broken = [*schema.MIGRATIONS[:1], schema.Migration("broken", ("CREATE TABLE stations (x int)",))]
    with pytest.raises(psycopg.errors.DuplicateTable):
        schema.migrate(empty_db, broken)
    assert schema.current_version(empty_db) == 1


def test_progress_queries_have_their_indexes(empty_db):
    schema.migrate(empty_db)
    indexes = {r[0]: r[1] for r in empty_db.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'sessions'")}
    assert "(athlete_uid, started_at)" in indexes["sessions_by_athlete"]
    assert "(station, started_at)" in indexes["sessions_by_station"]
