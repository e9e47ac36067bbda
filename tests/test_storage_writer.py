"""SessionWriter: flush cadence, one transaction per flush, failures that
keep the buffer, and a recorder killed with SIGKILL mid-stream."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from backstation.samples import DistanceBlock, ForceBlock
from backstation.storage import FLUSH_SAMPLES, Database, SessionWriter, StorageError
from backstation.storage.writer import MAX_CHUNK_SAMPLES

SRC = str(Path(__file__).resolve().parents[1] / "src")


def force_block(start: int, n: int) -> ForceBlock:
    i = np.arange(start, start + n, dtype=np.int64)
    return ForceBlock((i % 65536).astype(np.uint16), i * 12_500,
                      np.stack([i, -i], axis=1).astype(np.int32), i * 0.0125)


def distance_block(start: int, n: int) -> DistanceBlock:
    i = np.arange(start, start + n, dtype=np.int64)
    return DistanceBlock((i % 65536).astype(np.uint16), i * 25_000,
                         (i % 500).astype(np.int32), i * 0.025)


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def db(tmp_path: Path):
    with Database(tmp_path / "bs.db", busy_timeout_s=0.05) as database:
        yield database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def stored_force(path: Path, sid: int) -> ForceBlock:
    with Database(path) as other:                 # a second connection: committed data only
        return other.load_force(sid)


def test_flush_waits_for_the_interval(db: Database, clock: FakeClock) -> None:
    sid = db.create_session(force_channels=2)
    writer = SessionWriter(db, sid, clock=clock)
    writer.add_force(force_block(0, 40))
    assert not writer.flush_if_due(100.99)
    assert len(stored_force(db.path, sid)) == 0
    assert writer.flush_if_due(101.0)
    assert len(stored_force(db.path, sid)) == 40
    writer.add_force(force_block(40, 40))
    assert not writer.flush_if_due(101.5)          # the interval restarts at each flush
    clock.now_s = 102.0
    assert writer.flush_if_due()                   # the injected clock when no time is given
    assert len(stored_force(db.path, sid)) == 80


def test_nothing_pending_means_no_flush(db: Database, clock: FakeClock) -> None:
    writer = SessionWriter(db, db.create_session(), clock=clock)
    assert not writer.flush_if_due(1000.0)
    assert writer.flushes == 0


def test_large_buffer_flushes_before_the_interval(db: Database, clock: FakeClock) -> None:
    sid = db.create_session(force_channels=2)
    writer = SessionWriter(db, sid, clock=clock)
    writer.add_force(force_block(0, FLUSH_SAMPLES - 100))
    assert not writer.flush_if_due(100.1)
    writer.add_distance(distance_block(0, 100))
    assert writer.flush_if_due(100.1)
    assert writer.pending_samples == 0
    assert db.get_session(sid).distance_samples == 100


def test_one_flush_stores_samples_calibrations_events_and_stats(db: Database,
                                                                clock: FakeClock) -> None:
    sid = db.create_session(force_channels=2)
    writer = SessionWriter(db, sid, clock=clock)
    for start in range(0, 300, 30):
        writer.add_force(force_block(start, 30))
    writer.add_distance(distance_block(0, 75))
    writer.add_calibration(0, -500, 101.5, source="tare", t_device_us=1_000)
    writer.add_event("hello", "HELLO,1,1.0,00C0FFEE,2,80,hcsr04", t_host_s=5.0, t_device_us=0)
    writer.update_stats(crc_errors=2, lost_force=1)
    writer.flush()
    info = db.get_session(sid)
    assert (info.force_samples, info.distance_samples, info.crc_errors, info.lost_force) == \
        (300, 75, 2, 1)
    assert db._conn.execute("SELECT count(*) FROM force_chunks").fetchone()[0] == 1
    np.testing.assert_array_equal(db.load_force(sid).raw, force_block(0, 300).raw)
    assert [(c.source, c.offset_counts) for c in db.calibrations(sid)] == [("tare", -500)]
    assert [e.kind for e in db.events(sid)] == ["hello"]
    writer.flush()                                 # nothing buffered: nothing written twice
    assert db.get_session(sid).force_samples == 300 and len(db.events(sid)) == 1


def test_force_block_with_another_channel_count_is_refused_at_once(db: Database) -> None:
    writer = SessionWriter(db, db.create_session())
    writer.add_force(force_block(0, 5))
    one_channel = ForceBlock.from_rows([1], [0], [(7,)], [0.0], 1)
    with pytest.raises(ValueError, match="1-channel"):
        writer.add_force(one_channel)
    writer.flush()                                 # what was buffered still goes in
    assert writer.pending_samples == 0


def test_a_big_flush_is_split_into_bounded_chunks(db: Database) -> None:
    sid = db.create_session(force_channels=2)
    writer = SessionWriter(db, sid)
    writer.add_force(force_block(0, 2 * MAX_CHUNK_SAMPLES + 5))
    writer.flush()
    sizes = [r[0] for r in db._conn.execute("SELECT n FROM force_chunks ORDER BY chunk_no")]
    assert sizes == [MAX_CHUNK_SAMPLES, MAX_CHUNK_SAMPLES, 5]
    np.testing.assert_array_equal(db.load_force(sid).seq, force_block(0, sum(sizes)).seq)


def test_locked_database_keeps_the_buffer_and_the_next_flush_writes_once(
        db: Database, clock: FakeClock) -> None:
    sid = db.create_session(force_channels=2)
    writer = SessionWriter(db, sid, clock=clock)
    writer.add_force(force_block(0, 50))
    writer.add_event("stat", t_host_s=1.0)
    other = sqlite3.connect(db.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")           # another program holds the write lock
        with pytest.raises(StorageError, match="locked"):
            writer.flush()
        assert writer.pending_samples == 50 and writer.last_error is not None
        other.execute("ROLLBACK")
    finally:
        other.close()
    writer.add_force(force_block(50, 10))
    writer.flush()
    assert writer.last_error is None
    np.testing.assert_array_equal(stored_force(db.path, sid).seq, force_block(0, 60).seq)
    assert db.get_session(sid).force_samples == 60 and len(db.events(sid)) == 1


def test_full_disk_keeps_the_buffer_and_the_next_flush_writes_once(db: Database) -> None:
    sid = db.create_session(force_channels=2)
    writer = SessionWriter(db, sid)
    writer.add_force(force_block(0, 5000))
    pages = db._conn.execute("PRAGMA page_count").fetchone()[0]
    db._conn.execute(f"PRAGMA max_page_count = {pages}")      # the disk is full
    with pytest.raises(StorageError, match="full"):
        writer.flush()
    assert writer.pending_samples == 5000
    db._conn.execute("PRAGMA max_page_count = 1000000")       # space was freed
    writer.flush()
    np.testing.assert_array_equal(stored_force(db.path, sid).t_device_us,
                                  force_block(0, 5000).t_device_us)
    assert db.get_session(sid).force_samples == 5000


def test_failure_midway_rolls_back_the_whole_flush(db: Database, monkeypatch) -> None:
    sid = db.create_session(force_channels=2)
    writer = SessionWriter(db, sid)
    writer.add_force(force_block(0, 20))
    writer.add_distance(distance_block(0, 5))
    real_append = db.append_distance
    failures = iter([sqlite3.OperationalError("disk I/O error")])

    def append_distance_failing_once(session_id: int, block: DistanceBlock) -> None:
        for failure in failures:
            raise failure
        real_append(session_id, block)

    monkeypatch.setattr(db, "append_distance", append_distance_failing_once)
    with pytest.raises(StorageError, match="disk I/O error"):
        writer.flush()
    assert len(stored_force(db.path, sid)) == 0    # the force chunk written first is gone too
    assert db.get_session(sid).force_samples == 0
    writer.flush()
    assert len(stored_force(db.path, sid)) == 20 and len(db.load_distance(sid)) == 5
    assert db._conn.execute("SELECT count(*) FROM force_chunks").fetchone()[0] == 1


def test_after_a_failure_flush_if_due_retries_one_interval_later(
        db: Database, clock: FakeClock) -> None:
    sid = db.create_session(force_channels=2)
    writer = SessionWriter(db, sid, clock=clock)
    writer.add_force(force_block(0, FLUSH_SAMPLES))
    db._conn.execute(f"PRAGMA max_page_count = {db._conn.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(StorageError):
        writer.flush_if_due(100.0)
    assert not writer.flush_if_due(100.5)          # big buffer, but not hammering the disk
    db._conn.execute("PRAGMA max_page_count = 1000000")
    assert writer.flush_if_due(101.0)
    assert db.get_session(sid).force_samples == FLUSH_SAMPLES


def test_finish_flushes_and_ends_the_session(db: Database) -> None:
    sid = db.create_session(force_channels=2)
    writer = SessionWriter(db, sid)
    writer.add_force(force_block(0, 7))
    writer.finish(reconnects=2)
    info = db.get_session(sid)
    assert info.ended_at is not None and (info.force_samples, info.reconnects) == (7, 2)


# The child records as fast as it can, flushing every FORCE_PER_FLUSH force
# samples, and prints the totals after each flush returns. With a pause
# flush number it stops INSIDE that flush's transaction, after a force
# chunk big enough to spill uncommitted pages into the WAL, says "inside"
# and waits to be killed. It shares the block formulas above by importing
# this file.
CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[2])
    from test_storage_writer import distance_block, force_block
    from backstation.storage import Database, SessionWriter
    db = Database(sys.argv[1])
    pause_at = int(sys.argv[3])
    sid = db.create_session(force_channels=2)
    writer = SessionWriter(db, sid)
    print("session", sid, flush=True)
    flush_no = n_force = n_distance = 0
    real_append_distance = db.append_distance

    def append_distance(session_id, block):
        if flush_no == pause_at:
            print("inside", flush=True)
            sys.stdin.readline()
        real_append_distance(session_id, block)

    db.append_distance = append_distance
    while True:
        flush_no += 1
        if flush_no == pause_at:
            writer.add_force(force_block(n_force, 300_000))
        for _ in range(8):
            writer.add_force(force_block(n_force, 50))
            writer.add_distance(distance_block(n_distance, 12))
            n_force += 50
            n_distance += 12
        writer.update_stats(crc_errors=n_force // 400)
        writer.flush()
        print(n_force, n_distance, flush=True)
""")
FORCE_PER_FLUSH, DISTANCE_PER_FLUSH = 400, 96


