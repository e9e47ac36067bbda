"""Reading the team database (team/read.py): the team's sessions listed and
filtered, and one session loaded whole reads as the station's own copy."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from backstation.storage import Database
from backstation.storage.bundle_reader import BundleReader
from backstation.team import read, sync

from .team import record_session, team_server  # noqa: F401


@pytest.fixture
def two_stations(tmp_path, team_server):
    """rack1 recorded Anna twice and Ben once, rack2 Anna once; all synced."""
    with Database(tmp_path / "rack1.db") as one, Database(tmp_path / "rack2.db") as two:
        ids = {"rack1": [record_session(one, "Anna", 1), record_session(one, "Ben", 1),
                         record_session(one, "Anna", 1)],
               "rack2": [record_session(two, "anna", 1)]}
        sync(one, "rack1")
        sync(two, "rack2")
    return ids


def test_a_team_session_reads_as_the_stations_own_copy(tmp_path, team_server, two_stations):
    sid = two_stations["rack1"][1]
    with team_server.connect("rack2") as conn:
        uid = read.find_session(conn, f"rack1/{sid}")
        team = BundleReader(read.load_session(conn, uid))
    with Database(tmp_path / "rack1.db", read_only=True) as local:
        assert local.get_session(sid).uid == uid
        assert team.get_session(sid) == local.get_session(sid)
        for method in ("sets", "reps"):
            assert getattr(team, method)(sid) == getattr(local, method)(sid), method
        # The ids of calibrations and events are the station's row numbers:
        # the team keeps their order (1, 2, ...), not the numbers.
        for method in ("calibrations", "events"):
            assert ([replace(r, id=0) for r in getattr(team, method)(sid)]
                    == [replace(r, id=0) for r in getattr(local, method)(sid)]), method
        for method in ("load_force", "load_distance"):
            ours, theirs = getattr(team, method)(sid), getattr(local, method)(sid)
            for name in ("seq", "t_device_us", "t_host_s"):
                np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name))
        np.testing.assert_array_equal(team.load_force(sid).raw, local.load_force(sid).raw)
        np.testing.assert_array_equal(team.load_distance(sid).gap_mm,
                                      local.load_distance(sid).gap_mm)


def test_the_team_list_has_every_station_and_filters_by_athlete_and_station(
        team_server, two_stations):
    with team_server.connect("coach") as conn:
        every = read.list_sessions(conn)
        assert sorted(s.ref for s in every) == sorted(
            [f"rack1/{i}" for i in two_stations["rack1"]]
            + [f"rack2/{i}" for i in two_stations["rack2"]])
        assert [s.info.started_at for s in every] == sorted(s.info.started_at for s in every)
        annas = read.list_sessions(conn, athlete="ANNA")
        assert sorted(s.ref for s in annas) == sorted(
            [f"rack1/{two_stations['rack1'][0]}", f"rack1/{two_stations['rack1'][2]}",
             f"rack2/{two_stations['rack2'][0]}"])
        assert {s.info.athlete_name for s in annas} == {"Anna"}     # the team's spelling
        assert len({s.athlete_uid for s in annas}) == 1
        assert [s.ref for s in read.list_sessions(conn, athlete="anna", station="rack2")] == [
            f"rack2/{two_stations['rack2'][0]}"]
        assert read.list_sessions(conn, station="nowhere") == []
        assert read.list_stations(conn) == ["rack1", "rack2"]
        assert read.list_athletes(conn) == ["Anna", "Ben"]
        assert all(s.info.duration_s == pytest.approx(1.0, abs=0.05) for s in every)


def test_a_session_the_team_does_not_have_is_said_so(team_server, two_stations):
    with team_server.connect("rack1") as conn:
        for ref in ("rack1/99", "rack9/1", "rack1/x", "not-a-uid",
                    "00000000-0000-0000-0000-000000000000"):
            with pytest.raises(read.TeamSessionNotFound, match=f"no session {ref} on the team"):
                read.find_session(conn, ref)
        with pytest.raises(read.TeamSessionNotFound):
            read.load_session(conn, "00000000-0000-0000-0000-000000000000")


def test_judgements_are_the_stations_sets_and_reps_without_the_samples(
        tmp_path, team_server, two_stations):
    sid = two_stations["rack1"][0]
    with Database(tmp_path / "rack1.db", read_only=True) as local:
        uid = local.get_session(sid).uid
        sets, reps = local.sets(sid), local.reps(sid)
    with team_server.connect("rack2") as conn:
        found = read.judgements(conn, [uid, "00000000-0000-0000-0000-000000000000"])
    assert found == {uid: (sets, reps)}
