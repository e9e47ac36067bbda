"""The session browser and progress charts against sessions recorded through
the real pipeline (the simulated station, faster than real time)."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from backstation.export import export_session
from backstation.replay import Replay
from backstation.storage import Database
from backstation.storage.records import CONTACT_EVENT
from backstation.ui.history import HistoryView, ProgressView, SessionTableModel
from backstation.ui.history.rep_model import rep_result
from backstation.vocabulary import reason_text

from .e2e import record_in_process

WAIT_MS = 15_000


@pytest.fixture(scope="module")
def recorded_db(tmp_path_factory):
    """One partial-scenario session (valid reps and no-reps) for athlete Ada."""
    path = tmp_path_factory.mktemp("hist") / "s.db"
    live = record_in_process(path, "sim://?scenario=partial&seed=4&speed=40", 2.5,
                             athlete="Ada", body_mass_kg=62.0)
    return path, live["session_id"]


@pytest.fixture
def db_copy(recorded_db, tmp_path):
    path, session_id = recorded_db
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    return copy, session_id


def _history(qtbot, path) -> HistoryView:
    view = HistoryView(path)
    qtbot.addWidget(view)
    return view


def _wait_listed(qtbot, view: HistoryView) -> None:
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and view.busy.isHidden(),
                    timeout=WAIT_MS)


def test_history_lists_the_recorded_session_with_its_counts(qtbot, recorded_db):
    path, session_id = recorded_db
    view = _history(qtbot, path)
    _wait_listed(qtbot, view)
    with Database(path) as db:
        sets = db.sets(session_id)
        info = db.get_session(session_id)
    row = view.model.row_at(0)
    assert row.session_id == session_id and row.athlete == "Ada"
    assert row.sets == len(sets) and row.valid_reps == sum(s.valid_reps for s in sets)
    assert row.no_reps == sum(s.no_reps for s in sets) > 0
    assert row.device.startswith(info.device_id)
    shown = [view.model.index(0, c).data() for c in range(view.model.columnCount())]
    assert "Ada" in shown and str(row.valid_reps) in shown
    assert view.model.index(0, 0).data(SessionTableModel.SESSION_ID_ROLE) == session_id
    view.close()


def test_opening_a_session_plots_its_curves_and_shows_the_stored_reps(qtbot, recorded_db):
    path, session_id = recorded_db
    view = _history(qtbot, path)
    _wait_listed(qtbot, view)
    with qtbot.waitSignal(view.session_opened, timeout=WAIT_MS) as opened:
        view.open_session(session_id)
    assert opened.args == [session_id]
    with Database(path) as db:
        reps = db.reps(session_id)
        force = db.load_force(session_id)
    x, y = view.plot.curves["total"].getOriginalDataset()
    assert len(x) == len(force) > 0
    assert np.nanmax(view.current.total_n) > 300       # a pull, in newtons
    _, gap = view.plot.curves["gap"].getOriginalDataset()
    assert gap is not None and np.nanmin(gap) < 50      # the chest came close
    assert [view.rep_model.rep_at(i) for i in range(view.rep_model.rowCount())] == reps
    results = [view.rep_model.index(i, 2).data() for i in range(view.rep_model.rowCount())]
    assert results == [rep_result(r) for r in reps]
    assert any(r.startswith("✗ ") for r in results)
    # a shaded span and a label per rep, plus the contact line and contact spans
    assert view.plot.marker_count() >= 2 * len(reps) + 1
    assert "Set 1:" in view.set_summary.text()
    view.close()


def test_delete_after_confirmation_removes_the_session_and_its_samples(qtbot, db_copy,
                                                                       monkeypatch):
    path, session_id = db_copy
    asked = []

    def confirm(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes
    monkeypatch.setattr(QMessageBox, "question", confirm)
    view = _history(qtbot, path)
    _wait_listed(qtbot, view)
    with qtbot.waitSignal(view.session_opened, timeout=WAIT_MS):
        view.table.selectRow(0)
    with qtbot.waitSignal(view.session_deleted, timeout=WAIT_MS):
        view.delete_button.click()
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=WAIT_MS)
    assert asked and "Ada" in asked[0]
    assert view.current is None
    with Database(path) as db:
        assert db.list_sessions() == []
        conn = db._conn                                   # noqa: SLF001 - check the cascade
        for table in ("force_chunks", "distance_chunks", "reps", "sets", "calibrations"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    view.close()


def test_declining_the_confirmation_keeps_the_session(qtbot, db_copy, monkeypatch):
    path, session_id = db_copy
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.No)
    view = _history(qtbot, path)
    _wait_listed(qtbot, view)
    view.delete_session(session_id)
    assert view.busy.isHidden()
    with Database(path) as db:
        assert [s.id for s in db.list_sessions()] == [session_id]
    view.close()


def test_a_damaged_database_gives_a_message_not_a_traceback(qtbot, tmp_path):
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a database at all" * 100)
    view = _history(qtbot, path)
    with qtbot.waitSignal(view.failed, timeout=WAIT_MS) as failed:
        pass
    assert "not a Back Station database" in failed.args[0]
    assert not view.banner.isHidden() and "Traceback" not in view.banner.text()
    assert path.read_bytes() == b"this is not a database at all" * 100
    view.close()


def test_refresh_shows_a_session_recorded_after_the_view_opened(qtbot, db_copy):
    path, session_id = db_copy
    view = _history(qtbot, path)
    _wait_listed(qtbot, view)
    with Database(path) as db:
        new_id = db.create_session(athlete=db.get_athlete("Ada"), device_id="4A19669B")
    with qtbot.waitSignal(view.sessions_listed, timeout=WAIT_MS) as listed:
        view.refresh()
    assert listed.args == [2]
    assert view.model.row_at(0).session_id == new_id     # newest first
    view.close()


def _earlier_copy(db: Database, session_id: int, weeks: int) -> int:
    """The same judged sets stored as a session ``weeks`` earlier."""
    info = db.get_session(session_id)
    started = datetime.fromisoformat(info.started_at) - timedelta(weeks=weeks)
    new_id = db.create_session(started_at=started.astimezone(timezone.utc),
                               athlete=db.get_athlete("Ada"), body_mass_kg=info.body_mass_kg,
                               port=info.port)
    for s in db.sets(session_id):
        db.save_set(replace(s, session_id=new_id))
    for r in db.reps(session_id):
        db.save_rep(replace(r, session_id=new_id, peak_force_n=(r.peak_force_n or 0) - 10 * weeks))
    return new_id


def test_progress_charts_have_a_point_per_set_and_session_for_the_athlete(qtbot, db_copy):
    path, session_id = db_copy
    with Database(path) as db:
        for weeks in (1, 2):
            _earlier_copy(db, session_id, weeks)
        db.get_or_create_athlete("Bo", 80.0)
        sets_per_session = len(db.sets(session_id))
        best_now = max(r.peak_force_n for r in db.reps(session_id) if r.valid)
    view = ProgressView(path)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.progress is not None and view.progress.athlete == "Ada",
                    timeout=WAIT_MS)
    assert view.athlete_combo.count() == 2
    assert view.point_count("valid_reps") == 3 * sets_per_session
    assert view.point_count("velocity_loss") == 3 * sets_per_session
    assert view.point_count("peak_n") == 3 and view.point_count("peak_pct_bm") == 3
    x, y = view.curves["peak_n"].getOriginalDataset()
    assert list(np.diff(x) > 0) == [True, True]           # weeks, in order
    assert y[-1] == pytest.approx(best_now)
    assert y[0] == pytest.approx(best_now - 20)
    _, pct = view.curves["peak_pct_bm"].getOriginalDataset()
    assert pct[-1] == pytest.approx(100 * best_now / (62.0 * 9.80665))
    with qtbot.waitSignal(view.progress_shown, timeout=WAIT_MS):
        view.show_athlete("Bo")
    assert view.point_count("valid_reps") == 0 and not view.banner.isHidden()
    view.close()


def test_progress_charts_real_training_rows_only_and_practice_only_when_there_is_no_other(
        qtbot, db_copy):
    """The recorded session is the simulated station's (practice); a shrug set
    is another exercise: neither is charted beside the athlete's real rows."""
    from backstation.exercises import MID_BACK_SHRUG
    from backstation.progress import athlete_progress
    path, session_id = db_copy
    with Database(path) as db:
        practice = athlete_progress(db, "Ada")
        assert practice.simulated and len(practice.sets) == len(db.sets(session_id))
        real = _earlier_copy(db, session_id, 1)
        db._conn.execute("UPDATE sessions SET port = '/dev/ttyACM0' WHERE id = ?", (real,))
        shrug = replace(db.sets(real)[0], set_index=99, exercise=MID_BACK_SHRUG,
                        valid_reps=10)
        db.save_set(shrug)
        db.save_rep(replace(db.reps(real)[0], set_index=99, rep_index=1, peak_force_n=5000.0))
        training = athlete_progress(db, "ada")
        assert not training.simulated
        assert {p.session_id for p in training.sets} == {real}
        assert 99 not in {p.set_index for p in training.sets}
        assert len(training.sessions) == 1 and training.sessions[0].best_peak_force_n < 5000
    view = ProgressView(path)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.progress is not None and view.progress.athlete == "Ada",
                    timeout=WAIT_MS)
    assert view.banner.isHidden() or not view.banner.text()
    view.close()


