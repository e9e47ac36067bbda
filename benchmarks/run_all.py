"""Every figure of issue 6 beside its naive baseline, measured in the same
run (alternated repetitions, medians). About 3 minutes on a 2-core machine.

    python benchmarks/run_all.py            # the full run (record for 60 s)
    python benchmarks/run_all.py --quick    # record for 20 s, storage on 3 minutes

Needs ``pip install matplotlib`` for the GUI figures' baseline
(``bench_gui.py``: the real app offscreen vs a matplotlib Agg live plot).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time

import common
from common import row


def _gui_exists() -> bool:
    try:
        out = subprocess.run(["git", "ls-files", "src/backstation/ui/live"], cwd=common.ROOT,
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.strip())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", help="also write the raw figures here")
    args = p.parse_args(argv)
    import numpy
    import bench_memory
    import bench_parser
    import bench_record
    import bench_gui
    import bench_storage

    t0 = time.monotonic()
    print(f"# Back Station benchmarks: Python {platform.python_version()}, numpy "
          f"{numpy.__version__}, {platform.machine()}, {common.os.cpu_count()} CPUs", flush=True)
    figures = {}
    figures["parser"] = bench_parser.run()
    print("parser done", flush=True)
    figures["record"] = bench_record.run(20.0 if args.quick else 60.0)
    print("record done", flush=True)
    figures["memory"] = bench_memory.run()
    print("memory done", flush=True)
    figures["storage"] = bench_storage.run(180 if args.quick else 360)
    print("storage done", flush=True)
    figures["gui"] = bench_gui.run(15.0 if args.quick else 20.0)
    print("gui done", flush=True)

    a, b, m, s = figures["parser"], figures["record"], figures["memory"], figures["storage"]
    print()
    print("| figure | ours | naive baseline | ratio | goal | status |")
    print("|---|---|---|---|---|---|")
    print(row("(a) parser, in memory, `feed_rows` (sentences/s)", f"{a['rows_per_s']:,.0f}",
              f"{a['naive_per_s']:,.0f} (readline/split/float)",
              f"{a['rows_per_s'] / a['naive_per_s']:.2f}x",
              ">= 300,000/s and >= 20x", a["rows_per_s"] >= 300_000
              and a["rows_per_s"] >= 20 * a["naive_per_s"]))
    print(row("(a) parser, in memory, typed `feed` (sentences/s)", f"{a['typed_per_s']:,.0f}",
              f"{a['naive_per_s']:,.0f}", f"{a['typed_per_s'] / a['naive_per_s']:.2f}x",
              "(the typed API)", None))
    print(row("(a) ingest through a pty (sentences/s)", f"{a['pty_ours_per_s']:,.0f}",
              f"{a['pty_naive_per_s']:,.0f} (serial.readline)",
              f"{a['pty_ours_per_s'] / a['pty_naive_per_s']:.0f}x", ">= 20x",
              a["pty_ours_per_s"] >= 20 * a["pty_naive_per_s"]))
    ratio = b["ours_pct"] / b["naive_pct"]
    print(row(f"(b) record CPU, 1 kHz x2 + 50 Hz, {b['duration_s']:.0f} s (% of a core, "
              "steady)", f"{b['ours_pct']:.2f} %", f"{b['naive_pct']:.2f} %", f"{ratio:.2f}",
              "<= 3 % and <= 0.20", b["ours_pct"] <= 3 and ratio <= 0.2))
    print(row("(b) record CPU incl. start-up", f"{b['ours_total_pct']:.2f} %",
              f"{b['naive_total_pct']:.2f} %",
              f"{b['ours_total_pct'] / b['naive_total_pct']:.2f}", "", None))
    g = figures["gui"]
    for label, goal_pct in (("80", 15), ("1k", 30)):
        c = g[label]
        rate = "80 Hz" if label == "80" else "1 kHz x2 + 50 Hz"
        print(row(f"(c) GUI CPU at {rate}, 30 s window (% of a core; fps drawn)",
                  f"{c['ours_pct']:.1f} % ({c['ours_fps']:.0f} fps)",
                  f"{c['naive_pct']:.1f} % ({c['naive_fps']:.0f} fps, matplotlib Agg)",
                  f"{c['ours_pct'] / c['naive_pct']:.2f}", f"<= {goal_pct} %",
                  c["ours_pct"] <= goal_pct))
        print(row(f"(c) of which the in-process simulator, {rate}", f"{c['sim_pct']:.1f} %",
                  "(in both)", "-", "", None))
    d, dn = g["80"]["ours_latency"], g["80"]["naive_latency"]
    print(row("(d) sample-to-screen latency at 80 Hz (median / p99)",
              f"{d['median_ms']:.0f} / {d['p99_ms']:.0f} ms",
              f"{dn['median_ms']:.0f} / {dn['p99_ms']:.0f} ms",
              f"{d['median_ms'] / dn['median_ms']:.2f}", "median <= 30 ms, p99 <= 60 ms",
              d["median_ms"] <= 30 and d["p99_ms"] <= 60))
    r = g["80"]["ours_read_latency"]
    print(row("(d) of which device -> link read (sim polls every 20 ms)",
              f"{r['median_ms']:.0f} / {r['p99_ms']:.0f} ms", "-", "-", "", None))
    print(row("(e) 2 h at 80 Hz held in memory (RSS)", f"{m['ours_rss_mb']:.0f} MB",
              f"{m['naive_rss_mb']:.0f} MB (list of float rows)",
              f"{m['ours_rss_mb'] / m['naive_rss_mb']:.2f}", "<= 300 MB",
              m["ours_rss_mb"] <= 300))
    sc = g["scroll"]
    print(row("(e) scroll-back over 2 h at 80 Hz, 30 s window (frames/s)",
              f"{sc['ours_fps']:.1f}", f"{sc['naive_fps']:.1f} (matplotlib, lists)",
              f"{sc['ours_fps'] / sc['naive_fps']:.1f}x", ">= 30 fps", sc["ours_fps"] >= 30))
    print(row("(e) the app's RSS holding those 2 h (VmHWM)", f"{sc['ours_rss_mb']:.0f} MB",
              f"{sc['naive_rss_mb']:.0f} MB", f"{sc['ours_rss_mb'] / sc['naive_rss_mb']:.2f}",
              "<= 300 MB", sc["ours_rss_mb"] <= 300))
    print(row(f"(f) database per hour at 1 kHz (from {s['hours']:.2f} h)",
              f"{s['ours_mb_per_h']:.1f} MB", f"{s['naive_mb_per_h']:.1f} MB (row per sample)",
              f"{s['ours_mb_per_h'] / s['naive_mb_per_h']:.2f}", "<= 100 MB",
              s["ours_mb_per_h"] <= 100))
    print(row("(f) export of that hour to CSV", f"{s['ours_export_s']:.1f} s",
              f"{s['naive_export_s']:.1f} s (csv.writer, 3 columns)",
              f"{s['ours_export_s'] / s['naive_export_s']:.2f}", "<= 5 s",
              s["ours_export_s"] <= 5))
    st = g["start"]
    print(row("(g) app start to first frame (`backstation --simulate`)",
              f"{st['ours_s']:.2f} s", f"{st['naive_s']:.2f} s (matplotlib figure drawn)",
              f"{st['ours_s'] / st['naive_s']:.2f}", "<= 2 s", st["ours_s"] <= 2))
    print()
    print(f"GUI present: {_gui_exists()}; record stream: {json.dumps(b['ours_stream'])}; "
          f"naive rows read: {b['naive_rows']}")
    print(f"record CPU windows (%): ours {b['ours_windows']} naive {b['naive_windows']}")
    for label in ("80", "1k"):
        print(f"GUI CPU windows {label} (%): ours {g[label]['ours_windows']} naive "
              f"{g[label]['naive_windows']} sim {g[label]['sim_windows']}")
    print(f"start (s): ours {st['ours_all_s']} naive {st['naive_all_s']}; "
          f"load average {' '.join(f'{x:.1f}' for x in common.os.getloadavg())}")
    print(f"total {time.monotonic() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
