"""Numpy columns to CSV bytes without a Python step per row or per value.

Python's ``'%.2f' % v`` costs ~3.7 µs a row, so an hour at 1 kHz (3.6 M rows)
took ~13 s to export. Here each block of rows is laid out as a byte matrix,
one row per CSV line, every column right-aligned in a slot as wide as its
widest cell and NUL-padded on the left; deleting the NULs (``bytes.translate``)
leaves the CSV text. Digits are written one decimal place at a time for the
whole column (a dozen vectorised passes per column, not one per value):
~0.2 µs of CPU a row for the samples.csv columns (benchmarks/bench_csv.py).

Decimal rounding is the same as Python's ``'%.{d}f'`` (correct rounding of the
exact binary value, so ``0.125`` -> ``0.12`` and ``0.005`` -> ``0.01``), with two
deliberate differences: a value that rounds to zero never prints a sign
(``-0.001`` and ``-0.0`` -> ``0.00``, Python gives ``-0.00``), and NaN is an
empty cell. ``|v| * 10**d`` is rounded with ``np.rint``; where that float
product came out exactly on a half, the exact product's remainder (Dekker's
TwoProduct) decides the side. Only values too large for exact integer
arithmetic (|v| * 10**d >= 2**52) or infinite are formatted by Python itself.
So the output is byte-identical to ``'%.{d}f'`` for every non-NaN value
(checked on 70 M adversarial values: decimal halves, their float
neighbours, binary halves, 1e-12..1e16; and by the property tests).

``format_csv_reference`` is its reference twin (STYLE §15): the same contract
one cell at a time through Python's ``'%.{d}f'`` and the ``csv`` module, for
the differential test (tests/test_csvformat_differential.py), not for use.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_ZERO, _MINUS, _POINT, _COMMA, _NEWLINE = (ord(c) for c in "0-.,\n")
# Below this, float64 holds every half-integer, so rounding |v| * 10**d can
# land on a half but never cross one; anything larger is left to Python.
_FAST_LIMIT = float(2 ** 52)


@dataclass(frozen=True)
class Column:
    """One CSV column for ``format_csv_block``; build it with ``fixed``,
    ``integer`` or ``labels`` rather than directly."""
    kind: str                       # "fixed" | "integer" | "labels"
    values: np.ndarray
    decimals: int = 0
    blank: np.ndarray | None = None  # bool, True -> empty cell
    names: tuple[str, ...] = ()


def fixed(values: np.ndarray, decimals: int, blank: np.ndarray | None = None) -> Column:
    """Float values with ``decimals`` places; NaN (and ``blank``) -> empty."""
    if not 0 <= decimals <= 15:
        raise ValueError(f"decimals must be 0..15, got {decimals}")
    return Column("fixed", np.asarray(values, dtype=np.float64), decimals,
                  None if blank is None else np.asarray(blank, dtype=bool))


def integer(values: np.ndarray, blank: np.ndarray | None = None) -> Column:
    """Integers printed as is, e.g. ``integer(gap_mm, blank=gap_mm < 0)``."""
    values = np.asarray(values)
    if values.dtype.kind not in "iub":
        raise TypeError(f"integer column needs an integer array, got {values.dtype}")
    return Column("integer", values, 0, None if blank is None else np.asarray(blank, dtype=bool))


def labels(codes: np.ndarray, names: Sequence[str], blank: np.ndarray | None = None) -> Column:
    """Small enum text: cell = ``names[code]``, e.g. ``labels(flag, ("0", "1"), blank=unknown)``."""
    codes = np.asarray(codes)
    if codes.dtype.kind not in "iub":
        raise TypeError(f"label codes need an integer or bool array, got {codes.dtype}")
    names = tuple(names)
    for name in names:
        if not name.isascii() or any(c in name for c in ',"\r\n'):
            raise ValueError(f"label {name!r} needs quoting; not supported")
    if len(codes) and (codes.min() < 0 or codes.max() >= len(names)):
        raise ValueError("label code out of range")
    return Column("labels", codes, 0, None if blank is None else np.asarray(blank, dtype=bool),
                  names)


def row_count(columns: Sequence[Column]) -> int:
    """How many rows ``columns`` make (0 for no columns); ValueError unless
    every column, and its blank mask, has that many."""
    if not columns:
        return 0
    n = len(columns[0].values)
    for col in columns:
        if len(col.values) != n or (col.blank is not None and len(col.blank) != n):
            raise ValueError("columns differ in length")
    return n


def format_csv_block(columns: Sequence[Column]) -> bytes:
    """The CSV lines (',' separated, '\\n' ended, ASCII) for the rows of
    ``columns``, which must all have the same length; b"" for no rows."""
    n = row_count(columns)
    if n == 0:
        return b""
    cells = [_CELL_KINDS[col.kind](col) for col in columns]
    width = sum(c.width for c in cells) + len(cells)   # a ',' or '\n' after each
    # Built transposed, one byte position per row of the matrix, so every
    # digit pass writes contiguous memory; one transposing copy at the end
    # is cheaper than ~60 strided column writes.
    matrix = np.empty((width, n), dtype=np.uint8)
    at = 0
    for i, cell in enumerate(cells):
        cell.write(matrix[at:at + cell.width])
        at += cell.width
        matrix[at] = _NEWLINE if i == len(cells) - 1 else _COMMA
        at += 1
    # Slot padding is NUL, which no cell contains: deleting it in C is the
    # cheapest way to close the gaps (boolean-mask compaction was ~5x slower).
    text = matrix.T.tobytes().translate(None, b"\0")
    if len(columns) == 1 and b"\n\n" in b"\n" + text:
        # A lone empty cell is written '""', as the csv module does: an empty
        # line would read back as no row at all.
        text = b"\n".join(line or b'""' for line in text.split(b"\n")[:-1]) + b"\n"
    return text


class _Cells:
    """A column laid out right-aligned in a slot ``width`` bytes wide, NUL
    to the left of each cell (all NUL where the cell is empty). ``write``
    gets the slot transposed: ``slot[j]`` is byte j of every row's cell."""
    width: int

    def write(self, slot: np.ndarray) -> None:
        raise NotImplementedError


