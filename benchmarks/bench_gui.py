"""(c) GUI CPU while streaming, (d) sample-to-screen latency, (e) scroll-back
over a 2 h session and its resident memory, (g) app start to first frame.

Every figure runs in a fresh child process (``QT_QPA_PLATFORM=offscreen``,
a temporary HOME so the user's settings are not touched), alternated with
its baseline (``baselines/matplotlib_live.py``), medians reported:

- (c)+(d): the real ``MainWindow`` (and its ``AcquisitionController``)
  connected to ``sim://?scenario=clean&speed=1[&force_rate_hz=1000]
  &distance_rate_hz=50``, 30 s plot window, for ``seconds``; CPU =
  ``os.times()`` of the child (every thread) per 5 s window after a 3 s
  warm-up. The simulator runs in the same process (it is the "port"), so
  its own cost is measured alone too (``sim`` child: the port read the way
  the link reads it, nothing else) and reported beside.
  Latency: ``SessionBuffersView.refresh`` and the plot canvas's
  ``paintEvent`` are wrapped here (not in the app): each force sample's
  device time is mapped to wall time through the sim's clock (scenario time
  = (monotonic - open) x speed, micros() = boot offset + scenario time since
  the boot), and its latency is the end of the first paint that drew it.
- (e): 2 h at 80 Hz (576k force samples, 2 channels, 144k gap readings,
  a rep every 5 s) fed into the live view's ``SessionBuffers`` as the
  controller does (``add`` with 1 s blocks); the view is paused and
  scrolled over the whole session (``scroll_to``, the scene's queued
  change processed, then one synchronous ``repaint``): frames per second and VmHWM of the whole app process.
- (g): ``python -m backstation --simulate`` (through a wrapper that stamps
  the end of the main window's first paint); from just before the parent's
  ``Popen`` to that stamp (CLOCK_MONOTONIC is system-wide).

    python benchmarks/bench_gui.py [--seconds 20] [--reps 1]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from common import ROOT, median

if os.environ.get("BENCH_GUI_SRC"):   # another checkout's src/, for before/after runs
    sys.path.insert(0, os.environ["BENCH_GUI_SRC"])

WARMUP_S = 3.0
WINDOW_S = 5.0
WINDOW_PLOT_S = 30
SCROLL_FRAMES = 240
URL_80 = "sim://?scenario=clean&speed=1&distance_rate_hz=50"
URL_1K = "sim://?scenario=clean&speed=1&force_rate_hz=1000&distance_rate_hz=50"


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


class _CpuWindows:
    """CPU per wall second over consecutive windows after the warm-up."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.mark: tuple[float, float] | None = None
        self.windows: list[float] = []

    def poll(self) -> None:
        now = time.monotonic()
        if self.mark is None:
            if now - self.t0 >= WARMUP_S:
                self.mark = (now, _cpu_s())
        elif now - self.mark[0] >= WINDOW_S:
            cpu = _cpu_s()
            self.windows.append((cpu - self.mark[1]) / (now - self.mark[0]))
            self.mark = (now, cpu)


# -- children ---------------------------------------------------------------------

def _app():
    from PySide6.QtWidgets import QApplication
    from backstation.ui.theme import apply_theme
    app = QApplication.instance() or QApplication(["bench"])
    apply_theme(app)
    return app


