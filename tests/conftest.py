"""Test-wide rules: Qt offscreen, and no test may leave a thread behind."""

from __future__ import annotations

import os
import threading
import time

# Must be set before anything imports Qt: with neither this nor DISPLAY, Qt aborts.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

THREAD_GRACE_S = 2.0


@pytest.fixture(autouse=True)
def fresh_simulated_stations():
    """Each test meets sim:// stations at their start: a URL names a station
    that persists across reopen (for reconnect tests), so without this a later
    test would join an earlier one's scenario half-way through."""
    from backstation.device.sim.protocol_sim import clear_registry

    clear_registry()
    yield
    clear_registry()


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    """Fail any test that leaves a thread running (napari's dangling-thread check)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    leaked = []
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        leaked[0].join(timeout=0.05)
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


@pytest.fixture
def main_window(qtbot, tmp_path):
    """The app's main window on a fresh database in ``tmp_path``, its settings
    there too, no serial ports listed; closed after the test."""
    from PySide6.QtCore import QSettings

    from backstation.ui.main_window import MainWindow

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    w = MainWindow(tmp_path / "sessions.db", audio_folder=tmp_path / "cues",
                   port_lister=lambda: [])
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    yield w
    w.close()


@pytest.fixture
def themed(qapp):
    """The app's own theme (fonts, style sheet) as ``backstation`` applies it,
    put back afterwards; request it before a window is made so its fonts follow."""
    from backstation.ui import theme

    font, sheet, palette = qapp.font(), qapp.styleSheet(), qapp.palette()
    style = qapp.style().name()
    theme.apply_theme(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setFont(font)


# The throwaway PostgreSQL server of the team-database tests (one per run, started
# by the first test that asks for it).
from .pg import pg_server  # noqa: E402,F401


@pytest.fixture
def quick_storage_retries(monkeypatch):
    """The session writer's flushes and back-off at four times their pace
    (retries 0.25, 0.5, 1, 2 s): the same doubling, in a test's time."""
    from backstation.storage import writer
    monkeypatch.setattr(writer, "FLUSH_INTERVAL_S", writer.FLUSH_INTERVAL_S / 4)
    monkeypatch.setattr(writer, "MAX_RETRY_INTERVAL_S", writer.MAX_RETRY_INTERVAL_S / 4)