class _NumberCells(_Cells):
    """Magnitude ``mag`` (the value times 10**decimals), a '-' where
    ``negative``, a '.' before the last ``decimals`` digits; rows in
    ``overrides`` (index -> ready text) are written from that text instead."""

    def __init__(self, mag: np.ndarray, negative: np.ndarray, decimals: int,
                 blank: np.ndarray | None, overrides: dict[int, bytes]):
        top = int(mag.max())
        # 32-bit division is a good deal cheaper than 64-bit.
        self.mag = mag.astype(np.uint32) if top < 2 ** 32 else mag
        self.sign = negative.astype(np.uint8) * np.uint8(_MINUS)
        self.decimals, self.overrides = decimals, overrides
        self.blank_rows = np.flatnonzero(blank) if blank is not None else np.empty(0, np.intp)
        # Every row shows at least one digit before the point ("0.05"); up
        # to here no row needs a mask.
        self.min_digits = max(len(str(int(mag.min()))), decimals + 1)
        self.max_digits = max(len(str(top)), decimals + 1)
        longest = max((len(t) for t in overrides.values()), default=0)
        self.width = max(self.max_digits + (decimals > 0) + 1, longest)

    def write(self, slot: np.ndarray) -> None:
        w, d = self.width, self.decimals
        rest = self.mag.copy()
        shown = None
        for k in range(self.max_digits + 1):
            col = w - 1 - k - (d > 0 and k >= d)
            tens = rest // 10
            char = (rest - tens * 10).astype(np.uint8)
            char += np.uint8(_ZERO)
            if k >= self.min_digits:
                # Past a number's own digits: its '-' in the first place, NUL after.
                was_shown = shown if shown is not None else np.ones(len(rest), dtype=bool)
                shown = rest > 0
                char = np.where(shown, char, self.sign * was_shown)
            rest = tens
            slot[col] = char
        slot[:w - 1 - self.max_digits - (d > 0)] = 0
        if d > 0:
            slot[w - 1 - d] = _POINT
        if len(self.blank_rows):
            slot[:, self.blank_rows] = 0
        for row, text in self.overrides.items():
            slot[:, row] = 0
            slot[w - len(text):, row] = np.frombuffer(text, dtype=np.uint8)


