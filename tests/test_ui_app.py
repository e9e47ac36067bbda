"""The app as a user starts it: ``backstation --simulate`` in its own process.
Ctrl-C (or SIGTERM at shutdown) closes it the normal way and the session is
finished and saved, not cut off."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from .e2e import env

START_TIMEOUT_S = 60


def _stored_force_samples(db_path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT SUM(force_samples) FROM sessions").fetchone()
        return row[0] or 0
    except sqlite3.OperationalError:
        return 0  # not created yet


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_closes_the_app_and_saves_the_session(tmp_path, sig):
    db_path = tmp_path / "s.db"
    child_env = dict(env(), QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path),
                     XDG_CONFIG_HOME=str(tmp_path / "config"))
    app = subprocess.Popen([sys.executable, "-m", "backstation", "--simulate", "--db",
                            str(db_path)], env=child_env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while _stored_force_samples(db_path) < 80 and app.poll() is None:
            assert time.monotonic() < deadline, "the app stored no samples"
            time.sleep(0.1)  # polling the database another process writes
        app.send_signal(sig)
        _, err = app.communicate(timeout=START_TIMEOUT_S)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, err
    listing = subprocess.run([sys.executable, "-m", "backstation", "sessions", "--db",
                              str(db_path), "--json"], env=env(), capture_output=True,
                             text=True, timeout=60)
    (session,) = json.loads(listing.stdout)
    assert session["ended_at"] is not None
    assert session["force_samples"] >= 80
