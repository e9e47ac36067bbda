"""``run(args)``: the desktop app, as ``backstation`` and ``backstation --simulate``
start it (cli.py calls this with its argparse namespace)."""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from ..device.sim.scenarios import DEFAULT_SCENARIO
from ..link import find_ports
from ..storage import default_db_path

SIGNAL_WAKE_MS = 250


def run(args) -> int:
    """``args`` needs ``simulate``, ``scenario``, ``port`` and ``db`` (any may be missing).

    With --simulate it connects at once to the simulated station; with --port
    to that port; otherwise to the first likely station, or, with none found,
    it selects the simulated station and waits for the user to press Connect.
    """
    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        # Qt would abort; say what to do instead.
        print("backstation: no display (DISPLAY is not set); run it on a desktop, "
              "under xvfb-run, or use `backstation monitor` for a text readout", file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow
    from .theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Back Station")
    apply_theme(app)
    db = getattr(args, "db", None)
    db_path = Path(db) if db else default_db_path()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    window = MainWindow(db_path)
    window.show()
    start_connection(window, args)
    with _close_on_signals(window):
        code = app.exec()
    return int(code)


@contextmanager
def _close_on_signals(window):
    """Ctrl-C in the terminal, or SIGTERM at shutdown, closes the window the
    normal way, so the session is finished and saved rather than cut off.
    Python runs signal handlers only between bytecodes, so a timer wakes the
    interpreter out of Qt's event loop a few times a second."""
    from PySide6.QtCore import QTimer

    previous = {sig: signal.signal(sig, lambda *_: QTimer.singleShot(0, window.close))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(SIGNAL_WAKE_MS)
    try:
        yield
    finally:
        wake.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def start_connection(window, args) -> None:
    scenario = getattr(args, "scenario", None) or DEFAULT_SCENARIO
    port = getattr(args, "port", None)
    if getattr(args, "simulate", False):
        window.connect_simulated(scenario)
    elif port:
        window.connect_to(port)
    else:
        stations = [p for p in find_ports() if p.likely_station]
        if stations:
            window.connect_to(stations[0].device)
        else:
            window.live.connection.select_simulated(scenario)
            window.statusBar().showMessage(
                "No station plugged in: the simulated station is selected — press Connect")
