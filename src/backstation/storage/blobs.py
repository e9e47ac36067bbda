"""Sample columns to and from BLOBs.

Every column is stored little-endian with an explicit dtype, whatever the
machine, so a database copied from a Raspberry Pi to a laptop reads back
the same. A blob whose length does not match its row's sample count is
reported as damage, never reshaped into wrong numbers.
"""

from __future__ import annotations

import numpy as np

from .errors import StorageError

SEQ_DTYPE = np.dtype("<u2")
# Times are stored relative to the chunk's first sample (kept as a column):
# device time as unsigned 32-bit microseconds (a chunk spans seconds, the
# limit is 71 minutes), host arrival time as signed 32-bit microseconds (the
# wall clock may step back). 18 bytes a two-channel force sample instead of
# 26: an hour at 1 kHz stays well under 100 MB. Host times keep 1 µs.
T_OFFSET_DTYPE = np.dtype("<u4")
MAX_CHUNK_SPAN_US = int(np.iinfo(np.uint32).max)
RAW_DTYPE = np.dtype("<i4")
GAP_DTYPE = np.dtype("<i4")
T_HOST_OFFSET_DTYPE = np.dtype("<i4")
MAX_HOST_SPAN_S = float(np.iinfo(np.int32).max) / 1e6   # 35 minutes


def to_blob(values: np.ndarray, dtype: np.dtype) -> bytes:
    return np.ascontiguousarray(values, dtype=dtype).tobytes()


def from_blob(blob: bytes, dtype: np.dtype, count: int, what: str) -> np.ndarray:
    if len(blob) != count * dtype.itemsize:
        raise StorageError(
            f"damaged {what} chunk: {len(blob)} bytes for {count} values of {dtype.itemsize}")
    # astype to the native dtype: callers get ordinary, writable arrays.
    return np.frombuffer(blob, dtype=dtype).astype(dtype.newbyteorder("="))


def times_fit(t_device_us: np.ndarray, t_host_s: np.ndarray) -> bool:
    """Whether one chunk row can hold these times (spans within the offset ranges)."""
    return (int(t_device_us.max()) - int(t_device_us.min()) <= MAX_CHUNK_SPAN_US
            and float(t_host_s.max()) - float(t_host_s.min()) <= MAX_HOST_SPAN_S)


def times_to_blobs(t_device_us: np.ndarray, t_host_s: np.ndarray) -> tuple[int, float, bytes, bytes]:
    """(base device µs, base host s, device offsets blob, host offsets blob); the
    bases are the minima, so times need not be in order (``times_fit`` first)."""
    t0 = int(t_device_us.min())
    h0 = float(t_host_s.min())
    host_us = np.rint((np.asarray(t_host_s, np.float64) - h0) * 1e6)
    return (t0, h0, to_blob(t_device_us - t0, T_OFFSET_DTYPE),
            to_blob(host_us, T_HOST_OFFSET_DTYPE))


def times_from_blobs(t0_us: int, h0_s: float, t_blob: bytes, host_blob: bytes, count: int,
                     what: str) -> tuple[np.ndarray, np.ndarray]:
    t = from_blob(t_blob, T_OFFSET_DTYPE, count, f"{what} time").astype(np.int64) + t0_us
    host = from_blob(host_blob, T_HOST_OFFSET_DTYPE, count, f"{what} host time")
    return t, host.astype(np.float64) / 1e6 + h0_s
