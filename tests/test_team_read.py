"""Reading the team database (team/read.py): the team's sessions listed and
filtered, and one session loaded whole reads as the station's own copy."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from backstation.cli import EXIT_OUTPUT_ERROR, main
from backstation.storage import Database
from backstation.storage.bundle_reader import BundleReader
from backstation.team import read, sync
from backstation.team.connection import EXIT_TEAM_ERROR

from .e2e import record_in_process
from .team import record_session, team_server  # noqa: F401


@pytest.fixture
def two_stations(tmp_path, team_server):
    """rack1 recorded Anna twice and Ben once, rack2 Anna once; all synced.
    The 3 s sessions have a tare of channel 1 at 1 s (tests.team.record_session)."""
    with Database(tmp_path / "rack1.db") as one, Database(tmp_path / "rack2.db") as two:
        ids = {"rack1": [record_session(one, "Anna", 1), record_session(one, "Ben", 1),
                         record_session(one, "Anna", 3)],
               "rack2": [record_session(two, "anna", 3)]}
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
        assert sorted(s.info.duration_s for s in every) == pytest.approx([1, 1, 3, 3], abs=0.05)


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


# -- on the command line: sessions, export and replay --server ----------------


def test_a_session_exported_from_the_team_server_is_the_local_export_byte_for_byte(
        tmp_path, team_server, two_stations, capsys):
    sid = two_stations["rack1"][2]
    db = str(tmp_path / "rack1.db")
    assert main(["export", str(sid), "--db", db, "--out", str(tmp_path / "local")]) == 0
    assert main(["export", "--server", "rack2", f"rack1/{sid}",
                 "--out", str(tmp_path / "team")]) == 0
    assert capsys.readouterr().out.splitlines()[-3:] == [
        str(tmp_path / "team" / name) for name in ("samples.csv", "reps.csv", "sets.csv")]
    for name in ("samples.csv", "reps.csv", "sets.csv"):
        local = (tmp_path / "local" / name).read_bytes()
        assert local.count(b"\n") > (1 if name == "sets.csv" else 2)   # rows, not a header only
        assert (tmp_path / "team" / name).read_bytes() == local, name


def test_a_team_session_replays_to_the_local_replays_result(tmp_path, team_server, capsys):
    """A session the simulated station recorded through the real pipeline
    (sets and reps), synced, replayed from the server and from the station."""
    path = tmp_path / "rack2.db"
    live = record_in_process(path, "sim://?scenario=clean&seed=2&speed=40", 1.5, athlete="Ada")
    assert any(s["reps"] for s in live["sets"]), "the clean scenario has reps"
    sid = live["session_id"]
    with Database(path) as db:
        sync(db, "rack2")
        uid = db.get_session(sid).uid
    outputs = []
    for args in (["--db", str(path), str(sid)], ["--server", "rack1", f"rack2/{sid}"],
                 ["--server", "coach", uid]):
        for form in ([], ["--json"]):
            assert main(["replay", *args, *form]) == 0
            outputs.append(capsys.readouterr().out)
    assert outputs[0].startswith(f"session {sid}: ") and " 0 valid reps" not in outputs[0]
    assert json.loads(outputs[1])["sets"] == live["sets"]
    assert outputs[2:4] == outputs[0:2] and outputs[4:6] == outputs[0:2]


def test_sessions_from_the_team_server_have_station_and_athlete_columns(
        team_server, two_stations, capsys):
    assert main(["sessions", "--server", "rack1", "--athlete", "anna"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["station", "id", "started", "(UTC)", "athlete", "duration",
                                "force", "gap", "lost"]
    rows = sorted(line.split()[:2] + line.split()[3:4] for line in lines[1:])
    assert rows == sorted([["rack1", str(two_stations["rack1"][0]), "Anna"],
                           ["rack1", str(two_stations["rack1"][2]), "Anna"],
                           ["rack2", str(two_stations["rack2"][0]), "Anna"]])
    assert all(len(line) <= 80 for line in lines)
    assert main(["sessions", "--server", "coach", "--station", "rack2", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(s["station"], s["session_id"], s["athlete"]) for s in listed] == [
        ("rack2", two_stations["rack2"][0], "Anna")]
    assert main(["sessions", "--server", "rack1", "--athlete", "Zoe"]) == 0
    assert capsys.readouterr().out == "no sessions on the team server for these filters\n"


def test_team_reads_that_cannot_be_done_are_one_line(tmp_path, team_server, two_stations,
                                                      capsys):
    cases = [
        (["export", "--server", "rack1", "rack1/99", "--out", str(tmp_path / "x")],
         EXIT_TEAM_ERROR, "no session rack1/99 on the team server"),
        (["replay", "--server", "rack1", "3"], EXIT_OUTPUT_ERROR,
         "a team session is STATION/ID (e.g. rack1/3) or its uid"),
        (["replay", "rack1/3", "--db", str(tmp_path / "rack1.db")], EXIT_OUTPUT_ERROR,
         "rack1/3 names a team session: add --server NAME"),
        (["sessions", "--station", "rack1", "--db", str(tmp_path / "rack1.db")],
         EXIT_OUTPUT_ERROR, "--athlete and --station filter the team's sessions"),
        (["sessions", "--server", "nowhere"], EXIT_TEAM_ERROR,
         'definition of service "nowhere" not found'),
    ]
    for argv, code, says in cases:
        assert main(argv) == code, argv
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and says in err, (argv, err)
    assert not (tmp_path / "x").exists()


def test_a_station_id_used_twice_is_refused_with_both_uids_and_each_uid_exports(
        tmp_path, team_server, capsys):
    # rack1's SD card died: its new database numbers sessions from 1 again.
    uids = []
    for card in ("old.db", "new.db"):
        with Database(tmp_path / card) as db:
            sid = record_session(db, "Anna", 0.5)
            uids.append(db.get_session(sid).uid)
            sync(db, "rack1")
    assert sid == 1
    out = tmp_path / "out"
    assert main(["export", "--server", "rack1", "rack1/1", "--out", str(out)]) == EXIT_TEAM_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("backstation: rack1/1 names 2 sessions on the team server")
    assert all(uid in err for uid in uids)
    assert not out.exists()
    for uid in uids:
        assert main(["export", "--server", "rack1", uid, "--out", str(tmp_path / uid)]) == 0
