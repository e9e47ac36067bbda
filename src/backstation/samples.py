"""Blocks of samples as they travel from the reader thread to storage,
analysis and plots: columns of numpy arrays, never one object per sample.

``t_device_us`` is the session's device time axis: the device's ``micros()``
unwrapped past its 32-bit wrap and, after a device reboot, continued from
where the session left off (docs/protocol.md, "Time axis"). ``t_host_s`` is
the host's wall-clock arrival time (``time.time()``), kept only for latency
figures.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


class _Columns:
    """Slicing for a block of equal-length columns: the one place that knows
    a block is cut by cutting every column alike."""

    def __getitem__(self, index: slice | np.ndarray):
        """The samples at ``index`` (a slice, an index array or a boolean
        mask), as a block of the same kind."""
        if not isinstance(index, (slice, np.ndarray)):
            raise TypeError(f"a block is cut by a slice or an array, not {type(index).__name__}")
        return type(self)(*(getattr(self, f.name)[index] for f in fields(self)))

    def between(self, lo_us: int, hi_us: int):
        """The samples with ``lo_us <= t_device_us < hi_us`` (times ascending)."""
        return self[slice(*np.searchsorted(self.t_device_us, [lo_us, hi_us]))]


@dataclass(frozen=True)
class ForceBlock(_Columns):
    seq: np.ndarray          # uint16, the device's F counter
    t_device_us: np.ndarray  # int64
    raw: np.ndarray          # int32, shape (n, channels): signed 24-bit HX711 counts
    t_host_s: np.ndarray     # float64

    def __len__(self) -> int:
        return len(self.seq)

    @property
    def channels(self) -> int:
        return self.raw.shape[1]

    @classmethod
    def empty(cls, channels: int) -> "ForceBlock":
        return cls(np.empty(0, np.uint16), np.empty(0, np.int64),
                   np.empty((0, channels), np.int32), np.empty(0, np.float64))

    @classmethod
    def from_rows(cls, seq: list[int], t_device_us: list[int],
                  raw: list[tuple[int, ...]], t_host_s: list[float],
                  channels: int) -> "ForceBlock":
        if not seq:
            return cls.empty(channels)
        return cls(np.asarray(seq, np.uint16), np.asarray(t_device_us, np.int64),
                   np.asarray(raw, np.int32).reshape(len(seq), channels),
                   np.asarray(t_host_s, np.float64))

    @classmethod
    def concat(cls, blocks: list["ForceBlock"], channels: int) -> "ForceBlock":
        if not blocks:
            return cls.empty(channels)
        return cls(np.concatenate([b.seq for b in blocks]),
                   np.concatenate([b.t_device_us for b in blocks]),
                   np.concatenate([b.raw for b in blocks]),
                   np.concatenate([b.t_host_s for b in blocks]))


@dataclass(frozen=True)
class DistanceBlock(_Columns):
    seq: np.ndarray          # uint16, the device's D counter
    t_device_us: np.ndarray  # int64
    gap_mm: np.ndarray       # int32; -1 where the sensor saw nothing
    t_host_s: np.ndarray     # float64

    def __len__(self) -> int:
        return len(self.seq)

    @classmethod
    def empty(cls) -> "DistanceBlock":
        return cls(np.empty(0, np.uint16), np.empty(0, np.int64),
                   np.empty(0, np.int32), np.empty(0, np.float64))

    @classmethod
    def from_rows(cls, seq: list[int], t_device_us: list[int], gap_mm: list[int],
                  t_host_s: list[float]) -> "DistanceBlock":
        if not seq:
            return cls.empty()
        return cls(np.asarray(seq, np.uint16), np.asarray(t_device_us, np.int64),
                   np.asarray(gap_mm, np.int32), np.asarray(t_host_s, np.float64))

    @classmethod
    def concat(cls, blocks: list["DistanceBlock"]) -> "DistanceBlock":
        if not blocks:
            return cls.empty()
        return cls(np.concatenate([b.seq for b in blocks]),
                   np.concatenate([b.t_device_us for b in blocks]),
                   np.concatenate([b.gap_mm for b in blocks]),
                   np.concatenate([b.t_host_s for b in blocks]))
