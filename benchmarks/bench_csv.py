"""samples.csv formatting for one hour at 1 kHz (3.6 M rows, 2 channels):
``csvformat.format_csv_block`` in blocks of 200 k rows vs the per-row Python
``%`` formatting ``export._write_samples`` uses today (the baseline, blocks of
50 k rows as there). Same data, same run, alternated repetitions, medians.
Both write to /dev/null, so the figure is formatting (+ text encoding for the
baseline), not disk. Peak RSS of the formatting itself is measured by
resetting the high-water mark (/proc/self/clear_refs) once the data is built.

    python benchmarks/bench_csv.py            # 1 h, 3 repetitions (~1 min)
    python benchmarks/bench_csv.py 600 1      # 10 minutes of data, 1 repetition
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import common
from common import median

HOUR_S = 3600
BLOCK_ROWS = 200_000
BASELINE_BLOCK_ROWS = 50_000   # export.ROWS_PER_BLOCK


def synthetic_columns(seconds: int = HOUR_S, rate_hz: int = 1000, seed: int = 5) -> dict:
    """The samples.csv columns as export computes them, before formatting."""
    rng = np.random.default_rng(seed)
    n = rate_hz * seconds
    t_us = np.arange(n, dtype=np.int64) * (1_000_000 // rate_hz) + 200_000
    load = 300 * np.clip(np.sin(2 * np.pi * t_us / 4e6), 0, None) * ((t_us // 60_000_000) % 2 == 0)
    raw = np.stack([50_000 + 800 * (load * 0.5 + rng.normal(0, 0.3, n)),
                    60_000 + 900 * (load * 0.5 + rng.normal(0, 0.3, n))], axis=1).astype(np.int32)
    left_n = (raw[:, 0] - 50_000) / 800.0
    right_n = (raw[:, 1] - 60_000) / 900.0
    # Distance at 50 Hz held over 20 samples; ~2 % no echo.
    gap = (400 - 300 * np.clip(np.sin(2 * np.pi * t_us / 4e6), 0, None)).astype(np.int32)
    gap[rng.random(n) < 0.02] = -1
    return {"t_s": (t_us - t_us[0]) / 1e6, "left_n": left_n, "right_n": right_n,
            "total_n": left_n + right_n, "gap_mm": gap, "contact": gap >= 0, "raw": raw}


def write_ours(cols: dict, out) -> None:
    from backstation.csvformat import fixed, format_csv_block, integer, labels
    n = len(cols["t_s"])
    for lo in range(0, n, BLOCK_ROWS):
        s = slice(lo, min(n, lo + BLOCK_ROWS))
        gap = cols["gap_mm"][s]
        out.write(format_csv_block([
            fixed(cols["t_s"][s], 6), fixed(cols["left_n"][s], 2), fixed(cols["right_n"][s], 2),
            fixed(cols["total_n"][s], 2), integer(gap, blank=gap < 0),
            labels(cols["contact"][s], ("0", "1")),
            integer(cols["raw"][s, 0]), integer(cols["raw"][s, 1])]))


def write_baseline(cols: dict, out) -> None:
    """export._write_samples' loop, verbatim in effect (gap/contact as str objects)."""
    n = len(cols["t_s"])
    gap_cells = np.where(cols["gap_mm"] < 0, "", cols["gap_mm"].astype(str)).astype(object)
    contact_cells = np.where(cols["contact"], "1", "0").astype(object)
    row = ",".join(["%.6f", *["%.2f"] * 3, "%s", "%s", *["%d"] * 2]) + "\n"
    for lo in range(0, n, BASELINE_BLOCK_ROWS):
        hi = min(n, lo + BASELINE_BLOCK_ROWS)
        block = [cols["t_s"][lo:hi], cols["left_n"][lo:hi], cols["right_n"][lo:hi],
                 cols["total_n"][lo:hi], gap_cells[lo:hi], contact_cells[lo:hi],
                 *cols["raw"][lo:hi].T]
        out.write("".join(row % values for values in zip(*(c.tolist() for c in block))))


class _Capture:
    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(data if isinstance(data, bytes) else data.encode())


