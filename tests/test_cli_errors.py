"""Mistakes a user can make on the command line, and damage they can meet in
a database: one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import sqlite3

import pytest

from backstation import strictjson
from backstation.cli import EXIT_LINK_ERROR, EXIT_STORAGE_ERROR, main
from backstation.storage import Database, RepRecord

from .e2e import record_in_process


def usage_error(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("argv, says", [
    (["--athlete", "   "], "--athlete: the athlete's name is empty"),
    (["--baud", "1000000000000"], "--baud: must be between 300 and 4000000 baud"),
    (["--baud", "fast"], "--baud: not a number: 'fast'"),
    (["--body-mass", "1e-320"], "--body-mass: body mass must be between 20 and 300 kg"),
    (["--body-mass", "inf"], "--body-mass: body mass must be between"),
    (["--contact-mm", "nan"], "--contact-mm: the contact threshold must be between"),
])
def test_impossible_record_options_are_refused_in_one_line(argv, says, tmp_path, capsys):
    err = usage_error(capsys, "record", "--port", str(tmp_path / "ttyNOPE"),
                      "--db", str(tmp_path / "s.db"),
                      "--duration", "1", *argv)
    assert says in err
    assert not (tmp_path / "s.db").exists()


def test_an_unwritable_data_folder_is_one_line_and_exit_3(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker / "deeper"))
    code = main(["record", "--port", "sim://?scenario=clean&speed=20", "--duration", "1"])
    err = capsys.readouterr().err
    assert code == EXIT_STORAGE_ERROR
    assert "cannot create the data folder" in err and "--db" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_export_of_a_rep_whose_stored_metrics_are_not_json_names_it(tmp_path, capsys):
    path = tmp_path / "s.db"
    with Database(path) as db:
        sid = db.create_session()
        db.save_rep(RepRecord(session_id=sid, set_index=0, rep_index=3, valid=True,
                              reason=None, t_start_us=0, t_end_us=1, peak_force_n=1.0,
                              min_gap_mm=1.0, metrics={}))
        db.finish_session(sid)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE reps SET metrics = '{\"peak_force_n\": 4'")
    code = main(["export", str(sid), "--db", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == EXIT_STORAGE_ERROR
    assert f"damaged rep 0.3 of session {sid}: its stored metrics are not JSON" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "reps.csv").exists()


def test_sessions_escapes_control_characters_in_athlete_names(tmp_path, capsys):
    path = tmp_path / "s.db"
    with Database(path) as db:
        sid = db.create_session(athlete=db.get_or_create_athlete("\x1b[2J\x1b]0;pwned\x07Eve"))
        db.finish_session(sid)
    assert main(["sessions", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in out


def _strict_json(text: str):
    def refuse(constant: str):
        raise AssertionError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_replay_json_is_strict_even_for_a_stored_body_mass_near_zero(tmp_path, capsys):
    """A row written before body masses were checked: % of body mass is infinite."""
    path = tmp_path / "s.db"
    live = record_in_process(path, "sim://?scenario=clean&seed=2&speed=40", 1.5,
                             athlete="Ada", body_mass_kg=62.0)
    assert any(s["reps"] for s in live["sets"]), "the clean scenario has reps"
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE sessions SET body_mass_kg = 1e-320")
    assert main(["replay", str(live["session_id"]), "--db", str(path), "--json"]) == 0
    replayed = _strict_json(capsys.readouterr().out)
    reps = [r for s in replayed["sets"] for r in s["reps"]]
    assert reps and all(r["peak_force_pct_bm"] is None for r in reps)


def test_replay_ignores_a_stored_calibration_the_protocol_refuses_and_says_so(tmp_path, capsys):
    """A CAL scale of 5e-324 stored before the wire refused it: every force
    infinite, every rep judged on nonsense. Replay leaves it out and says so."""
    path = tmp_path / "s.db"
    live = record_in_process(path, "sim://?scenario=clean&seed=2&speed=40", 1.5, athlete="Ada")
    assert any(s["reps"] for s in live["sets"]), "the clean scenario has reps"
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE calibrations SET counts_per_newton = 5e-324 WHERE channel = 1")
    assert main(["replay", str(live["session_id"]), "--db", str(path), "--json"]) == 0
    out = capsys.readouterr()
    replayed = _strict_json(out.out)
    assert "stored calibration of channel 1 ignored" in out.err
    reps = [r for s in replayed["sets"] for r in s["reps"]]
    assert all(r["peak_force_n"] is None or r["peak_force_n"] < 1e5 for r in reps)


def test_strict_json_writes_unknown_numbers_as_null():
    text = strictjson.dumps({"a": float("inf"), "b": [float("nan"), 1.5], "c": (-float("inf"),)})
    assert _strict_json(text) == {"a": None, "b": [None, 1.5], "c": [None]}


def test_monitor_without_a_station_says_so_and_records_nothing(tmp_path, monkeypatch, capsys):
    import backstation.link

    monkeypatch.setattr(backstation.link, "find_ports", lambda: [])
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code = main(["monitor", "--db", str(tmp_path / "s.db")])
    err = capsys.readouterr().err
    assert code == EXIT_LINK_ERROR
    assert "no station plugged in" in err and "--simulate" in err and err.count("\n") == 1
    assert not (tmp_path / "s.db").exists() and not (tmp_path / "data").exists()


def test_a_logged_warning_reaches_stderr_in_the_same_one_line_form(capsys):
    """A module's log warning says what it says as ``_say`` would: prefixed,
    with control characters escaped (text from a station cannot move the cursor)."""
    import logging

    from backstation import cli

    record = logging.LogRecord("backstation.link", logging.WARNING, __file__, 1,
                               "station says %s", ("hi\x1b[2J",), None)
    cli._say("station says hi\x1b[2J")
    assert cli._LineFormatter("%(message)s").format(record) + "\n" == capsys.readouterr().err
