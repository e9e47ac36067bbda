"""A stored session made ready to draw: runs on a worker thread.

The curves come from the recorded raw counts and calibrations (the replay),
the rep table and markers from the judgement stored while recording, so the
history shows what was recorded, not what a plot once held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...replay import Replay
from ...storage import Database, RepRecord, SessionInfo, SetRecord


@dataclass(frozen=True)
class LoadedSession:
    info: SessionInfo
    t0_us: int
    force_t_s: np.ndarray        # seconds since the session's first sample
    force_n: np.ndarray          # (n, channels), NaN where a channel had no calibration yet
    total_n: np.ndarray
    gap_t_s: np.ndarray
    gap_mm: np.ndarray           # NaN where the sensor saw nothing
    contacts_s: list[tuple[float, float]]
    sets: list[SetRecord]
    reps: list[RepRecord]

    def rep_span_s(self, rep: RepRecord) -> tuple[float, float]:
        return (rep.t_start_us - self.t0_us) / 1e6, (rep.t_end_us - self.t0_us) / 1e6


def load_session(db: Database, session_id: int) -> LoadedSession:
    replay = Replay(db, session_id)
    force, distance = replay.force, replay.distance
    firsts = [int(b.t_device_us[0]) for b in (force, distance) if len(b)]
    t0_us = replay.judge.t0_us if replay.judge.t0_us is not None else min(firsts, default=0)
    # The calibration the replay applied: the stored rows, as the judge took them.
    force_n = replay.judge.calibration.newtons(force.raw, force.t_device_us)
    gap_mm = distance.gap_mm.astype(float)
    gap_mm[gap_mm < 0] = np.nan
    end_us = max((int(b.t_device_us[-1]) for b in (force, distance) if len(b)), default=t0_us)
    contacts_s = [((a - t0_us) / 1e6, ((end_us if b is None else b) - t0_us) / 1e6)
                  for a, b in replay.contact_intervals_us()]
    return LoadedSession(
        info=replay.info, t0_us=t0_us,
        force_t_s=(force.t_device_us - t0_us) / 1e6, force_n=force_n,
        # A channel without calibration makes the total unknown, not smaller.
        total_n=force_n.sum(axis=1) if force.channels else np.zeros(len(force)),
        gap_t_s=(distance.t_device_us - t0_us) / 1e6, gap_mm=gap_mm, contacts_s=contacts_s,
        sets=db.sets(session_id), reps=db.reps(session_id))
