"""The live view's CPU budget (issue 14, item 6): the real app at 80 Hz, its
default window (1400x860, a 10 s plot), beside a plain pyqtgraph plot of the
same curves (``baselines/pyqtgraph_live.py``) in the same run, and the app
again confined to a third of a core (a stand-in for a Raspberry Pi 4).

Each repetition runs, one after the other in fresh child processes
(``QT_QPA_PLATFORM=offscreen``: Qt's software raster, what CI has):

1. ``ours``: ``bench_gui.py --child live`` (the real ``MainWindow`` and its
   ``AcquisitionController``, ``sim://`` at 80 Hz and 50 Hz gap): CPU of the
   whole process per 5 s window after a 3 s warm-up, frames painted,
   sample-to-screen latency (bench_gui's method), samples the link counted
   lost;
2. ``plain``: the pyqtgraph baseline on its own port, the app's canvas size;
3. ``confined``: (1) with the process held to a third of a core: a cgroup's
   CPU quota (v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``, 3.33 ms per 10 ms
   period, a short period so the app is slowed evenly like a slower CPU
   rather than stopped for long stretches), else a duty cycle of SIGSTOP /
   SIGCONT (10 ms run, 20 ms stopped) when no cgroup is writable. Backlog:
   the lag of the newest drawn sample at each frame; it must not grow from
   the first third of the run to the last.

    python benchmarks/bench_live_budget.py [--seconds 20] [--reps 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT

from bench_gui import _env

URL_80 = "sim://?scenario=clean&speed=1&distance_rate_hz=50"
PLOT_WINDOW_S = 10            # the app's default (settings window_s)
SHARE = 1 / 3                 # a Pi 4 core is roughly a third of this machine's
PERIOD_US = 10_000
GOALS = {"cpu_pct": 15.0, "p50_ms": 30.0, "p99_ms": 60.0, "confined_fps": 20.0}


# -- confinement ------------------------------------------------------------------

class Confinement:
    """Holds one child process to ``SHARE`` of a core; ``how`` says by what."""

    def __init__(self):
        self.how = "none"
        self._dir: Path | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        name = f"bs-live-budget-{os.getpid()}"
        quota = int(PERIOD_US * SHARE)
        v2 = Path("/sys/fs/cgroup")
        v1 = next((p for p in (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup/cpu,cpuacct"))
                   if (p / "cpu.cfs_quota_us").exists()), None)
        try:
            if "cpu" in (v2 / "cgroup.controllers").read_text().split():
                d = v2 / name
                d.mkdir(exist_ok=True)
                (d / "cpu.max").write_text(f"{quota} {PERIOD_US}\n")
                self._dir, self.how = d, f"cgroup v2 cpu.max {quota} {PERIOD_US}"
                return
        except OSError:
            pass
        if v1 is not None:
            try:
                d = v1 / name
                d.mkdir(exist_ok=True)
                (d / "cpu.cfs_period_us").write_text(f"{PERIOD_US}\n")
                (d / "cpu.cfs_quota_us").write_text(f"{quota}\n")
                self._dir = d
                self.how = f"cgroup v1 cpu.cfs_quota_us {quota} / cfs_period_us {PERIOD_US}"
                return
            except OSError:
                pass
        self.how = "SIGSTOP/SIGCONT duty cycle, 10 ms run / 20 ms stopped"

    def add(self, pid: int) -> None:
        if self._dir is not None:
            (self._dir / "cgroup.procs").write_text(f"{pid}\n")
            return
        self._stop.clear()

        def cycle():
            while not self._stop.is_set():
                try:
                    time.sleep(0.010)
                    os.kill(pid, signal.SIGSTOP)
                    time.sleep(0.020)
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    return
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self._thread = threading.Thread(target=cycle, daemon=True)
        self._thread.start()

    def throttled(self) -> dict:
        if self._dir is None:
            return {}
        text = (self._dir / "cpu.stat").read_text()
        return dict((k, int(v)) for k, v in (line.split() for line in text.splitlines()))

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)
            self._thread = None

    def close(self) -> None:
        self.release()
        if self._dir is not None:
            try:
                self._dir.rmdir()
            except OSError:
                pass


# -- children ---------------------------------------------------------------------

def _run(args: list[str], seconds: float, confine: Confinement | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bs-budget-") as home:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=_env(home), cwd=str(ROOT / "benchmarks"))
        if confine is not None:
            confine.add(proc.pid)
        try:
            out, err = proc.communicate(timeout=seconds * 6 + 60)
        finally:
            if confine is not None:
                confine.release()
    if proc.returncode != 0:
        raise RuntimeError(f"{args[1:3]} failed ({proc.returncode}): {err[-1500:]}")
    return json.loads(out.strip().splitlines()[-1])


def ours(seconds: float, confine: Confinement | None = None) -> dict:
    before = confine.throttled() if confine else {}
    r = _run([sys.executable, str(ROOT / "benchmarks/bench_gui.py"), "--child", "live", URL_80,
              str(seconds), str(PLOT_WINDOW_S)], seconds, confine)
    after = confine.throttled() if confine else {}
    r["throttled"] = {k: after[k] - before.get(k, 0) for k in after}
    return r


def plain(seconds: float, size: list[int]) -> dict:
    return _run([sys.executable, str(ROOT / "benchmarks/baselines/pyqtgraph_live.py"), URL_80,
                 "--seconds", str(seconds), "--window", str(PLOT_WINDOW_S),
                 "--size", f"{size[0]}x{size[1]}"], seconds)


# -- figures ----------------------------------------------------------------------

def _pcts(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    s = sorted(values)
    return statistics.median(s), s[min(len(s) - 1, int(0.99 * len(s)))]


def lag_growth_ms(lags: list[list[float]]) -> float:
    """Median lag of the run's last third minus its first third (after warm-up)."""
    if len(lags) < 6:
        return float("nan")
    third = len(lags) // 3
    first = statistics.median(b for _, b in lags[:third])
    last = statistics.median(b for _, b in lags[-third:])
    return last - first


