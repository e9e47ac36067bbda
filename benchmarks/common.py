"""Shared helpers: streams from the simulator, interleaved timing, /proc CPU."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

CLK_TCK = os.sysconf("SC_CLK_TCK")


def sim_stream(seconds: float, force_rate_hz: int = 1000, distance_rate_hz: float = 50,
               seed: int = 1, scenario: str = "clean") -> bytes:
    """What the simulated station writes while streaming for ``seconds``."""
    from backstation.device.sim import SimulatedStation
    station = SimulatedStation(scenario, seed, force_rate_hz=force_rate_hz,
                               distance_rate_hz=distance_rate_hz)
    station.advance(0.2)
    station.start_streaming()
    return station.advance(0.2 + seconds)


def interleave(fns: dict, reps: int) -> dict[str, list[float]]:
    """Run each function ``reps`` times, alternating; seconds per call."""
    out: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - t0)
    return out


def median(values) -> float:
    return statistics.median(values)


def proc_cpu_s(pid: int) -> float:
    """utime + stime of a live process (and its reaped children), seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def proc_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def row(figure: str, ours: str, baseline: str, ratio: str, goal: str, met: bool | None) -> str:
    status = {True: "met", False: "MISSED", None: "-"}[met]
    return f"| {figure} | {ours} | {baseline} | {ratio} | {goal} | {status} |"
