"""A plain pyqtgraph live plot of the same curves as the app's live view:
force left, right (dashed) and total above, the gap below, the last
``--window`` seconds, x counting back from now, as pyqtgraph's
``examples/scrollingPlots.py`` does it: items made once, a 30 ms ``QTimer``
that reads what the port has and calls ``setData`` on every curve, the y
axes left to pyqtgraph's auto-range, default 1 px pens. No analysis, no
storage, no CRC check: the drawing alone, and a plain reader.

    python benchmarks/baselines/pyqtgraph_live.py URL --seconds 20 [--window 10]
        [--size 860x682]

Prints one JSON line: CPU per 5 s window after a 3 s warm-up (``os.times``,
every thread), frames painted per second after the warm-up, and each force
sample's latency from its device time (the simulator's clock mapped to wall
time) to the end of the first paint that showed it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))

COUNTS_PER_N = 2000.0          # a fixed scale, as a hobbyist hard-codes it
WARMUP_S = 3.0
WINDOW_S = 5.0
TICK_MS = 30


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def live(url: str, seconds: float, window_s: float, size: tuple[int, int]) -> dict:
    import pyqtgraph as pg
    import serial
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication
    from backstation.device.sim import protocol_sim

    app = QApplication.instance() or QApplication(["plain"])
    protocol_sim.register()
    ser = serial.serial_for_url(url, baudrate=250_000, timeout=0)
    entry = protocol_sim._REGISTRY[url]   # noqa: SLF001 - the benchmark maps the sim clock
    station = entry.station
    state = {"paints": 0, "drawn": 0, "shown": 0, "started": False, "tail": b"",
             "mark": None}
    t_open = time.monotonic()
    t, left, right, wall, gap_t, gap = [], [], [], [], [], []
    latencies: list[float] = []
    windows: list[float] = []

    class Canvas(pg.GraphicsLayoutWidget):
        def paintEvent(self, event):   # noqa: N802 - Qt's name
            super().paintEvent(event)
            done = time.monotonic()
            if done - t_open >= WARMUP_S:
                state["paints"] += 1
                state.setdefault("first", done)
                state["last"] = done
                latencies.extend(1000 * (done - w) for w in wall[state["shown"]:state["drawn"]])
            state["shown"] = state["drawn"]

    canvas = Canvas()
    force = canvas.addPlot(row=0, col=0)
    gap_plot = canvas.addPlot(row=1, col=0)
    gap_plot.setXLink(force)
    force.addLegend()
    curves = {"total": force.plot(name="total", pen="w"),
              "left": force.plot(name="left", pen="c"),
              "right": force.plot(name="right", pen=pg.mkPen("m", style=Qt.DashLine))}
    gap_curve = gap_plot.plot(pen="y", connect="finite")
    force.setXRange(-window_s, 0, padding=0)
    force.showGrid(x=True, y=True)
    gap_plot.showGrid(x=True, y=True)
    canvas.resize(*size)
    canvas.show()

    def tick():
        now = time.monotonic()
        if not state["started"] and now - t_open > 0.3:
            ser.write(b"START\n")
            state["started"] = True
        data = state["tail"] + ser.read(ser.in_waiting or 0)
        *lines, state["tail"] = data.split(b"\n")
        for line in lines:
            parts = line.decode(errors="replace").strip().lstrip("$").split("*")[0].split(",")
            try:
                if parts[0] == "F":
                    t_us = int(parts[2])
                    t.append(t_us / 1e6)
                    left.append(float(parts[3]) / COUNTS_PER_N)
                    right.append(float(parts[4]) / COUNTS_PER_N)
                    boot = station.boots[-1]
                    wall.append(entry.wall0_s
                                + (boot.t_s + (t_us - boot.boot_offset_us) / 1e6) / entry.speed)
                elif parts[0] == "D":
                    gap_t.append(int(parts[2]) / 1e6)
                    g = float(parts[3])
                    gap.append(g if g >= 0 else np.nan)
            except (ValueError, IndexError):
                pass
        if t:
            end = t[-1]
            ft = np.asarray(t)
            i = int(np.searchsorted(ft, end - window_s - 1.0))
            x = ft[i:] - end
            lv, rv = np.asarray(left[i:]), np.asarray(right[i:])
            curves["total"].setData(x, lv + rv)
            curves["left"].setData(x, lv)
            curves["right"].setData(x, rv)
            gt = np.asarray(gap_t)
            gi = int(np.searchsorted(gt, end - window_s - 1.0))
            gap_curve.setData(gt[gi:] - end, np.asarray(gap[gi:]))
            state["drawn"] = len(t)
        elapsed = now - t_open
        if state["mark"] is None:
            if elapsed >= WARMUP_S:
                state["mark"] = (now, _cpu_s())
        elif now - state["mark"][0] >= WINDOW_S:
            cpu = _cpu_s()
            windows.append((cpu - state["mark"][1]) / (now - state["mark"][0]))
            state["mark"] = (now, cpu)

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(TICK_MS)
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    ser.close()
    fps = (state["paints"] - 1) / max(1e-9, state.get("last", 0) - state.get("first", 0))
    return {"cpu_windows": windows, "fps": fps,
            "force_samples": len(t), "latencies_ms": [round(x, 2) for x in latencies]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--window", type=float, default=10.0)
    p.add_argument("--size", default="860x682", help="the plot's size, px (the app's canvas)")
    a = p.parse_args(argv)
    w, h = (int(v) for v in a.size.split("x"))
    print(json.dumps(live(a.url, a.seconds, a.window, (w, h))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
