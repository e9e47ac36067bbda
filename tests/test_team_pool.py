"""The app's one pool of connections to its team server (team/pool.py): the
uploads and History's reads take their connections from it, the app's
ending closes it with its threads, and a server down then up is caught up with."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QSettings

from backstation.storage import Database
from backstation.team import ServerUnreachable
from backstation.team.background import DONE
from backstation.team.connection import reading
from backstation.team.pool import REQUEST_TIMEOUT_S, TeamPool
from backstation.ui import settings as cfg

from .team import record_session, team_server  # noqa: F401

WAIT_MS = 15_000


def _pool_threads() -> list[str]:
    return [t.name for t in threading.enumerate()
            if t.name.startswith("backstation-pool-") and t.is_alive()]


def _pending(tmp_path) -> list[int]:
    with Database(tmp_path / "sessions.db") as db:
        return db.pending_uploads("rack1")


def test_the_apps_uploads_and_history_share_one_pool_closed_with_the_app(
        qtbot, tmp_path, team_server):
    from backstation.ui.main_window import MainWindow

    with Database(tmp_path / "sessions.db") as db:
        sid = record_session(db, seconds=0.5)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    settings = cfg.open_settings()
    settings.setValue(cfg.TEAM_SERVER_KEY, "rack1")
    settings.sync()
    window = MainWindow(tmp_path / "sessions.db", audio_folder=tmp_path / "cues",
                        port_lister=lambda: [])
    qtbot.addWidget(window)
    history = window.history
    window.show()
    qtbot.waitUntil(lambda: window.team_sync.state is not None
                    and window.team_sync.state.phase == DONE, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: history.model.row_of(sid, "rack1") is not None
                    and not history._jobs.busy() and not window.progress._jobs.busy(),
                    timeout=WAIT_MS)
    started = window.team_pool.stats()   # the start's upload, History's and Progress's reads
    assert 1 <= started["connections_num"] <= 3
    # Two refreshes of History's team list and an upload.
    for _ in range(2):
        with qtbot.waitSignal(history.sessions_listed, timeout=WAIT_MS):
            history.refresh()
    with Database(tmp_path / "sessions.db") as db:
        later = record_session(db, seconds=0.5)
    window.team_sync.request()
    qtbot.waitUntil(lambda: window.team_sync.state.phase == DONE
                    and window.team_sync.state.pending == 0 and not _pending(tmp_path),
                    timeout=WAIT_MS)
    assert later not in _pending(tmp_path)
    qtbot.waitUntil(lambda: not history._jobs.busy() and not window.progress._jobs.busy(),
                    timeout=WAIT_MS)          # their lists again once the upload is done
    stats = window.team_pool.stats()
    assert stats["requests_num"] >= started["requests_num"] + 3
    # Connections made again and again would be one per request; the pool made
    # at most one per user that ever ran at once (the uploads, History, Progress).
    assert stats["connections_num"] <= 3
    assert stats["requests_num"] - stats["connections_num"] >= 3
    assert _pool_threads()
    window.close()
    assert _pool_threads() == []


def test_a_server_down_is_said_within_seconds_and_the_pool_recovers_when_it_is_back(
        team_server, pg_server, caplog):
    pool = TeamPool("rack1")
    try:
        with reading("rack1", pool) as conn:
            assert conn.execute("SELECT backstation_current_station()").fetchone() == ("rack1",)
        pg_server.stop()        # the idle connection in the pool dies with it
        try:
            t0 = time.monotonic()
            with pytest.raises(ServerUnreachable,
                               match=r"^cannot reach the team server 'rack1': .*(No such file"
                                     r"|Connection refused|connection to server)"):
                with reading("rack1", pool):
                    pass
            assert time.monotonic() - t0 < REQUEST_TIMEOUT_S + 1.0
        finally:
            pg_server.start()
        with reading("rack1", pool) as conn:
            assert conn.execute("SELECT backstation_current_station()").fetchone() == ("rack1",)
    finally:
        assert pool.close()
    assert _pool_threads() == []
    # Said once, by the request: not again by psycopg_pool's own warnings.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("psycopg")] == []


def test_starting_the_app_loads_no_psycopg_until_a_team_server_is_used():
    import subprocess
    import sys
    from pathlib import Path

    import backstation

    code = ("import sys\nimport backstation.cli, backstation.ui.app, backstation.ui.main_window\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('psycopg')))")
    src = str(Path(backstation.__file__).parents[1])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={"PYTHONPATH": src, "PATH": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
