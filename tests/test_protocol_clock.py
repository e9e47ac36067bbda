"""Device time and loss bookkeeping: ClockUnwrapper and SequenceTracker."""

from __future__ import annotations

from backstation.protocol import ClockUnwrapper, SequenceTracker

WRAP = 1 << 32
STEP_US = 12_500  # 80 Hz


def test_clock_is_unchanged_before_the_first_wrap():
    clock = ClockUnwrapper()
    assert [clock.unwrap(t) for t in (0, 5, 1_000_000)] == [0, 5, 1_000_000]


def test_clock_is_monotonic_across_the_32_bit_wrap():
    clock = ClockUnwrapper()
    start = WRAP - 5 * STEP_US
    raw = [(start + i * STEP_US) % WRAP for i in range(10)]
    times = [clock.unwrap(t) for t in raw]
    assert times == [start + i * STEP_US for i in range(10)]


def test_clock_counts_several_wraps():
    clock = ClockUnwrapper()
    step = WRAP // 3  # three samples per cycle: every wrap is seen
    times = [clock.unwrap((i * step) % WRAP) for i in range(20)]
    assert times == [i * step for i in range(20)]
    assert times[-1] > 6 * WRAP


def test_small_reordering_is_not_a_wrap():
    clock = ClockUnwrapper()
    assert clock.unwrap(1_000_000) == 1_000_000
    assert clock.unwrap(990_000) == 990_000  # a late sample, not 71 minutes later
    assert clock.unwrap(1_010_000) == 1_010_000


def test_a_late_sample_from_before_the_wrap_stays_before_it():
    clock = ClockUnwrapper()
    clock.unwrap(WRAP - 100)
    assert clock.unwrap(50) == WRAP + 50
    assert clock.unwrap(WRAP - 10) == WRAP - 10
    assert clock.unwrap(100) == WRAP + 100


def test_clock_reset_starts_over():
    clock = ClockUnwrapper()
    clock.unwrap(WRAP - 1)
    clock.unwrap(1)
    clock.reset()
    assert clock.unwrap(7) == 7


def feed(tracker: SequenceTracker, seqs, step_us: int = STEP_US, t0_us: int = 0) -> list[int]:
    return [tracker.update(seq, t0_us + i * step_us) for i, seq in enumerate(seqs)]


def test_consecutive_sequence_loses_nothing():
    tracker = SequenceTracker()
    assert feed(tracker, range(100)) == [0] * 100
    assert tracker.lost == 0 and tracker.received == 100


def test_sequence_gap_counts_the_missing_samples():
    tracker = SequenceTracker()
    tracker.update(10, 0)
    assert tracker.update(11, 1) == 0
    assert tracker.update(15, 2) == 3
    assert tracker.update(16, 3) == 0
    assert tracker.lost == 3 and tracker.received == 4


def test_sequence_wrap_from_65535_to_0_is_not_a_loss():
    tracker = SequenceTracker(expected_step_us=STEP_US)
    assert feed(tracker, [65534, 65535, 0, 1]) == [0, 0, 0, 0]
    assert tracker.lost == 0


def test_gap_across_the_sequence_wrap_counts_what_is_missing():
    tracker = SequenceTracker()
    tracker.update(65533, 0)
    assert tracker.update(2, 1) == 4  # 65534, 65535, 0, 1
    assert tracker.lost == 4


def test_duplicate_sequence_is_not_65535_lost():
    tracker = SequenceTracker(expected_step_us=STEP_US)
    tracker.update(5, 0)
    assert tracker.update(5, 0) == 0
    assert tracker.update(6, STEP_US) == 0
    assert tracker.lost == 0 and tracker.received == 3


def test_gap_longer_than_one_sequence_cycle_is_corrected_by_time():
    tracker = SequenceTracker(expected_step_us=STEP_US)
    tracker.update(100, 0)
    missing = 70_000 - 1  # the sequence alone says (70000 % 65536) - 1
    assert tracker.update((100 + 70_000) % 65536, 70_000 * STEP_US) == missing
    assert tracker.lost == missing


def test_gap_of_several_cycles_is_corrected_by_time():
    tracker = SequenceTracker(expected_step_us=STEP_US)
    tracker.update(0, 0)
    jump = 3 * 65536 + 10
    assert tracker.update(jump % 65536, jump * STEP_US) == jump - 1


def test_without_a_nominal_period_the_sequence_alone_counts():
    tracker = SequenceTracker()
    tracker.update(100, 0)
    assert tracker.update((100 + 70_000) % 65536, 70_000 * STEP_US) == 70_000 % 65536 - 1


def test_jittery_timestamps_do_not_invent_a_cycle():
    tracker = SequenceTracker(expected_step_us=STEP_US)
    tracker.update(0, 0)
    # 1000 samples lost, and the device clock says 1.4x that: still no extra cycle.
    assert tracker.update(1001, int(1.4 * 1001 * STEP_US)) == 1000


def test_sequence_reset_forgets_the_last_seq_and_keeps_totals():
    tracker = SequenceTracker()
    tracker.update(10, 0)
    tracker.update(20, 1)
    tracker.reset()
    assert tracker.update(0, 2) == 0
    assert tracker.lost == 9 and tracker.received == 3