def _same_output(cols: dict, rows: int = 300_000) -> bool:
    """Ours equals the baseline on the first rows, bar '-0.00' -> '0.00'."""
    head = {k: v[:rows] for k, v in cols.items()}
    ours, base = _Capture(), _Capture()
    write_ours(head, ours)
    write_baseline(head, base)
    a, b = b"".join(ours.parts), b"".join(base.parts)
    b = b.replace(b",-0.00", b",0.00").replace(b"\n-0.000000,", b"\n0.000000,")
    return a == b


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_of(fn) -> tuple[float, float]:
    """(RSS before, peak RSS during) ``fn()``, MB."""
    before = _rss_mb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")   # resets VmHWM to the current RSS
    except OSError:
        pass
    fn()
    return before, _rss_mb("VmHWM")


def interleave_timed(fns: dict, reps: int) -> dict[str, list[tuple[float, float]]]:
    """Like common.interleave, but (wall s, CPU s) per call: on a shared,
    loaded 2-core machine the CPU time is the steadier figure."""
    out: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            out[name].append((time.perf_counter() - t0, time.process_time() - c0))
    return out


def run(seconds: int = HOUR_S, reps: int = 3) -> dict:
    cols = synthetic_columns(seconds)
    n = len(cols["t_s"])
    same = _same_output(cols)
    with open(os.devnull, "wb") as null_b, open(os.devnull, "w", encoding="utf-8") as null_t:
        rss_before, rss_peak = peak_rss_of(lambda: write_ours(cols, null_b))
        times = interleave_timed({"ours": lambda: write_ours(cols, null_b),
                                  "baseline": lambda: write_baseline(cols, null_t)}, reps)
    ours_s, base_s = (median(w for w, _ in times[k]) for k in ("ours", "baseline"))
    ours_cpu_s, base_cpu_s = (median(c for _, c in times[k]) for k in ("ours", "baseline"))
    return {"rows": n, "reps": reps, "same_output": same,
            "ours_s": ours_s, "ours_cpu_s": ours_cpu_s, "ours_rows_per_s": n / ours_s,
            "baseline_s": base_s, "baseline_cpu_s": base_cpu_s,
            "baseline_rows_per_s": n / base_s,
            "speedup": base_s / ours_s, "speedup_cpu": base_cpu_s / ours_cpu_s,
            "load_avg_1min": os.getloadavg()[0], "rss_before_mb": rss_before,
            "rss_peak_during_ours_mb": rss_peak, "rss_growth_ours_mb": rss_peak - rss_before,
            "ours_all_s": times["ours"], "baseline_all_s": times["baseline"]}


if __name__ == "__main__":
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else HOUR_S
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    t0 = time.perf_counter()
    r = run(seconds, reps)
    print(f"rows {r['rows']:,}  ({reps} alternated repetitions, medians; {common.os.cpu_count()} CPUs)")
    print(f"ours      {r['ours_s']:6.2f} s wall ({r['ours_cpu_s']:.2f} s CPU)  "
          f"{r['ours_rows_per_s'] / 1e6:5.2f} M rows/s")
    print(f"baseline  {r['baseline_s']:6.2f} s wall ({r['baseline_cpu_s']:.2f} s CPU)  "
          f"{r['baseline_rows_per_s'] / 1e6:5.2f} M rows/s")
    print(f"speedup   {r['speedup']:.1f}x wall, {r['speedup_cpu']:.1f}x CPU;  "
          f"same bytes as baseline (bar -0.00): {r['same_output']};  "
          f"load average {r['load_avg_1min']:.1f}")
    print(f"RSS {r['rss_before_mb']:.0f} MB with the data built; peak while formatting "
          f"{r['rss_peak_during_ours_mb']:.0f} MB (+{r['rss_growth_ours_mb']:.0f} MB)")
    print(f"all runs (wall s): ours {[round(w, 2) for w, _ in r['ours_all_s']]}, "
          f"baseline {[round(w, 2) for w, _ in r['baseline_all_s']]}; "
          f"total {time.perf_counter() - t0:.0f} s")
