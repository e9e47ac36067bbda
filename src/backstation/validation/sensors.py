"""The station's sensors, written from datasheets and bench experience, not
from the project's simulator.

- HX711 (or a faster ADC at 1000 SPS): raw = offset + scale x newtons per
  channel, signed 24-bit clip; each conversion is the average of the load
  over its conversion period (a sigma-delta with a sinc filter); ~0.2 N rms
  noise; the chip's own oscillator runs a few % off nominal; the MCU's
  micros() stamps each read with ~30 us jitter.
- HC-SR04: 10-20 Hz, integer mm, ~+-3 mm, -1 when no echo came back.
- VL53L0X / VL53L1X time of flight: 30-50 Hz, noise ~5-10 mm growing with
  range, and an out-of-range code when it sees nothing (the part's 8190/8191,
  which a firmware may pass through or turn into -1).
- Artefacts of real distance streams: missed echoes; stray readings anywhere
  in 100-2000 mm, alone or in bursts of 2-3; multipath near twice the gap; a
  lone near-zero reading (a sleeve, a hand); a stuck value repeated for
  several samples.
- Stream gaps: a cable glitch or a reboot, 1-4 s with no samples at all; the
  host's session time axis simply continues (a reboot restarts ``seq``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..samples import DistanceBlock, ForceBlock

ADC_MIN, ADC_MAX = -(1 << 23), (1 << 23) - 1
TOF_MAX_MM = {"vl53l0x": 1200.0, "vl53l1x": 3600.0}
HOST_LATENCY_S = 0.004


@dataclass(frozen=True)
class ChannelCal:
    channel: int
    offset_counts: int
    counts_per_newton: float


@dataclass
class ForceStream:
    t_s: np.ndarray            # sample times on the session axis
    raw: np.ndarray            # int32 (n, channels)
    clean_total_n: np.ndarray  # what the conversions averaged, no noise: the truth of a peak
    cal: list[ChannelCal]
    rate_hz: float             # the real rate (nominal x oscillator)


@dataclass
class DistanceStream:
    t_s: np.ndarray
    gap_mm: np.ndarray         # int32 as the firmware sends it
    clean_mm: np.ndarray       # the true reading at each sample
    artefact: np.ndarray       # int8: 0 none, else ARTEFACT_CODES index
    kind: str
    rate_hz: float


ARTEFACT_CODES = ("none", "missed", "stray", "multipath", "near_zero", "stuck", "out_of_range")


@dataclass(frozen=True)
class DistanceArtefacts:
    """Per-sample chances of each artefact (events; a burst counts once)."""

    missed: float = 0.0
    stray: float = 0.0
    stray_burst_max: int = 1
    multipath: float = 0.0
    near_zero: float = 0.0
    stuck: float = 0.0
    stuck_len: tuple[int, int] = (3, 8)

    def any(self) -> bool:
        return any(x > 0 for x in (self.missed, self.stray, self.multipath, self.near_zero, self.stuck))

    def kinds(self) -> list[str]:
        out = [k for k in ("missed", "stray", "multipath", "near_zero", "stuck") if getattr(self, k) > 0]
        if self.stray > 0 and self.stray_burst_max > 1:
            out.append("stray_burst")
        return out


def sample_times(t0_s: float, t1_s: float, rate_hz: float, rng: np.random.Generator,
                 jitter_s: float = 30e-6) -> np.ndarray:
    n = int(max(0, (t1_s - t0_s) * rate_hz))
    t = t0_s + rng.uniform(0, 1.0 / rate_hz) + np.arange(n) / rate_hz
    return t + rng.normal(0, jitter_s, n)


def hx711(t_grid: np.ndarray, load_n: np.ndarray, nominal_hz: float, channels: int,
          left_share: float, rng: np.random.Generator, noise_n: float = 0.2,
          t_end_s: float | None = None) -> ForceStream:
    """Force samples over the whole timeline (gaps are cut out later)."""
    osc = 1.0 + rng.uniform(-0.03, 0.03)
    rate = nominal_hz * osc
    t = sample_times(t_grid[0] + 0.05, t_end_s if t_end_s is not None else t_grid[-1], rate, rng)
    # average of the load over each conversion period: from the running integral
    dt = t_grid[1] - t_grid[0]
    integral = np.concatenate([[0.0], np.cumsum(load_n) * dt])
    grid_edges = np.concatenate([t_grid, [t_grid[-1] + dt]])
    period = 1.0 / rate
    hi = np.interp(t, grid_edges, integral)
    lo = np.interp(t - period, grid_edges, integral)
    clean = (hi - lo) / period
    # how the load splits over the channels (the share drifts a little)
    drift = 0.01 * np.sin(2 * np.pi * t / rng.uniform(20, 60) + rng.uniform(0, 6.28))
    left = np.clip(left_share + drift, 0.05, 0.95)
    if channels == 1:
        parts = [np.ones_like(t)]
    elif channels == 2:
        parts = [left, 1 - left]
    else:
        front = rng.uniform(0.3, 0.7)
        parts = [left * front, left * (1 - front), (1 - left) * front, (1 - left) * (1 - front)]
        if channels == 3:
            parts = [left, (1 - left) * front, (1 - left) * (1 - front)]
    cal = []
    raw = np.empty((len(t), channels), np.int64)
    for ch in range(channels):
        offset = int(rng.integers(-300_000, 300_000))
        scale = float(rng.uniform(300, 2000))
        newtons = clean * parts[ch] + rng.normal(0, noise_n, len(t))
        raw[:, ch] = np.clip(np.round(offset + scale * newtons), ADC_MIN, ADC_MAX)
        cal.append(ChannelCal(ch, offset, scale))
    return ForceStream(t, raw.astype(np.int32), clean, cal, rate)


def distance(t_grid: np.ndarray, reading_mm: np.ndarray, kind: str, rate_hz: float,
             artefacts: DistanceArtefacts, rng: np.random.Generator, oor_code: int = -1,
             t_end_s: float | None = None) -> DistanceStream:
    t = sample_times(t_grid[0] + 0.02, t_end_s if t_end_s is not None else t_grid[-1], rate_hz, rng,
                     jitter_s=0.002 if kind == "hcsr04" else 0.0005)
    clean = np.interp(t, t_grid, reading_mm)
    n = len(t)
    code = np.zeros(n, np.int8)
    if kind == "hcsr04":
        out = np.round(clean + rng.normal(0, 1.3, n))
        out = np.maximum(out, 20.0)       # the echo is blind under ~2 cm
    else:
        sigma = 2.5 + 0.006 * clean
        out = np.round(clean + rng.normal(0, 1, n) * sigma)
        too_far = clean > TOF_MAX_MM[kind] * rng.uniform(0.85, 1.0)
        out = np.maximum(out, 0.0)
        out[too_far] = oor_code
        code[too_far] = 6
    missing = -1 if kind == "hcsr04" else oor_code
    inject(out, clean, code, artefacts, rng, missing)
    return DistanceStream(t, out.astype(np.int32), clean, code, kind, rate_hz)


def inject(out: np.ndarray, clean: np.ndarray, code: np.ndarray, art: DistanceArtefacts,
           rng: np.random.Generator, missing: int = -1) -> None:
    """Overwrite readings in ``out`` (in place) with the artefacts' readings;
    ``code`` says which sample got what."""
    n = len(out)
    u = rng.random(n)
    p = 0.0
    for name, rate in (("missed", art.missed), ("stray", art.stray), ("multipath", art.multipath),
                       ("near_zero", art.near_zero), ("stuck", art.stuck)):
        hit = np.nonzero((u >= p) & (u < p + rate))[0]
        p += rate
        for i in hit:
            if code[i]:
                continue
            if name == "missed":
                out[i], code[i] = missing, 1
            elif name == "stray":
                k = int(rng.integers(1, art.stray_burst_max + 1))
                for j in range(i, min(n, i + k)):
                    out[j], code[j] = round(rng.uniform(100, 2000)), 2
            elif name == "multipath":
                out[i], code[i] = round(2 * clean[i] * rng.uniform(0.97, 1.05) + rng.normal(0, 5)), 3
            elif name == "near_zero":
                out[i], code[i] = round(rng.uniform(0, 40)), 4
            elif name == "stuck" and i > 0:
                k = int(rng.integers(art.stuck_len[0], art.stuck_len[1] + 1))
                for j in range(i, min(n, i + k)):
                    out[j], code[j] = out[i - 1], 5


@dataclass
class StreamGap:
    t0_s: float
    t1_s: float
    reboot: bool


def cut_gaps(t: np.ndarray, gaps: list[StreamGap]) -> np.ndarray:
    keep = np.ones(len(t), bool)
    for g in gaps:
        keep &= ~((t >= g.t0_s) & (t < g.t1_s))
    return keep


def seq_numbers(t: np.ndarray, keep: np.ndarray, gaps: list[StreamGap], first: int) -> np.ndarray:
    """The device's counter for every kept sample: lost samples still count,
    a reboot restarts it at 0."""
    seq = (first + np.arange(len(t))).astype(np.int64)
    for g in gaps:
        if g.reboot:
            after = t >= g.t1_s
            if after.any():
                k = int(np.argmax(after))
                seq[k:] = np.arange(len(t) - k)
    return (seq[keep] % 65536).astype(np.uint16)


def to_blocks(force: ForceStream, dist: DistanceStream | None, gaps: list[StreamGap],
              chunk_s: float, cut_at_s: list[float], rng: np.random.Generator) -> list[tuple[ForceBlock, DistanceBlock]]:
    """Chunks as the host hands them to the pipeline (every ``chunk_s``, and at
    the manual start/end times so that those can be pressed in between)."""
    fk = cut_gaps(force.t_s, gaps)
    f_t = force.t_s[fk]
    f_us = np.round(f_t * 1e6).astype(np.int64)
    f_seq = seq_numbers(force.t_s, fk, gaps, int(rng.integers(0, 65536)))
    f_raw = force.raw[fk]
    if dist is not None:
        dk = cut_gaps(dist.t_s, gaps)
        d_t = dist.t_s[dk]
        d_us = np.round(d_t * 1e6).astype(np.int64)
        d_seq = seq_numbers(dist.t_s, dk, gaps, int(rng.integers(0, 65536)))
        d_gap = dist.gap_mm[dk]
    else:
        d_t = np.empty(0)
        d_us = np.empty(0, np.int64)
        d_seq = np.empty(0, np.uint16)
        d_gap = np.empty(0, np.int32)
    end = max(f_t[-1] if len(f_t) else 0.0, d_t[-1] if len(d_t) else 0.0) + 1e-6
    edges = list(np.arange(0.0, end + chunk_s, chunk_s))
    edges = sorted(set([e for e in edges] + [c for c in cut_at_s if 0 < c < end] + [end]))
    fi = np.searchsorted(f_t, edges)
    di = np.searchsorted(d_t, edges)
    out = []
    chans = force.raw.shape[1]
    for a, b, c, d in zip(fi[:-1], fi[1:], di[:-1], di[1:]):
        fb = ForceBlock(f_seq[a:b], f_us[a:b], f_raw[a:b].reshape(-1, chans),
                        f_t[a:b] + HOST_LATENCY_S)
        db = DistanceBlock(d_seq[c:d], d_us[c:d], d_gap[c:d], d_t[c:d] + HOST_LATENCY_S)
        out.append((fb, db))
    return out


def touch_readings(kind: str, touch_mm: float, rate_hz: float, rng: np.random.Generator,
                   seconds: float = 2.0) -> np.ndarray:
    """The 2 s touch of the bar that calibrates the athlete's contact threshold."""
    n = max(5, int(seconds * rate_hz))
    breathing = 2.0 * np.sin(2 * np.pi * 0.3 * np.arange(n) / rate_hz + rng.uniform(0, 6.28))
    sigma = 1.3 if kind == "hcsr04" else 2.5 + 0.006 * touch_mm
    r = np.round(touch_mm + breathing + rng.normal(0, sigma, n))
    return np.maximum(r, 20.0 if kind == "hcsr04" else 0.0)