def child_live(url: str, seconds: float, window_s: int = WINDOW_PLOT_S) -> dict:
    """The real app streaming from ``url``: CPU windows, paints, latencies;
    also (for ``bench_live_budget.py``) frames painted after the warm-up, the
    lag of the newest drawn sample at each of them (a backlog that grows
    shows as a lag that grows), and the samples the link counted lost."""
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtCore import QTimer
    from backstation.device.sim import protocol_sim
    from backstation.ui.live import plot as plot_mod
    from backstation.ui.buffers import GrowingArray, SessionBuffers
    from backstation.ui.main_window import MainWindow

    app = _app()
    state = {"drawn": 0, "shown": 0, "paints": 0, "paints_after_warmup": 0}
    lags: list[tuple[float, float]] = []     # (s since start, ms since the newest drawn sample)
    latencies: list[np.ndarray] = []
    read_latencies: list[np.ndarray] = []     # device time -> the link's read (time.time)
    host_read_s = GrowingArray()
    original_add = SessionBuffers.add
    wall_minus_mono = time.time() - time.monotonic()

    def add(self, force, distance, calibration):
        before = len(self.force_t_s)
        original_add(self, force, distance, calibration)
        if len(self.force_t_s) - before == len(force):
            host_read_s.extend(force.t_host_s - wall_minus_mono)
        elif len(self.force_t_s) > before:
            host_read_s.extend(np.full(len(self.force_t_s) - before, np.nan))
    cpu = _CpuWindows()
    window = MainWindow(os.path.join(os.environ["HOME"], "s.db"))
    view = window.live.plot
    original_refresh = plot_mod.SessionBuffersView.refresh
    original_paint = pg.GraphicsView.paintEvent

    def refresh(self):
        original_refresh(self)
        if self is view and not self.paused:
            state["drawn"] = len(self._buffers.force_t_s)

    def paint(self, event):
        result = original_paint(self, event)
        if self is view._canvas:   # noqa: SLF001 - benchmark instrumentation
            state["paints"] += 1
            lo, hi = state["shown"], state["drawn"]
            done = time.monotonic()
            if done - cpu.t0 >= WARMUP_S:
                state["paints_after_warmup"] += 1
                state.setdefault("first_paint_after_warmup", done)
                state["last_paint"] = done
            if hi > lo:
                entry = protocol_sim._REGISTRY.get(url)   # noqa: SLF001
                buffers = view._buffers                   # noqa: SLF001
                if entry is not None and buffers.t0_us is not None and \
                        done - cpu.t0 >= WARMUP_S:
                    boot = entry.station.boots[-1]
                    t_us = buffers.t0_us + buffers.force_t_s.view()[lo:hi] * 1e6
                    t_s = boot.t_s + (t_us - boot.boot_offset_us) / 1e6
                    sample_s = entry.wall0_s + t_s / entry.speed
                    latencies.append(1000 * (done - sample_s))
                    lags.append((done - cpu.t0, 1000 * (done - float(sample_s[-1]))))
                    if len(host_read_s) >= hi:
                        read_latencies.append(1000 * (host_read_s.view()[lo:hi] - sample_s))
                state["shown"] = hi
        return result

    plot_mod.SessionBuffersView.refresh = refresh
    SessionBuffers.add = add
    pg.GraphicsView.paintEvent = paint
    window.resize(1400, 860)
    window.show()
    window.live.set_window(window_s)
    window.connect_to(url)
    stats = {}

    def keep_stats():
        link = window.controller.link
        if link is not None:
            stats.update(vars(link.stats))
    keeper = QTimer()
    keeper.timeout.connect(keep_stats)
    keeper.start(500)
    ticker = QTimer()
    ticker.timeout.connect(cpu.poll)
    ticker.start(100)
    QTimer.singleShot(int(seconds * 1000), lambda: (keep_stats(), window.close()))
    app.exec()
    lat = np.concatenate(latencies) if latencies else np.empty(0)
    read = np.concatenate(read_latencies) if read_latencies else np.empty(0)
    read = read[~np.isnan(read)]
    return {"cpu_windows": cpu.windows, "paints": state["paints"],
            "fps": state["paints"] / seconds, "force_samples": len(view._buffers.force_t_s),
            "latencies_ms": lat.round(2).tolist(), "read_latencies_ms": read.round(2).tolist(),
            "fps_after_warmup": (state["paints_after_warmup"] - 1) / max(
                1e-9, state.get("last_paint", 0) - state.get("first_paint_after_warmup", 0)),
            "lags": [(round(a, 3), round(b, 1)) for a, b in lags], "stream_stats": stats,
            "canvas_px": list(view._canvas.size().toTuple())}


def child_sim(url: str, seconds: float) -> dict:
    """The simulator alone, read as the link reads it: its share of (c)."""
    import serial
    from backstation.device.sim import protocol_sim
    protocol_sim.register()
    port = serial.serial_for_url(url, baudrate=250_000, timeout=0.05)
    cpu = _CpuWindows()
    t0 = time.monotonic()
    n = 0
    started = False
    while time.monotonic() - t0 < seconds:
        if not started and time.monotonic() - t0 > 0.3:
            port.write(b"START\n")
            started = True
        n += len(port.read(port.in_waiting or 1))
        cpu.poll()
    port.close()
    return {"cpu_windows": cpu.windows, "bytes": n}


