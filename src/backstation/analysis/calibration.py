"""Raw HX711 counts to newtons, per channel, as the calibration was at the
time of each sample.

Three sources, latest wins for samples after its ``t_from_us``:
- the device's CAL sentence (what its EEPROM holds, sent after HELLO and
  after every TARE/CAL/SETCAL);
- an app-side override (``set_calibration`` with a known scale);
- a software tare: a new offset kept by the app only, so the device's stored
  tare stays as the maker set it.
A channel with no calibration yet gives no force (its samples are counted
as uncalibrated, never guessed). A scale the protocol would refuse (not
finite, or of magnitude under 0.0001 counts per newton: forces beyond any
load cell) is refused here too (``ValueError``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..protocol.sentences import check_counts_per_newton

_FROM_THE_START_US = -(1 << 62)


class StoredCalibration(Protocol):
    """What a stored calibration row gives (``storage.CalibrationRecord``)."""
    channel: int
    offset_counts: int
    counts_per_newton: float
    t_device_us: int | None


@dataclass
class _Entry:
    t_from_us: int              # applies to samples strictly after this time
    offset_counts: float
    counts_per_newton: float


@dataclass
class ForceCalibration:
    channels: int
    _entries: list[list[_Entry]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._entries = [[] for _ in range(self.channels)]

    @classmethod
    def from_records(cls, channels: int, records: Iterable[StoredCalibration],
                     refused: list[str] | None = None) -> "ForceCalibration":
        """The calibration a session's stored rows describe, applied in order
        (a later row at the same time replaces an earlier one). A row for a
        channel beyond ``channels`` is left out; a row this rule refuses is
        left out and, if ``refused`` is given, described there in one line."""
        cal = cls(channels)
        for rec in records:
            if not 0 <= rec.channel < channels:
                continue
            try:
                cal.set(rec.channel, rec.offset_counts, rec.counts_per_newton, rec.t_device_us)
            except ValueError as exc:
                if refused is not None:
                    refused.append(f"stored calibration of channel {rec.channel} ignored: {exc}")
        return cal

    def set(self, channel: int, offset_counts: float, counts_per_newton: float,
            t_from_us: int | None = None) -> None:
        if not 0 <= channel < self.channels:
            raise ValueError(f"channel {channel} out of range 0..{self.channels - 1}")
        check_counts_per_newton(counts_per_newton)
        if not math.isfinite(offset_counts):
            raise ValueError(f"offset {offset_counts!r} is not a finite number")
        self._insert(channel, _Entry(_FROM_THE_START_US if t_from_us is None else int(t_from_us),
                                     float(offset_counts), float(counts_per_newton)))

    def tare(self, channel: int, offset_counts: float, t_from_us: int) -> None:
        """A new zero from ``t_from_us`` on, keeping the scale in force then."""
        current = self.at(channel, t_from_us + 1)
        if current is None:
            raise ValueError(f"channel {channel} has no scale to tare against")
        self._insert(channel, _Entry(int(t_from_us), float(offset_counts), current.counts_per_newton))

    def _insert(self, channel: int, entry: _Entry) -> None:
        entries = self._entries[channel]
        keys = [e.t_from_us for e in entries]
        i = bisect.bisect_right(keys, entry.t_from_us)
        if i and entries[i - 1].t_from_us == entry.t_from_us:
            entries[i - 1] = entry
        else:
            entries.insert(i, entry)

    def newest(self, channel: int) -> _Entry | None:
        """The calibration that applies to samples from now on (the latest entry)."""
        entries = self._entries[channel]
        return entries[-1] if entries else None

    def at(self, channel: int, t_device_us: int) -> _Entry | None:
        """The calibration that applies to a sample taken at ``t_device_us``."""
        entries = self._entries[channel]
        for entry in reversed(entries):
            if t_device_us > entry.t_from_us:
                return entry
        return None

    def newtons(self, raw: np.ndarray, t_device_us: np.ndarray) -> np.ndarray:
        """Force in newtons of each sample, shape ``(n, k)`` as ``raw``, with the
        calibration each channel had at that sample's time (``at``); NaN where a
        channel had none yet, and in a column beyond this calibration's channels.
        ``t_device_us`` (n,) need not be sorted."""
        raw = np.asarray(raw)
        t = np.asarray(t_device_us, dtype=np.int64)
        if raw.ndim != 2 or raw.shape[0] != t.shape[0]:
            raise ValueError(f"raw {raw.shape} and times {t.shape} do not match")
        out = np.full(raw.shape, np.nan)
        for c in range(min(raw.shape[1], self.channels)):
            entries = self._entries[c]
            if not entries:
                continue
            starts = np.array([e.t_from_us for e in entries], dtype=np.int64)
            offsets = np.array([e.offset_counts for e in entries], dtype=np.float64)
            scales = np.array([e.counts_per_newton for e in entries], dtype=np.float64)
            # An entry applies to samples strictly after its t_from_us.
            idx = np.searchsorted(starts, t, side="left") - 1
            ok = idx >= 0
            out[ok, c] = (raw[ok, c].astype(np.float64) - offsets[idx[ok]]) / scales[idx[ok]]
        return out

    def ready(self) -> bool:
        return all(self._entries)
