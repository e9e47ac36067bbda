"""csvformat: vectorised CSV must read back as the values it was given, and
match Python's '%.{d}f' byte for byte (no '-0.00', NaN empty)."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from backstation.csvformat import fixed, format_csv_block, format_csv_reference, integer, labels

RAW_MIN, RAW_MAX = -8388608, 8388607   # HX711 signed 24-bit counts

# Values that trip naive formatters: signed zeros, halves in decimal (that
# are not halves in binary), exact binary halves, tiny and huge magnitudes.
AWKWARD = [0.0, -0.0, 0.005, -0.005, 0.015, 0.125, -0.125, 2.675, 1.005, 0.5, 1.5, 2.5,
           1e-9, -1e-9, -0.001, -0.004999, 0.0049999999, 999.995, 1e15, -1e16, 4.5e15,
           1e300, -1e-300, 5e-324, 3599.9999995, 0.0000005, 0.0000015, math.inf, -math.inf,
           math.nan]
floats = st.one_of(st.sampled_from(AWKWARD),
                   st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(min_value=-1e6, max_value=1e6),
                   st.integers(-10**9, 10**9).map(lambda k: k / 200),   # decimal halves
                   st.integers(-10**7, 10**7).map(lambda k: k / 2e6))


def python_fixed(value: float, decimals: int) -> str:
    """The contract: '%.{d}f', except NaN -> '' and no sign on a zero."""
    if math.isnan(value):
        return ""
    text = "%.*f" % (decimals, value)
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def read_back(data: bytes) -> list[list[str]]:
    assert data.isascii()
    return list(csv.reader(io.StringIO(data.decode("ascii"), newline="")))


@settings(max_examples=200, deadline=None)
@given(st.lists(floats, max_size=40), st.sampled_from([0, 1, 2, 6]))
def test_fixed_column_is_byte_identical_to_percent_f(values, decimals):
    data = format_csv_block([fixed(np.array(values, dtype=float), decimals)])
    # A lone empty cell is '""' (csv's way; an empty line reads back as no row).
    assert data == "".join((python_fixed(v, decimals) or '""') + "\n" for v in values).encode()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-1e9, max_value=1e9), min_size=1, max_size=40),
       st.sampled_from([2, 6]))
def test_fixed_cell_reads_back_within_half_a_unit_in_the_last_place(values, decimals):
    rows = read_back(format_csv_block([fixed(np.array(values), decimals)]))
    assert len(rows) == len(values)
    for (cell,), v in zip(rows, values):
        whole, _, frac = cell.lstrip("-").partition(".")
        assert len(frac) == decimals and whole.isdigit()
        assert abs(float(cell) - v) <= 0.5 * 10.0 ** -decimals * (1 + 1e-9) + abs(v) * 1e-15


def test_value_rounding_to_zero_prints_no_sign():
    data = format_csv_block([fixed(np.array([-0.0, -0.001, -0.004999, -1e-9, -0.005]), 2)])
    assert data == b"0.00\n0.00\n0.00\n0.00\n-0.01\n"


def test_nan_and_blank_mask_give_empty_fixed_cells():
    v = np.array([1.0, np.nan, 2.0])
    # One column: an empty cell is '""', as the csv module writes it (an empty
    # line would read back as no row).
    assert format_csv_block([fixed(v, 2, blank=np.array([False, False, True]))]) == \
        b'1.00\n""\n""\n'


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(RAW_MIN, RAW_MAX), st.integers(-1, 5000)), max_size=40))
def test_integer_columns_read_back_exactly_with_blanks_where_masked(pairs):
    raw = np.array([p[0] for p in pairs], dtype=np.int32)
    gap = np.array([p[1] for p in pairs], dtype=np.int32)
    rows = read_back(format_csv_block([integer(raw), integer(gap, blank=gap < 0)]))
    assert rows == [[str(r), "" if g < 0 else str(g)] for r, g in pairs]


def test_integer_extremes_of_every_width():
    v = np.array([0, -1, 1, 9, 10, -10, 99, 100, RAW_MIN, RAW_MAX, 2**31 - 1, -2**31,
                  2**63 - 1, -2**63], dtype=np.int64)
    assert format_csv_block([integer(v)]).decode().split() == [str(x) for x in v.tolist()]
    u = np.array([0, 2**64 - 1], dtype=np.uint64)
    assert format_csv_block([integer(u)]) == b"0\n18446744073709551615\n"


def test_label_column_from_bool_with_unknown_rows_empty():
    flag = np.array([True, False, True, False])
    unknown = np.array([False, False, True, False])
    assert format_csv_block([labels(flag, ("0", "1"), blank=unknown)]) == b'1\n0\n""\n0\n'


def test_labels_of_different_lengths_are_written_whole():
    codes = np.array([0, 1, 2, 1], dtype=np.uint8)
    data = format_csv_block([labels(codes, ("", "up", "hold")), integer(codes)])
    assert data == b",0\nup,1\nhold,2\nup,1\n"


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_mixed_rows_parse_back_to_their_values(data):
    n = data.draw(st.integers(0, 30))
    t_s = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)), dtype=float)
    force = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)), dtype=float)
    gap = np.array(data.draw(st.lists(st.integers(-1, 4000), min_size=n, max_size=n)), np.int32)
    flag = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), np.uint8)
    raw = np.array(data.draw(st.lists(st.integers(RAW_MIN, RAW_MAX), min_size=n, max_size=n)),
                   np.int32)
    out = format_csv_block([fixed(t_s, 6), fixed(force, 2), integer(gap, blank=gap < 0),
                            labels(np.minimum(flag, 1), ("0", "1"), blank=flag == 2),
                            integer(raw)])
    rows = read_back(out)
    assert len(rows) == n and all(len(r) == 5 for r in rows)
    for i, row in enumerate(rows):
        assert row == [python_fixed(t_s[i], 6), python_fixed(force[i], 2),
                       "" if gap[i] < 0 else str(gap[i]),
                       "" if flag[i] == 2 else str(flag[i]), str(raw[i])]


def test_a_large_block_matches_the_per_row_formatter_it_replaces():
    rng = np.random.default_rng(7)
    n = 50_000
    t_s = np.arange(n) / 1000.0 + 3000.0
    left = rng.normal(100, 150, n).round(3)
    right = np.where(rng.random(n) < 0.01, np.nan, rng.normal(-5, 80, n))
    gap = rng.integers(-1, 1200, n).astype(np.int32)
    contact = rng.random(n) < 0.5
    raw = rng.integers(RAW_MIN, RAW_MAX + 1, n).astype(np.int32)
    out = format_csv_block([fixed(t_s, 6), fixed(left, 2), fixed(right, 2),
                            integer(gap, blank=gap < 0), labels(contact, ("0", "1")),
                            integer(raw)])
    expected = "".join(
        f"{python_fixed(a, 6)},{python_fixed(b, 2)},{python_fixed(c, 2)},"
        f"{'' if g < 0 else g},{int(k)},{r}\n"
        for a, b, c, g, k, r in zip(t_s.tolist(), left.tolist(), right.tolist(),
                                    gap.tolist(), contact.tolist(), raw.tolist()))
    assert out == expected.encode()


def test_empty_input_gives_no_bytes():
    assert format_csv_block([]) == b""
    assert format_csv_block([fixed(np.empty(0), 2), integer(np.empty(0, np.int32))]) == b""


@pytest.mark.parametrize("write", [format_csv_block, format_csv_reference])
def test_columns_of_different_lengths_are_refused(write):
    with pytest.raises(ValueError, match="differ in length"):
        write([fixed(np.zeros(3), 2), integer(np.zeros(2, np.int32))])
    with pytest.raises(ValueError, match="differ in length"):
        write([integer(np.zeros(3, np.int32), blank=np.zeros(2, bool))])


def test_label_needing_quotes_is_refused():
    with pytest.raises(ValueError):
        labels(np.zeros(1, np.uint8), ("a,b",))
