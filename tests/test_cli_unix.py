"""The command line behaves like a good Unix tool (issue 14, item 4): lines fit
80 columns; a terminal gets redraws in place, a pipe plain lines; `record`
shows progress only on a terminal; `export` never overwrites without --force
and creates nothing for a missing session; every sub-command's --help says
what it does and its defaults; a mistake is one clear line with its exit code."""

from __future__ import annotations

import errno
import fcntl
import io
import os
import re
import struct
import sys
import termios
import tty
from types import SimpleNamespace

import numpy as np
import pytest
import serial

from backstation import export as export_module
from backstation.analysis import RepCompleted, SetStarted
from backstation.analysis.calibration import ForceCalibration
from backstation.cli import EXIT_LINK_ERROR, EXIT_OUTPUT_ERROR, EXIT_STORAGE_ERROR, main
from backstation.link import NotASerialPort, map_serial_error
from backstation.monitor import MAX_COLUMNS, LiveReadout
from backstation.protocol.stream import StreamStats
from backstation.samples import DistanceBlock, ForceBlock
from backstation.storage import Database

SUBCOMMANDS = ("monitor", "sim", "record", "sessions", "export", "replay", "install-desktop")


class Clock:
    def __init__(self):
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def _session(channels=4, late=12345):
    cal = ForceCalibration(channels)
    for ch in range(channels):
        cal.set(ch, 0, 0.01)                    # -8388608 counts: -838860.8 N, the widest
    stats = StreamStats(lost_force=123456, crc_errors=98765)
    link = SimpleNamespace(stats=stats, state=SimpleNamespace(value="RECONNECTING"),
                           last_stat=SimpleNamespace(force_hz=1000.0, distance_hz=40.0))
    return SimpleNamespace(link=link, calibration=cal, late_samples=late)


def _step(channels=4, analysis=()):
    force = ForceBlock(np.array([1], np.uint16), np.array([10], np.int64),
                       np.full((1, channels), -8388608, np.int32), np.array([0.0]))
    distance = DistanceBlock(np.array([1], np.uint16), np.array([10], np.int64),
                             np.array([9999], np.int32), np.array([0.0]))
    return SimpleNamespace(force=force, distance=distance, analysis=list(analysis))


def _rep():
    return SimpleNamespace(index=12, valid=False, reason="no_contact", peak_force_n=12345.0,
                           rom_mm=1234.0, top_hold_s=12.3)


def test_monitor_lines_fit_80_columns_even_with_four_channels_and_large_counters():
    out = io.StringIO()
    readout = LiveReadout(out, clock=Clock())
    readout.update(_session(), _step(analysis=[SetStarted(3, 10), RepCompleted(_rep())]))
    lines = out.getvalue().splitlines()
    assert any("total" in line for line in lines) and any("lost 123456" in line for line in lines)
    assert any("chest did not touch" in line for line in lines)
    too_long = [line for line in lines if len(line) > MAX_COLUMNS]
    assert not too_long, too_long


def test_monitor_writes_plain_lines_when_stdout_is_not_a_terminal():
    out = io.StringIO()
    clock = Clock()
    readout = LiveReadout(out, clock=clock)
    for _ in range(3):
        readout.update(_session(), _step())
        clock.now_s += 1
    readout.finish()
    text = out.getvalue()
    assert "\r" not in text and "\033" not in text
    assert text.count("total") == 3 and text.endswith("\n")


@pytest.fixture
def terminal():
    """A pty 80 columns wide in raw mode: (file to write to, read what arrived)."""
    master, slave = os.openpty()
    tty.setraw(slave)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    os.set_blocking(master, False)
    out = os.fdopen(slave, "w", encoding="utf-8")

    def received() -> str:
        out.flush()
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode("utf-8")

    yield out, received
    out.close()
    os.close(master)