def run_and_kill(path: Path, pause_at: int, kill_after_flushes: int) -> tuple[int, int]:
    """Run the child, SIGKILL it after it reports ``kill_after_flushes``
    flushes (or once it is inside flush ``pause_at``); returns the session id
    and the force total of the last flush it reported."""
    tests_dir = str(Path(__file__).resolve().parent)
    env = {**os.environ, "PYTHONPATH": SRC}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), tests_dir, str(pause_at)],
                             env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        header = child.stdout.readline().split()
        assert header[:1] == ["session"], child.stderr.read()
        sid, last_force, flushed = int(header[1]), 0, 0
        while flushed < kill_after_flushes:
            line = child.stdout.readline()
            assert line, child.stderr.read()       # EOF: the child died on its own
            if line.strip() == "inside":
                break
            flushed += 1
            last_force = int(line.split()[0])
            if flushed == 10:                      # another process reads while it writes
                with Database(path) as reader:
                    assert reader.get_session(sid).force_samples >= 10 * FORCE_PER_FLUSH
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        for line in child.stdout.read().splitlines():
            last_force = int(line.split()[0])
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        for stream in (child.stdin, child.stdout, child.stderr):
            stream.close()
    assert child.returncode == -signal.SIGKILL
    return sid, last_force


def assert_consistent_prefix(path: Path, sid: int, min_force: int, max_force: int) -> None:
    assert raw_integrity(path) == "ok"
    with Database(path) as db:
        info = db.get_session(sid)
        force, distance = db.load_force(sid), db.load_distance(sid)
    assert min_force <= len(force) <= max_force
    assert len(force) % FORCE_PER_FLUSH == 0      # whole flushes only
    flushes = len(force) // FORCE_PER_FLUSH
    assert len(distance) == flushes * DISTANCE_PER_FLUSH
    expected = force_block(0, len(force))
    for name in ("seq", "t_device_us", "raw"):
        np.testing.assert_array_equal(getattr(force, name), getattr(expected, name))
    np.testing.assert_allclose(force.t_host_s, expected.t_host_s, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(distance.gap_mm, distance_block(0, len(distance)).gap_mm)
    assert (info.force_samples, info.distance_samples, info.crc_errors) == \
        (len(force), len(distance), flushes)
    # Opened for writing after the kill: the writer is gone, so the session
    # was closed as interrupted at its last stored sample.
    assert info.end_reason == "interrupted"
    last_s = max(force.t_host_s.max(), distance.t_host_s.max(initial=0.0))
    assert abs(datetime.fromisoformat(info.ended_at).timestamp() - last_s) < 0.002


def test_recorder_killed_mid_stream_leaves_every_flushed_sample(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    sid, last_force = run_and_kill(path, pause_at=-1, kill_after_flushes=30)
    # Everything reported flushed is there; at most the flush in progress at
    # the kill was committed without being reported.
    assert_consistent_prefix(path, sid, last_force, last_force + FORCE_PER_FLUSH)


def test_recorder_killed_inside_a_flush_loses_only_that_flush(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    sid, last_force = run_and_kill(path, pause_at=12, kill_after_flushes=10**6)
    assert last_force == 11 * FORCE_PER_FLUSH
    assert os.path.getsize(str(path) + "-wal") > 2_000_000  # uncommitted pages did spill
    assert_consistent_prefix(path, sid, last_force, last_force)


def raw_integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
