"""A session's stream counters have one mapping to and from its database row
(``session.session_counters`` / ``session.stored_stats``): what live counted
is what replay reports."""

from __future__ import annotations

import dataclasses

import numpy as np

from backstation.protocol.stream import StreamStats
from backstation.samples import DistanceBlock, ForceBlock
from backstation.session import session_counters, stored_stats
from backstation.storage import STAT_COLUMNS, Database


def test_every_stream_counter_comes_back_from_the_session_row(tmp_path):
    n_force, n_distance = 7, 3
    counted = StreamStats(**{name: 10 + i for i, name in enumerate(STAT_COLUMNS)})
    counted = dataclasses.replace(counted, force_samples=n_force, distance_samples=n_distance)
    with Database(tmp_path / "s.db") as db:
        sid = db.create_session(force_channels=2)
        db.append_force(sid, ForceBlock(np.arange(n_force, dtype=np.uint16),
                                        np.arange(n_force, dtype=np.int64) * 12_500,
                                        np.zeros((n_force, 2), np.int32), np.zeros(n_force)))
        db.append_distance(sid, DistanceBlock(np.arange(n_distance, dtype=np.uint16),
                                              np.arange(n_distance, dtype=np.int64) * 50_000,
                                              np.full(n_distance, 300, np.int32),
                                              np.zeros(n_distance)))
        db.finish_session(sid, stats=session_counters(counted))
        back = stored_stats(db.get_session(sid))
    assert {c: getattr(back, c) for c in STAT_COLUMNS} == \
        {c: getattr(counted, c) for c in STAT_COLUMNS}