def synthetic_buffers(hours: float = 2.0, rate_hz: float = 80.0, gap_hz: float = 20.0):
    """``hours`` of a lifter at ``rate_hz`` in SessionBuffers, fed 1 s blocks like a drain."""
    import numpy as np
    from backstation.analysis.calibration import ForceCalibration
    from backstation.samples import DistanceBlock, ForceBlock
    from backstation.ui.buffers import SessionBuffers

    cal = ForceCalibration(2)
    cal.set(0, 0, 2000.0)
    cal.set(1, 0, 2000.0)
    buffers = SessionBuffers(2)
    per_block, gap_per_block = int(rate_hz), int(gap_hz)
    rep_s = 5.0
    for second in range(int(hours * 3600)):
        k = np.arange(per_block)
        t_us = ((second + k / rate_hz) * 1e6).astype(np.int64)
        phase = 2 * np.pi * (second + k / rate_hz) / rep_s
        left = (400 + 300 * np.sin(phase)) * 2000
        right = (380 + 290 * np.sin(phase + 0.1)) * 2000
        force = ForceBlock((second * per_block + k).astype(np.uint16), t_us,
                           np.stack([left, right], axis=1).astype(np.int32),
                           t_us / 1e6)
        g = np.arange(gap_per_block)
        gt_us = ((second + g / gap_hz) * 1e6).astype(np.int64)
        gap = (300 + 270 * np.cos(2 * np.pi * (second + g / gap_hz) / rep_s)).astype(np.int32)
        distance = DistanceBlock((second * gap_per_block + g).astype(np.uint16), gt_us, gap,
                                 gt_us / 1e6)
        buffers.add(force, distance, cal)
        if second % int(rep_s) == 0 and second:
            buffers.add_rep(int((second - rep_s + 0.5) * 1e6), int((second - 0.5) * 1e6),
                            second % 15 != 0, int((second - 2.5) * 1e6))
            buffers.add_contact(int((second - 2.5) * 1e6), True)
            buffers.add_contact(int((second - 2.3) * 1e6), False)
    return buffers


def child_scroll(hours: float) -> dict:
    """The app's window with a 2 h session in its live view, scrolled end to end."""
    from backstation.ui.main_window import MainWindow
    app = _app()
    window = MainWindow(os.path.join(os.environ["HOME"], "s.db"))
    window.resize(1400, 860)
    window.show()
    buffers = synthetic_buffers(hours)
    window.controller.buffers = buffers
    view = window.live.plot
    view.set_buffers(buffers)
    window.live.set_window(WINDOW_PLOT_S)
    app.processEvents()
    view.refresh()
    view.pause()
    end = buffers.newest_s
    anchors = [WINDOW_PLOT_S + (end - WINDOW_PLOT_S) * k / (SCROLL_FRAMES - 1)
               for k in range(SCROLL_FRAMES)]
    t0 = time.perf_counter()
    for anchor in anchors:
        view.scroll_to(anchor)     # what a drag of the scroll bar calls
        app.processEvents()        # the scene's queued change notice
        view._canvas.viewport().repaint()   # noqa: SLF001 - paint it now, once
    elapsed = time.perf_counter() - t0
    out = {"fps": SCROLL_FRAMES / elapsed, "frames": SCROLL_FRAMES,
           "force_samples": len(buffers.force_t_s), "gap_samples": len(buffers.gap_t_s),
           "rss_mb": _rss_mb(), "last_anchor_s": view.anchor_s}
    window.close()
    return out


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child_start(db: str) -> None:
    """``backstation --simulate`` with the end of the main window's first paint stamped."""
    from PySide6.QtCore import QTimer
    from backstation import cli
    from backstation.ui.main_window import MainWindow
    stamped = []

    def paint(self, event):
        super(MainWindow, self).paintEvent(event)
        if not stamped:
            stamped.append(time.monotonic())
            # Once the whole first frame (children included) is painted: report, quit.
            QTimer.singleShot(0, lambda: (print(json.dumps({"first_paint": time.monotonic()}),
                                                flush=True), self.close()))

    MainWindow.paintEvent = paint
    cli.main(["--simulate", "--db", db])


# -- the parent -------------------------------------------------------------------

