"""The simulator's bulk generation against its reference twin (STYLE §15,
issue 10): ``SimulatedStation(reference=True)`` makes every sample one at a
time in the event loop; the default station makes runs of them at once
(``_bulk``: ``AdcClock.take``, ``_take_distance``, ``_stat_lines``, the sort
that merges them). Driven through the same random script of advances and
commands (START, STOP, TARE, CAL, RATE, INFO, garbage), over tens of
thousands of sentences with the rates, clock and seq at and near their
ranges (1 and 2000 Hz, the 2**32 µs wrap, seq 65535), both must write the
same bytes at every step and tally the same faults.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from backstation.device.sim import SimulatedStation
from backstation.protocol.sentences import FORCE_RATE_RANGE_HZ

SCENARIOS = ["clean", "realistic", "noisy-line", "unplug", "slow-adc", "partial", "tof",
             "stray-echoes"]
COMMANDS = [b"START\n", b"STOP\n", b"TARE\n", b"TARE 1\n", b"CAL 0 5000\n", b"RATE 10\n",
            b"RATE 80\n", b"INFO\n", b"PING\n", b"SETCAL 1 -20 812.5\n", b"$garbage*00\n",
            b"START\nSTART\n", b"ST", b"OP\n"]
MAX_SAMPLES = 60_000        # per case and station: bounds the reference's time (~37 µs each)

options = st.fixed_dictionaries({
    "scenario": st.sampled_from(SCENARIOS),
    "seed": st.integers(0, 2 ** 16),
    "force_rate_hz": st.sampled_from([None, FORCE_RATE_RANGE_HZ[0], 10, 80, 997, 1000,
                                      FORCE_RATE_RANGE_HZ[1]]),
    "distance_rate_hz": st.sampled_from([None, 0.5, 20.0, 333.3, 1000.0]),
    "boot_offset_us": st.sampled_from([0, 2 ** 32 - 3_000_000, 2 ** 32 - 1, 123_456_789]),
    "first_seq": st.sampled_from([0, 65535 - 500, 65535]),
    "faults_per_s": st.sampled_from([None, 0.0, 2.0, 40.0]),
    "swap_device": st.booleans(),
})
script = st.lists(st.tuples(st.floats(0.0005, 4.0), st.sampled_from([None, *COMMANDS])),
                  min_size=1, max_size=25)


def run(kwargs: dict, steps: list, reference: bool) -> tuple[list[bytes], dict]:
    station = SimulatedStation(**kwargs, reference=reference)
    out, t_s = [], 0.0
    station.advance(0.4)
    station.receive(b"START\n")                # a long stream from the start
    for step_s, command in steps:
        t_s += step_s
        out.append(station.advance(0.4 + t_s))
        if command is not None:
            station.receive(command)
    out.append(station.advance(0.4 + t_s + 1.5))   # a TARE/CAL begun last ends
    tally = station.summary()
    tally.pop("truth")
    return out, tally


def samples_in(kwargs: dict, steps: list) -> float:
    rate = max(kwargs["force_rate_hz"] or 80, 10)
    return (0.4 + sum(s for s, _ in steps) + 1.5) * (rate + (kwargs["distance_rate_hz"] or 20))


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kwargs=options, steps=script)
def test_bulk_generation_writes_the_bytes_of_the_one_at_a_time_loop(kwargs, steps):
    while samples_in(kwargs, steps) > MAX_SAMPLES and len(steps) > 1:
        steps = steps[:-1]
    if samples_in(kwargs, steps) > MAX_SAMPLES:
        steps = [(MAX_SAMPLES / samples_in(kwargs, [(0.0, None)]) / 2, steps[0][1])]
    bulk, bulk_tally = run(kwargs, steps, reference=False)
    ref, ref_tally = run(kwargs, steps, reference=True)
    assert len(bulk) == len(ref)
    for i, (a, b) in enumerate(zip(bulk, ref)):
        if a != b:
            at = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
            raise AssertionError(f"step {i}, byte {at}: bulk {a[at - 40:at + 40]!r} "
                                 f"reference {b[at - 40:at + 40]!r}")
    assert bulk_tally == ref_tally
    assert sum(map(len, bulk)) > 0


def test_a_long_fast_stream_is_the_same_both_ways():
    """One fixed long case, so the bulk path meets long runs every time."""
    kwargs = dict(scenario="realistic", seed=11, force_rate_hz=2000, distance_rate_hz=50.0,
                  boot_offset_us=2 ** 32 - 5_000_000, first_seq=65000, faults_per_s=5.0)
    steps = [(3.0, None), (0.7, b"TARE\n"), (2.0, b"RATE 80\n"), (4.0, None), (1.0, b"STOP\n"),
             (0.5, b"START\n"), (6.0, None)]
    bulk, _ = run(kwargs, steps, reference=False)
    ref, _ = run(kwargs, steps, reference=True)
    assert bulk == ref
    assert sum(chunk.count(b"$F,") for chunk in bulk) > 10_000
