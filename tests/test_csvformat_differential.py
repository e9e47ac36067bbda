"""csvformat's vectorised writer against its reference twin (STYLE §15, issue
10): long random blocks, thousands of rows, every column kind, every value at
and past the ranges the fast path switches on (the 2**52 exact-integer limit,
the 32-bit digit arithmetic, decimal halves, signed zeros, NaN, infinities,
integer extremes of every width), must give the same bytes as
``format_csv_reference`` (one cell at a time through ``'%.{d}f'`` and the
``csv`` module), and read back through ``csv.reader`` as the same cells.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
from hypothesis import given, settings, strategies as st

from backstation.csvformat import (
    fixed, format_csv_block, format_csv_reference, integer, labels,
)

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
              np.uint64, np.bool_]
LABEL_NAMES = ["", "0", "1", "yes", "no-rep", "sensor_dropout", "x" * 40]


def fixed_values(rng: np.random.Generator, n: int, decimals: int) -> np.ndarray:
    """Mostly ordinary values, many at the edges the fast path decides on."""
    scale = 10.0 ** decimals
    limit = 2.0 ** 52 / scale                 # past here Python formats the value
    if rng.random() < 0.2:
        # The largest magnitude right at the 32-bit digit arithmetic's limit.
        return rng.choice(np.array([0, 1, 2 ** 32 - 1, 2 ** 32, -(2 ** 32)]) / scale, n)
    edges = np.array([
        0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324, -5e-324, 1e308, -1e308,
        limit, -limit, np.nextafter(limit, 0), np.nextafter(limit, math.inf),
        (2.0 ** 32 - 1) / scale, 2.0 ** 32 / scale, (2.0 ** 32 + 0.5) / scale,
        0.5 / scale, -0.5 / scale, 1.5 / scale, 0.49999999999 / scale, 2.675, 1.005,
        0.125, -0.125, 999.995, 3599.9999995, 0.0000005, 1e15, -1e16, 4.5e15,
    ])
    kind = rng.integers(0, 6, n)
    out = np.empty(n)
    pick = kind == 0
    out[pick] = rng.choice(edges, pick.sum())
    pick = kind == 1                          # decimal halves and their float neighbours
    halves = (rng.integers(-10 ** 9, 10 ** 9, pick.sum()) + 0.5) / scale
    out[pick] = np.nextafter(halves, rng.choice([-math.inf, 0.0, math.inf], pick.sum()))
    pick = kind == 2
    out[pick] = rng.normal(0, 10.0 ** rng.integers(-6, 17, pick.sum()))
    pick = kind == 3                          # near the exact-integer limit
    out[pick] = limit * rng.uniform(0.9, 1.1, pick.sum()) * rng.choice([-1, 1], pick.sum())
    pick = kind == 4                          # any bit pattern that is a finite float
    bits = rng.integers(0, 2 ** 63, pick.sum(), dtype=np.int64).view(np.float64)
    out[pick] = np.where(np.isfinite(bits), bits, 1.0) * rng.choice([-1, 1], pick.sum())
    pick = kind == 5
    out[pick] = rng.uniform(-1e4, 1e4, pick.sum()).round(decimals + 1)
    return out


def integer_values(rng: np.random.Generator, n: int, dtype) -> np.ndarray:
    if dtype is np.bool_:
        return rng.random(n) < 0.5
    info = np.iinfo(dtype)
    edges = [info.min, info.min + 1, info.max - 1, info.max, 0, 1, 9, 10]
    if info.max >= 2 ** 32:
        edges += [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1]
    if info.max >= 2 ** 32 and rng.random() < 0.3:
        # The largest magnitude right at the 32-bit digit arithmetic's limit.
        near = [0, 1, 2 ** 32 - 2, 2 ** 32 - 1, 2 ** 32] + ([-(2 ** 32)] if info.min else [])
        return rng.choice(np.array(near, dtype=dtype), n)
    values = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    at_edge = rng.random(n) < 0.2
    values[at_edge] = rng.choice(np.array(edges, dtype=dtype), at_edge.sum())
    return values


def random_columns(seed: int, n: int, kinds: list[str]):
    rng = np.random.default_rng(seed)
    columns = []
    for kind in kinds:
        blank = (rng.random(n) < rng.choice([0.0, 0.05, 1.0])) if rng.random() < 0.5 else None
        if kind == "fixed":
            decimals = int(rng.choice([0, 1, 2, 3, 6, 9, 15, int(rng.integers(0, 16))]))
            columns.append(fixed(fixed_values(rng, n, decimals), decimals, blank))
        elif kind == "integer":
            dtype = INT_DTYPES[int(rng.integers(len(INT_DTYPES)))]
            columns.append(integer(integer_values(rng, n, dtype), blank))
        else:
            names = list(rng.choice(LABEL_NAMES, int(rng.integers(1, 5))))
            codes = rng.integers(0, len(names), n).astype(rng.choice([np.uint8, np.int64]))
            columns.append(labels(codes, names, blank))
    return columns


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(1, 4000),
       kinds=st.lists(st.sampled_from(["fixed", "integer", "labels"]), min_size=1, max_size=6))
def test_the_fast_writer_equals_its_reference_on_long_random_blocks(seed, n, kinds):
    columns = random_columns(seed, n, kinds)
    fast = format_csv_block(columns)
    reference = format_csv_reference(columns)
    if fast != reference:
        fast_rows, ref_rows = fast.split(b"\n"), reference.split(b"\n")
        first = next(i for i, (a, b) in enumerate(zip(fast_rows, ref_rows)) if a != b)
        raise AssertionError(f"row {first}: {fast_rows[first]!r} != {ref_rows[first]!r}")
    rows = list(csv.reader(io.StringIO(fast.decode("ascii"), newline="")))
    assert len(rows) == n and all(len(row) == len(columns) for row in rows)


def test_the_reference_says_the_contract_cell_by_cell():
    out = format_csv_reference([
        fixed(np.array([-0.001, 0.125, math.nan, 2.675, math.inf]), 2),
        integer(np.array([-1, 5, np.iinfo(np.int64).min, 7, 0]), blank=np.array([1, 0, 0, 0, 0],
                                                                                  bool)),
        labels(np.array([0, 1, 1, 0, 1]), ("no", "yes")),
    ])
    assert out == (b"0.00,,no\n0.12,5,yes\n,-9223372036854775808,yes\n2.67,7,no\ninf,0,yes\n")
