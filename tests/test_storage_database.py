"""Round trips through the session database: samples, sessions, athletes,
devices, calibrations, events."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import platformdirs
import pytest

from backstation.samples import DistanceBlock, ForceBlock
from backstation.storage import Database, SessionNotFound, StorageError, default_db_path

T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=timezone.utc)


def force_block(start: int, n: int, channels: int = 2) -> ForceBlock:
    i = np.arange(start, start + n, dtype=np.int64)
    raw = np.stack([(i * 7919 + c * 1_000_003) % (1 << 24) - (1 << 23)
                    for c in range(channels)], axis=1)
    return ForceBlock((i % 65536).astype(np.uint16), 4_294_960_000 + i * 12_500,
                      raw.astype(np.int32), 1.7e9 + i * 0.0125)


def distance_block(start: int, n: int) -> DistanceBlock:
    i = np.arange(start, start + n, dtype=np.int64)
    gap = np.where(i % 11 == 0, -1, 100 + i % 400)
    return DistanceBlock((i % 65536).astype(np.uint16), i * 25_000 + 3,
                         gap.astype(np.int32), 1.7e9 + i * 0.025)


def assert_force_equal(a: ForceBlock, b: ForceBlock) -> None:
    for name in ("seq", "t_device_us", "raw"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    # Host arrival times are kept to the microsecond (storage/blobs.py).
    np.testing.assert_allclose(a.t_host_s, b.t_host_s, rtol=0, atol=1e-6, err_msg="t_host_s")


@pytest.fixture
def db(tmp_path: Path):
    with Database(tmp_path / "bs.db") as database:
        yield database


def test_force_blocks_round_trip_in_order_with_dtypes_and_channels(db: Database) -> None:
    sid = db.create_session(force_channels=3)
    parts = [force_block(0, 1000, 3), force_block(1000, 1, 3), force_block(1001, 70_000, 3)]
    for part in parts:
        db.append_force(sid, part)
    loaded = db.load_force(sid)
    assert_force_equal(loaded, ForceBlock.concat(parts, 3))
    assert loaded.raw.shape == (71_001, 3)
    assert (loaded.seq.dtype, loaded.t_device_us.dtype, loaded.raw.dtype, loaded.t_host_s.dtype) \
        == (np.uint16, np.int64, np.int32, np.float64)
    assert loaded.seq[-1] == 71_000 % 65536       # the wrap survives storage
    loaded.raw[0, 0] = 1                         # arrays are ordinary and writable


def test_distance_blocks_round_trip_including_no_echo(db: Database) -> None:
    sid = db.create_session()
    parts = [distance_block(0, 500), distance_block(500, 37)]
    for part in parts:
        db.append_distance(sid, part)
    loaded, expected = db.load_distance(sid), DistanceBlock.concat(parts)
    for name in ("seq", "t_device_us", "gap_mm", "t_host_s"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(expected, name))
    assert loaded.gap_mm.dtype == np.int32 and (loaded.gap_mm == -1).sum() == 49


def test_blobs_are_little_endian_whatever_the_machine(db: Database, tmp_path: Path) -> None:
    sid = db.create_session(force_channels=1)
    db.append_force(sid, ForceBlock.from_rows([1], [0x0102030405], [(-2,)], [0.5], 1))
    db.append_force(sid, ForceBlock.from_rows([2], [0x0102030405 + 0x01020304], [(-2,)],
                                              [0.75], 1))
    rows = db._conn.execute("SELECT t_first_us, seq, t_device_us, raw, t_host_s FROM force_chunks"
                            " ORDER BY chunk_no").fetchall()
    assert rows[0][0] == 0x0102030405
    assert bytes(rows[0][1]) == b"\x01\x00"
    assert bytes(rows[0][2]) == bytes(4)                  # offset from t_first_us
    assert bytes(rows[0][3]) == (-2).to_bytes(4, "little", signed=True)
    assert bytes(rows[1][2]) == bytes(4)
    db.append_force(sid, ForceBlock.from_rows([3, 4], [10, 10 + 0x01020304], [(5,), (6,)],
                                              [1.0, 1.25], 1))
    row = db._conn.execute("SELECT t_device_us, t_host_s FROM force_chunks WHERE chunk_no = 2"
                           ).fetchone()
    assert bytes(row[0]) == bytes(4) + (0x01020304).to_bytes(4, "little")
    assert bytes(row[1]) == bytes(4) + (250_000).to_bytes(4, "little", signed=True)


def test_a_damaged_chunk_is_reported_not_misread(db: Database) -> None:
    sid = db.create_session(force_channels=2)
    db.append_force(sid, force_block(0, 10))
    db._conn.execute("UPDATE force_chunks SET raw = substr(raw, 1, 30)")
    with pytest.raises(StorageError, match="damaged force raw chunk"):
        db.load_force(sid)


def test_sessions_keep_streams_and_blocks_apart(db: Database) -> None:
    first, second = db.create_session(force_channels=2), db.create_session(force_channels=1)
    db.append_force(first, force_block(0, 10, 2))
    db.append_force(second, force_block(100, 5, 1))
    db.append_force(first, force_block(10, 10, 2))
    assert_force_equal(db.load_force(first), force_block(0, 20, 2))
    assert_force_equal(db.load_force(second), force_block(100, 5, 1))


def test_session_without_samples_loads_empty_blocks_with_its_channel_count(db: Database) -> None:
    sid = db.create_session(force_channels=2)
    db.append_force(sid, ForceBlock.empty(2))     # empty block: no chunk row
    assert db.load_force(sid).raw.shape == (0, 2)
    assert len(db.load_distance(sid)) == 0
    assert db.get_session(sid).force_samples == 0


def test_list_and_get_sessions_report_metadata_counts_and_duration(db: Database) -> None:
    anna = db.get_or_create_athlete("Anna", body_mass_kg=61.5)
    sid = db.create_session(started_at=T0, athlete=anna, device_id="00C0FFEE", firmware="1.2.0",
                            protocol=1, force_channels=2, force_rate_hz=80,
                            distance_sensor="hcsr04", port="/dev/ttyACM0")
    db.append_force(sid, force_block(0, 800))     # 799 x 12.5 ms
    db.append_distance(sid, distance_block(0, 10))
    db.update_session_stats(sid, crc_errors=2, malformed=3, lost_force=4, lost_distance=1)
    db.finish_session(sid, T0 + timedelta(seconds=12), {"reconnects": 1})
    bare = db.create_session(started_at=T0 + timedelta(hours=1), exercise="rear-delt-fly")

    listed = db.list_sessions()
    assert [s.id for s in listed] == [sid, bare]
    info = db.get_session(sid)
    assert info == listed[0]
    assert (info.started_at, info.ended_at) == ("2024-05-01T10:00:00.000+00:00",
                                                "2024-05-01T10:00:12.000+00:00")
    assert (info.athlete_name, info.body_mass_kg, info.exercise) == ("Anna", 61.5, "inverted-row")
    assert (info.device_id, info.firmware, info.protocol, info.force_channels,
            info.force_rate_hz, info.distance_sensor, info.port) == \
        ("00C0FFEE", "1.2.0", 1, 2, 80, "hcsr04", "/dev/ttyACM0")
    assert (info.force_samples, info.distance_samples) == (800, 10)
    assert (info.crc_errors, info.malformed, info.lost_samples, info.reconnects) == (2, 3, 5, 1)
    # Device time span of all stored samples (distance starts at 3 us, force
    # ends last), not the wall clock.
    last_force_us = int(force_block(799, 1).t_device_us[0])
    assert info.duration_s == pytest.approx((last_force_us - 3) / 1e6)
    other = listed[1]
    assert (other.athlete_name, other.exercise, other.ended_at, other.duration_s) == \
        (None, "rear-delt-fly", None, 0.0)


def test_duration_without_samples_is_the_wall_clock_span(db: Database) -> None:
    sid = db.create_session(started_at=T0)
    db.finish_session(sid, T0 + timedelta(seconds=90))
    assert db.get_session(sid).duration_s == 90.0


def test_missing_session_raises_session_not_found(db: Database) -> None:
    with pytest.raises(SessionNotFound, match="no session 42"):
        db.get_session(42)
    with pytest.raises(LookupError):
        db.load_force(42)
    with pytest.raises(StorageError):
        db.finish_session(42)


def test_sample_counts_are_kept_by_the_appends_not_settable(db: Database) -> None:
    sid = db.create_session()
    with pytest.raises(ValueError, match="force_samples"):
        db.update_session_stats(sid, force_samples=5)
    with pytest.raises(ValueError, match="colour"):
        db.update_session_stats(sid, colour=1)


def test_athletes_are_found_case_insensitively_and_mass_updates(db: Database) -> None:
    first = db.get_or_create_athlete("  Anna ")
    assert (first.name, first.body_mass_kg) == ("Anna", None)
    again = db.get_or_create_athlete("anna", body_mass_kg=60.0)
    assert again.id == first.id and again.body_mass_kg == 60.0
    assert db.get_or_create_athlete("ANNA").body_mass_kg == 60.0
    assert db.get_or_create_athlete("Ben").id != first.id
    with pytest.raises(ValueError):
        db.get_or_create_athlete("   ")


def test_session_keeps_body_mass_at_recording_time(db: Database) -> None:
    sid = db.create_session(athlete=db.get_or_create_athlete("Anna", 60.0))
    db.get_or_create_athlete("Anna", 65.0)
    assert db.get_session(sid).body_mass_kg == 60.0


def test_devices_upsert_keeps_first_seen_and_updates_the_rest(db: Database) -> None:
    db.upsert_device("0000BEEF", "1.0.0", 1, seen_at=T0)
    db.upsert_device("0000BEEF", "1.1.0", 1, seen_at=T0 + timedelta(days=3))
    device = db.get_device("0000BEEF")
    assert device is not None
    assert (device.firmware, device.first_seen[:10], device.last_seen[:10]) == \
        ("1.1.0", "2024-05-01", "2024-05-04")
    assert db.get_device("FFFFFFFF") is None


def test_calibrations_and_events_round_trip_in_order(db: Database) -> None:
    sid = db.create_session()
    db.add_calibration(sid, 0, -1200, 104.25, recorded_at=T0)
    db.add_calibration(sid, 1, 300, 98.5, source="cal", t_device_us=5_000_000, mass_grams=20000)
    cals = db.calibrations(sid)
    assert [(c.channel, c.offset_counts, c.counts_per_newton, c.source, c.mass_grams,
             c.t_device_us) for c in cals] == [(0, -1200, 104.25, "device", None, None),
                                                (1, 300, 98.5, "cal", 20000.0, 5_000_000)]
    assert cals[0].recorded_at == "2024-05-01T10:00:00.000+00:00"
    db.add_event(sid, "hello", "HELLO,1,1.0,00C0FFEE,2,80,hcsr04", t_host_s=1.5, t_device_us=0)
    db.add_event(sid, "reconnect", t_host_s=9.0)
    assert [(e.kind, e.detail, e.t_host_s, e.t_device_us) for e in db.events(sid)] == \
        [("hello", "HELLO,1,1.0,00C0FFEE,2,80,hcsr04", 1.5, 0), ("reconnect", "", 9.0, None)]
    assert db.events(db.create_session()) == []


def test_a_failed_transaction_writes_nothing(db: Database) -> None:
    sid = db.create_session(force_channels=2)
    with pytest.raises(RuntimeError):
        with db.transaction():
            db.append_force(sid, force_block(0, 10))
            db.add_event(sid, "stat", t_host_s=0.0)
            raise RuntimeError("caller gave up")
    assert len(db.load_force(sid)) == 0 and db.events(sid) == []
    assert db.get_session(sid).force_samples == 0


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="naive"):
        db.create_session(started_at=datetime(2024, 5, 1, 10, 0))


def test_default_db_path_is_in_the_user_data_folder(monkeypatch, tmp_path: Path) -> None:
    seen = {}

    def fake_user_data_path(appname, appauthor=None, *args, **kwargs):
        seen["appname"] = appname
        return tmp_path / "data" / appname

    monkeypatch.setattr(platformdirs, "user_data_path", fake_user_data_path)
    path = default_db_path()
    assert path == tmp_path / "data" / "backstation" / "backstation.db"
    assert path.parent.is_dir() and seen["appname"] == "backstation"


def test_storage_imports_no_qt() -> None:
    code = ("import sys, backstation.storage; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6',"
            " 'pyqtgraph')]; print(bad); sys.exit(1 if bad else 0)")
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    result = subprocess.run([sys.executable, "-c", code], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_times_too_far_apart_for_one_chunk_are_split_and_read_back_exactly(db: Database) -> None:
    sid = db.create_session(force_channels=1)
    two_hours_us = 2 * 3600 * 1_000_000          # e.g. a reboot gap inside one flush
    block = ForceBlock.from_rows([1, 2, 3, 4], [0, 10, two_hours_us, two_hours_us + 10],
                                 [(1,), (2,), (3,), (4,)], [0.0, 0.01, 7200.0, 7200.01], 1)
    db.append_force(sid, block)
    loaded = db.load_force(sid)
    np.testing.assert_array_equal(loaded.t_device_us, block.t_device_us)
    np.testing.assert_allclose(loaded.t_host_s, block.t_host_s, rtol=0, atol=1e-6)
    assert db._conn.execute("SELECT COUNT(*) FROM force_chunks").fetchone()[0] == 2


def test_a_two_channel_force_sample_costs_18_bytes_of_blob(db: Database) -> None:
    sid = db.create_session(force_channels=2)
    db.append_force(sid, force_block(0, 1000, 2))
    row = db._conn.execute("SELECT length(seq) + length(t_device_us) + length(raw)"
                           " + length(t_host_s) FROM force_chunks").fetchone()
    assert row[0] == 18 * 1000
