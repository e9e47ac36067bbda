"""Team database (issue 15): a session's samples as bytea blobs (the station's
chunk blobs unchanged, what team/schema.py stores) against PostgreSQL arrays
(int4[] columns), on one 10-minute 80 Hz session (two force channels, distance
at 80 Hz too, one chunk row a second as the station's writer flushes).

For each: COPY (binary) time, server size (pg_total_relation_size, TOAST and
indexes included) and the time to read the session back into numpy arrays.
Starts its own throwaway server (tests/pg.py). Run:
    .venv/bin/python benchmarks/bench_team_columns.py
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import psycopg  # noqa: E402

from backstation.storage import Database  # noqa: E402
from backstation.storage.blobs import (RAW_DTYPE, SEQ_DTYPE, T_HOST_OFFSET_DTYPE,  # noqa: E402
                                       T_OFFSET_DTYPE, from_blob)
from backstation.storage.outbox import FORCE_CHUNK_COLUMNS  # noqa: E402
from tests.pg import start_server  # noqa: E402
from tests.team import record_session  # noqa: E402

SECONDS = 600
RATE_HZ = 80
REPEATS = 3

BYTEA_TABLE = """CREATE TABLE chunks_bytea (
    session_uid uuid, chunk_no int, n int, channels int, t_first_us bigint, t_last_us bigint,
    t_host_first_s float8, seq bytea, t_device_us bytea, raw bytea, t_host_s bytea,
    PRIMARY KEY (session_uid, chunk_no))"""
ARRAY_TABLE = """CREATE TABLE chunks_array (
    session_uid uuid, chunk_no int, n int, channels int, t_first_us bigint, t_last_us bigint,
    t_host_first_s float8, seq int4[], t_device_us int4[], raw int4[], t_host_s int4[],
    PRIMARY KEY (session_uid, chunk_no))"""
META_TYPES = ["uuid", "int4", "int4", "int4", "int8", "int8", "float8"]


def _as_arrays(row: tuple) -> tuple:
    chunk_no, n, channels, t0, t1, h0, seq, t_dev, raw, t_host = row
    return (chunk_no, n, channels, t0, t1, h0,
            from_blob(seq, SEQ_DTYPE, n, "seq").astype(np.int32).tolist(),
            from_blob(t_dev, T_OFFSET_DTYPE, n, "t").astype(np.int32).tolist(),
            from_blob(raw, RAW_DTYPE, n * channels, "raw").reshape(n, channels).tolist(),
            from_blob(t_host, T_HOST_OFFSET_DTYPE, n, "host").tolist())


def _copy(conn, table: str, types: list[str], rows: list[tuple], uid: uuid.UUID) -> float:
    t = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row((uid, *row))
    return time.perf_counter() - t


def _read_bytea(conn, uid) -> float:
    t = time.perf_counter()
    parts = [from_blob(raw, RAW_DTYPE, n * ch, "raw").reshape(n, ch) for n, ch, raw in
             conn.execute("SELECT n, channels, raw FROM chunks_bytea WHERE session_uid = %s"
                          " ORDER BY chunk_no", (uid,))]
    np.concatenate(parts)
    return time.perf_counter() - t


def _read_array(conn, uid) -> float:
    t = time.perf_counter()
    parts = [np.asarray(raw, dtype=np.int32) for (raw,) in
             conn.execute("SELECT raw FROM chunks_array WHERE session_uid = %s"
                          " ORDER BY chunk_no", (uid,))]
    np.concatenate(parts)
    return time.perf_counter() - t


def main() -> None:
    server = start_server()
    try:
        with tempfile.TemporaryDirectory() as folder:
            with Database(Path(folder) / "s.db") as db:
                sid = record_session(db, seconds=SECONDS, rate_hz=RATE_HZ)
                rows = db.upload_bundle(sid).force_chunks
                n = db.get_session(sid).force_samples
            assert len(rows[0]) == len(FORCE_CHUNK_COLUMNS)
            array_rows = [_as_arrays(r) for r in rows]
            with psycopg.connect(server.conninfo(), autocommit=True) as conn:
                conn.execute(BYTEA_TABLE)
                conn.execute(ARRAY_TABLE)
                results = {"bytea": ([], [], 0), "int4[]": ([], [], 0)}
                for _ in range(REPEATS):
                    uid = uuid.uuid4()
                    results["bytea"][0].append(_copy(conn, "chunks_bytea", META_TYPES + [
                        "bytea"] * 4, rows, uid))
                    results["bytea"][1].append(_read_bytea(conn, uid))
                    results["int4[]"][0].append(_copy(conn, "chunks_array", META_TYPES + [
                        "int4[]"] * 4, array_rows, uid))
                    results["int4[]"][1].append(_read_array(conn, uid))
                conn.execute("VACUUM ANALYZE chunks_bytea")
                conn.execute("VACUUM ANALYZE chunks_array")
                sizes = {name: conn.execute("SELECT pg_total_relation_size(%s)",
                                            (table,)).fetchone()[0] / REPEATS
                         for name, table in (("bytea", "chunks_bytea"),
                                             ("int4[]", "chunks_array"))}
        print(f"one {SECONDS // 60}-minute session at {RATE_HZ} Hz, 2 channels: {n} force "
              f"samples in {len(rows)} chunk rows; median of {REPEATS}")
        print(f"{'column':8} {'COPY s':>8} {'read s':>8} {'server kB':>10} {'B/sample':>9}")
        for name, (copies, reads, _) in results.items():
            print(f"{name:8} {statistics.median(copies):8.3f} {statistics.median(reads):8.3f} "
                  f"{sizes[name] / 1024:10.0f} {sizes[name] / n:9.1f}")
    finally:
        server.stop("fast")
        shutil.rmtree(server.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