def summary(r: dict) -> dict:
    p50, p99 = _pcts(r["latencies_ms"])
    out = {"cpu_pct": 100 * statistics.median(r["cpu_windows"]) if r["cpu_windows"] else
           float("nan"),
           "fps": r.get("fps_after_warmup", r["fps"]), "p50_ms": p50, "p99_ms": p99,
           "force_samples": r["force_samples"]}
    if "lags" in r:
        stats = r.get("stream_stats", {})
        out.update(lag_growth_ms=lag_growth_ms(r["lags"]),
                   lost=stats.get("lost_force", 0) + stats.get("lost_distance", 0),
                   crc_errors=stats.get("crc_errors", 0),
                   # decoded by the link but not in the plot's buffers at the end
                   unshown=stats.get("force_samples", 0) - r["force_samples"])
    return out


def run(seconds: float, reps: int) -> dict:
    confine = Confinement()
    runs: dict[str, list[dict]] = {"ours": [], "plain": [], "confined": []}
    try:
        for _ in range(reps):
            o = ours(seconds)
            runs["ours"].append(summary(o))
            runs["plain"].append(summary(plain(seconds, o["canvas_px"])))
            c = ours(seconds, confine)
            s = summary(c)
            s["throttled"] = c["throttled"]
            runs["confined"].append(s)
    finally:
        confine.close()
    return {"seconds": seconds, "reps": reps, "confinement": confine.how, "runs": runs,
            "load_average": os.getloadavg()}


def table(result: dict) -> str:
    def col(side, key, fmt="{:.1f}"):
        values = [r[key] for r in result["runs"][side]]
        return (fmt.format(statistics.median(values)) + " [" +
                ", ".join(fmt.format(v) for v in values) + "]")
    lines = ["| side | CPU % of a core | frames/s | latency p50 ms | latency p99 ms |"
             " lag growth ms | lost / unshown |", "|---|---|---|---|---|---|---|"]
    for side in ("ours", "plain", "confined"):
        extra = (col(side, "lag_growth_ms", "{:.0f}"),
                 col(side, "lost", "{:.0f}") + " / " + col(side, "unshown", "{:.0f}")) \
            if side != "plain" else ("-", "-")
        lines.append(f"| {side} | {col(side, 'cpu_pct')} | {col(side, 'fps')} | "
                     f"{col(side, 'p50_ms', '{:.0f}')} | {col(side, 'p99_ms', '{:.0f}')} | "
                     f"{extra[0]} | {extra[1]} |")
    lines.append(f"\nmedian [each run]; confined by {result['confinement']}; "
                 f"{result['reps']} x {result['seconds']:g} s each; load average "
                 + " ".join(f"{x:.1f}" for x in result["load_average"]))
    return "\n".join(lines)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--json", help="write the raw figures here")
    a = p.parse_args()
    result = run(a.seconds, a.reps)
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1))
    print(table(result))
