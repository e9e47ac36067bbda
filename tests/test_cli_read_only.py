"""Commands that only read work on a database nobody may write (a read-only
mount, a 0444 file in a read-only folder), never create one, and ``record``
refuses a damaged file before writing a byte."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import pytest

from backstation.cli import EXIT_STORAGE_ERROR, build_parser, main
from backstation.storage import Database

from .e2e import record_in_process

NOBODY = 65534


def run_unprivileged(*argv: str) -> subprocess.CompletedProcess:
    """``backstation ARGV`` in a forked child that may not write the database
    (root ignores file modes, so under root the child drops to nobody)."""
    # Imported before the fork: nobody may not read root's Python installation.
    import backstation.export  # noqa: F401
    import backstation.replay  # noqa: F401
    build_parser()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        pid = os.fork()
        if pid == 0:                                    # the child
            code = 99
            try:
                if os.geteuid() == 0:
                    os.setgid(NOBODY)
                    os.setuid(NOBODY)
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                sys.stdout = open(1, "w", closefd=False)
                sys.stderr = open(2, "w", closefd=False)
                code = main(list(argv))
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(argv, os.waitstatus_to_exitcode(status),
                                           out.read(), err.read())


@pytest.fixture
def read_only_db(tmp_path):
    """A recorded session in a 0444 file inside a 0555 folder (as on a read-only mount)."""
    source = tmp_path / "s.db"
    live = record_in_process(source, "sim://?scenario=clean&seed=3&speed=40", 1.5,
                             athlete="Ada", body_mass_kg=62.0)
    top = Path(tempfile.mkdtemp(prefix="bs-ro-"))
    folder, out = top / "ro", top / "out"
    folder.mkdir()
    out.mkdir()
    shutil.copy(source, folder / "s.db")
    (folder / "s.db").chmod(0o444)
    folder.chmod(0o555)
    out.chmod(0o777)
    top.chmod(0o755)
    before = (folder / "s.db").read_bytes()
    yield folder / "s.db", out, live
    assert (folder / "s.db").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["s.db"]
    folder.chmod(0o755)
    shutil.rmtree(top)


def test_sessions_replay_and_export_read_a_database_nobody_may_write(read_only_db):
    path, out, live = read_only_db
    sid = str(live["session_id"])
    listed = run_unprivileged("sessions", "--db", str(path), "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["session_id"] == live["session_id"]
    replayed = run_unprivileged("replay", sid, "--db", str(path), "--json")
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout) == live
    exported = run_unprivileged("export", sid, "--db", str(path), "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert (out / "samples.csv").stat().st_size > 0


@pytest.mark.parametrize("command", [["sessions"], ["replay", "1"], ["export", "1", "--out", "x"]])
def test_a_reading_command_never_creates_a_database(command, tmp_path, capsys):
    typo = tmp_path / "typo.db"
    assert main([*command, "--db", str(typo)]) == EXIT_STORAGE_ERROR
    err = capsys.readouterr().err
    assert f"no database at {typo}" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_record_refuses_a_database_sessions_rejects_before_writing(tmp_path, capsys):
    path = tmp_path / "s.db"
    with Database(path) as db:
        for _ in range(300):
            db.finish_session(db.create_session(notes="x" * 200))
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        root = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sessions'"
                           ).fetchone()[0]
    data = bytearray(path.read_bytes())
    at = (root - 1) * page_size                 # the sessions table's root page
    data[at:at + 12] = b"\xff" * 12
    path.write_bytes(bytes(data))
    assert main(["sessions", "--db", str(path)]) == EXIT_STORAGE_ERROR
    capsys.readouterr()
    before = path.read_bytes()
    code = main(["record", "--port", "sim://?scenario=clean&speed=20", "--db", str(path),
                 "--duration", "1"])
    err = capsys.readouterr().err
    assert code == EXIT_STORAGE_ERROR
    assert "damaged" in err and "left untouched" in err
    assert path.read_bytes() == before
    assert not Path(str(path) + "-wal").exists() or Path(str(path) + "-wal").stat().st_size == 0
