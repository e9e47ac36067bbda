"""A stored session made ready to draw: runs on a worker thread.

Everything comes from what was stored while recording, as the CSV export
reads it: the curves from the raw counts and the stored calibrations, the
contact spans from the stored contact changes, the rep table and markers
from the stored sets and reps. Nothing is judged again, so a plot, its
table and its CSV cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...analysis.calibration import ForceCalibration
from ...storage import RepRecord, SessionInfo, SetRecord
from ...storage.bundle_reader import SessionReader
from ...storage.logged import in_order
from ...storage.records import LoggedSet
from ...storage.records import contact_intervals_us, stored_contacts, stored_time_origin_us


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
    sets: list[SetRecord]        # as the coach left them (storage/corrections.py)
    reps: list[RepRecord]
    corrections: int = 0         # how many a coach made (what Undo can take back)
    logged_sets: list[LoggedSet] = field(default_factory=list)   # logged by hand (v8)

    def sets_in_order(self) -> list[SetRecord | LoggedSet]:
        """The station's sets and the sets logged by hand, in the order done."""
        return in_order(self.sets, self.logged_sets)

    def rep_span_s(self, rep: RepRecord) -> tuple[float, float]:
        return (rep.t_start_us - self.t0_us) / 1e6, (rep.t_end_us - self.t0_us) / 1e6


def load_session(db: SessionReader, session_id: int) -> LoadedSession:
    info = db.get_session(session_id)
    events = db.events(session_id)
    force, distance = db.load_force(session_id), db.load_distance(session_id)
    t0_us = stored_time_origin_us(events, force, distance) or 0
    force_n = ForceCalibration.from_records(force.channels, db.calibrations(session_id)).newtons(
        force.raw, force.t_device_us)
    gap_mm = distance.gap_mm.astype(float)
    gap_mm[gap_mm < 0] = np.nan
    end_us = max((int(b.t_device_us[-1]) for b in (force, distance) if len(b)), default=t0_us)
    contacts_s = [((a - t0_us) / 1e6, ((end_us if b is None else b) - t0_us) / 1e6)
                  for a, b in contact_intervals_us(stored_contacts(events))]
    return LoadedSession(
        info=info, t0_us=t0_us,
        force_t_s=(force.t_device_us - t0_us) / 1e6, force_n=force_n,
        # A channel without calibration makes the total unknown, not smaller.
        total_n=force_n.sum(axis=1) if force.channels else np.zeros(len(force)),
        gap_t_s=(distance.t_device_us - t0_us) / 1e6, gap_mm=gap_mm, contacts_s=contacts_s,
        sets=db.sets(session_id), reps=db.reps(session_id),
        corrections=len(db.corrections(session_id)), logged_sets=db.logged_sets(session_id))
