"""The mid-back shrug judge scored on sessions made apart from it and from the
simulator (validation/shrugs.py: a critically damped chest that breathes,
trembles and creeps, a hang that wanders, a squeeze depth that varies and is
calibrated with an error, a randomised target hold, HC-SR04 at 12-20 Hz or
time of flight at 30-50 Hz with stray echoes, multipath, missed and stuck
readings). docs/validation.md, "Mid-back shrugs", gives the figures."""

from __future__ import annotations

import pytest

from backstation.validation.shrugs import (
    generate_shrug_session, judge_shrug_session, score_shrug_session, shrug_figures,
)

SEEDS = range(40)


@pytest.fixture(scope="module")
def figures():
    scores = []
    for seed in SEEDS:
        session = generate_shrug_session(seed)
        scores.append(score_shrug_session(session, judge_shrug_session(session)))
    return shrug_figures(scores)


def test_the_sample_holds_every_kind_of_shrug():
    reasons, grey, kinds = set(), 0, set()
    for seed in SEEDS:
        s = generate_shrug_session(seed)
        reasons |= {t.reason for t in s.truth}
        grey += sum(t.grey for t in s.truth)
        kinds |= s.tags
    assert reasons == {None, "arms_bent", "no_hold", "bar_released"}
    assert {"hcsr04", "vl53l0x", "vl53l1x", "artefacts", "depth_shallow", "depth_deep"} <= kinds
    assert grey > 0


def test_the_judge_keeps_its_floor_on_shrugs_it_did_not_write(figures):
    """Floors at what the judge measured (recall 98.4 %, 0.20 phantoms per
    100, verdicts 97.8 %, hold p95 0.52 s on these 40 sessions): it must not
    get worse."""
    f = figures
    assert f.true_reps >= 450 and f.verdicts_scored >= 400
    problems = "\n".join(f.problems[:15])
    assert f.recall >= 0.98, problems
    assert f.phantoms_per_100 <= 0.5, problems
    assert f.verdict_accuracy >= 0.97, problems
    assert f.hold_p95_s <= 0.6
    assert f.start_p95_s <= 0.35


@pytest.mark.xfail(strict=True, reason="a 20-25 mm squeeze read by a time-of-flight sensor "
                   "(+-10 mm) is timed loosely, and a few squeezes are missed: docs/validation.md")
def test_the_judge_meets_the_targets_on_shrugs_it_did_not_write(figures):
    assert figures.recall >= 0.99
    assert figures.verdict_accuracy >= 0.99
