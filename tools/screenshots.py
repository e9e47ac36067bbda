"""Screenshots of the real app window against the simulated station, at the
screen sizes people put beside a rack: for each size, an Xvfb screen of that
size, the app opened maximised as a user would and the screen grabbed:
live-WxH.png (mid-set), rack-WxH.png (rack mode), history-WxH.png,
correction-WxH.png (History, a no-rep the coach counted), progress-WxH.png,
calibration-WxH.png and workout-WxH.png (the article's workout, resting after
its first set of rows).

    python tools/screenshots.py                         # into build/screenshots (ignored; CI)
    python tools/screenshots.py --out docs/screenshots  # refresh the README's screenshots
    python tools/screenshots.py --size 800x480          # one size only

Each size runs in its own process under ``xvfb-run`` (the parent starts them);
``--screen WxH`` is that child, run inside an X server of that size.
Waits are an event loop with a timeout (never a processEvents() loop).
Exit status 0 when every view was captured at every size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = ("800x480", "1024x600", "1366x768", "1920x1080")
DEFAULT_OUT = ROOT / "build" / "screenshots"


def run_sizes(sizes: list[str], out: Path, speed: float) -> int:
    failed = []
    for size in sizes:
        command = ["xvfb-run", "-a", "-s", f"-screen 0 {size}x24", sys.executable,
                   str(Path(__file__).resolve()), "--screen", size, "--out", str(out),
                   "--speed", str(speed)]
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(size)
    if failed:
        print(f"screenshots failed at {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def shoot(size: str, out: Path, speed: float, work: Path) -> int:
    """Shoot every view at one size; the app's database and settings go in *work*."""
    sys.path.insert(0, str(ROOT / "src"))
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

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

    def save(name: str) -> None:
        pause(0.4)
        path = out / f"{name}-{size}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        screen = QApplication.primaryScreen()
        if not screen.grabWindow(0).save(str(path)):
            raise SystemExit(f"could not write {path}")
        print(f"wrote {path}")

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(work / "settings"))

    from backstation.ui.main_window import MainWindow
    from backstation.ui.theme import apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0]])
    apply_theme(app)
    window = MainWindow(work / "sessions.db", audio_folder=work / "cues", port_lister=lambda: [])
    # Maximised, as on a rack's screen (Xvfb has no window manager to do it).
    window.setGeometry(app.primaryScreen().availableGeometry())
    window.show()
    panel = window.live.connection
    panel.set_athlete("Alex", 78.0)
    window.live.set_window(30)
    window.connect_simulated("partial", speed=speed)
    reps = window.live.rep_model
    ok = wait_until(lambda: reps.rowCount() >= 6, 120)
    if not ok:
        print("the simulated set did not reach its 6th rep", file=sys.stderr)
    pause(0.6)
    window.controller.tare()          # its answer shows where the coach looks
    pause(0.4)
    save("live")
    window.toast.hide()               # shown in live-*.png; the other views without it
    window.live.set_rack_mode(True)
    save("rack")
    window.live.set_rack_mode(False)

    ended = []
    window.controller.disconnected.connect(ended.append)
    window.controller.disconnect()
    ok = wait_until(lambda: bool(ended), 20) and ok
    history = window.history
    if ended and isinstance(ended[0], dict):
        window.tabs.setCurrentWidget(history)
        history.refresh()
        wait_until(lambda: history.model.rowCount() > 0, 20)
        history.open_session(ended[0]["session_id"])
        wait_until(lambda: history.current is not None, 20)
        window.toast.hide()
        save("history")
        no_rep = next((i for i, r in enumerate(history.current.reps) if r.valid is False), None)
        if no_rep is not None:
            history.rep_table.selectRow(no_rep)
            opened = []
            history.session_opened.connect(opened.append)
            history.correct("valid")
            wait_until(lambda: bool(opened) and history.busy.isHidden(), 20)
            history.rep_table.selectRow(no_rep)
            save("correction")
        progress = window.progress
        window.tabs.setCurrentWidget(progress)
        wait_until(lambda: progress.progress is not None, 20)
        save("progress")
    else:
        ok = False
        print("no session ended: history and progress skipped", file=sys.stderr)

    window.tabs.setCurrentWidget(window.live)
    window.connect_simulated("clean", speed=1.0)
    wait_until(lambda: window.controller.is_connected, 20)
    wizard = window.open_calibration_wizard()
    pause(1.0)
    window.toast.hide()
    save("calibration")
    wizard.close()

    from backstation.workout import ROW_LEVELS, article_workout
    window.connect_simulated("upper-back-workout", speed=speed)
    wait_until(lambda: window.controller.session is not None, 20)
    window.live.workout.start(article_workout(ROW_LEVELS[1]))
    walker = window.live.workout.walker
    if not wait_until(lambda: walker.done and window.live.counter.resting, 180):
        ok = False
        print("the workout's first set did not end", file=sys.stderr)
    pause(2.0)
    window.toast.hide()
    save("workout")
    window.close()
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for the PNGs (default: build/screenshots, ignored by git)")
    parser.add_argument("--size", action="append", choices=SIZES,
                        help="a screen size (repeatable; default: all of them)")
    parser.add_argument("--screen", help=argparse.SUPPRESS)      # the child, inside Xvfb
    parser.add_argument("--speed", type=float, default=4.0,
                        help="simulated scenario seconds per wall second")
    args = parser.parse_args()
    if args.screen:
        if not os.environ.get("DISPLAY"):
            raise SystemExit("--screen runs inside an X server (xvfb-run)")
        with tempfile.TemporaryDirectory(prefix="backstation-shots-",
                                         ignore_cleanup_errors=True) as work:
            return shoot(args.screen, args.out, args.speed, Path(work))
    return run_sizes(args.size or list(SIZES), args.out, args.speed)


if __name__ == "__main__":
    raise SystemExit(main())
