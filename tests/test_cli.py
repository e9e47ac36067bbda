"""The command line's promises: clear one-line errors with distinct exit codes,
never a traceback, and ``sessions`` listing what ``record`` stored."""

from __future__ import annotations

import json

import pytest

from backstation.cli import EXIT_LINK_ERROR, EXIT_STORAGE_ERROR, main
from backstation.storage import Database


def test_missing_port_is_one_clear_line_and_exit_2(tmp_path, capsys):
    code = main(["record", "--port", str(tmp_path / "ttyNOPE"), "--db", str(tmp_path / "s.db"),
                 "--duration", "1"])
    err = capsys.readouterr().err
    assert code == EXIT_LINK_ERROR
    assert "not found" in err and "ttyNOPE" in err
    assert "Traceback" not in err


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path, capsys):
    bad = tmp_path / "notes.db"
    bad.write_text("my training notes\n")
    code = main(["sessions", "--db", str(bad)])
    assert code == EXIT_STORAGE_ERROR
    assert "not a Back Station database" in capsys.readouterr().err
    assert bad.read_text() == "my training notes\n"


def test_unknown_scenario_is_refused_by_name(tmp_path, capsys):
    code = main(["record", "--port", "sim://?scenario=nope", "--db", str(tmp_path / "s.db"),
                 "--duration", "1"])
    assert code == EXIT_LINK_ERROR
    assert "unknown scenario 'nope'" in capsys.readouterr().err


def test_replay_of_a_missing_session_says_which(tmp_path, capsys):
    Database(tmp_path / "s.db").close()
    code = main(["replay", "42", "--db", str(tmp_path / "s.db"), "--json"])
    assert code == EXIT_STORAGE_ERROR
    assert "42" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["0", "-3", "soon"])
def test_duration_must_be_a_positive_number(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["record", "--port", "sim://", "--duration", bad])
    assert exit_info.value.code == 2
    assert "--duration" in capsys.readouterr().err


def test_sessions_lists_a_recording_with_its_athlete(tmp_path, capsys):
    db = str(tmp_path / "s.db")
    assert main(["record", "--port", "sim://?scenario=clean&speed=20", "--db", db,
                 "--duration", "1", "--athlete", "Ada", "--body-mass", "61.5", "--json"]) == 0
    recorded = json.loads(capsys.readouterr().out)
    assert main(["sessions", "--db", db, "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["session_id"] == recorded["session_id"]
    assert listed["athlete"] == "Ada"
    assert listed["force_samples"] == recorded["stream"]["force_samples"] > 0


def test_load_cells_at_10_sps_are_noticed_and_said(tmp_path, capsys):
    code = main(["record", "--port", "sim://?scenario=slow-adc&speed=20",
                 "--db", str(tmp_path / "s.db"), "--duration", "1", "--json"])
    captured = capsys.readouterr()
    assert code == 0
    assert "10 SPS" in captured.err and "RATE pin" in captured.err
    assert json.loads(captured.out)["stream"]["force_samples"] > 0


def test_wrong_baud_rate_is_named_as_the_likely_cause(tmp_path, capsys):
    code = main(["record", "--port", "sim://?scenario=clean&speed=4", "--baud", "115200",
                 "--db", str(tmp_path / "s.db"), "--duration", "1"])
    err = capsys.readouterr().err
    assert code == EXIT_LINK_ERROR
    assert "no HELLO" in err and "wrong baud rate" in err
