"""Two processes over a real pty: ``backstation sim`` and ``backstation record``."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from datetime import datetime

import numpy as np
import pytest

from backstation.record import RECORD_READ_PACING_S
from backstation.storage import Database

from .e2e import SimProcess, backstation, record

def in_flight_max(speed: float, rate_hz: float = 81.0) -> int:
    """Samples written into the pty but not yet read when the cable comes out:
    at most one read pacing interval of them (plus the sim's 20 ms step), at
    the simulator's speed, and a few for scheduling."""
    return int(speed * rate_hz * (RECORD_READ_PACING_S + 0.02)) + 8


@pytest.fixture
def sim_factory(tmp_path):
    started = []

    def start(*args: str) -> SimProcess:
        sim = SimProcess(tmp_path, *args)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.kill()


def test_record_stores_every_sample_the_simulator_sent(sim_factory, tmp_path):
    sim = sim_factory("--scenario", "clean", "--speed", "4")
    report, _ = record(sim.path, tmp_path / "s.db", "--duration", "4")
    summary = sim.finish()

    stream = report["stream"]
    assert stream["force_samples"] == summary["sent"]["F"] > 4 * 4 * 70
    assert stream["distance_samples"] == summary["sent"]["D"] > 0
    assert stream["crc_errors"] == stream["malformed"] == stream["lost_samples"] == 0
    assert report["device"]["device_id"] == summary["device_ids"][0]
    assert report["device"]["protocol"] == 1
    # Judged as it streamed: the clean athlete's reps are all good, and a rep
    # cut off by the end of the recording is not held against them.
    reps = [r for s in report["sets"] for r in s["reps"]]
    assert reps and all(r["valid"] and r["reason"] is None for r in reps)
    with Database(tmp_path / "s.db") as db:
        force = db.load_force(report["session_id"])
        distance = db.load_distance(report["session_id"])
    assert len(force) == summary["sent"]["F"]
    assert len(distance) == summary["sent"]["D"]
    assert np.all(np.diff(force.t_device_us) > 0)
    assert np.all(np.diff(force.seq.astype(np.int64)) % 65536 == 1)


def test_noisy_line_counters_equal_the_faults_injected(sim_factory, tmp_path):
    sim = sim_factory("--scenario", "noisy-line", "--speed", "4", "--seed", "3")
    report, _ = record(sim.path, tmp_path / "s.db", "--duration", "4")
    summary = sim.finish()

    expected, stream = summary["expected"], report["stream"]
    assert expected["crc_errors"] > 0 and expected["malformed"] > 0
    assert stream["crc_errors"] == expected["crc_errors"]
    assert stream["malformed"] == expected["malformed"]
    assert stream["lost_samples"] == expected["lost_force"] + expected["lost_distance"]
    assert stream["force_samples"] == summary["sent"]["F"]
    assert stream["distance_samples"] == summary["sent"]["D"]


def test_a_swapped_device_after_a_replug_is_not_adopted(sim_factory, tmp_path):
    sim = sim_factory("--scenario", "unplug", "--speed", "8", "--swap")
    report, err = record(sim.path, tmp_path / "s.db", "--duration", "4")
    summary = sim.finish()

    first, second = summary["device_ids"][:2]
    assert first != second
    assert report["device"]["device_id"] == first
    assert report["stream"]["reconnects"] == 0
    assert "not adopted" in err and second in err
    # Samples only from our station: the swapped board never got START. The few
    # still in the pty when the cable came out are lost, as on a real port.
    assert 0 <= summary["sent"]["F"] - report["stream"]["force_samples"] <= in_flight_max(8)
    with Database(tmp_path / "s.db") as db:
        kinds = [e.kind for e in db.events(report["session_id"])]
    assert "device_refused" in kinds


@pytest.mark.slow
def test_unplug_reconnects_to_the_same_device_and_counts_the_gap_as_lost(sim_factory, tmp_path):
    # Real time: after a reboot only the host's clock can measure the gap.
    sim = sim_factory("--scenario", "unplug", "--speed", "1")
    report, err = record(sim.path, tmp_path / "s.db", "--duration", "22")
    summary = sim.finish()

    stream = report["stream"]
    assert summary["replugs"] == 1
    assert stream["reconnects"] == 1 and stream["reboots"] == 1
    assert 0 <= summary["sent"]["F"] - stream["force_samples"] <= in_flight_max(1)
    assert 0 <= summary["sent"]["D"] - stream["distance_samples"] <= in_flight_max(1)
    with Database(tmp_path / "s.db") as db:
        force = db.load_force(report["session_id"])
    steps = np.diff(force.t_device_us)
    assert np.all(steps > 0), "the time axis must run on across the reboot"
    period_us = np.median(steps)
    gap_s = steps.max() / 1e6
    # 3 s out, plus the reconnect, the boot and START.
    assert 3.0 <= gap_s <= 5.0
    assert abs(stream["lost_force"] - (round(steps.max() / period_us) - 1)) <= 1


def test_killed_recorder_leaves_a_database_holding_all_but_the_last_second(
        sim_factory, tmp_path):
    sim = sim_factory("--scenario", "clean", "--speed", "2")
    db_path = tmp_path / "s.db"
    rec = backstation("record", "--port", sim.path, "--db", str(db_path))
    try:
        _wait_for_samples(db_path, count=400, timeout_s=30)
        rec.send_signal(signal.SIGKILL)
        killed_at = time.time()
        rec.communicate(timeout=30)
    finally:
        if rec.poll() is None:
            rec.kill()
            rec.communicate()
    sim.kill()

    with Database(db_path, read_only=True) as db:
        (session,) = db.list_sessions()
        force = db.load_force(session.id)
        assert db._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert session.ended_at is None                     # reading changes nothing
    with Database(db_path) as db:                       # the next writer closes it
        (closed,) = db.list_sessions()
    assert closed.end_reason == "interrupted"
    assert abs(datetime.fromisoformat(closed.ended_at).timestamp() - force.t_host_s[-1]) < 0.002
    assert session.force_samples == len(force) >= 400
    assert np.all(np.diff(force.seq.astype(np.int64)) % 65536 == 1), "a hole in the stored samples"
    assert killed_at - force.t_host_s[-1] <= 1.0 + 0.3  # one flush interval, plus scheduling


def test_sighup_ends_the_recording_like_sigterm(sim_factory, tmp_path):
    """An ssh drop sends SIGHUP: STOP is sent and the session finished, not left open."""
    sim = sim_factory("--scenario", "clean", "--speed", "2")
    db_path = tmp_path / "s.db"
    rec = backstation("record", "--port", sim.path, "--db", str(db_path), "--json")
    try:
        _wait_for_samples(db_path, count=100, timeout_s=30)
        rec.send_signal(signal.SIGHUP)
        out, err = rec.communicate(timeout=30)
    finally:
        if rec.poll() is None:
            rec.kill()
            rec.communicate()
    sim.kill()
    assert rec.returncode == 0, err
    report = json.loads(out)
    with Database(db_path, read_only=True) as db:
        (session,) = db.list_sessions()
    assert session.ended_at is not None and session.end_reason is None
    assert session.force_samples == report["stream"]["force_samples"] >= 100


def _wait_for_samples(db_path, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as conn:
                row = conn.execute("SELECT SUM(force_samples) FROM sessions").fetchone()
            if row and row[0] and row[0] >= count:
                return
        except sqlite3.OperationalError:
            pass  # not created yet
        time.sleep(0.05)
    raise TimeoutError(f"fewer than {count} samples stored after {timeout_s} s")
