"""Sample blocks are cut in one place (``samples._Columns``): every column alike."""

from __future__ import annotations

import numpy as np
import pytest

from backstation.samples import DistanceBlock, ForceBlock


def _force(n: int = 6) -> ForceBlock:
    return ForceBlock(np.arange(n, dtype=np.uint16), np.arange(n, dtype=np.int64) * 12_500,
                      np.arange(2 * n, dtype=np.int32).reshape(n, 2),
                      np.arange(n, dtype=np.float64) / 80)


def _distance(n: int = 6) -> DistanceBlock:
    return DistanceBlock(np.arange(n, dtype=np.uint16), np.arange(n, dtype=np.int64) * 50_000,
                         np.arange(n, dtype=np.int32) * 10, np.arange(n, dtype=np.float64) / 20)


def _columns(block) -> list[list]:
    return [np.asarray(c).tolist() for c in vars(block).values()]


@pytest.mark.parametrize("index", [slice(2, 5), slice(4, None), np.array([0, 3, 5]),
                                   np.array([True, False, True, False, False, True])])
def test_a_cut_block_keeps_every_column_row_for_row(index):
    for block in (_force(), _distance()):
        cut = block[index]
        assert type(cut) is type(block)
        assert _columns(cut) == [np.asarray(c)[index].tolist() for c in vars(block).values()]


def test_a_force_block_cut_keeps_its_channels():
    assert _force()[3:3].channels == 2


def test_a_single_sample_index_is_refused():
    with pytest.raises(TypeError):
        _force()[2]


def test_between_takes_the_samples_from_lo_up_to_but_not_hi():
    force = _force()                                   # 0, 12500, 25000, ...
    assert force.between(12_500, 50_000).t_device_us.tolist() == [12_500, 25_000, 37_500]
    assert len(_distance().between(1, 50_000)) == 0
    assert len(force.between(0, 10**9)) == len(force)
