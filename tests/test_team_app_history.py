"""History and Progress reading the team database (team/read.py through
ui/jobs.ServerJob): two stations' SQLite files synced to one throwaway
server, and one station's History lists both, filters them, and opens the
other station's session with the code that draws a local one."""

from __future__ import annotations

import pytest

from backstation.storage import Database
from backstation.team import sync
from backstation.ui.history import HistoryView, ProgressView
from backstation.ui.history.view import ALL_ATHLETES, ALL_STATIONS

from .team import record_session, team_server  # noqa: F401

WAIT_MS = 10_000


@pytest.fixture
def two_stations(tmp_path, team_server):
    """rack1 recorded Anna, rack2 Ben then Anna; each synced to the team server."""
    with Database(tmp_path / "rack1.db") as one, Database(tmp_path / "rack2.db") as two:
        ids = {"rack1": [record_session(one, "Anna", 1)],
               "rack2": [record_session(two, "Ben", 1), record_session(two, "Anna", 2)]}
        sync(one, "rack1")
        sync(two, "rack2")
    return ids


def _listed(view: HistoryView) -> list[tuple[str, int, str]]:
    return sorted((r.station, r.session_id, r.athlete)
                  for r in (view.model.row_at(i) for i in range(view.model.rowCount())))


def _listing(qtbot, view: HistoryView, change) -> None:
    with qtbot.waitSignal(view.sessions_listed, timeout=WAIT_MS):
        change()


def test_history_in_team_mode_lists_every_stations_sessions_and_filters_them(
        qtbot, tmp_path, two_stations):
    view = HistoryView(tmp_path / "rack1.db", team_server="rack1")
    qtbot.addWidget(view)
    _listing(qtbot, view, lambda: None)     # the list it started with, before the event loop
    assert [r.station for r in view.model._rows] == [""]     # its own list first
    _listing(qtbot, view, lambda: view.set_team_mode(True))
    one, two = two_stations["rack1"], two_stations["rack2"]
    assert _listed(view) == [("rack1", one[0], "Anna"), ("rack2", two[0], "Ben"),
                             ("rack2", two[1], "Anna")]
    assert [view.station_filter.itemText(i) for i in range(view.station_filter.count())] == [
        ALL_STATIONS, "rack1", "rack2"]
    assert [view.athlete_filter.itemText(i) for i in range(view.athlete_filter.count())] == [
        ALL_ATHLETES, "Anna", "Ben"]
    assert not view.delete_button.isVisibleTo(view) and view.station_filter.isVisibleTo(view)

    _listing(qtbot, view, lambda: view.station_filter.setCurrentText("rack2"))
    assert _listed(view) == [("rack2", two[0], "Ben"), ("rack2", two[1], "Anna")]
    _listing(qtbot, view, lambda: view.athlete_filter.setCurrentText("Anna"))
    assert _listed(view) == [("rack2", two[1], "Anna")]
    _listing(qtbot, view, lambda: view.station_filter.setCurrentText(ALL_STATIONS))
    assert _listed(view) == [("rack1", one[0], "Anna"), ("rack2", two[1], "Anna")]

    # The other station's session, opened from the team's copy.
    with qtbot.waitSignal(view.session_opened, timeout=WAIT_MS):
        view.open_session(two[1], "rack2")
    with Database(tmp_path / "rack2.db", read_only=True) as db:
        local = db.get_session(two[1])
        reps = db.reps(two[1])
    assert view.current.info == local
    assert view.current.reps == reps
    assert len(view.current.force_t_s) == local.force_samples
    assert view.title.text().startswith(f"Session rack2/{two[1]} — Anna")

    _listing(qtbot, view, lambda: view.set_team_mode(False))
    assert [r.station for r in view.model._rows] == [""]
    view.close()


def test_progress_in_team_mode_charts_an_athletes_sessions_on_every_station(
        qtbot, tmp_path, two_stations):
    view = ProgressView(tmp_path / "rack1.db", team_server="rack1")
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.athletes_listed, timeout=WAIT_MS) as listed:
        view.set_team_mode(True)
    assert listed.args == [2]
    with qtbot.waitSignal(view.progress_shown, timeout=WAIT_MS):
        view.show_athlete("Anna")
    assert [p.session_id for p in view.progress.sessions] == [two_stations["rack1"][0],
                                                               two_stations["rack2"][1]]
    assert view.point_count("peak_n") == 2
    view.close()


def test_a_team_server_that_is_down_is_said_in_the_banner(qtbot, tmp_path, team_server):
    view = HistoryView(tmp_path / "rack1.db", team_server="nowhere")
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.failed, timeout=WAIT_MS) as failed:
        view.set_team_mode(True)
    assert failed.args[0].startswith("cannot reach the team server 'nowhere': ")
    assert view.banner.text() == failed.args[0]
    view.close()


