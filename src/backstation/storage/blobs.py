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
T_DEVICE_DTYPE = np.dtype("<i8")
RAW_DTYPE = np.dtype("<i4")
GAP_DTYPE = np.dtype("<i4")
T_HOST_DTYPE = np.dtype("<f8")


def to_blob(values: np.ndarray, dtype: np.dtype) -> bytes:
    return np.ascontiguousarray(values, dtype=dtype).tobytes()


def from_blob(blob: bytes, dtype: np.dtype, count: int, what: str) -> np.ndarray:
    if len(blob) != count * dtype.itemsize:
        raise StorageError(
            f"damaged {what} chunk: {len(blob)} bytes for {count} values of {dtype.itemsize}")
    # astype to the native dtype: callers get ordinary, writable arrays.
    return np.frombuffer(blob, dtype=dtype).astype(dtype.newbyteorder("="))