def _fixed_cells(col: Column) -> _Cells:
    v, d = col.values, col.decimals
    blank = np.isnan(v)
    if col.blank is not None:
        blank |= col.blank
    scale = float(10 ** d)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.abs(v) * scale   # inf past ~1e308: Python's job
        slow = ~blank & ~(scaled < _FAST_LIMIT)
    scaled[blank | slow] = 0.0
    mag = np.rint(scaled)
    ties = np.flatnonzero(np.abs(scaled - mag) == 0.5)
    if len(ties):
        # The product was rounded onto a half: the exact product's remainder
        # says which side the value really was (an exact tie goes to even,
        # as Python's, and rint already did that).
        above = _product_error(np.abs(v[ties]), scale, scaled[ties])
        mag[ties] = np.where(above > 0, np.ceil(scaled[ties]),
                             np.where(above < 0, np.floor(scaled[ties]), mag[ties]))
    mag = mag.astype(np.uint64)
    negative = (v < 0) & (mag > 0)
    overrides = {int(i): _python_fixed(float(v[i]), d) for i in np.flatnonzero(slow)}
    return _NumberCells(mag, negative, d, blank, overrides)


def _product_error(a: np.ndarray, b: float, product: np.ndarray) -> np.ndarray:
    """a * b - product exactly, for product = fl(a * b) (Dekker's TwoProduct:
    float64 has no fused multiply-add in numpy)."""
    def split(x):
        c = 134217729.0 * x   # 2**27 + 1
        hi = c - (c - x)
        return hi, x - hi
    a_hi, a_lo = split(a)
    b_hi, b_lo = split(np.float64(b))
    return ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _python_fixed(value: float, decimals: int) -> bytes:
    text = "%.*f" % (decimals, value)
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]
    return text.encode("ascii")


def _integer_cells(col: Column) -> _Cells:
    v = col.values
    if v.dtype.kind == "b":
        v = v.astype(np.uint8)
    negative = v < 0
    # abs() of a width's most negative value wraps to itself: widened to
    # int64 first (int32's -2**31 would read -18446744071562067968), and
    # int64's own, as uint64, is right.
    mag = (np.abs(v.astype(np.int64, copy=False)).astype(np.uint64) if v.dtype.kind == "i"
           else v.astype(np.uint64))
    return _NumberCells(mag, negative, 0, col.blank, {})


class _LabelCells(_Cells):
    def __init__(self, col: Column):
        encoded = [n.encode("ascii") for n in col.names] or [b""]
        self.width = max(1, max(len(e) for e in encoded))
        # Row len(encoded) is the empty cell.
        self.table = np.zeros((len(encoded) + 1, self.width), dtype=np.uint8)
        for i, e in enumerate(encoded):
            if e:
                self.table[i, self.width - len(e):] = np.frombuffer(e, dtype=np.uint8)
        self.codes = col.values.astype(np.intp)
        if col.blank is not None:
            self.codes[col.blank] = len(encoded)

    def write(self, slot: np.ndarray) -> None:
        slot[:] = self.table.T[:, self.codes]


_CELL_KINDS = {"fixed": _fixed_cells, "integer": _integer_cells, "labels": _LabelCells}


def format_csv_reference(columns: Sequence[Column]) -> bytes:
    """What ``format_csv_block`` must return, written plainly: one cell at a
    time, through the ``csv`` module. Slow (~µs a cell); tests only."""
    n = row_count(columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for i in range(n):
        writer.writerow([_reference_cell(col, i) for col in columns])
    return out.getvalue().encode("ascii")


def _reference_cell(col: Column, i: int) -> str:
    if col.blank is not None and col.blank[i]:
        return ""
    value = col.values[i]
    if col.kind == "labels":
        return col.names[int(value)]
    if col.kind == "integer":
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return ""
    text = "%.*f" % (col.decimals, value)
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]                 # a value that rounds to zero has no sign
    return text