def test_history_in_team_mode_exports_a_team_session_as_its_station_does(
        qtbot, tmp_path, two_stations, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from backstation.export import export_session
    from backstation.ui.export_dialog import export_folder

    sid = two_stations["rack2"][1]                      # rack2's Anna, seen from rack1
    with Database(tmp_path / "rack2.db", read_only=True) as db:
        station = [p.read_bytes() for p in export_session(db, sid, tmp_path / "station")]
    view = HistoryView(tmp_path / "rack1.db", team_server="rack1")
    qtbot.addWidget(view)
    _listing(qtbot, view, lambda: None)
    _listing(qtbot, view, lambda: view.set_team_mode(True))
    assert view.export_button.isVisibleTo(view) and not view.delete_button.isVisibleTo(view)
    view.table.selectRow(view.model.row_of(sid, "rack2"))
    assert view.export_button.isEnabled() and not view.delete_button.isEnabled()
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    view.export_button.click()
    with qtbot.waitSignal(view.export_run.exported, timeout=WAIT_MS) as done:
        pass
    paths = done.args[0]
    assert [p.parent for p in paths] == [export_folder(out, sid, "rack2")] * 3
    assert [p.read_bytes() for p in paths] == station
    box = view.export_run.message_box
    assert box is not None and box.text().startswith(f"Session rack2/{sid} exported to")
    box.close()


def test_a_team_list_that_ends_after_a_newer_one_is_not_shown(
        qtbot, tmp_path, two_stations, monkeypatch):
    import threading

    from backstation.ui.history import view as view_module

    view = HistoryView(tmp_path / "rack1.db", team_server="rack1")
    qtbot.addWidget(view)
    _listing(qtbot, view, lambda: None)
    _listing(qtbot, view, lambda: view.set_team_mode(True))
    # The server is slow to answer the list for Anna on every station...
    slow_asked, slow_answers = threading.Event(), threading.Event()
    original = view_module.team_session_rows

    def rows(conn, station=None, athlete=None):
        if station is None and athlete == "Anna":
            slow_asked.set()
            assert slow_answers.wait(WAIT_MS / 1000)
        return original(conn, station, athlete)

    monkeypatch.setattr(view_module, "team_session_rows", rows)
    view.athlete_filter.setCurrentText("Anna")
    qtbot.waitUntil(slow_asked.is_set, timeout=WAIT_MS)
    slow_job = view._jobs._jobs[-1]
    # ...and the coach has chosen rack2 meanwhile: that list is shown.
    _listing(qtbot, view, lambda: view.station_filter.setCurrentText("rack2"))
    two = two_stations["rack2"]
    assert _listed(view) == [("rack2", two[1], "Anna")]
    # The slower, older answer ends later and is not shown over it.
    with qtbot.waitSignal(slow_job.ended, timeout=WAIT_MS):
        slow_answers.set()
    assert _listed(view) == [("rack2", two[1], "Anna")]
    assert view.station_filter.currentText() == "rack2"


def test_a_refresh_keeps_the_team_session_chosen_when_its_station_id_repeats(
        qtbot, tmp_path, team_server):
    uids = []
    for card in ("old.db", "new.db"):        # rack1's database started again: ids from 1
        with Database(tmp_path / card) as db:
            uids.append(db.get_session(record_session(db, "Anna", 0.5)).uid)
            sync(db, "rack1")
    view = HistoryView(tmp_path / "new.db", team_server="rack1")
    qtbot.addWidget(view)
    _listing(qtbot, view, lambda: None)
    _listing(qtbot, view, lambda: view.set_team_mode(True))
    assert _listed(view) == [("rack1", 1, "Anna")] * 2
    for uid in uids:                         # each of the two, wherever it is listed
        view.table.selectRow(next(i for i in range(view.model.rowCount())
                                  if view.model.row_at(i).uid == uid))
        _listing(qtbot, view, view.refresh)
        assert view.selected_row().uid == uid


def test_a_team_server_that_cannot_be_read_points_to_this_stations_own_sessions(
        qtbot, tmp_path, team_server):
    from backstation.ui.history.view import TEAM_SESSIONS_SHORTCUT

    for view_class in (HistoryView, ProgressView):
        view = view_class(tmp_path / "rack1.db", team_server="nowhere")
        qtbot.addWidget(view)
        with qtbot.waitSignal(view.failed, timeout=WAIT_MS) as failed:
            view.set_team_mode(True)
        assert failed.args[0].startswith("cannot reach the team server 'nowhere': ")
        assert failed.args[0].endswith(f"(this station's own sessions: {TEAM_SESSIONS_SHORTCUT})")
        assert view.banner.text() == failed.args[0]
        view.close()


def test_an_athlete_named_like_html_on_another_station_is_shown_as_written(
        qtbot, tmp_path, team_server):
    from PySide6.QtCore import Qt

    with Database(tmp_path / "rack2.db") as two:
        sid = record_session(two, "<b>Ann</b> & <i>co</i>", 0.5)
        sync(two, "rack2")
    view = HistoryView(tmp_path / "rack1.db", team_server="rack1")
    qtbot.addWidget(view)
    _listing(qtbot, view, lambda: view.set_team_mode(True))
    with qtbot.waitSignal(view.session_opened, timeout=WAIT_MS):
        view.open_session(sid, "rack2")
    assert view.title.text().startswith(f"Session rack2/{sid} — <b>Ann</b> & <i>co</i>")
    for label in (view.title, view.set_summary, view.banner):
        assert label.textFormat() == Qt.TextFormat.PlainText
    view.close()
