"""Sessions always end: one whose writer is gone is closed as interrupted at
its last sample by the next writer; one whose writer lives is left alone."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import numpy as np

from backstation.samples import ForceBlock
from backstation.storage import Database


def force_block(n: int, t_host0_s: float) -> ForceBlock:
    return ForceBlock(np.arange(n, dtype=np.uint16), np.arange(n, dtype=np.int64) * 12_500,
                      np.zeros((n, 2), np.int32), t_host0_s + np.arange(n) * 0.0125)


def test_a_session_whose_writer_closed_without_finishing_is_closed_as_interrupted(tmp_path):
    path = tmp_path / "s.db"
    writer = Database(path)
    sid = writer.create_session()
    writer.append_force(sid, force_block(80, 1_700_000_000.0))
    writer.close()                                  # as a crash or a START timeout leaves it
    with Database(path, read_only=True) as reader:
        assert reader.get_session(sid).ended_at is None
    with Database(path) as db:
        info = db.get_session(sid)
    assert info.end_reason == "interrupted"
    assert abs(datetime.fromisoformat(info.ended_at).timestamp()
               - (1_700_000_000.0 + 79 * 0.0125)) < 0.002
    assert [p.name for p in tmp_path.iterdir() if "-live-" in p.name] == []


def test_a_session_another_live_writer_records_is_left_open(tmp_path):
    path = tmp_path / "s.db"
    with Database(path) as recorder:
        sid = recorder.create_session()
        recorder.append_force(sid, force_block(10, 1_700_000_000.0))
        with Database(path) as second:              # another recorder or the app
            assert second.get_session(sid).ended_at is None
        recorder.append_force(sid, force_block(10, 1_700_000_001.0))
        recorder.finish_session(sid)
    with Database(path) as db:
        info = db.get_session(sid)
    assert info.end_reason is None and info.force_samples == 20
    assert [p.name for p in tmp_path.iterdir() if "-live-" in p.name] == []


def test_a_session_without_samples_ends_when_it_started(tmp_path):
    path = tmp_path / "s.db"
    db = Database(path)
    sid = db.create_session()
    db.close()
    with Database(path) as db:
        info = db.get_session(sid)
    assert info.end_reason == "interrupted" and info.ended_at == info.started_at


def test_opening_while_another_program_holds_the_write_lock_still_opens(tmp_path):
    path = tmp_path / "s.db"
    db = Database(path)
    sid = db.create_session()
    db.close()                                      # left open, writer gone
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with Database(path, busy_timeout_s=0.1) as db:      # closing it must wait
            assert db.get_session(sid).ended_at is None
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Database(path) as db:
        assert db.get_session(sid).end_reason == "interrupted"