def _open(qtbot, path, session_id) -> HistoryView:
    view = _history(qtbot, path)
    view.resize(1400, 850)
    view.show()
    qtbot.waitExposed(view)
    _wait_listed(qtbot, view)
    with qtbot.waitSignal(view.session_opened, timeout=WAIT_MS):
        view.open_session(session_id)
    return view


def _overlapping(boxes) -> list:
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]]


def test_rep_labels_are_short_and_never_overlap_even_in_a_dense_session(qtbot, recorded_db):
    path, session_id = recorded_db
    view = _open(qtbot, path, session_id)
    plot = view.plot
    assert [text.toPlainText() for _, text in plot._labels] == [
        f"{r.rep_index} {'✓' if r.valid else '✗'}" for r in view.current.reps]
    no_rep = next(i for i, r in enumerate(view.current.reps) if r.valid is False)
    assert "chest did not touch" in plot._labels[no_rep][1].toolTip()
    assert not _overlapping(plot.labels_shown())
    assert len(plot.labels_shown()) == len(view.current.reps)   # a normal set: all shown

    # An hour-long session's worth of 1.2 s reps, shown whole: some labels
    # must give way, and those shown still never touch.
    base = view.current.reps[0]
    step_us = 1_200_000
    dense = [replace(base, rep_index=i + 1, t_start_us=base.t_start_us + i * step_us,
                     t_end_us=base.t_start_us + i * step_us + step_us - 100_000)
             for i in range(300)]
    plot.show_session(replace(view.current, reps=dense))
    plot.force_plot.setXRange(0, 300 * 1.2, padding=0)
    assert 0 < len(plot.labels_shown()) < len(dense)
    # A label's place on screen follows the zoom when it is next painted.
    qtbot.waitUntil(lambda: not _overlapping(plot.labels_shown()), timeout=2000)
    # Zoomed in on a few reps, each of them has its label again.
    t0_s = (base.t_start_us - view.current.t0_us) / 1e6
    plot.force_plot.setXRange(t0_s, t0_s + 6 * 1.2, padding=0)
    assert all(text.isVisible() for _, text in plot._labels[:5])
    qtbot.waitUntil(lambda: not _overlapping(plot.labels_shown()), timeout=2000)
    view.close()


