"""noisy-line: the simulator's own tally of injected faults must equal what a
correct decoder counts (the decoder checks the tally; it never computes it)."""

from __future__ import annotations

from collections import Counter

import pytest

from backstation.device.sim import SimulatedStation
from backstation.protocol import DistanceSample, ForceSample, SequenceTracker, StreamDecoder
from backstation.protocol.commands import start, stop

STREAMED = {"F", "D", "STAT"}


def run_noisy(seed: int, stop_at_s: float | None = None):
    station = SimulatedStation("noisy-line", seed=seed)
    data = station.advance(0.5)
    station.receive(start().line())
    end = stop_at_s if stop_at_s is not None else station.truth.duration_s
    data += station.advance(end)
    station.receive(stop().line())
    data += station.advance(end + 1.0)
    return station, data


def host_view(data: bytes, chunk: int = 97):
    decoder = StreamDecoder()
    sentences = []
    for i in range(0, len(data), chunk):   # odd chunks: faults straddle reads
        sentences += decoder.feed(data[i:i + chunk])
    trackers = {ForceSample: SequenceTracker(), DistanceSample: SequenceTracker()}
    for s in sentences:
        if type(s) in trackers:
            trackers[type(s)].update(s.seq, s.t_us)
    return decoder, sentences, trackers


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_decoder_counts_exactly_the_faults_the_simulator_injected(seed):
    station, data = run_noisy(seed)
    decoder, sentences, trackers = host_view(data)
    expected = station.faults.expected
    assert len(station.faults.faults) > 50
    assert decoder.counters.crc_errors == expected.crc_errors
    assert decoder.counters.malformed == expected.malformed
    assert decoder.counters.overlong == 0
    assert trackers[ForceSample].lost == expected.lost_force
    assert trackers[DistanceSample].lost == expected.lost_distance
    got = Counter(type(s).TYPE for s in sentences)
    assert dict(got) == station.faults.sent


def test_faults_stay_clear_of_a_stop_in_mid_set_and_the_tally_still_holds():
    station, data = run_noisy(9, stop_at_s=17.3)
    decoder, _, trackers = host_view(data)
    expected = station.faults.expected
    assert (decoder.counters.crc_errors, decoder.counters.malformed) == (
        expected.crc_errors, expected.malformed)
    assert (trackers[ForceSample].lost, trackers[DistanceSample].lost) == (
        expected.lost_force, expected.lost_distance)


def test_faults_touch_only_streamed_sentences_and_use_every_kind():
    station, data = run_noisy(3)
    faults = station.faults.faults
    assert {f.sentence for f in faults} <= STREAMED
    assert {f.action for f in faults} == {"garbage", "corrupt", "drop_body", "drop_star",
                                          "drop_crc", "drop_dollar"}
    duration = station.truth.duration_s - station.scenario.lead_s
    assert 1.5 < len(faults) / duration < 4.0
    assert all(f.t_s < station.truth.duration_s - 1.0 for f in faults)
    # Control sentences are never touched: HELLO, both CALs and both ACKs decode.
    _, sentences, _ = host_view(data)
    kinds = Counter(type(s).TYPE for s in sentences)
    assert (kinds["HELLO"], kinds["CAL"], kinds["ACK"]) == (1, 2, 2)


def test_clean_scenario_injects_nothing():
    station = SimulatedStation("clean", seed=1)
    station.advance(0.5)
    station.receive(start().line())
    station.advance(60.0)
    assert station.faults.faults == []
