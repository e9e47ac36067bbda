"""Feeding a pipeline a recorded stream cut into blocks anywhere, for the
tests that check a result does not depend on the cut."""

from __future__ import annotations

import numpy as np

from backstation.samples import DistanceBlock, ForceBlock


def feed_in_cuts(pipeline, force: ForceBlock, dist: DistanceBlock, cuts) -> list:
    """Both streams merged in time order and cut at ``cuts`` (positions in
    that order); every block fed, then ``finish``. Returns every event."""
    times = np.concatenate([force.t_device_us, dist.t_device_us])
    kinds = np.concatenate([np.zeros(len(force), int), np.ones(len(dist), int)])
    order = np.argsort(times, kind="stable")
    bounds = [0, *sorted(set(int(c) for c in cuts if 0 < c < len(order))), len(order)]
    events = []
    for a, b in zip(bounds, bounds[1:]):
        part = order[a:b]
        fi = np.sort(part[kinds[part] == 0])
        di = np.sort(part[kinds[part] == 1] - len(force))
        events += pipeline.feed(
            ForceBlock(force.seq[fi], force.t_device_us[fi], force.raw[fi], force.t_host_s[fi]),
            DistanceBlock(dist.seq[di], dist.t_device_us[di], dist.gap_mm[di], dist.t_host_s[di]))
    return events + pipeline.finish()
