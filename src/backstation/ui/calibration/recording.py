"""Storing a calibration's known mass next to the CAL the session recorded.

The live session stores every CAL the station sends (source ``device``) at
the point on the time axis where it applied, which replay depends on. The
wizard knows what the session does not: the mass that was hung and which
command produced it. It adds a row with that source and mass at the same
point, with the same values, so replay and export are unchanged. The
session's own row may still be in its writer's queue when the command
answers, so the worker waits for it (bounded, cancellable).
"""

from __future__ import annotations

import threading

from ...storage import Database

CAL_STORE_WAIT_S = 5.0
CAL_POLL_S = 0.1


def record_calibration(db: Database, session_id: int, channel: int, offset_counts: int,
                       counts_per_newton: float, *, source: str, mass_grams: float | None,
                       cancel: threading.Event, wait_s: float = CAL_STORE_WAIT_S) -> int | None:
    """The new row's id, or None when the session never stored that CAL."""
    waited_s = 0.0
    while True:
        matches = [c for c in db.calibrations(session_id)
                   if c.channel == channel and c.offset_counts == offset_counts
                   and abs(c.counts_per_newton - counts_per_newton) <= 1e-9 * abs(counts_per_newton)
                   and c.source == "device"]
        if matches:
            t_device_us = matches[-1].t_device_us
            return db.add_calibration(session_id, channel, offset_counts, counts_per_newton,
                                      source=source, t_device_us=t_device_us,
                                      mass_grams=mass_grams)
        if waited_s >= wait_s or cancel.wait(CAL_POLL_S):
            return None
        waited_s += CAL_POLL_S
