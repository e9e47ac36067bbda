"""The simulated board: its identity (what its EEPROM and parts are) and its
sensors (HX711 pair, HC-SR04), each adding its own noise to the athlete model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...protocol.sentences import RAW_MAX, RAW_MIN, Cal

FIRMWARE = "sim-0.1.0"
HX711_SETTLING_S = {80: 0.05, 10: 0.4}   # datasheet: output settling time
HX711_JITTER_S = 30e-6                   # conversion-to-read latency of the main loop
ADC_NOISE_COUNTS = 3.0                   # HX711 at gain 128: a few counts rms
MECH_NOISE_N = 0.15                      # bar and hook vibration, per sample, per side
SWAY_N = (1.2, 0.6, 0.3)                 # body sway while hanging, per component
SWAY_HZ = (0.9, 2.3, 5.1)
DISTANCE_PERIOD_S = 0.050                # HC-SR04: >= 60 ms advised; 50 ms common in practice
DISTANCE_JITTER_S = 200e-6
DISTANCE_NOISE_MM = 1.2                  # rounds to +-2-3 mm
DISTANCE_MAX_MM = 4000                   # 2-400 cm range


@dataclass(frozen=True)
class TofPart:
    """A time-of-flight distance sensor: its rate, range and noise, which
    grows with the distance (less light comes back)."""

    period_s: float
    max_mm: int
    noise_mm: float        # rms at the bar
    noise_per_mm: float    # extra rms per mm of distance


# VL53L0X: 33 ms timing budget (~30 Hz), ~1.2 m in default mode, a few % rms
# far away; VL53L1X: 20 ms budget (50 Hz, short mode), up to 4 m, quieter.
TOF_PARTS = {"vl53l0x": TofPart(1 / 30, 1200, 1.5, 0.012),
             "vl53l1x": TofPart(1 / 50, 4000, 1.0, 0.006)}
DISTANCE_PERIOD_BY_SENSOR_S = {"hcsr04": DISTANCE_PERIOD_S,
                               **{name: part.period_s for name, part in TOF_PARTS.items()}}


@dataclass(frozen=True)
class DeviceIdentity:
    """One physical board: id, load-cell offsets and scales, its HX711 clock."""

    device_id: str
    offset_counts: tuple[int, int]          # unloaded bar incl. the hooks
    counts_per_newton: tuple[float, float]
    adc_clock_factor: float                 # HX711 oscillator vs nominal (80 -> ~80.5)
    eeprom_cal: tuple[Cal, Cal]             # what the maker stored: close to the truth
    firmware: str = FIRMWARE

    @classmethod
    def from_seed(cls, device_seed: int, device_id: str | None = None) -> "DeviceIdentity":
        rng = np.random.default_rng([int(device_seed), 0xD1])
        ident = device_id or "%08X" % int(rng.integers(0, 1 << 32))
        offsets = tuple(int(x) for x in rng.integers(20_000, 90_000, size=2))
        scales = tuple(float(x) for x in np.round(rng.uniform(400, 2000, size=2), 2))
        factor = float(1.0 + rng.uniform(0.002, 0.01))
        cal = tuple(Cal(ch, offsets[ch] + int(rng.integers(-150, 150)),
                        round(scales[ch] * float(rng.uniform(0.99, 1.01)), 4)) for ch in range(2))
        return cls(ident.upper(), offsets, scales, factor, cal)


def sway_n(t_s: float, phases: np.ndarray) -> float:
    """Slow body sway of a person hanging from the bar (N, before the load share)."""
    return sum(a * math.sin(2 * math.pi * f * t_s + p) for a, f, p in zip(SWAY_N, SWAY_HZ, phases))


def hx711_raw(normals: list[float], ident: DeviceIdentity, side_forces_n: tuple[float, float],
              ) -> tuple[int, int]:
    """Both channels' signed 24-bit readings for the given per-side forces;
    ``normals`` are the sample's (mech 0, adc 0, mech 1, adc 1) draws."""
    out = []
    for ch in range(2):
        force = side_forces_n[ch] + MECH_NOISE_N * normals[2 * ch]
        counts = (ident.offset_counts[ch] + ident.counts_per_newton[ch] * force
                  + ADC_NOISE_COUNTS * normals[2 * ch + 1])
        out.append(int(min(RAW_MAX, max(RAW_MIN, round(counts)))))
    return out[0], out[1]


def hcsr04_gap(normal: float, true_gap_mm: float) -> int:
    return int(min(DISTANCE_MAX_MM, max(0, round(true_gap_mm + DISTANCE_NOISE_MM * normal))))


# ----- block versions: the same float operations on whole arrays -------------
# Each matches its scalar twin above bit for bit given the same random draws
# (tests/test_sim_golden.py holds the simulator to its pre-numpy output).

def sway_block(t_s: np.ndarray, phases: np.ndarray) -> np.ndarray:
    """``sway_n`` at many times; ``math.sin`` keeps libm's results exactly
    (numpy's SIMD sine may round differently on some CPUs)."""
    total = None
    for a, f, p in zip(SWAY_N, SWAY_HZ, phases):
        arg = (2 * math.pi * f) * t_s + p
        term = a * np.fromiter(map(math.sin, arg.tolist()), float, len(arg))
        total = term if total is None else total + term
    return total


def hx711_block(draws: np.ndarray, ident: DeviceIdentity, left_n: np.ndarray,
                right_n: np.ndarray) -> np.ndarray:
    """``hx711_raw`` for many samples: ``draws`` columns 1-4 are each sample's
    (mech 0, adc 0, mech 1, adc 1) normals; returns an (n, 2) int64 array."""
    out = np.empty((len(left_n), 2), np.int64)
    for ch, side in enumerate((left_n, right_n)):
        force = side + MECH_NOISE_N * draws[:, 1 + 2 * ch]
        counts = (ident.offset_counts[ch] + ident.counts_per_newton[ch] * force
                  + ADC_NOISE_COUNTS * draws[:, 2 + 2 * ch])
        out[:, ch] = np.clip(np.rint(counts), RAW_MIN, RAW_MAX)
    return out


def hcsr04_block(true_gap_mm: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """``hcsr04_gap`` for many readings given their standard normals."""
    return np.clip(np.rint(true_gap_mm + DISTANCE_NOISE_MM * noise), 0, DISTANCE_MAX_MM).astype(np.int64)


def tof_block(true_gap_mm: np.ndarray, noise: np.ndarray, part: TofPart) -> np.ndarray:
    """Time-of-flight readings given their standard normals; past the part's
    range it sees nothing (-1, the caller decides what is sent)."""
    sigma_mm = part.noise_mm + part.noise_per_mm * true_gap_mm
    gaps = np.clip(np.rint(true_gap_mm + sigma_mm * noise), 0, part.max_mm).astype(np.int64)
    gaps[true_gap_mm > part.max_mm] = -1
    return gaps


def distance_block(sensor: str, true_gap_mm: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """The named sensor's readings for many noise-free gaps."""
    if sensor in TOF_PARTS:
        return tof_block(true_gap_mm, noise, TOF_PARTS[sensor])
    return hcsr04_block(true_gap_mm, noise)
