"""The hobbyist's live plot: ``serial.readline().split(",")`` into Python
lists and a matplotlib (Agg) figure that clears and re-plots every series
every frame (force left/right/total above, the gap below, last 30 s).

Two modes, each printing one JSON line for ``bench_gui.py``:

    python benchmarks/baselines/matplotlib_live.py live URL --seconds 25
        # read a sim:// station, draw at 30 fps: CPU per 5 s window, and the
        # latency of each force sample from its device time to the end of the
        # first draw() that includes it (sim clock mapped to wall time)
    python benchmarks/baselines/matplotlib_live.py scroll --hours 2
        # 2 h at 80 Hz in lists, paused, scrolled over the whole session:
        # frames per second and resident memory
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

WIDTH_PX, HEIGHT_PX, DPI = 1000, 600, 100
COUNTS_PER_N = 2000.0         # a fixed scale, as a hobbyist hard-codes it
WARMUP_S = 3.0
WINDOW_S = 5.0


def make_figure():
    fig, (ax_f, ax_g) = plt.subplots(2, 1, figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI,
                                     sharex=True)
    return fig, ax_f, ax_g


def draw(fig, ax_f, ax_g, t, left, right, gap_t, gap, t_end: float, window_s: float) -> None:
    """One frame, the usual way: clear, slice the window, plot every series, draw."""
    i, j = bisect.bisect_left(t, t_end - window_s), bisect.bisect_right(t, t_end)
    gi, gj = bisect.bisect_left(gap_t, t_end - window_s), bisect.bisect_right(gap_t, t_end)
    ts = t[i:j]
    ls, rs = left[i:j], right[i:j]
    ax_f.cla()
    ax_g.cla()
    ax_f.plot(ts, [a + b for a, b in zip(ls, rs)], label="total")
    ax_f.plot(ts, ls, label="left")
    ax_f.plot(ts, rs, "--", label="right")
    ax_f.legend(loc="upper left")
    ax_f.set_ylabel("force N")
    ax_f.grid(True)
    ax_g.plot(gap_t[gi:gj], gap[gi:gj])
    ax_g.set_ylabel("gap mm")
    ax_g.set_xlabel("seconds")
    ax_g.grid(True)
    ax_f.set_xlim(t_end - window_s, t_end)
    fig.canvas.draw()


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def live(url: str, seconds: float, fps: float, window_s: float) -> dict:
    import serial
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))
    from backstation.device.sim import protocol_sim
    protocol_sim.register()
    ser = serial.serial_for_url(url, baudrate=250_000, timeout=0.05)
    entry = protocol_sim._REGISTRY[url]   # noqa: SLF001 - the benchmark maps the sim clock
    station = entry.station
    fig, ax_f, ax_g = make_figure()
    t, left, right, gap_t, gap, wall = [], [], [], [], [], []
    started = False
    t_open = time.monotonic()
    latencies_ms: list[float] = []
    shown = 0
    windows: list[float] = []
    frames = 0
    next_frame = time.monotonic()
    mark_t = mark_cpu = None
    while time.monotonic() - t_open < seconds:
        if not started and time.monotonic() - t_open > 0.3:
            ser.write(b"START\n")
            started = True
        while ser.in_waiting:
            line = ser.readline()
            parts = line.decode(errors="replace").strip().lstrip("$").split("*")[0].split(",")
            try:
                if parts[0] == "F":
                    t_us = int(parts[2])
                    t.append(t_us / 1e6)
                    left.append(float(parts[3]) / COUNTS_PER_N)
                    right.append(float(parts[4]) / COUNTS_PER_N)
                    wall.append(_device_to_wall(entry, station, t_us))
                elif parts[0] == "D":
                    gap_t.append(int(parts[2]) / 1e6)
                    g = float(parts[3])
                    gap.append(g if g >= 0 else math.nan)
            except (ValueError, IndexError):
                pass
        now = time.monotonic()
        if now >= next_frame and t:
            draw(fig, ax_f, ax_g, t, left, right, gap_t, gap, t[-1], window_s)
            done = time.monotonic()
            frames += 1
            if done - t_open > WARMUP_S:
                latencies_ms.extend((done - w) * 1000 for w in wall[shown:])
            shown = len(t)
            next_frame += 1.0 / fps
            if next_frame < done:
                next_frame = done
        elapsed = time.monotonic() - t_open
        if mark_t is None and elapsed >= WARMUP_S:
            mark_t, mark_cpu = time.monotonic(), _cpu_s()
        elif mark_t is not None and time.monotonic() - mark_t >= WINDOW_S:
            now_t, now_cpu = time.monotonic(), _cpu_s()
            windows.append((now_cpu - mark_cpu) / (now_t - mark_t))
            mark_t, mark_cpu = now_t, now_cpu
        time.sleep(max(0.0, min(next_frame - time.monotonic(), 0.005)))
    ser.close()
    return {"cpu_windows": windows, "frames": frames, "fps": frames / seconds,
            "force_samples": len(t), "latencies_ms": latencies_ms}


def _device_to_wall(entry, station, t_us: int) -> float:
    boot = station.boots[-1]
    t_s = boot.t_s + (t_us - boot.boot_offset_us) / 1e6
    return entry.wall0_s + t_s / entry.speed


def scroll(hours: float, rate_hz: float, window_s: float, frames: int) -> dict:
    n = int(hours * 3600 * rate_hz)
    t = [k / rate_hz for k in range(n)]
    left = [400 + 300 * math.sin(k / rate_hz) for k in range(n)]
    right = [400 + 300 * math.cos(k / rate_hz) for k in range(n)]
    gn = int(hours * 3600 * 20)
    gap_t = [k / 20 for k in range(gn)]
    gap = [300 + 250 * math.sin(k / 20) for k in range(gn)]
    fig, ax_f, ax_g = make_figure()
    end = t[-1]
    anchors = [window_s + (end - window_s) * k / (frames - 1) for k in range(frames)]
    t0 = time.perf_counter()
    for anchor in anchors:
        draw(fig, ax_f, ax_g, t, left, right, gap_t, gap, anchor, window_s)
    elapsed = time.perf_counter() - t0
    return {"fps": frames / elapsed, "frames": frames, "force_samples": n,
            "rss_mb": _rss_mb()}


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return math.nan


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    lv = sub.add_parser("live")
    lv.add_argument("url")
    lv.add_argument("--seconds", type=float, default=25.0)
    lv.add_argument("--fps", type=float, default=30.0)
    lv.add_argument("--window", type=float, default=30.0)
    sc = sub.add_parser("scroll")
    sc.add_argument("--hours", type=float, default=2.0)
    sc.add_argument("--rate", type=float, default=80.0)
    sc.add_argument("--window", type=float, default=30.0)
    sc.add_argument("--frames", type=int, default=120)
    args = p.parse_args(argv)
    if args.mode == "live":
        out = live(args.url, args.seconds, args.fps, args.window)
    else:
        out = scroll(args.hours, args.rate, args.window, args.frames)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
