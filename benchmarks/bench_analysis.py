"""Analysis cost per sample: a 10-minute stream (2 force channels at 1 kHz,
distance at 50 Hz) judged by ``AnalysisPipeline`` in 100 ms blocks, as live
recording feeds it. Prints CPU microseconds per force sample (the distance
samples' cost included; CPU time, so that a busy machine disturbs it less)
and a digest of what was judged, so a speed change can be checked not to
change a result (before this work: 38.9 us wall / ~22 us CPU per sample;
after: ~6 us wall / 3-4 us CPU, on a loaded 2-core machine).

The stream is the simulator's clean athlete (three sets of reps and rests)
through the real byte path, repeated end to end on a shifted time axis up
to 10 minutes: simulating 10 minutes at 1 kHz would time the simulator.

    python benchmarks/bench_analysis.py [--minutes 10] [--block-ms 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import time

import numpy as np

from common import median


def simulated_stream(minutes: float, scenario: str = "clean", seed: int = 1):
    from backstation.device.sim import SimulatedStation
    from backstation.protocol.commands import start
    from backstation.protocol.stream import DeviceStream
    from backstation.samples import DistanceBlock, ForceBlock

    station = SimulatedStation(scenario, seed, force_rate_hz=1000, distance_rate_hz=50)
    stream = DeviceStream()
    stream.feed(station.advance(0.5), 0.5)
    station.receive(start().line())
    t, end = 0.5, station.truth.duration_s + 0.5
    forces, dists = [], []
    while t < end:
        t = min(end, t + 1.0)
        stream.feed(station.advance(t), t)
        f, d = stream.take_blocks()
        forces.append(f)
        dists.append(d)
    force = ForceBlock.concat(forces, 2)
    dist = DistanceBlock.concat(dists)
    cals = {c.channel: (c.offset_counts, c.counts_per_newton) for c in stream.calibration.values()}
    # Repeat the recording end to end (1 s apart) up to the length wanted.
    period_us = int(max(force.t_device_us[-1], dist.t_device_us[-1])) + 1_000_000
    copies = int(np.ceil(minutes * 60e6 / period_us))
    shift_f = np.repeat(np.arange(copies, dtype=np.int64) * period_us, len(force))
    shift_d = np.repeat(np.arange(copies, dtype=np.int64) * period_us, len(dist))
    force = ForceBlock(np.tile(force.seq, copies), np.tile(force.t_device_us, copies) + shift_f,
                       np.tile(force.raw, (copies, 1)), np.tile(force.t_host_s, copies))
    dist = DistanceBlock(np.tile(dist.seq, copies), np.tile(dist.t_device_us, copies) + shift_d,
                         np.tile(dist.gap_mm, copies), np.tile(dist.t_host_s, copies))
    keep_f = force.t_device_us < minutes * 60e6
    keep_d = dist.t_device_us < minutes * 60e6
    force = ForceBlock(force.seq[keep_f], force.t_device_us[keep_f], force.raw[keep_f],
                       force.t_host_s[keep_f])
    dist = DistanceBlock(dist.seq[keep_d], dist.t_device_us[keep_d], dist.gap_mm[keep_d],
                         dist.t_host_s[keep_d])
    return force, dist, cals, station.truth.body_mass_kg


def blocks(force, dist, block_us: int):
    """The stream cut into consecutive time blocks, made before timing."""
    from backstation.samples import DistanceBlock, ForceBlock
    t0 = int(min(force.t_device_us[0], dist.t_device_us[0]))
    t1 = int(max(force.t_device_us[-1], dist.t_device_us[-1]))
    edges = np.arange(t0, t1 + block_us + 1, block_us)
    fi = np.searchsorted(force.t_device_us, edges)
    di = np.searchsorted(dist.t_device_us, edges)
    out = []
    for a, b, c, d in zip(fi[:-1], fi[1:], di[:-1], di[1:]):
        out.append((ForceBlock(force.seq[a:b], force.t_device_us[a:b], force.raw[a:b],
                               force.t_host_s[a:b]),
                    DistanceBlock(dist.seq[c:d], dist.t_device_us[c:d], dist.gap_mm[c:d],
                                  dist.t_host_s[c:d])))
    return out


def judge(parts, cals, body_mass_kg):
    from backstation.analysis import AnalysisConfig, AnalysisPipeline
    pipeline = AnalysisPipeline(AnalysisConfig(body_mass_kg=body_mass_kg, force_rate_hz=1000.0), 2)
    for channel, (offset, scale) in cals.items():
        pipeline.set_calibration(channel, offset, scale)
    events = []
    t0 = time.process_time()
    for force, dist in parts:
        events += pipeline.feed(force, dist)
    events += pipeline.finish()
    return time.process_time() - t0, pipeline, events


def digest(pipeline, events) -> str:
    text = repr([[r.key() for r in s.reps] for s in pipeline.sets])
    text += repr([(s.t_start_us, s.t_end_us, s.reps_per_min) for s in pipeline.sets])
    text += repr([e for e in events if type(e).__name__ == "ContactChanged"])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--block-ms", type=float, default=100.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    force, dist, cals, mass = simulated_stream(args.minutes)
    parts = blocks(force, dist, int(args.block_ms * 1000))
    times = []
    for _ in range(args.runs):
        seconds, pipeline, events = judge(parts, cals, mass)
        times.append(seconds)
    reps = [r for s in pipeline.sets for r in s.reps]
    per_sample_us = median(times) / len(force) * 1e6
    print(f"{args.minutes:g} min: {len(force)} force + {len(dist)} distance samples in "
          f"{len(parts)} blocks of {args.block_ms:g} ms; {len(pipeline.sets)} sets, {len(reps)} reps "
          f"({sum(1 for r in reps if r.valid)} valid); digest {digest(pipeline, events)}")
    print(f"analysis: {per_sample_us:.2f} us per force sample (median of {args.runs}, "
          f"best {min(times) / len(force) * 1e6:.2f}); "
          f"{100 * per_sample_us * 1000 / 1e6:.2f} % of a core at 1 kHz")


if __name__ == "__main__":
    main()
