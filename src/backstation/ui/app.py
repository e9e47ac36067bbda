"""``run(args)``: the desktop app, as ``backstation`` and ``backstation --simulate``
start it (cli.py calls this with its argparse namespace)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..device.sim.scenarios import DEFAULT_SCENARIO
from ..link import find_ports
from ..resources import APP_ID, ICON_SVG
from ..storage import StorageError, default_db_path, upgrade
from ..storage.paths import simulated_db_path
from .ending import DISPLAY_LOST, EXIT_DISPLAY_LOST, AppEnding, x11_connection_fd


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
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow
    from .theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Back Station")
    # The launcher's id (Wayland's app id, so the dock shows its icon) and the icon.
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(QIcon(str(ICON_SVG)))
    apply_theme(app)
    db_path = app_db_path(args)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        upgrade(db_path)       # History and Progress read it read-only
        problem = None
    except StorageError as exc:
        problem = str(exc)
    window = MainWindow(db_path)
    ending = AppEnding(_close_request(window), display_fd=x11_connection_fd(app))
    ending.install()
    window.show()
    if problem is not None:
        window.show_message(problem, "error")
    elif getattr(args, "simulate", False) and not getattr(args, "db", None):
        window.show_message(f"Simulated station: its sessions go to {db_path.name}, "
                            "apart from training")
    start_connection(window, args)
    code = app.exec()
    if window.has_shut_down:
        # Closed (by the user or a signal): the bound covers the threads' exit too.
        ending.begin("closed", int(code), quiet=True)
    else:
        # The event loop ended under the window: Qt's xcb plugin does that when
        # the X server goes away (code 1), and no close event comes.
        ending.begin(DISPLAY_LOST, EXIT_DISPLAY_LOST)
        window.shut_down()
    return ending.code


def app_db_path(args) -> Path:
    """``--db``, else with ``--simulate`` the simulated station's own database
    (practice never mixes with training in History and Progress), else the
    station's."""
    db = getattr(args, "db", None)
    if db:
        return Path(db)
    return simulated_db_path() if getattr(args, "simulate", False) else default_db_path()


def _close_request(window):
    """``window.close`` on the GUI thread, callable from the ending's watchdog
    thread (a queued signal)."""
    from PySide6.QtCore import QObject, Qt, Signal

    class CloseRequest(QObject):
        requested = Signal()

    request = CloseRequest(window)
    request.requested.connect(window.close, Qt.QueuedConnection)
    return request.requested.emit


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
            window.show_message(
                "No station plugged in: the simulated station is selected — press Connect")
