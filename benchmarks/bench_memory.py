"""(e) A 2-hour session at 80 Hz held in memory: peak resident memory of a
process that decodes it through ``DeviceStream`` and keeps every block (what
a scroll-back view needs), versus the naive reader's list of float rows.
Each side runs in its own fresh process; VmHWM is read from /proc.
The analysis is not in this figure (see docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys

from common import ROOT

HOURS = 2.0


def _stream(hours: float) -> bytes:
    import numpy as np
    from backstation.protocol.sentences import DistanceSample, ForceSample, Hello, encode
    n = int(hours * 3600 * 80)
    rng = np.random.default_rng(1)
    raw = (50_000 + rng.normal(0, 300, (n, 2))).astype(int).tolist()
    parts = [encode(Hello(1, "bench", "0000BEEF", 2, 80, "hcsr04"))]
    for i in range(n):
        t = 200_000 + i * 12_500
        parts.append(encode(ForceSample(i % 65536, t % (1 << 32), tuple(raw[i]))))
        if i % 4 == 0:
            parts.append(encode(DistanceSample((i // 4) % 65536, t % (1 << 32), 400)))
    return b"".join(parts)


def _child(kind: str, hours: float) -> None:
    data = _stream(hours)
    if kind == "ours":
        from backstation.protocol.stream import DeviceStream
        from backstation.samples import ForceBlock
        stream = DeviceStream()
        force, distance = [], []
        step = 80 * 45 * 4    # ~0.1 s of bytes per feed, as the reader sees it
        for i in range(0, len(data), step):
            stream.feed(data[i:i + step], 0.0)
            f, d = stream.take_blocks()
            force.append(f)
            distance.append(d)
        held = ForceBlock.concat(force, 2)   # the scroll-back: one array per column
        del force
        count = len(held)
    else:
        from baselines.naive_ingest import parse_bytes
        rows = parse_bytes(data)
        count = len(rows)
    del data
    import gc
    gc.collect()
    with open("/proc/self/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    print(count, rss / 1024)


def run(hours: float = HOURS) -> dict:
    out = {}
    for kind in ("ours", "naive"):
        proc = subprocess.run([sys.executable, __file__, kind, str(hours)], capture_output=True,
                              text=True, cwd=ROOT / "benchmarks", timeout=900)
        count, rss = proc.stdout.split()
        out[kind + "_samples"] = int(count)
        out[kind + "_rss_mb"] = float(rss)
    return out


if __name__ == "__main__":
    import common  # noqa: F401  (sys.path)
    if len(sys.argv) == 3:
        _child(sys.argv[1], float(sys.argv[2]))
    else:
        import json
        print(json.dumps(run(), indent=1))
