"""Screenshots of the real app window against the simulated station, for the
README and CI: docs/screenshots/live.png (mid-set), history.png and
calibration.png.

    xvfb-run -a -s "-screen 0 1600x900x24" python tools/screenshots.py
    QT_QPA_PLATFORM=offscreen python tools/screenshots.py      # works too

Waits are an event loop with a timeout (never a processEvents() loop).
Exit status 0 when every view was captured.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

WIDTH, HEIGHT = 1600, 900


def wait_until(predicate, timeout_s: float) -> bool:
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(50)
    poll.timeout.connect(lambda: loop.quit() if predicate() else None)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    poll.start()
    if not predicate():
        loop.exec()
    poll.stop()
    return bool(predicate())


def pause(seconds: float) -> None:
    wait_until(lambda: False, seconds)


def save(widget: QWidget, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--speed", type=float, default=4.0,
                        help="simulated scenario seconds per wall second")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="backstation-shots-"))
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(work / "settings"))

    from backstation.ui.main_window import MainWindow
    from backstation.ui.theme import apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0]])
    apply_theme(app)
    window = MainWindow(work / "sessions.db", audio_folder=work / "cues", port_lister=lambda: [])
    window.resize(WIDTH, HEIGHT)
    window.show()
    panel = window.live.connection
    panel.athlete_edit.setText("Alex")
    panel.body_mass.setValue(78.0)
    window.live.set_window(30)
    window.connect_simulated("partial", speed=args.speed)
    reps = window.live.rep_model
    ok = wait_until(lambda: reps.rowCount() >= 6, 120)
    if not ok:
        print("the simulated set did not reach its 6th rep", file=sys.stderr)
    pause(0.6 / args.speed * 4)
    save(window, args.out / "live.png")

    ended = []
    window.controller.disconnected.connect(ended.append)
    window.controller.disconnect()
    wait_until(lambda: bool(ended), 20)
    history = window.history
    if ended and isinstance(ended[0], dict):
        window.tabs.setCurrentWidget(history)
        history.refresh()
        wait_until(lambda: history.model.rowCount() > 0, 20)
        history.open_session(ended[0]["session_id"])
        wait_until(lambda: getattr(history, "current", None) is not None, 20)
        pause(0.5)
        save(window, args.out / "history.png")
    else:
        print("the session was not saved: history.png not taken", file=sys.stderr)
        ok = False

    window.tabs.setCurrentWidget(window.live)
    window.connect_simulated("clean", speed=1.0)
    wait_until(lambda: window.controller.is_connected, 20)
    wizard = window.open_calibration_wizard()
    pause(1.0)
    save(wizard, args.out / "calibration.png")
    wizard.close()
    window.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