def test_contact_threshold_label_is_inside_the_gap_plot(qtbot, recorded_db):
    path, session_id = recorded_db
    view = _open(qtbot, path, session_id)
    line = next(item for _, item in view.plot._markers if hasattr(item, "label"))
    label = line.label.mapRectToScene(line.label.boundingRect())
    box = view.plot.gap_plot.getViewBox().sceneBoundingRect()
    assert "contact" in line.label.toPlainText()
    assert box.left() <= label.left() and label.right() <= box.right()
    view.close()


def test_session_list_shows_its_columns_whole_and_the_rep_table_shares_the_width(
        qtbot, recorded_db):
    path, session_id = recorded_db
    view = _open(qtbot, path, session_id)
    table = view.table
    shown = [view.model.headerData(c, Qt.Orientation.Horizontal)
             for c in range(view.model.columnCount()) if not table.isColumnHidden(c)]
    assert shown == ["Date", "Athlete", "Sets", "Valid", "No-reps", "Duration"]
    for c in range(view.model.columnCount()):
        if not table.isColumnHidden(c):
            assert table.columnWidth(c) >= table.sizeHintForColumn(c)
    assert table.horizontalScrollBar().maximum() == 0
    reps = view.rep_table
    spare = [reps.columnWidth(c) - max(reps.sizeHintForColumn(c),
                                       reps.horizontalHeader().sectionSizeHint(c))
             for c in range(view.rep_model.columnCount())]
    assert min(spare) >= 0 and max(spare) - min(spare) <= 1      # no one column hogs it
    assert reps.horizontalScrollBar().maximum() == 0
    view.close()


