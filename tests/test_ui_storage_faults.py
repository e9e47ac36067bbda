"""The app rides out storage faults like ``record`` (one policy,
storage/patient.py): a real second sqlite3 connection holds the write lock
(BEGIN IMMEDIATE) across several busy timeouts, then lets go. pytest-qt,
offscreen; every wait is on a condition."""

from __future__ import annotations

import sqlite3

import pytest

from backstation.storage import Database
from backstation.ui.acquisition import AcquisitionController
from backstation.ui.live.live_view import LiveView

WAIT_MS = 30_000
BUSY_TIMEOUT_S = 0.2
pytestmark = pytest.mark.usefixtures("quick_storage_retries")
URL = "sim://?scenario=clean&seed=5&speed=4"


@pytest.fixture
def app(qtbot, tmp_path, request):
    max_unsaved_s = getattr(request, "param", 600.0)
    controller = AcquisitionController(tmp_path / "s.db", busy_timeout_s=BUSY_TIMEOUT_S,
                                       max_unsaved_s=max_unsaved_s)
    view = LiveView(controller)
    qtbot.addWidget(view)
    yield controller, view
    controller.close()


def hold_write_lock(path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    other.execute("BEGIN IMMEDIATE")
    return other


def banner_says(view: LiveView, text: str) -> bool:
    return not view.banner.isHidden() and text in view.banner.text()


def test_a_write_lock_held_past_the_timeout_is_said_in_the_banner_and_loses_nothing(
        qtbot, app, tmp_path):
    controller, view = app
    with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
        controller.connect_to(URL)
    writer = controller.session.writer
    qtbot.waitUntil(lambda: writer.flushes >= 2, timeout=WAIT_MS)
    other = hold_write_lock(tmp_path / "s.db")
    try:
        qtbot.waitUntil(lambda: writer.failures >= 3, timeout=WAIT_MS)  # > 3 busy timeouts
        qtbot.waitUntil(lambda: banner_says(view, "Saving failed"), timeout=WAIT_MS)
        failing = view.banner.text()
        assert "database is locked" in failing and "retrying" in failing
        assert view.banner.property("kind") == "error"
        assert controller.is_connected                   # still recording
    finally:
        other.execute("ROLLBACK")
        other.close()
    qtbot.waitUntil(lambda: banner_says(view, "Saving works again"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.banner.isHidden(), timeout=WAIT_MS)       # and it clears
    assert controller.health().storage_error is None
    with qtbot.waitSignal(controller.disconnected, timeout=WAIT_MS) as ended:
        controller.disconnect()
    result = ended.args[0]
    with Database(tmp_path / "s.db", read_only=True) as db:
        (info,) = db.list_sessions()
        stored = len(db.load_force(info.id))
    assert info.ended_at is not None and info.end_reason is None
    assert stored == info.force_samples == result["stream"]["force_samples"] > 0


@pytest.mark.parametrize("app", [0.5], indirect=True)
def test_past_the_bound_the_app_stops_recording_and_keeps_what_was_saved(qtbot, app, tmp_path):
    controller, view = app
    with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
        controller.connect_to(URL)
    writer = controller.session.writer
    qtbot.waitUntil(lambda: writer.flushes >= 1, timeout=WAIT_MS)
    other = hold_write_lock(tmp_path / "s.db")
    try:
        with qtbot.waitSignal(controller.disconnected, timeout=WAIT_MS):
            pass                                          # it stops on its own
        assert banner_says(view, "recording stopped")
        assert "could not save for" in view.banner.text()
        assert not controller.is_connected
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Database(tmp_path / "s.db") as db:               # ended now, or by this opening
        (info,) = db.list_sessions()
        assert len(db.load_force(info.id)) == info.force_samples > 0
    assert info.end_reason == "interrupted"
