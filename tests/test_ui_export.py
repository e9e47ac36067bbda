"""Exporting from the app writes what ``backstation export`` writes; a
cancelled or failed export leaves no file and a message, never a crash."""

from __future__ import annotations


import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton

from backstation.export import export_session
from backstation.storage import Database
from backstation.ui.export_dialog import ExportRun, export_folder, export_with_dialog
from backstation.ui.history import HistoryView

from .e2e import record_in_process

WAIT_MS = 15_000


@pytest.fixture(scope="module")
def recorded_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("exp") / "s.db"
    live = record_in_process(path, "sim://?scenario=clean&seed=2&speed=50", 2.0,
                             athlete="Cy", body_mass_kg=70.0)
    return path, live["session_id"]


@pytest.fixture
def reference(recorded_db, tmp_path):
    """The files the command-line export writes."""
    path, session_id = recorded_db
    with Database(path) as db:
        return tuple(p.read_bytes() for p in export_session(db, session_id, tmp_path / "cli"))


def _finish(run: ExportRun) -> None:
    run.shutdown()
    if run.message_box is not None:
        run.message_box.close()


def test_export_writes_the_same_files_as_the_command_line(qtbot, recorded_db, reference,
                                                          tmp_path):
    path, session_id = recorded_db
    out = tmp_path / "app"
    out.mkdir()
    run = export_with_dialog(None, path, session_id, out_dir=out)
    with qtbot.waitSignal(run.exported, timeout=WAIT_MS) as done:
        pass
    samples, reps, sets = done.args[0]
    assert samples.parent == export_folder(out, session_id)
    assert tuple(p.read_bytes() for p in (samples, reps, sets)) == reference
    assert sorted(p.name for p in samples.parent.iterdir()) == ["reps.csv", "samples.csv",
                                                                "sets.csv"]
    assert run.message_box is not None and str(samples.parent) in run.message_box.text()
    _finish(run)


def test_the_folder_comes_from_the_file_dialog_and_none_chosen_exports_nothing(
        qtbot, recorded_db, tmp_path, monkeypatch):
    path, session_id = recorded_db
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")
    assert export_with_dialog(None, path, session_id) is None
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    run = export_with_dialog(None, path, session_id)
    with qtbot.waitSignal(run.exported, timeout=WAIT_MS):
        pass
    assert (export_folder(tmp_path, session_id) / "samples.csv").exists()
    _finish(run)


def test_cancelling_leaves_no_partial_file(qtbot, recorded_db, tmp_path):
    path, session_id = recorded_db
    run = ExportRun(None, path, session_id, tmp_path)
    # The dialog's Cancel button, pressed before the first block of rows is written.
    run.progress.findChild(QPushButton).click()
    with qtbot.waitSignal(run.export_cancelled, timeout=WAIT_MS):
        run.start()
    assert list(tmp_path.iterdir()) == []
    _finish(run)


def test_cancelling_mid_export_removes_the_rows_already_written(qtbot, recorded_db, tmp_path,
                                                               monkeypatch):
    path, session_id = recorded_db
    monkeypatch.setattr("backstation.export.ROWS_PER_BLOCK", 200)
    run = ExportRun(None, path, session_id, tmp_path)
    fractions = []
    # Direct: runs on the worker as the first block is reported, so the
    # cancel lands mid-file, after rows were written to the partial file.
    run.progressed.connect(lambda f: (fractions.append(f), run.cancel()),
                           Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(run.export_cancelled, timeout=WAIT_MS):
        run.start()
    assert len(fractions) == 1 and 0 < fractions[0] < 1
    assert list(tmp_path.iterdir()) == []
    _finish(run)


def test_a_folder_that_cannot_be_written_gives_a_message_and_keeps_the_session(
        qtbot, recorded_db, tmp_path):
    path, session_id = recorded_db
    with Database(path) as db:
        before = (db.get_session(session_id), db.reps(session_id))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    run = export_with_dialog(None, path, session_id, out_dir=blocker)
    with qtbot.waitSignal(run.export_failed, timeout=WAIT_MS) as failed:
        pass
    assert "not-a-folder" in run.message_box.text() and "unchanged" in run.message_box.text()
    assert run.message_box.icon() == QMessageBox.Icon.Warning
    assert not run.message_box.isModal()
    assert failed.args[0]
    assert blocker.read_text() == "a file where the folder should be"
    with Database(path) as db:
        assert (db.get_session(session_id), db.reps(session_id)) == before
    _finish(run)


def test_history_export_button_exports_the_selected_session(qtbot, recorded_db, reference,
                                                            tmp_path, monkeypatch):
    path, session_id = recorded_db
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    view = HistoryView(path)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=WAIT_MS)
    view.table.selectRow(0)
    view.export_button.click()
    with qtbot.waitSignal(view.export_run.exported, timeout=WAIT_MS) as done:
        pass
    assert tuple(p.read_bytes() for p in done.args[0]) == reference
    view.export_run.message_box.close()
    view.close()