def test_monitor_redraws_its_status_block_in_place_on_a_terminal(terminal):
    out, received = terminal
    clock = Clock()
    readout = LiveReadout(out, clock=clock)
    readout.update(_session(), _step())
    first = received()
    assert first.count("\n") == 1 and not first.startswith("\r")      # a two-line block
    clock.now_s += 1
    readout.update(_session(), _step())
    again = received()
    # Back to the block's first line (one up, column 0) and cleared: no scrolling.
    assert again.startswith("\r\033[1A\033[J"), repr(again[:20])
    assert again.count("\n") == 1
    clock.now_s += 1
    readout.update(_session(), _step(analysis=[RepCompleted(_rep())]))
    with_rep = received()
    # A rep's line replaces the block, and the block is drawn again below it.
    assert with_rep.startswith("\r\033[1A\033[J  rep 12: chest did not touch")
    assert all(len(line) <= MAX_COLUMNS
               for line in with_rep.replace("\033[J", "").replace("\033[1A", "").split("\n"))
    # A message on the same terminal: the block gives way first, then is drawn below it.
    readout.make_room()
    assert received() == "\r\033[1A\033[J"
    readout.update(_session(), _step())
    assert not received().startswith("\r")


def test_a_warning_during_records_progress_erases_the_line_first(terminal, monkeypatch):
    import logging

    from backstation import cli
    from backstation.monitor import RecordProgress

    out, received = terminal
    monkeypatch.setattr(sys, "stderr", out)
    handler = logging.StreamHandler(out)
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])
    progress = RecordProgress(out, clock=Clock())
    session = SimpleNamespace(link=SimpleNamespace(stats=StreamStats()), stalls=0)
    progress.update(session, _step())
    with cli._making_room(progress.make_room) as say:
        logging.getLogger("backstation.link").warning("the station went quiet")
        progress.update(session, _step())
        say("saving failed")
    shown = received()
    assert shown.count("\r\033[K") == 2
    assert "\r\033[Kthe station went quiet\n" in shown
    assert "\r\033[Kbackstation: saving failed\n" in shown
    assert not handler.filters                        # the filter goes with the recording


def test_record_shows_progress_on_a_terminal_and_nothing_on_a_pipe(tmp_path, terminal,
                                                                   monkeypatch, capsys):
    port = "sim://?scenario=clean&speed=20"
    db = str(tmp_path / "s.db")
    assert main(["record", "--port", port, "--duration", "1.5", "--db", db]) == 0
    piped = capsys.readouterr()
    assert piped.err == "" and piped.out.startswith("session 1:")

    out, received = terminal
    monkeypatch.setattr(sys, "stderr", out)
    assert main(["record", "--port", port, "--duration", "1.5", "--db", db]) == 0
    shown = received()
    updates = [u for u in shown.split("\r") if u.startswith("recording")]
    assert updates, repr(shown)
    assert all(u.endswith("\033[K") and len(u) - 3 <= MAX_COLUMNS for u in updates)
    last = updates[-1]
    assert re.match(r"recording 00:0\d  samples \d+ \+ \d+  sets \d  reps \d  no-reps \d  "
                    r"no faults\033\[K$", last), last
    assert len(updates) <= 4 * 1.5 + 2                  # at most a few a second
    assert shown.endswith("\r\033[K")                   # taken away before the summary


def _stored_session(tmp_path) -> tuple[str, int]:
    path = tmp_path / "s.db"
    with Database(path) as db:
        sid = db.create_session()
        db.finish_session(sid)
    return str(path), sid


def test_export_of_a_missing_session_creates_no_folder(tmp_path, capsys):
    db, _ = _stored_session(tmp_path)
    out = tmp_path / "new" / "deeper"
    assert main(["export", "999", "--db", db, "--out", str(out)]) == EXIT_STORAGE_ERROR
    assert capsys.readouterr().err == "backstation: no session 999 in the database\n"
    assert not (tmp_path / "new").exists()


def test_export_keeps_an_earlier_export_unless_forced(tmp_path, capsys):
    db, sid = _stored_session(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "reps.csv").write_text("the coach's notes\n")
    assert main(["export", str(sid), "--db", db, "--out", str(out)]) == EXIT_OUTPUT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "reps.csv" in err and "--force" in err
    assert (out / "reps.csv").read_text() == "the coach's notes\n"
    assert not (out / "samples.csv").exists()
    assert main(["export", str(sid), "--db", db, "--out", str(out), "--force"]) == 0
    assert (out / "reps.csv").read_text().startswith("athlete,date,session,exercise,set,rep,valid")