def test_history_shows_the_stored_contacts_not_a_re_analysis(qtbot, db_copy):
    """The plot's contact spans are the ones stored live, as the CSV export flags
    them, even where judging the samples again would find others."""
    path, session_id = db_copy
    with Database(path) as db:
        replayed = Replay(db, session_id).contact_intervals_us()
        force = db.load_force(session_id)
        t_us = force.t_device_us
        start_us, end_us = int(t_us[len(t_us) // 4]), int(t_us[len(t_us) // 4 + 7])
    conn = sqlite3.connect(path)                 # what a re-analysis would not find
    with conn:
        conn.execute("DELETE FROM events WHERE session_id = ? AND kind = ?",
                     (session_id, CONTACT_EVENT))
    conn.close()
    with Database(path) as db:
        db.add_event(session_id, CONTACT_EVENT, "on", t_host_s=0.0, t_device_us=start_us)
        db.add_event(session_id, CONTACT_EVENT, "off", t_host_s=0.0, t_device_us=end_us)
        samples_path, *_ = export_session(db, session_id, path.parent / "csv")
    assert len(replayed) > 1                    # a re-analysis finds the session's own
    view = _history(qtbot, path)
    _wait_listed(qtbot, view)
    with qtbot.waitSignal(view.session_opened, timeout=WAIT_MS):
        view.open_session(session_id)
    t0_us = view.current.t0_us
    assert view.current.contacts_s == [((start_us - t0_us) / 1e6, (end_us - t0_us) / 1e6)]
    with open(samples_path, newline="") as f:
        flagged = [float(row["t_s"]) for row in csv.DictReader(f) if row["contact"] == "1"]
    assert flagged[0] == pytest.approx(view.current.contacts_s[0][0], abs=1e-6)
    assert flagged[-1] < view.current.contacts_s[0][1]
    view.close()


def _reopened(qtbot, view, click) -> None:
    """Click a correction button and wait for the session to be shown again."""
    with qtbot.waitSignal(view.session_opened, timeout=WAIT_MS):
        click()
    qtbot.waitUntil(lambda: view.busy.isHidden(), timeout=WAIT_MS)


def test_a_session_is_filed_under_another_athlete_and_progress_follows(qtbot, db_copy):
    path, session_id = db_copy
    with Database(path) as db:
        db.add_athlete("Bo & Co", body_mass_kg=80)
    view = _open(qtbot, path, session_id)
    assert view.correct_button.isEnabled()                  # no rep need be chosen
    view.athlete_menu.aboutToShow.emit()
    choices = {a.text(): a for a in view.athlete_menu.actions()}
    assert set(choices) == {"Ada", "Bo && Co", "(no athlete)"} and choices["Ada"].isChecked()
    _reopened(qtbot, view, choices["Bo && Co"].trigger)
    assert view.current.info.athlete_name == "Bo & Co"
    with Database(path, read_only=True) as db:
        info = db.get_session(session_id)
        assert (info.athlete_name, info.body_mass_kg) == ("Bo & Co", 62.0)   # as judged
    progress = ProgressView(path)
    qtbot.addWidget(progress)
    qtbot.waitUntil(lambda: progress.athlete_combo.count() == 2, timeout=WAIT_MS)
    progress.show_athlete("Bo & Co")
    qtbot.waitUntil(lambda: progress.progress is not None
                    and progress.progress.athlete == "Bo & Co", timeout=WAIT_MS)
    assert progress.point_count("peak_n") == 1
    view.close()
    progress.close()


def test_a_coach_overrules_a_verdict_deletes_a_set_and_undoes_it_all(qtbot, db_copy, tmp_path):
    path, session_id = db_copy
    view = _open(qtbot, path, session_id)
    actions, undo = view.correction_actions, view.undo_button
    assert not undo.isEnabled()
    assert not any(a.isEnabled() for a in actions.values())           # no rep chosen
    judged = [(r.set_index, r.rep_index, r.valid, r.reason) for r in view.current.reps]
    listed_valid = view.model.row_at(0).valid_reps
    row = next(i for i, r in enumerate(view.current.reps) if r.valid is False)
    set_index, rep_index, _, reason = judged[row]
    view.rep_table.selectRow(row)
    assert view.correct_button.isEnabled()
    assert actions["valid"].isEnabled() and not actions["no_rep"].isEnabled()

    _reopened(qtbot, view, actions["valid"].trigger)
    rep = view.current.reps[row]
    assert (rep.set_index, rep.rep_index, rep.valid) == (set_index, rep_index, True)
    assert rep_result(rep) == f"✓ valid by the coach (judged: {reason_text(reason)})"
    assert view.rep_table.currentIndex().row() == row        # the coach's place is kept
    assert f"Set {set_index} (corrected by the coach)" in view.set_summary.text()
    qtbot.waitUntil(lambda: view.model.row_at(0).valid_reps == listed_valid + 1, timeout=WAIT_MS)
    assert undo.isEnabled() and not actions["valid"].isEnabled()
    with Database(path, read_only=True) as db:
        export_session(db, session_id, tmp_path / "out")
    with open(tmp_path / "out" / "reps.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    corrected = [r for r in rows if r["corrected"] == "1"]
    assert [(r["set"], r["rep"], r["valid"], r["judged_valid"], r["judged_reason"])
            for r in corrected] == [(str(set_index), str(rep_index), "1", "0", reason)]
    with open(tmp_path / "out" / "sets.csv", newline="") as f:
        sets = {r["set"]: r for r in csv.DictReader(f)}
    assert sets[str(set_index)]["corrected"] == "1"
    assert sum(int(r["valid_reps"]) for r in sets.values()) == listed_valid + 1

    _reopened(qtbot, view, actions["delete_set"].trigger)
    assert all(r.set_index != set_index for r in view.current.reps)
    _reopened(qtbot, view, undo.click)
    assert any(r.set_index == set_index for r in view.current.reps)
    _reopened(qtbot, view, undo.click)
    assert [(r.set_index, r.rep_index, r.valid, r.reason) for r in view.current.reps] == judged
    assert not undo.isEnabled()
    qtbot.waitUntil(lambda: view.model.row_at(0).valid_reps == listed_valid, timeout=WAIT_MS)
    with Database(path) as db:
        assert db.corrections(session_id) == []
    view.close()
