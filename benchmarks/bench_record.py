"""(b) Headless ``record`` CPU: 2 force channels at 1 kHz + distance at 50 Hz.

Two simulated stations with the same seed (so the same byte stream) run on
two ptys at real time (``backstation sim --force-rate 1000 --distance-rate
50``). ``python -m backstation record --port A --duration T`` reads one and
the naive reader (``baselines/naive_ingest.py``: readline, split, float,
CSV) the other, at the same time, so machine noise hits both. CPU comes
from /proc/<pid>/stat (utime + stime) of each reader process: the median of
5 s windows after a 3 s warm-up (the steady state), and the whole run
including interpreter start-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, median, proc_cpu_s

WARMUP_S = 3.0
WINDOW_S = 5.0


def _start_sim(link: str, seed: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "backstation", "sim", "--seed", str(seed), "--force-rate", "1000",
         "--distance-rate", "50", "--link", link],
        stdout=subprocess.PIPE, text=True, env=_env())
    proc.stdout.readline()   # the port path: the pty exists
    return proc


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run(duration_s: float = 60.0, seed: int = 1) -> dict:
    with tempfile.TemporaryDirectory(prefix="bs-bench-") as tmp:
        sims = [_start_sim(os.path.join(tmp, "ttyA"), seed),
                _start_sim(os.path.join(tmp, "ttyB"), seed)]
        try:
            ours = subprocess.Popen(
                [sys.executable, "-m", "backstation", "record", "--port", os.path.join(tmp, "ttyA"),
                 "--duration", str(duration_s), "--db", os.path.join(tmp, "s.db"), "--json"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
            naive = subprocess.Popen(
                [sys.executable, str(ROOT / "benchmarks/baselines/naive_ingest.py"),
                 "--port", os.path.join(tmp, "ttyB"), "--duration", str(duration_s),
                 "--csv", os.path.join(tmp, "naive.csv")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
            procs = {"ours": ours, "naive": naive}
            windows = {k: [] for k in procs}
            t0 = time.monotonic()
            time.sleep(WARMUP_S)
            last = {k: proc_cpu_s(p.pid) for k, p in procs.items()}
            last_t = time.monotonic()
            while time.monotonic() - t0 + WINDOW_S < duration_s - 0.5:
                time.sleep(WINDOW_S)
                now = time.monotonic()
                for k, p in procs.items():
                    cpu = proc_cpu_s(p.pid)
                    windows[k].append((cpu - last[k]) / (now - last_t))
                    last[k] = cpu
                last_t = now
            totals = {}
            for k, p in procs.items():
                _, status, usage = os.wait4(p.pid, 0)
                p.returncode = os.waitstatus_to_exitcode(status)
                totals[k] = (usage.ru_utime + usage.ru_stime) / duration_s
            out, err = ours.communicate()
            naive_out, _ = naive.communicate()
        finally:
            for s in sims:
                s.terminate()
                s.wait(5)
        import json
        result = json.loads(out) if ours.returncode == 0 else {"error": err[-500:]}
        return {"duration_s": duration_s,
                "ours_pct": 100 * median(windows["ours"]),
                "naive_pct": 100 * median(windows["naive"]),
                "ours_total_pct": 100 * totals["ours"], "naive_total_pct": 100 * totals["naive"],
                "ours_windows": [round(100 * w, 2) for w in windows["ours"]],
                "naive_windows": [round(100 * w, 2) for w in windows["naive"]],
                "ours_samples": result.get("stream", {}).get("force_samples"),
                "ours_stream": result.get("stream", result),
                "naive_rows": int(naive_out.strip() or 0)}


if __name__ == "__main__":
    import json
    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0), indent=1))
