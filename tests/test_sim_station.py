"""The simulated station on its virtual clock: determinism, rates, clocks,
physics and ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from backstation.device.sim import SimulatedStation, all_scenarios
from backstation.device.sim.model import (
    CONTACT_MM, G_MS2, Athlete, RepSpec, SetSpec, build_timeline,
)
from backstation.protocol import (
    Cal, ClockUnwrapper, DistanceSample, ForceSample, Hello, Stat, StreamDecoder,
)
from backstation.protocol.commands import start
from backstation.protocol.sentences import SEQ_MODULO

T_WRAP = 1 << 32


def record(station: SimulatedStation, until_s: float, start_at_s: float = 0.5):
    """Boot, START at ``start_at_s``, run to ``until_s``; decode everything."""
    data = station.advance(start_at_s)
    station.receive(start().line())
    data += station.advance(until_s)
    decoder = StreamDecoder()
    return decoder.feed(data), decoder, data


def of_type(sentences, cls):
    return [s for s in sentences if isinstance(s, cls)]


def test_same_seed_gives_identical_bytes_and_another_seed_does_not():
    a = record(SimulatedStation("partial", seed=5), 30.0)[2]
    b = record(SimulatedStation("partial", seed=5), 30.0)[2]
    c = record(SimulatedStation("partial", seed=6), 30.0)[2]
    assert a == b
    assert a != c


def test_device_id_is_persistent_per_seed():
    ids = {SimulatedStation("clean", seed=s).device_id for s in (1, 1, 2)}
    assert len(ids) == 2
    assert SimulatedStation("clean", seed=1, device_id="00c0ffee").device_id == "00C0FFEE"


def test_boot_says_hello_then_one_cal_per_channel_and_streams_nothing_until_start():
    station = SimulatedStation("clean", seed=1)
    assert station.advance(0.09) == b""
    sentences = StreamDecoder().feed(station.advance(3.0))
    assert [type(s) for s in sentences] == [Hello, Cal, Cal]
    hello = sentences[0]
    assert (hello.protocol, hello.firmware, hello.device_id) == (1, "sim-0.1.0", station.device_id)
    assert (hello.force_channels, hello.force_rate_hz, hello.distance_sensor) == (2, 80, "hcsr04")
    assert [c.channel for c in sentences[1:]] == [0, 1]


@pytest.mark.parametrize("name", all_scenarios())
def test_every_scenario_streams_lines_the_decoder_accepts_without_errors(name):
    station = SimulatedStation(name, seed=3, faults_per_s=0.0)
    until = station.unplug_window[0] if station.unplug_window else station.truth.duration_s
    sentences, decoder, _ = record(station, until)
    assert decoder.counters.errors == 0
    assert len(of_type(sentences, ForceSample)) > 5 * until
    forces = of_type(sentences, ForceSample)
    # seq counts modulo 2**16: the article's whole workout outlasts it at 80 SPS.
    assert [s.seq for s in forces] == [i % SEQ_MODULO for i in range(len(forces))]


def test_clean_truth_is_three_sets_of_eight_valid_reps_with_rests():
    truth = SimulatedStation("clean", seed=2).truth
    assert [(s.valid_reps, s.no_reps) for s in truth.sets] == [(8, 0)] * 3
    rests = [b.t_start_s - a.t_end_s for a, b in zip(truth.sets, truth.sets[1:])]
    assert all(15 <= r <= 22 for r in rests)
    assert truth.sets[0].t_start_s >= 3.0   # unloaded lead-in for the host to connect
    for rep in truth.reps:
        assert rep.min_gap_mm <= 15 and rep.contact_s is not None
        assert rep.t_start_s < rep.contact_s[0] < rep.contact_s[1] < rep.t_end_s


def test_partial_truth_mixes_good_reps_with_no_contact_reps_short_of_the_bar():
    truth = SimulatedStation("partial", seed=4).truth
    short = [r for r in truth.reps if not r.valid]
    assert short and len(short) < len(truth.reps)
    assert all(r.reason == "no_contact" and 60 <= r.min_gap_mm <= 150 for r in short)
    assert all(r.contact_s is None for r in short)


def test_burnout_is_a_fast_set_whose_last_reps_miss_the_bar():
    truth = SimulatedStation("burnout", seed=1).truth
    burn = truth.sets[-1]
    assert len(burn.reps) >= 14
    durations = [r.t_end_s - r.t_start_s for r in burn.reps]
    assert max(durations) < 2.0
    assert [r.valid for r in burn.reps[-3:]] == [False] * 3
    assert burn.reps[0].valid
    assert durations[-1] > durations[0]   # fatigue


def test_slow_adc_streams_at_10_sps_and_says_so_in_hello():
    station = SimulatedStation("slow-adc", seed=1)
    sentences, _, _ = record(station, 20.0)
    assert of_type(sentences, Hello)[0].force_rate_hz == 10
    t = np.array([s.t_us for s in of_type(sentences, ForceSample)])
    assert 9.9 < 1e6 / np.median(np.diff(t)) < 10.2
    assert station.truth.force_rate_hz == 10


def test_force_samples_come_every_12_5_ms_from_an_hx711_running_slightly_fast():
    sentences, _, _ = record(SimulatedStation("clean", seed=1), 20.0)
    t = np.array([s.t_us for s in of_type(sentences, ForceSample)], dtype=np.int64)
    steps = np.diff(t)
    assert 12_300 < np.median(steps) < 12_500          # 80 SPS nominal, ~80.5 measured
    assert steps.min() > 12_000 and steps.max() < 12_800  # jitter, no gaps
    stats = of_type(sentences, Stat)
    assert len(stats) == pytest.approx(19.5, abs=1)
    assert all(8_010 <= s.force_hz_x100 <= 8_100 for s in stats[1:])
    assert all(1_900 <= s.distance_hz_x100 <= 2_100 for s in stats[1:])
    d = np.diff([s.t_us for s in of_type(sentences, DistanceSample)])
    assert 49_000 < np.median(d) < 51_000


def test_device_clock_wraps_at_2_to_the_32_and_unwraps_evenly():
    station = SimulatedStation("clean", seed=1, boot_offset_us=T_WRAP - 5_000_000)
    sentences, _, _ = record(station, 10.0)
    raw = [s.t_us for s in of_type(sentences, ForceSample)]
    assert max(raw) > T_WRAP - 1_000_000 and min(raw) < 1_000_000
    unwrapper = ClockUnwrapper()
    steps = np.diff([unwrapper.unwrap(t) for t in raw])
    assert steps.min() > 12_000 and steps.max() < 12_800
    assert station.device_us(7.0) == (T_WRAP - 5_000_000 + 7_000_000) % T_WRAP


def test_seq_counts_each_type_separately_and_wraps_after_65535():
    sentences, decoder, _ = record(SimulatedStation("clean", seed=1, first_seq=65_530), 2.0)
    seqs = [s.seq for s in of_type(sentences, ForceSample)]
    assert seqs[:8] == [65_530, 65_531, 65_532, 65_533, 65_534, 65_535, 0, 1]
    assert of_type(sentences, DistanceSample)[0].seq == 65_530
    assert decoder.counters.errors == 0


def newtons(station, sentences):
    cals = {c.channel: c for c in of_type(sentences, Cal)}
    forces = of_type(sentences, ForceSample)
    t_s = np.array([station_time(station, s.t_us) for s in forces])
    sides = np.array([[cals[ch].newtons(s.raw[ch]) for ch in (0, 1)] for s in forces])
    return t_s, sides


def station_time(station, t_us):
    boot = station.boots[-1]
    return boot.t_s + ((t_us - boot.boot_offset_us) % T_WRAP) / 1e6


def test_hanging_load_pulls_and_rests_are_physical_after_applying_cal():
    station = SimulatedStation("clean", seed=7)
    truth = station.truth
    sentences, _, _ = record(station, truth.sets[1].t_start_s)
    t_s, sides = newtons(station, sentences)
    total = sides.sum(axis=1)
    first = truth.sets[0]
    weight_n = truth.body_mass_kg * G_MS2
    assert 0.55 * weight_n <= truth.static_load_n <= 0.75 * weight_n
    hanging = (t_s > first.t_start_s + 1.2) & (t_s < first.reps[0].t_start_s - 0.1)
    assert np.mean(total[hanging]) == pytest.approx(truth.static_load_n, rel=0.05)
    for rep in first.reps:
        in_rep = (t_s >= rep.t_start_s) & (t_s <= rep.t_end_s)
        assert total[in_rep].max() > 1.1 * truth.static_load_n
        assert total[in_rep].max() == pytest.approx(rep.peak_force_n, rel=0.05)
    rest = (t_s > first.t_end_s + 1.0) & (t_s < truth.sets[1].t_start_s - 0.5)
    assert rest.sum() > 500
    assert np.abs(total[rest]).max() < 5.0
    left_share = sides[hanging, 0].sum() / total[hanging].sum()
    assert left_share == pytest.approx(first.reps[0].left_share, abs=0.01)


def test_gap_reaches_the_bar_on_valid_reps_and_stays_clear_on_short_ones():
    station = SimulatedStation("partial", seed=4)
    sentences, _, _ = record(station, station.truth.duration_s)
    dist = [s for s in of_type(sentences, DistanceSample) if s.gap_mm >= 0]
    t_s = np.array([station_time(station, s.t_us) for s in dist])
    gap = np.array([s.gap_mm for s in dist])
    for rep in station.truth.reps:
        in_rep = (t_s >= rep.t_start_s) & (t_s <= rep.t_end_s)
        if rep.valid:
            assert gap[in_rep].min() <= 15
            in_contact = (t_s >= rep.contact_s[0]) & (t_s <= rep.contact_s[1])
            assert gap[in_contact].max() <= CONTACT_MM + 4
        else:
            assert gap[in_rep].min() >= 57
        assert gap[in_rep].max() >= rep.min_gap_mm + rep.rom_mm - 30


def test_missed_echoes_are_reported_as_minus_one_now_and_then():
    sentences, _, _ = record(SimulatedStation("clean", seed=1), 60.0)
    gaps = [s.gap_mm for s in of_type(sentences, DistanceSample)]
    missed = gaps.count(-1)
    assert 0 < missed < 0.05 * len(gaps)


def test_truth_serialises_to_json_shaped_dicts():
    import json
    data = json.loads(json.dumps(SimulatedStation("partial", seed=1).truth.to_dict()))
    rep = data["sets"][0]["reps"][0]
    assert {"t_start_s", "t_end_s", "valid", "reason", "min_gap_mm", "peak_force_n",
            "contact_s"} <= rep.keys()
    assert data["sets"][0]["valid_reps"] + data["sets"][0]["no_reps"] == len(data["sets"][0]["reps"])


@pytest.mark.parametrize("feet, low, high", [("floor", 0.6, 0.8), ("bench", 0.82, 0.95)])
def test_the_bar_carries_less_of_the_body_the_higher_the_chest(feet, low, high):
    """A body pivoting at its heels: held still at the top (no squeeze, no
    acceleration), the bar carries a share of the hang's load that falls
    with the chest's height, more steeply with the heels on the floor."""
    athlete = Athlete(body_mass_kg=80.0, feet=feet)
    rep = RepSpec(squeeze_share=0.0, hold_s=1.0, pause_s=1.0)
    timeline, windows = build_timeline(athlete, [SetSpec((rep,))], lead_s=1.0, tail_s=1.0)
    window = windows[0].reps[0]
    t = np.array([window.t_start_s - 0.2, window.t_top_s + 0.5])     # the hang, the hold
    gaps, forces = timeline.arrays(t)
    assert gaps[1] < 20.0 and gaps[0] == pytest.approx(athlete.bottom_gap_mm)
    assert low <= forces[1] / forces[0] <= high
    # moving too (mid-pull, mid-lowering): the scalar and the block formulas
    # agree bit for bit, the arrays' to rounding
    t = np.concatenate([t, [window.t_start_s + 0.4, window.t_top_s + 1.0 + 0.6]])
    scalar = [timeline.state(x)[0] for x in t]
    assert list(timeline.state_block(t)[0]) == scalar
    assert timeline.arrays(t)[1] == pytest.approx(scalar, rel=1e-12)
