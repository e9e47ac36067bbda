"""A session's span (first to last sample on the device time axis, hence its
duration) has one rule, ``storage.chunks.device_span``, fed by three readers:
this station's SQLite, a bundle of its rows (``BundleReader``) and the team
server's list (team/read.py). They agree on every shape of session: force
only, distance only, distance starting before force and ending after it, and
no samples at all (the duration then comes from the end time)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from backstation.samples import DistanceBlock, ForceBlock
from backstation.storage import Database
from backstation.storage.bundle_reader import BundleReader
from backstation.storage.chunks import device_span
from backstation.team import read, sync

from .team import team_server  # noqa: F401

START = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def _force(t_us: list[int]) -> ForceBlock:
    t = np.asarray(t_us, dtype=np.int64)
    return ForceBlock(np.arange(len(t), dtype=np.uint16), t,
                      np.zeros((len(t), 1), dtype=np.int32), 1.7e9 + t / 1e6)


def _distance(t_us: list[int]) -> DistanceBlock:
    t = np.asarray(t_us, dtype=np.int64)
    return DistanceBlock(np.arange(len(t), dtype=np.uint16), t,
                         np.full(len(t), 40, dtype=np.int32), 1.7e9 + t / 1e6)


# Each session: force chunks and distance chunks (device times), and the
# span every reader must find.
SHAPES = {
    "force only, two chunks": ([[1_000, 2_000], [3_000, 9_000]], [], (1_000, 9_000)),
    "distance only": ([], [[50_000, 70_000]], (50_000, 70_000)),
    "distance around force": ([[10_000, 20_000]], [[4_000, 8_000], [21_000, 33_000]],
                              (4_000, 33_000)),
    "no samples": ([], [], None),
}


def test_device_span_is_first_to_last_sample_over_every_chunk():
    assert device_span([(5, 9), (None, None), (2, 7)]) == (2, 9)
    assert device_span([(None, None), (None, None)]) is None
    assert device_span([]) is None


def test_the_station_a_bundle_and_the_team_list_agree_on_every_sessions_span(
        tmp_path, team_server):
    ids = {}
    with Database(tmp_path / "rack1.db") as db:
        athlete = db.get_or_create_athlete("Anna", 70.0)
        for i, (name, (force, distance, _)) in enumerate(SHAPES.items()):
            started = START + timedelta(hours=i)
            sid = db.create_session(athlete=athlete, device_id="BS-0001", firmware="1.0",
                                    protocol=1, force_channels=1, force_rate_hz=80,
                                    started_at=started)
            for chunk in force:
                db.append_force(sid, _force(chunk))
            for chunk in distance:
                db.append_distance(sid, _distance(chunk))
            db.finish_session(sid, ended_at=started + timedelta(seconds=12.5))
            ids[name] = sid
        sync(db, "rack1")
        local = {name: db.get_session(sid).duration_s for name, sid in ids.items()}
        bundled = {name: BundleReader(db.upload_bundle(sid)).get_session(sid).duration_s
                   for name, sid in ids.items()}
    with team_server.connect("rack2") as conn:
        listed = {s.info.id: s.info.duration_s for s in read.list_sessions(conn)}
        loaded = {}
        for name, sid in ids.items():
            reader = BundleReader(read.load_session(conn, read.find_session(conn, f"rack1/{sid}")))
            loaded[name] = reader.get_session(sid).duration_s
    team = {name: listed[sid] for name, sid in ids.items()}

    expected = {name: 12.5 if span is None else (span[1] - span[0]) / 1e6
                for name, (_, _, span) in SHAPES.items()}
    assert local == pytest.approx(expected)
    assert bundled == local
    assert team == local
    assert loaded == local
