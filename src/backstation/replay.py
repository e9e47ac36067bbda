"""Replay a stored session through the same judgement as live
(``backstation replay``): the stored raw counts, device times and
calibrations in, the same sets and reps out."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .analysis import AnalysisEvent, ContactChanged
from .protocol.stream import StreamStats
from .samples import DistanceBlock, ForceBlock
from .session import SessionJudge, SessionOptions, analysis_config, session_json
from .storage import Database, SessionInfo

REPLAY_CHUNK_US = 1_000_000


def session_stats(info: SessionInfo) -> StreamStats:
    return StreamStats(force_samples=info.force_samples,
                       distance_samples=info.distance_samples, crc_errors=info.crc_errors,
                       malformed=info.malformed, overlong=info.overlong,
                       lost_force=info.lost_force, lost_distance=info.lost_distance,
                       reconnects=info.reconnects, reboots=info.reboots)


def chunks(force: ForceBlock, distance: DistanceBlock,
           chunk_us: int = REPLAY_CHUNK_US) -> Iterator[tuple[ForceBlock, DistanceBlock]]:
    """The session in time slices, as a live stream would have brought it."""
    times = [b.t_device_us for b in (force, distance) if len(b)]
    if not times:
        return
    start = int(min(t[0] for t in times))
    end = int(max(t[-1] for t in times))
    for lo in range(start, end + 1, chunk_us):
        hi = lo + chunk_us
        f = slice(*np.searchsorted(force.t_device_us, [lo, hi]))
        d = slice(*np.searchsorted(distance.t_device_us, [lo, hi]))
        yield (ForceBlock(force.seq[f], force.t_device_us[f], force.raw[f], force.t_host_s[f]),
               DistanceBlock(distance.seq[d], distance.t_device_us[d], distance.gap_mm[d],
                             distance.t_host_s[d]))


class Replay:
    """A stored session judged again; ``events`` keeps every analysis event."""

    def __init__(self, db: Database, session_id: int):
        self.info = info = db.get_session(session_id)
        options = SessionOptions(body_mass_kg=info.body_mass_kg, contact_mm=info.contact_mm,
                                 exercise=info.exercise)
        config = analysis_config(options, None, force_rate_hz=info.force_rate_hz or 80,
                                 distance_sensor=info.distance_sensor or "hcsr04")
        self.judge = SessionJudge(session_id, config, info.force_channels or 2)
        self.calibrations = db.calibrations(session_id)
        for cal in self.calibrations:
            self.judge.calibrate(cal.channel, cal.offset_counts, cal.counts_per_newton,
                                 t_from_us=cal.t_device_us)
        self.force = db.load_force(session_id)
        self.distance = db.load_distance(session_id)
        self.events: list[AnalysisEvent] = []
        for force, distance in chunks(self.force, self.distance):
            self.events += self.judge.feed(force, distance)
        self.events += self.judge.finish()

    def contact_intervals_us(self) -> list[tuple[int, int | None]]:
        """(start, end) of each contact; end None if the session ended in contact."""
        intervals: list[tuple[int, int | None]] = []
        for event in self.events:
            if isinstance(event, ContactChanged):
                if event.in_contact:
                    intervals.append((event.t_us, None))
                elif intervals and intervals[-1][1] is None:
                    intervals[-1] = (intervals[-1][0], event.t_us)
        return intervals

    def to_json(self) -> dict:
        info = self.info
        device = {"device_id": info.device_id, "firmware": info.firmware,
                  "protocol": info.protocol}
        return session_json(info.id, device, session_stats(info), self.judge.sets,
                            self.judge.t0_us)
