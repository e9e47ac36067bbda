"""The app's background uploads to the team server (team/background.py,
ui/team_sync.py) on the throwaway server: a finished session goes up on its
own and the status bar says how it goes; a server that is down is said with
its reason, loses nothing, and is caught up with once it is back; the app
closes in the middle of an upload with nothing half-sent and no thread left."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QSettings

from backstation.storage import Database
from backstation.team import admin
from backstation.team import upload as upload_module
from backstation.team.background import DONE, FAILED, PENDING, UPLOADING, SyncState
from backstation.ui import settings as cfg
from backstation.ui.team_sync import TeamSync, TeamSyncStatus

from .team import record_session, team_server  # noqa: F401

WAIT_MS = 15_000


def _window(qtbot, tmp_path, server: str = "rack1"):
    from backstation.ui.main_window import MainWindow

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    settings = cfg.open_settings()
    settings.setValue(cfg.TEAM_SERVER_KEY, server)
    settings.sync()
    window = MainWindow(tmp_path / "sessions.db", audio_folder=tmp_path / "cues",
                        port_lister=lambda: [])
    qtbot.addWidget(window)
    return window


def _on_server(team_server, uid: str) -> bool:
    with team_server.connect() as conn:
        return conn.execute("SELECT count(*) FROM sessions WHERE uid = %s",
                            (uid,)).fetchone()[0] == 1


def test_sessions_are_uploaded_at_start_up_and_when_a_recording_ends_with_the_state_shown(
        qtbot, tmp_path, team_server):
    with Database(tmp_path / "sessions.db") as db:
        earlier = db.get_session(record_session(db, seconds=1)).uid   # left by an earlier run
    window = _window(qtbot, tmp_path)
    phases = []
    window.team_sync.state_changed.connect(lambda s: phases.append((s.phase, s.pending)))
    window.show()
    qtbot.waitUntil(lambda: bool(phases) and phases[-1][0] == DONE, timeout=WAIT_MS)
    assert phases == [(PENDING, 1), (UPLOADING, 1), (DONE, 0)]
    assert _on_server(team_server, earlier)
    assert window.team_status.toolTip() == "Team rack1: all sessions uploaded"
    assert window.team_status in window.statusBar().findChildren(TeamSyncStatus)

    phases.clear()
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=10)
    qtbot.waitUntil(lambda: window.controller.buffers.newest_s > 1.0, timeout=WAIT_MS)
    with qtbot.waitSignal(window.controller.disconnected, timeout=WAIT_MS) as saved:
        window.controller.disconnect()
    recorded = saved.args[0]["session_id"]
    qtbot.waitUntil(lambda: bool(phases) and phases[-1][0] == DONE, timeout=WAIT_MS)
    assert phases[:2] == [(PENDING, 1), (UPLOADING, 1)]
    with Database(tmp_path / "sessions.db") as db:
        assert db.uploaded_to(recorded) == ["rack1"]
        uid = db.get_session(recorded).uid
    assert _on_server(team_server, uid)
    # History (the team's list, as a team server is set) lists it once it is there.
    history = window.history
    assert history.team_mode
    qtbot.waitUntil(lambda: history.model.row_of(recorded, "rack1") is not None,
                    timeout=WAIT_MS)
    window.close()
    assert not window.team_sync.is_running()


def test_a_server_that_is_down_is_said_with_its_reason_and_caught_up_with_when_back(
        qtbot, tmp_path, team_server, pg_server):
    path = tmp_path / "sessions.db"
    with Database(path) as db:
        sid = record_session(db, seconds=1)
        uid = db.get_session(sid).uid
    sync = TeamSync(path, "rack1", first_retry_s=0.2)
    status = TeamSyncStatus("rack1")
    qtbot.addWidget(status)
    sync.state_changed.connect(status.show_state)
    states = []
    sync.state_changed.connect(states.append)
    pg_server.stop()
    try:
        sync.start()
        qtbot.waitUntil(lambda: any(s.phase == FAILED for s in states), timeout=WAIT_MS)
        assert [s.phase for s in states[:2]] == [PENDING, FAILED]
        state = states[1]
        assert state.pending == 1 and state.retry_in_s == pytest.approx(0.2)
        assert state.reason.startswith("cannot reach the team server 'rack1': ")
        assert "\n" not in state.reason
        assert status.toolTip() == ("Team rack1: not uploaded (1 waiting, retry in 0 s): "
                                    f"{state.reason}")
        # It keeps trying, each wait longer than the last, the failure shown meanwhile.
        tries = []
        sync.state_changed.connect(tries.append)
        qtbot.waitUntil(lambda: len(tries) == 2, timeout=WAIT_MS)
        assert [(s.phase, s.retry_in_s) for s in tries] == [(FAILED, 0.4), (FAILED, 0.8)]
        with Database(path) as db:
            assert db.pending_uploads("rack1") == [sid]        # nothing lost
        pg_server.start()
        phases = []
        sync.state_changed.connect(lambda s: phases.append(s.phase))
        qtbot.waitUntil(lambda: sync.state.phase == DONE, timeout=WAIT_MS)
        assert phases[-2:] == [UPLOADING, DONE]
        assert _on_server(team_server, uid)
        assert status.toolTip() == "Team rack1: all sessions uploaded"
    finally:
        if pg_server.postmaster_pid() is None:
            pg_server.start()
        assert sync.shutdown()


def test_closing_the_app_mid_upload_stops_after_the_session_being_sent(
        qtbot, tmp_path, team_server, monkeypatch):
    with Database(tmp_path / "sessions.db") as db:
        sessions = [record_session(db, seconds=1) for _ in range(3)]
    window = _window(qtbot, tmp_path)
    original = upload_module._copy_chunks
    copying = threading.Event()

    def copy_while_the_app_closes(conn, table, columns, session_uid, rows):
        copying.set()
        # Hold the first session's upload until the window has asked the worker to stop.
        assert window_stopping.wait(WAIT_MS / 1000)
        return original(conn, table, columns, session_uid, rows)

    window_stopping = threading.Event()
    original_ask = window.team_sync.ask_to_stop

    def ask_to_stop():
        original_ask()
        window_stopping.set()

    monkeypatch.setattr(upload_module, "_copy_chunks", copy_while_the_app_closes)
    monkeypatch.setattr(window.team_sync, "ask_to_stop", ask_to_stop)
    window.show()
    qtbot.waitUntil(copying.is_set, timeout=WAIT_MS)
    window.close()
    assert not window.team_sync.is_running()
    with Database(tmp_path / "sessions.db") as db:
        pending = db.pending_uploads("rack1")
    # The session being sent went whole; the others wait for the next start.
    assert pending == sessions[1:]
    assert team_server.count("sessions") == 1
    with team_server.connect() as conn:
        assert conn.execute("SELECT local_id FROM sessions").fetchone()[0] == sessions[0]


@pytest.mark.parametrize("typed, kept", [("club", "club"), ("  ", ""),
                                         ("host=team.example.org password=x", None)])
def test_the_team_server_is_a_service_name_chosen_in_the_app(
        qtbot, main_window, monkeypatch, typed, kept):
    from PySide6.QtWidgets import QInputDialog

    main_window.settings.setValue(cfg.TEAM_SERVER_KEY, "before")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (typed, True))
    main_window.choose_team_server()
    assert cfg.value(main_window.settings, cfg.TEAM_SERVER_KEY, "") == (
        "before" if kept is None else kept)
    if kept is None:
        assert "is not a service name" in main_window.toast.text()


def test_an_athlete_the_team_weighs_differently_is_shown_in_the_upload_status(
        qtbot, tmp_path, team_server):
    with Database(tmp_path / "rack2.db") as two:          # the team knows Anna at 70 kg
        record_session(two, "Anna", seconds=0.5, body_mass_kg=70.0)
        upload_module.sync(two, "rack2")
    path = tmp_path / "sessions.db"
    with Database(path) as db:
        record_session(db, "anna", seconds=0.5, body_mass_kg=72.0)
    conflict = ("athlete Anna: body mass 72 kg on this station, 70 kg on the team server, "
                "which keeps its own until a coach sets it (docs/team.md)")

    def shown_after_start(expected_conflicts):
        sync = TeamSync(path, "rack1")
        status = TeamSyncStatus("rack1")
        qtbot.addWidget(status)
        sync.state_changed.connect(status.show_state)
        sync.start()
        try:
            qtbot.waitUntil(lambda: sync.state is not None and sync.state.phase == DONE
                            and sync.state.conflicts == expected_conflicts, timeout=WAIT_MS)
        finally:
            assert sync.shutdown()
        return status

    # Uploading the session: the station's 72 kg is not written over the team's 70.
    status = shown_after_start((conflict,))
    assert status.full_text == ("Team rack1: all sessions uploaded; 1 athlete differs from "
                                "the team")
    assert status.toolTip() == f"{status.full_text}\n{conflict}"
    # The next start, with nothing to upload, still says so.
    status = shown_after_start((conflict,))
    assert status.toolTip() == f"{status.full_text}\n{conflict}"
    # Once the coach has settled it, the status says nothing more.
    with team_server.connect("coach") as conn:
        admin.set_body_mass(conn, "Anna", 72.0)
    status = shown_after_start(())
    assert status.toolTip() == "Team rack1: all sessions uploaded"
    with team_server.connect() as conn:
        assert conn.execute("SELECT body_mass_kg FROM athletes").fetchall() == [(72.0,)]


def test_a_recording_whose_end_could_not_be_saved_is_uploaded_as_interrupted(
        qtbot, tmp_path, team_server, monkeypatch):
    from backstation.session import LiveSession
    from backstation.storage import StorageError

    window = _window(qtbot, tmp_path)
    window.show()
    qtbot.waitUntil(lambda: window.team_sync.state is not None
                    and window.team_sync.state.phase == DONE, timeout=WAIT_MS)

    def disk_full(self):
        raise StorageError("could not save: disk full")

    monkeypatch.setattr(LiveSession, "finish", disk_full)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=10)
    qtbot.waitUntil(lambda: window.controller.buffers.newest_s > 0.5, timeout=WAIT_MS)
    with qtbot.waitSignal(window.controller.disconnected, timeout=WAIT_MS) as ended:
        window.controller.disconnect()
    assert ended.args[0] is None                        # no session JSON: not "saved"
    qtbot.waitUntil(lambda: team_server.count("sessions") == 1, timeout=WAIT_MS)
    with team_server.connect() as conn:
        assert conn.execute("SELECT end_reason FROM sessions").fetchone() == ("interrupted",)
    qtbot.waitUntil(lambda: window.team_sync.state.phase == DONE
                    and window.team_sync.state.pending == 0, timeout=WAIT_MS)
    window.close()


def test_a_session_the_server_refuses_is_shown_in_the_status_and_the_rest_go_up(
        qtbot, tmp_path, team_server):
    from backstation.team.background import BackgroundSync

    from .test_team_sync import refuse_a_session

    path = tmp_path / "sessions.db"
    with Database(path) as db:
        refused, later = record_session(db, seconds=0.5), record_session(db, seconds=0.5)
        refuse_a_session(team_server, db, refused)
    told = []
    worker = BackgroundSync(path, "rack1",
                            lambda state: told.append((state, worker._wake.is_set())))
    worker.start()
    try:
        qtbot.waitUntil(lambda: bool(told) and told[-1][0].phase == DONE, timeout=WAIT_MS)
    finally:
        assert worker.stop()
    state, another_round_asked = told[-1]
    # Done with the refused one left pending, and no round after round for it.
    assert state.pending == 0 and not another_round_asked
    assert len(state.refused) == 1
    assert state.refused[0].startswith(f"session {refused} refused by the team server")
    with Database(path) as db:
        assert db.pending_uploads("rack1") == [refused] and db.uploaded_to(later) == ["rack1"]
    status = TeamSyncStatus("rack1")
    qtbot.addWidget(status)
    status.show_state(state)
    assert status.full_text == "Team rack1: all sessions uploaded; 1 session refused by the server"
    assert status.toolTip() == f"{status.full_text}\n{state.refused[0]}"


def _as_qt_shows(tooltip: str) -> str:
    """The text a tooltip shows: Qt draws one that looks like rich text as HTML."""
    from PySide6.QtGui import QTextDocument
    from PySide6.QtGui import Qt as GuiQt

    if not GuiQt.mightBeRichText(tooltip):
        return tooltip
    document = QTextDocument()
    document.setHtml(tooltip)
    return document.toPlainText().replace("\u2028", "\n")


def test_names_and_reasons_from_the_server_are_shown_as_plain_text_never_rich_text(qtbot):
    from PySide6.QtCore import Qt

    reason = "the team server 'rack1': athlete <b>Anna</b> & <i>Ben</i> refused"
    conflict = "athlete <b>Anna</b>: body mass 72 kg on this station, 70 kg on the team server"
    status = TeamSyncStatus("rack1")
    qtbot.addWidget(status)
    status.show_state(SyncState(FAILED, 1, reason, 2.0, conflicts=(conflict,)))
    assert status.textFormat() == Qt.TextFormat.PlainText
    assert _as_qt_shows(status.toolTip()).splitlines() == [status.full_text, conflict]
    assert reason in status.full_text


def test_a_team_server_setting_that_is_no_service_name_is_said_in_the_status_bar(
        qtbot, tmp_path):
    window = _window(qtbot, tmp_path, server="host=team.example.org password=x")
    assert window.team_server is None and window.team_sync is None
    problem = window.settings_problem
    assert problem in window.statusBar().findChildren(type(problem))
    assert window.settings_problem.text() == (
        f"No team server: team_server in {window.settings.fileName()} is not a service name "
        "(Station > Team server…, docs/team.md)")
    window.close()