def _env(home: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = (env.get("BENCH_GUI_SRC") or str(ROOT / "src")) + os.pathsep + \
        env.get("PYTHONPATH", "")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["HOME"] = home
    env["XDG_CONFIG_HOME"] = os.path.join(home, ".config")
    env["XDG_CACHE_HOME"] = os.path.join(home, ".cache")
    env["XDG_DATA_HOME"] = os.path.join(home, ".local", "share")
    return env


def _child(args: list[str], timeout_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="bs-gui-") as home:
        proc = subprocess.run(args, capture_output=True, text=True, env=_env(home),
                              timeout=timeout_s, cwd=str(ROOT / "benchmarks"))
    if proc.returncode != 0:
        raise RuntimeError(f"{args[1:3]} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _ours(mode: str, *rest: str, timeout_s: float = 120) -> dict:
    return _child([sys.executable, __file__, "--child", mode, *rest], timeout_s)


def _naive(mode: str, *rest: str, timeout_s: float = 300) -> dict:
    return _child([sys.executable, str(ROOT / "benchmarks/baselines/matplotlib_live.py"), mode,
                   *rest], timeout_s)


def _pct(values: list[float]) -> float:
    return 100 * median(values) if values else float("nan")


def _lat(values: list[float]) -> dict:
    if not values:
        return {"median_ms": float("nan"), "p99_ms": float("nan"), "n": 0}
    s = sorted(values)
    return {"median_ms": median(s), "p99_ms": s[min(len(s) - 1, int(0.99 * len(s)))],
            "n": len(s)}


def _start_once() -> float:
    with tempfile.TemporaryDirectory(prefix="bs-gui-") as home:
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, __file__, "--child", "start",
                               os.path.join(home, "s.db")],
                              capture_output=True, text=True, env=_env(home), timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"start failed: {proc.stderr[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["first_paint"] - t0


def _naive_start_once() -> float:
    """The baseline's start: import matplotlib (Agg), make the figure, first draw."""
    code = ("import time,json,sys; sys.path.insert(0,'baselines'); import matplotlib_live as m;"
            "f,a,b=m.make_figure(); m.draw(f,a,b,[0.0],[0.0],[0.0],[0.0],[0.0],0.0,30);"
            "print(json.dumps({'first_paint': time.monotonic()}))")
    with tempfile.TemporaryDirectory(prefix="bs-gui-") as home:
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=_env(home), timeout=60, cwd=str(ROOT / "benchmarks"))
    if proc.returncode != 0:
        raise RuntimeError(f"naive start failed: {proc.stderr[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["first_paint"] - t0


def run(seconds: float = 20.0, reps: int = 1) -> dict:
    """Alternate ours / baseline for each figure; medians over repetitions and windows."""
    out: dict = {"seconds": seconds, "reps": reps}
    s = str(seconds)
    for label, url in (("80", URL_80), ("1k", URL_1K)):
        runs = {"ours": [], "naive": [], "sim": []}
        for _ in range(reps):
            runs["ours"].append(_ours("live", url, s))
            runs["naive"].append(_naive("live", url, "--seconds", s))
            runs["sim"].append(_ours("sim", url, s))
        fig = {}
        for side, results in runs.items():
            windows = [w for r in results for w in r["cpu_windows"]]
            fig[f"{side}_pct"] = _pct(windows)
            fig[f"{side}_windows"] = [round(100 * w, 1) for w in windows]
            if side != "sim":
                fig[f"{side}_fps"] = median([r["fps"] for r in results])
                fig[f"{side}_latency"] = _lat([x for r in results for x in r["latencies_ms"]])
        fig["ours_read_latency"] = _lat([x for r in runs["ours"] for x in r["read_latencies_ms"]])
        out[label] = fig
    scroll = {"ours": [], "naive": []}
    for _ in range(reps):
        scroll["ours"].append(_ours("scroll", "2", timeout_s=300))
        scroll["naive"].append(_naive("scroll", "--hours", "2", "--frames", "60"))
    out["scroll"] = {f"{side}_{k}": median([r[k] for r in rs])
                     for side, rs in scroll.items() for k in ("fps", "rss_mb")}
    out["scroll"]["force_samples"] = scroll["ours"][0]["force_samples"]
    starts = {"ours": [], "naive": []}
    for _ in range(max(3, reps)):
        starts["ours"].append(_start_once())
        starts["naive"].append(_naive_start_once())
    out["start"] = {"ours_s": median(starts["ours"]), "naive_s": median(starts["naive"]),
                    "ours_all_s": [round(x, 2) for x in starts["ours"]],
                    "naive_all_s": [round(x, 2) for x in starts["naive"]]}
    return out


def _child_main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "live":
        window_s = int(argv[3]) if len(argv) > 3 else WINDOW_PLOT_S
        print(json.dumps(child_live(argv[1], float(argv[2]), window_s)))
    elif mode == "sim":
        print(json.dumps(child_sim(argv[1], float(argv[2]))))
    elif mode == "scroll":
        print(json.dumps(child_scroll(float(argv[1]))))
    elif mode == "start":
        child_start(argv[1])
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(_child_main(sys.argv[2:]))
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--reps", type=int, default=1)
    a = p.parse_args()
    print(json.dumps(run(a.seconds, a.reps), indent=1))
