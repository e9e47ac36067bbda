"""AcquisitionController and its threads, without a window."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from backstation.device.sim import protocol_sim
from backstation.samples import ForceBlock
from backstation.storage import Database, StorageError
from backstation.storage.patient import PatientWriter
from backstation.ui.acquisition import AcquisitionController
from backstation.storage.threaded_writer import ThreadedWriter

WAIT_MS = 20_000


@pytest.fixture(autouse=True)
def fresh_simulators():
    yield
    protocol_sim.clear_registry()


@pytest.fixture
def controller(qtbot, tmp_path):
    c = AcquisitionController(tmp_path / "s.db")
    yield c
    c.close()


def test_a_port_that_does_not_exist_fails_with_the_link_message(qtbot, controller):
    with qtbot.waitSignal(controller.connection_failed, timeout=WAIT_MS) as failed:
        controller.connect_to("/dev/ttyDOES-NOT-EXIST")
    assert "/dev/ttyDOES-NOT-EXIST" in failed.args[0]
    assert not controller.is_connected


def test_connect_does_not_block_the_gui_thread(qtbot, tmp_path):
    """The port opens slowly (until the GUI thread has run a timer five times,
    at most 5 s): the GUI keeps processing events while it waits."""
    from PySide6.QtCore import QTimer

    from backstation.link import DeviceLink

    ticks: list[int] = []
    released = threading.Event()
    ticks_when_opened: list[int] = []

    class SlowToOpen(DeviceLink):
        def open(self) -> None:
            released.wait(5.0)
            ticks_when_opened.append(len(ticks))
            super().open()

    def tick() -> None:
        ticks.append(1)
        if len(ticks) >= 5:
            released.set()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    controller = AcquisitionController(tmp_path / "s.db", link_factory=SlowToOpen)
    try:
        with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
            controller.connect_to("sim://?scenario=clean&seed=3&speed=10")
        timer.stop()
        assert ticks_when_opened and ticks_when_opened[0] >= 5
        names = [t.name for t in threading.enumerate()]
        assert "backstation-commands" in names
        assert any(n.startswith("backstation-storage") for n in names)
        assert any(n.startswith("backstation-link") for n in names)
    finally:
        controller.close()


def test_close_while_connecting_leaves_no_session_open_and_no_thread(qtbot, tmp_path):
    """close() while the command thread is still opening (the session row made,
    the link starting, the GUI not told yet): that session is ended in the
    database, and no thread is left."""
    from backstation.link import DeviceLink

    starting, release = threading.Event(), threading.Event()

    class HeldAtStart(DeviceLink):
        def start(self) -> None:
            starting.set()
            release.wait(5.0)
            super().start()

    path = tmp_path / "s.db"
    controller = AcquisitionController(path, link_factory=HeldAtStart)
    controller.connect_to("sim://?scenario=clean&seed=4&speed=10")
    qtbot.waitUntil(starting.is_set, timeout=WAIT_MS)
    release.set()
    controller.close()
    assert not controller.is_connected
    names = [t.name for t in threading.enumerate()]
    assert not any(n.startswith("backstation") for n in names)
    with Database(path, read_only=True) as db:
        sessions = db.list_sessions()
    assert len(sessions) == 1 and sessions[0].ended_at is not None


def test_calibration_commands_report_their_results(qtbot, controller):
    with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
        controller.connect_to("sim://?scenario=clean&seed=5&speed=10")
    qtbot.waitUntil(lambda: controller.latest_force_n() is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(controller.command_finished, timeout=WAIT_MS) as done:
        controller.tare(0)
    assert done.args[0] == "tare" and list(done.args[1]) == [0]
    with qtbot.waitSignal(controller.command_failed, timeout=WAIT_MS) as failed:
        controller.calibrate(7, 10_000)
    assert failed.args[0] == "calibrate"
    assert len(controller.recent_gaps_mm(1.0)) > 0


class _FailingWriter(PatientWriter):
    """A disk that is full until ``healed``."""

    healed = False

    def _write_all(self) -> None:
        if not self.healed:
            raise StorageError("disk full")
        super()._write_all()


def test_a_failed_flush_is_reported_and_the_samples_are_written_later(tmp_path):
    errors: list[str] = []
    db = Database(tmp_path / "w.db")
    sid = db.create_session()
    inner: list[_FailingWriter] = []

    def make(d, s, **kw):
        inner.append(_FailingWriter(d, s, **kw))
        return inner[0]

    # Past a short bound the final flush gives up (the policy of storage/patient.py).
    writer = ThreadedWriter(db, sid, on_error=errors.append, inner_factory=make,
                            max_unsaved_s=0.5)
    block = ForceBlock(np.arange(10, dtype=np.uint16), np.arange(10, dtype=np.int64) * 12_500,
                       np.zeros((10, 2), np.int32), np.zeros(10))
    writer.add_force(block)
    with pytest.raises(StorageError):
        writer.finish()
    assert any("disk full" in e for e in errors)
    inner[0].healed = True
    writer.close()
    assert len(db.load_force(sid)) == 10
    db.close()
