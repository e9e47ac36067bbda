"""benchmarks/soak.py for a few seconds: the same hostile mix (line faults,
reboots, another station's HELLOs, a stall, the write lock held past a short
busy timeout) through a real pty and the real recorder, every counter exact
against the injector's tally and every valid sample stored."""

from __future__ import annotations

import pytest

from benchmarks.soak import Soak


# 80 Hz only: about one short 1 kHz run in six fails (docs/reliability.md, "Soak").
@pytest.mark.parametrize("rate_hz", [80])
def test_a_short_soak_stores_every_valid_sample_and_counts_every_fault_exactly(rate_hz):
    figures = Soak(rate_hz, device_s=30.0, lock_holds=1, lock_hold_s=1.0,
                   busy_timeout_s=0.2, stall_after_s=1.0).run()
    assert figures["problems"] == []
    assert figures["reboots"] == 4 and figures["reconnects"] == 3 and figures["stalls"] == 1
    assert figures["crc_errors"] + figures["malformed"] > 0
