"""Helpers for end-to-end tests: the real ``backstation`` command in child
processes, talking over a real pty."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
CHILD_TIMEOUT_S = 120


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(SRC) + os.pathsep + e.get("PYTHONPATH", "")
    e["PYTHONUNBUFFERED"] = "1"
    return e


def backstation(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "backstation", *args], env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


class SimProcess:
    """``backstation sim`` in a child process; ``path`` is its port."""

    def __init__(self, tmp_path: Path, *args: str):
        self.summary_path = tmp_path / "sim-summary.json"
        self.proc = backstation("sim", "--summary", str(self.summary_path),
                                "--link", str(tmp_path / "ttyBS0"), *args)
        self.path = self.proc.stdout.readline().strip()
        if not self.path:
            self.proc.kill()
            raise RuntimeError(f"sim printed no port: {self.proc.stderr.read()}")

    def finish(self) -> dict:
        """Stop the simulator (as Ctrl-C would) and return its summary."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        self.proc.communicate(timeout=CHILD_TIMEOUT_S)
        return json.loads(self.summary_path.read_text())

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=CHILD_TIMEOUT_S)


def record(port: str, db: Path, *args: str) -> tuple[dict, str]:
    """Run ``backstation record --json`` to completion; its JSON and stderr."""
    proc = backstation("record", "--port", port, "--db", str(db), "--json", *args)
    out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
    assert proc.returncode == 0, err
    return json.loads(out), err


def record_in_process(db_path: Path, url: str, duration_s: float, **session) -> dict:
    """Record ``url`` into ``db_path`` through the real pipeline, in this
    process; the session's JSON (as ``record --json`` prints it)."""
    import threading

    from backstation.record import Recorder, RecordOptions
    from backstation.session import SessionOptions
    from backstation.storage import Database

    options = RecordOptions(port=url, duration_s=duration_s, session=SessionOptions(**session))
    with Database(db_path) as db:
        return Recorder(db, options).run(threading.Event())
