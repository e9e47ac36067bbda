"""(f) Storage: one hour at 1 kHz (2 channels) + distance at 50 Hz, written
through ``storage.SessionWriter`` in 100 ms blocks; database size, then
``export.export_session`` to CSV. Baseline: the hobbyist's SQLite table with
a row per sample (``executemany``) exported with ``csv.writer``."""

from __future__ import annotations

import csv
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

HOUR_S = 3600


def _synthetic_hour(rate_hz: int = 1000, seconds: int = HOUR_S, seed: int = 5):
    rng = np.random.default_rng(seed)
    n = rate_hz * seconds
    t_us = np.arange(n, dtype=np.int64) * (1_000_000 // rate_hz) + 200_000
    # Sets of pulls: a slow envelope plus noise, like a real session.
    load = 300 * np.clip(np.sin(2 * np.pi * t_us / 4e6), 0, None) * (
        (t_us // 60_000_000) % 2 == 0)
    raw = np.stack([50_000 + 800 * (load * 0.5 + rng.normal(0, 0.3, n)),
                    60_000 + 900 * (load * 0.5 + rng.normal(0, 0.3, n))], axis=1).astype(np.int32)
    seq = (np.arange(n) % 65536).astype(np.uint16)
    nd = seconds * 50
    td = np.arange(nd, dtype=np.int64) * 20_000 + 210_000
    gap = (400 - 300 * np.clip(np.sin(2 * np.pi * td / 4e6), 0, None)).astype(np.int32)
    return seq, t_us, raw, td, gap


def write_ours(path: Path, seconds: int = HOUR_S) -> tuple[int, float]:
    from backstation.samples import DistanceBlock, ForceBlock
    from backstation.storage import Database, SessionWriter
    seq, t_us, raw, td, gap = _synthetic_hour(seconds=seconds)
    with Database(path) as db:
        sid = db.create_session(device_id="0000BEEF", firmware="bench", protocol=1,
                                force_channels=2, force_rate_hz=1000, distance_sensor="hcsr04",
                                body_mass_kg=75.0)
        db.add_calibration(sid, 0, 50_000, 800.0)
        db.add_calibration(sid, 1, 60_000, 900.0)
        fake_s = [0.0]
        writer = SessionWriter(db, sid, clock=lambda: fake_s[0])
        t0 = time.perf_counter()
        step, dstep = 100, 5    # 100 ms of samples per drain, as the recorder does
        for i in range(0, len(seq), step):
            j = i // step * dstep
            writer.add_force(ForceBlock(seq[i:i + step], t_us[i:i + step], raw[i:i + step],
                                        t_us[i:i + step] / 1e6))
            writer.add_distance(DistanceBlock(seq[j:j + dstep], td[j:j + dstep],
                                              gap[j:j + dstep], td[j:j + dstep] / 1e6))
            fake_s[0] += 0.1
            writer.flush_if_due()
        writer.finish()
        elapsed = time.perf_counter() - t0
    return sid, elapsed


def write_naive(path: Path, seconds: int = HOUR_S) -> float:
    seq, t_us, raw, td, gap = _synthetic_hour(seconds=seconds)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE samples (t REAL, left REAL, right REAL)")
    conn.execute("CREATE TABLE distance (t REAL, gap REAL)")
    t0 = time.perf_counter()
    rows = zip((t_us / 1e6).tolist(), raw[:, 0].astype(float).tolist(),
               raw[:, 1].astype(float).tolist())
    conn.executemany("INSERT INTO samples VALUES (?, ?, ?)", rows)
    conn.executemany("INSERT INTO distance VALUES (?, ?)",
                     zip((td / 1e6).tolist(), gap.astype(float).tolist()))
    conn.commit()
    conn.close()
    return time.perf_counter() - t0


def export_ours(db_path: Path, sid: int, out: Path) -> float:
    from backstation.export import export_session
    from backstation.storage import Database
    t0 = time.perf_counter()
    with Database(db_path) as db:
        export_session(db, sid, out)
    return time.perf_counter() - t0


def export_naive(db_path: Path, out: Path) -> float:
    t0 = time.perf_counter()
    conn = sqlite3.connect(db_path)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "samples.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "left", "right"])
        w.writerows(conn.execute("SELECT t, left, right FROM samples"))
    conn.close()
    return time.perf_counter() - t0


def run(seconds: int = HOUR_S, reps: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="bs-bench-") as tmp:
        tmp = Path(tmp)
        ours_db, naive_db = tmp / "ours.db", tmp / "naive.db"
        sid, write_s = write_ours(ours_db, seconds)
        naive_write_s = write_naive(naive_db, seconds)
        for p in (ours_db, naive_db):
            sqlite3.connect(p).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
        size = lambda p: sum(os.path.getsize(x) for x in tmp.glob(p.name + "*")) / 1e6
        ours_mb, naive_mb = size(ours_db), size(naive_db)
        ex_ours, ex_naive = [], []
        for r in range(reps):
            ex_ours.append(export_ours(ours_db, sid, tmp / f"o{r}"))
            ex_naive.append(export_naive(naive_db, tmp / f"n{r}"))
        csv_mb = os.path.getsize(tmp / "o0" / "samples.csv") / 1e6
        scale = HOUR_S / seconds
        return {"hours": seconds / HOUR_S, "ours_mb_per_h": ours_mb * scale,
                "naive_mb_per_h": naive_mb * scale, "ours_write_s": write_s,
                "naive_write_s": naive_write_s,
                "ours_export_s": sorted(ex_ours)[len(ex_ours) // 2] * scale,
                "naive_export_s": sorted(ex_naive)[len(ex_naive) // 2] * scale,
                "csv_mb": csv_mb * scale}


if __name__ == "__main__":
    import json
    import sys
    import common  # noqa: F401  (sys.path)
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else HOUR_S, 1), indent=1))
