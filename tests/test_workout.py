"""The article's workout as a plan (workout.py): the walker's place through it,
and the inverted row's next progression proposed from the athlete's sets."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backstation.exercises import (
    DUMBBELL_SHRUG, INVERTED_ROW, MID_BACK_SHRUG, REAR_DELT_FLYE,
)
from backstation.storage import Database, RepRecord, SetRecord
from backstation.workout import (
    FINISHER_LEVEL, PROGRESS_REPS, PROGRESS_SETS, ROW_LEVELS, Walker, article_workout,
    athlete_proposal, level_of, propose_level,
)


def test_the_article_workout_has_its_three_exercises_and_a_finisher():
    plan = article_workout(ROW_LEVELS[1])
    assert [s.exercise for s in plan.steps] == [INVERTED_ROW, MID_BACK_SHRUG, REAR_DELT_FLYE,
                                                INVERTED_ROW]
    rows, shrugs, flyes, finisher = plan.steps
    assert rows.level == ROW_LEVELS[1] and (rows.sets, rows.reps) == (PROGRESS_SETS,
                                                                      PROGRESS_REPS)
    assert shrugs.judged and shrugs.hold_s and not flyes.judged
    assert finisher.finisher and finisher.reps is None and finisher.level == FINISHER_LEVEL
    dumbbells = article_workout(dumbbell_shrugs=True).steps[1]
    assert dumbbells.exercise == DUMBBELL_SHRUG and not dumbbells.judged and dumbbells.hold_s


def test_the_walker_goes_set_by_set_through_every_step_with_its_rests():
    plan = article_workout()
    walker = Walker(plan)
    assert walker.place_text() == "Inverted row · set 1 of 3 · 12 reps"
    rests = []
    places = []
    while not walker.finished:
        places.append((walker.step_index, walker.set_no))
        rests.append(walker.set_done(10))
    assert places == [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3),
                      (3, 1)]
    assert rests == [90, 90, 90, 60, 60, 60, 60, 60, 60, 0]       # none after the last set
    assert walker.place_text() == "Workout done: 10 sets"
    assert walker.set_done(5) == 0 and len(walker.done) == 10     # nothing past the end


def test_skipping_an_exercise_marks_its_sets_left_as_skipped():
    walker = Walker(article_workout())
    walker.set_done(12)
    walker.skip_step()
    assert walker.step.exercise == MID_BACK_SHRUG and walker.set_no == 1
    assert [(d.set_no, d.skipped) for d in walker.done] == [(1, False), (2, True), (3, True)]
    assert walker.place_text() == "Mid-back shrug · set 1 of 3 · 10 reps, 2 s holds"


def _set(index: int, level, valid: int, exercise: str = INVERTED_ROW,
         no_reps: int = 0, session_id: int = 1) -> SetRecord:
    return SetRecord(session_id=session_id, set_index=index, exercise=exercise,
                     variant=level.variant, added_load_kg=level.added_load_kg, manual=False,
                     t_start_us=0, t_end_us=1, valid_reps=valid, no_reps=no_reps, metrics={})


def _session(day: str) -> SimpleNamespace:
    """What propose_level reads of a SessionInfo."""
    return SimpleNamespace(started_at=f"{day}T10:00:00.000+00:00")


def test_a_level_is_known_by_its_labels():
    assert [level_of(_set(1, level, 1)) for level in ROW_LEVELS] == list(range(len(ROW_LEVELS)))
    assert level_of(_set(1, ROW_LEVELS[0], 1, exercise=MID_BACK_SHRUG)) is None


@pytest.mark.parametrize("history, level, says", [
    ([], 0, "no inverted rows recorded yet"),
    ([("2026-11-01", [(0, 12), (0, 12), (0, 11)])], 0, "best 2 of 3 sets of 12 valid reps"),
    ([("2026-11-01", [(0, 12), (0, 12), (0, 12)])], 1, "at heels on the floor on 2026-11-01: "
                                                       "move on"),
    # The burnout finisher at the first level does not hold back an athlete on a bench.
    ([("2026-11-01", [(0, 12)] * 3), ("2026-11-08", [(1, 12), (1, 9), (1, 8), (0, 20)])], 1,
     "best 1 of 3"),
    ([("2026-11-08", [(1, 12)] * 3 + [(0, 25)])], 2, "move on"),
    # The goal reached in a later session at the same level.
    ([("2026-11-01", [(0, 12), (0, 10), (0, 9)]), ("2026-11-08", [(0, 12)] * 3)], 1,
     "on 2026-11-08: move on"),
    ([("2026-11-08", [(len(ROW_LEVELS) - 1, 12)] * 3)], len(ROW_LEVELS) - 1, "the last level"),
])
def test_the_next_progression_is_proposed_from_the_sets_done(history, level, says):
    sessions = [(_session(day), [_set(i, ROW_LEVELS[lv], valid)
                                 for i, (lv, valid) in enumerate(sets, start=1)])
                for day, sets in history]
    proposal = propose_level(sessions)
    assert proposal.level == ROW_LEVELS[level]
    assert says in proposal.why


def test_the_proposal_reads_the_athletes_sets_as_the_coach_corrected_them(tmp_path):
    with Database(tmp_path / "s.db") as db:
        session = db.create_session(athlete=db.add_athlete("Ada"))
        for index in (1, 2, 3):
            short = index == 3                  # the judge gave it 11 and a no-rep
            db.save_set(_set(index, ROW_LEVELS[0], PROGRESS_REPS - short, no_reps=int(short),
                             session_id=session))
            for rep in range(1, PROGRESS_REPS + 1):
                valid = not (short and rep == PROGRESS_REPS)
                db.save_rep(RepRecord(session_id=session, set_index=index, rep_index=rep,
                                      valid=valid, reason=None if valid else "no_lockout",
                                      t_start_us=rep * 10, t_end_us=rep * 10 + 5,
                                      peak_force_n=300.0, min_gap_mm=10.0, metrics={}))
        assert athlete_proposal(db, "ada").level == ROW_LEVELS[0]
        db.correct(session, 3, PROGRESS_REPS, "valid")
        assert athlete_proposal(db, "ADA").level == ROW_LEVELS[1]
        assert athlete_proposal(db, "Bo").level == ROW_LEVELS[0]


def test_practice_on_the_simulated_station_moves_nobody_up_once_they_train_for_real(tmp_path):
    with Database(tmp_path / "s.db") as db:
        ada = db.add_athlete("Ada")
        practice = db.create_session(athlete=ada, port="sim://?scenario=clean")
        real = db.create_session(athlete=ada, port="/dev/ttyACM0")
        for index in (1, 2, 3):
            db.save_set(_set(index, ROW_LEVELS[0], PROGRESS_REPS, session_id=practice))
        db.save_set(_set(1, ROW_LEVELS[0], PROGRESS_REPS - 2, session_id=real))
        assert athlete_proposal(db, "Ada").level == ROW_LEVELS[0]
        db.delete_session(real)                       # practice only: it is what there is
        assert athlete_proposal(db, "Ada").level == ROW_LEVELS[1]