def test_an_export_the_os_refuses_is_one_line_naming_the_file(tmp_path, monkeypatch, capsys):
    """Root writes anywhere, so the refusal is the OS's PermissionError on the
    temporary file, as a normal user meets it in a folder that is not theirs."""
    db, sid = _stored_session(tmp_path)
    real_open = open

    def refusing_open(path, *args, **kwargs):
        if str(path).endswith(".part"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(export_module, "open", refusing_open, raising=False)
    out = tmp_path / "out"
    assert main(["export", str(sid), "--db", db, "--out", str(out)]) == EXIT_OUTPUT_ERROR
    err = capsys.readouterr().err
    assert err == f"backstation: cannot write {out / 'samples.csv'}: Permission denied\n"


def test_an_export_into_a_file_says_so_once(tmp_path, capsys):
    db, sid = _stored_session(tmp_path)
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    assert main(["export", str(sid), "--db", db, "--out", str(blocker)]) == EXIT_OUTPUT_ERROR
    err = capsys.readouterr().err
    assert err == f"backstation: cannot write {blocker}: a file is in the way of the folder\n"


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_help_describes_it_and_shows_defaults(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    description = text.split("\n\n")[1]
    assert not description.startswith(("options:", "positional")) and len(description) > 40
    assert "(default:" in text
    assert "(default: None)" not in text and "(default: False)" not in text
    options = text[text.index("options:"):]
    undocumented = [line for line in options.splitlines()
                    if line.startswith("  -") and line.strip().count(" ") == 0]
    assert not undocumented, undocumented


@pytest.mark.parametrize("duration, says", [("abc", "not a number: 'abc'"),
                                            ("-1", "must be a positive number of seconds"),
                                            ("inf", "must be a positive number of seconds")])
def test_a_bad_duration_is_said_in_words(duration, says, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["record", "--port", str(tmp_path / "ttyNONE"), "--db", str(tmp_path / "s.db"),
              "--duration", duration])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"--duration: {says}" in err and "_positive_float" not in err


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_a_port_that_is_a_folder_or_a_file_is_one_clear_line(kind, tmp_path, capsys):
    port = tmp_path / "ttyACM0"
    if kind == "folder":
        port.mkdir()
    else:
        port.write_text("")
    code = main(["record", "--port", str(port), "--duration", "1",
                 "--db", str(tmp_path / "s.db")])
    err = capsys.readouterr().err
    assert code == EXIT_LINK_ERROR
    assert err.startswith(f"backstation: {port} is ") and err.count("\n") == 1
    assert "Errno" not in err and "ioctl" not in err and "/dev/ttyACM0" in err
    assert ("a folder" if kind == "folder" else "not a serial port") in err


def test_pyserials_termios_complaint_means_not_a_serial_port():
    exc = serial.SerialException("Could not configure port: (25, 'Inappropriate ioctl for "
                                 "device')")
    assert isinstance(map_serial_error(exc, "/dev/null"), NotASerialPort)


@pytest.mark.parametrize("argv, says", [
    (["--speed", "-1"], "--speed: must be a positive number, not -1"),
    (["--duration", "nan"], "--duration: must be a positive number"),
    (["--device-id", "zz"], "--device-id: must be 8 hex digits, not 'zz'"),
])
def test_impossible_sim_options_are_refused_in_one_line(argv, says, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sim", *argv])
    assert exit_info.value.code == 2
    assert says in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["missing folder", "a file there"])
def test_sim_never_links_over_a_file_or_into_a_missing_folder(kind, tmp_path, capsys):
    victim = tmp_path / "notes.txt"
    victim.write_text("keep me")
    link = tmp_path / "nope" / "ttyBS0" if kind == "missing folder" else victim
    assert main(["sim", "--link", str(link), "--duration", "0.1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--link" in err and "Traceback" not in err
    assert victim.read_text() == "keep me"


def test_a_sim_port_that_cannot_be_made_raises_instead_of_printing_its_path(tmp_path):
    from backstation.device.sim.pty_runner import PtyRunner

    runner = PtyRunner("clean", link_path=str(tmp_path / "gone" / "ttyBS0"))
    with pytest.raises(FileNotFoundError):
        runner.start()
    runner.stop()


def test_a_session_id_that_is_not_one_is_said_in_words(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "abc", "--out", "x"])
    assert exit_info.value.code == 2
    assert "SESSION_ID: not a number: 'abc'" in capsys.readouterr().err
