"""The recorder rides out storage faults: another program holding the write
lock for longer than the busy timeout costs nothing; only past the bound does
the recording stop, with everything saved before it kept."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from backstation.record import Recorder, RecordOptions
from backstation.storage import Database, StorageError

BUSY_TIMEOUT_S = 0.2
pytestmark = pytest.mark.usefixtures("quick_storage_retries")


def wait_until(condition, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


class RecorderThread:
    def __init__(self, path, max_unsaved_s: float = 600.0):
        self.messages: list[str] = []
        self.db = Database(path, busy_timeout_s=BUSY_TIMEOUT_S)
        self.recorder = Recorder(self.db, RecordOptions(
            port="sim://?scenario=clean&seed=5&speed=4", max_unsaved_s=max_unsaved_s),
            on_message=self.messages.append)
        self.stop = threading.Event()
        self.result: dict | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="test-recorder")
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = self.recorder.run(self.stop)
        except BaseException as exc:        # noqa: BLE001 - checked by the test
            self.error = exc

    def writer(self):
        session = self.recorder.session
        return None if session is None else session.writer

    def end(self) -> None:
        self.stop.set()
        self.thread.join(60)
        self.db.close()


def hold_write_lock(path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_write_lock_held_longer_than_the_timeout_loses_nothing(tmp_path):
    path = tmp_path / "s.db"
    rec = RecorderThread(path)
    try:
        wait_until(lambda: rec.writer() is not None and rec.writer().flushes >= 2)
        other = hold_write_lock(path)
        wait_until(lambda: rec.writer().failures >= 3)     # > 3 busy timeouts, and backing off
        other.execute("ROLLBACK")
        other.close()
        wait_until(lambda: rec.writer().failures == 0)
    finally:
        rec.end()
    assert rec.error is None, rec.error
    assert any("Saving failed" in m and "retrying" in m for m in rec.messages)
    assert any("Saving works again" in m for m in rec.messages)
    with Database(path, read_only=True) as db:
        (info,) = db.list_sessions()
        stored = len(db.load_force(info.id))
    assert info.ended_at is not None and info.end_reason is None
    assert stored == info.force_samples == rec.result["stream"]["force_samples"] > 0


def test_past_the_bound_the_recording_stops_with_what_was_saved_kept(tmp_path):
    path = tmp_path / "s.db"
    rec = RecorderThread(path, max_unsaved_s=0.5)
    other = None
    try:
        wait_until(lambda: rec.writer() is not None and rec.writer().flushes >= 1)
        saved = rec.writer().flushes
        other = hold_write_lock(path)
        rec.thread.join(60)
        assert isinstance(rec.error, StorageError)
        assert "could not save for" in str(rec.error) and "recording stopped" in str(rec.error)
    finally:
        if other is not None:
            other.execute("ROLLBACK")
            other.close()
        rec.end()
    assert saved >= 1
    with Database(path) as db:                  # the next writer closes it
        (info,) = db.list_sessions()
        assert len(db.load_force(info.id)) == info.force_samples > 0
    assert info.end_reason == "interrupted"
