"""The article's upper-back workout as a plan the app walks through
(docs/workout.md): inverted rows at the athlete's progression level, mid-back
shrugs (on the bar, judged; or with dumbbells on an incline bench, logged),
rear-delt flyes (logged), and a burnout finisher of inverted rows; a rest
between sets. No Qt here: the Live view shows the walker's place and feeds it
the sets done.

The inverted row's progressions: heels on the floor, heels on a bench, then a
plate on the abdomen, heavier by PLATE_STEP_KG. The next level is proposed
once the athlete has done PROGRESS_SETS sets of PROGRESS_REPS valid reps at
their current one in a session (the coach's corrections count: the sets are
read as corrected).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .defaults import DEFAULT_SHRUG_HOLD_S
from .exercises import (
    DUMBBELL_SHRUG, INVERTED_ROW, JUDGED_EXERCISES, MID_BACK_SHRUG, REAR_DELT_FLYE, exercise_text,
)
from .progress import athlete_sessions
from .storage import Database, SessionInfo, SetRecord

PROGRESS_SETS = 3
PROGRESS_REPS = 12
PLATE_STEP_KG = 5.0
MAX_PLATE_KG = 40.0
LEVEL_LOAD_TOL_KG = 0.25        # a set's added load matches a level's within this


@dataclass(frozen=True)
class Level:
    """A progression of the inverted row: the set labels it is recorded with."""

    variant: str
    added_load_kg: float | None
    text: str

    def matches(self, s: SetRecord) -> bool:
        load = s.added_load_kg or 0.0
        return (s.variant == self.variant
                and abs(load - (self.added_load_kg or 0.0)) <= LEVEL_LOAD_TOL_KG)


ROW_LEVELS: tuple[Level, ...] = (
    Level("heels-floor", None, "heels on the floor"),
    Level("heels-bench", None, "heels on a bench"),
    *(Level("heels-bench", kg, f"heels on a bench, {kg:g} kg on the abdomen")
      for kg in [PLATE_STEP_KG * i for i in range(1, int(MAX_PLATE_KG / PLATE_STEP_KG) + 1)]),
)
FINISHER_LEVEL = ROW_LEVELS[0]


@dataclass(frozen=True)
class Step:
    """One exercise of a plan: ``sets`` sets of ``reps`` (None: as many as
    the athlete can), ``rest_s`` after each; shrugs hold ``hold_s``."""

    exercise: str
    sets: int
    reps: int | None
    rest_s: int
    hold_s: float | None = None
    level: Level | None = None          # inverted rows: the labels its sets get
    cue: str = ""
    finisher: bool = False

    @property
    def judged(self) -> bool:
        """The station judges it (else the coach logs its sets)."""
        return self.exercise in JUDGED_EXERCISES

    @property
    def title(self) -> str:
        name = exercise_text(self.exercise)
        return f"{name} (burnout finisher)" if self.finisher else name

    def target_text(self) -> str:
        """"12 reps", "10 reps, 2 s holds", "as many as you can"."""
        reps = "as many as you can" if self.reps is None else f"{self.reps} reps"
        return f"{reps}, {self.hold_s:g} s holds" if self.hold_s else reps


@dataclass(frozen=True)
class Plan:
    name: str
    steps: tuple[Step, ...]


# The article's rests and targets, as the app proposes them.
ROW_REST_S = 90
SHRUG_REST_S = 60
FLYE_REST_S = 60
SHRUG_HOLD_S = DEFAULT_SHRUG_HOLD_S      # what the judge holds a squeeze to
FLYE_LOWER_S = 3.0            # the rear-delt flye's slow lowering, cued


def article_workout(level: Level = ROW_LEVELS[0], *, dumbbell_shrugs: bool = False) -> Plan:
    """The upper-back workout: rows at ``level``, shrugs (on the bar, or with
    dumbbells on an incline bench), rear-delt flyes, a burnout finisher."""
    shrug = Step(DUMBBELL_SHRUG if dumbbell_shrugs else MID_BACK_SHRUG, 3, 10, SHRUG_REST_S,
                 hold_s=SHRUG_HOLD_S,
                 cue="squeeze the shoulder blades together and hold; elbows stay straight")
    return Plan("Upper-back workout", (
        Step(INVERTED_ROW, PROGRESS_SETS, PROGRESS_REPS, ROW_REST_S, level=level,
             cue=f"{level.text}: chest to the bar, arms straight at the bottom"),
        shrug,
        Step(REAR_DELT_FLYE, 3, 15, FLYE_REST_S,
             cue=f"lift, then lower slowly for {FLYE_LOWER_S:g} s"),
        Step(INVERTED_ROW, 1, None, 0, level=FINISHER_LEVEL, finisher=True,
             cue=f"{FINISHER_LEVEL.text}: as many as you can"),
    ))


# -- where the athlete is in the plan ------------------------------------------------------


@dataclass(frozen=True)
class DoneSet:
    step_index: int
    set_no: int
    reps: int | None             # valid reps (judged) or reps logged
    skipped: bool = False


@dataclass
class Walker:
    """The place in ``plan``: the step and its set now due."""

    plan: Plan
    step_index: int = 0
    set_no: int = 1
    done: list[DoneSet] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.step_index >= len(self.plan.steps)

    @property
    def step(self) -> Step | None:
        return None if self.finished else self.plan.steps[self.step_index]

    def set_done(self, reps: int | None) -> int:
        """The set due was done; returns the rest before the next one (s, 0 at the end)."""
        step = self.step
        if step is None:
            return 0
        self.done.append(DoneSet(self.step_index, self.set_no, reps))
        rest = step.rest_s
        self._advance()
        return rest if not self.finished else 0

    def skip_step(self) -> None:
        """On to the next exercise; the sets left of this one are not done."""
        if self.step is None:
            return
        for set_no in range(self.set_no, self.step.sets + 1):
            self.done.append(DoneSet(self.step_index, set_no, None, skipped=True))
        self.step_index += 1
        self.set_no = 1

    def _advance(self) -> None:
        if self.set_no < self.plan.steps[self.step_index].sets:
            self.set_no += 1
        else:
            self.step_index += 1
            self.set_no = 1

    def place_text(self) -> str:
        """"Inverted row · set 2 of 3 · 12 reps"; "Workout done" at the end."""
        step = self.step
        if step is None:
            done = sum(1 for d in self.done if not d.skipped)
            return f"Workout done: {done} sets"
        return (f"{step.title} · set {self.set_no} of {step.sets} · {step.target_text()}")


# -- the next progression --------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    level: Level
    why: str


def level_of(s: SetRecord) -> int | None:
    """The index in ROW_LEVELS of an inverted-row set's labels; None if unlabelled."""
    if s.exercise != INVERTED_ROW:
        return None
    return next((i for i, level in enumerate(ROW_LEVELS) if level.matches(s)), None)


def propose_level(sessions: Iterable[tuple[SessionInfo, list[SetRecord]]]) -> Proposal:
    """The level for the athlete's next workout from their sessions (each
    with its sets as corrected): the highest level they have trained, or the
    next one once a session there had PROGRESS_SETS sets of at least
    PROGRESS_REPS valid reps."""
    # Per level: (sets reaching the goal in its best session, that session's day).
    at: dict[int, tuple[int, str]] = {}
    for info, sets in sessions:
        levels = [level_of(s) for s in sets]
        for index in set(levels) - {None}:
            reached = sum(1 for s, i in zip(sets, levels)
                          if i == index and s.valid_reps >= PROGRESS_REPS)
            day = info.started_at[:10]
            if index not in at or (reached, day) > at[index]:
                at[index] = (reached, day)
    if not at:
        return Proposal(ROW_LEVELS[0], "no inverted rows recorded yet: the first level")
    index = max(at)
    reached, day = at[index]
    level = ROW_LEVELS[index]
    goal = f"{PROGRESS_SETS} sets of {PROGRESS_REPS} valid reps"
    if reached >= PROGRESS_SETS and index + 1 < len(ROW_LEVELS):
        return Proposal(ROW_LEVELS[index + 1], f"{goal} at {level.text} on {day}: move on")
    if reached >= PROGRESS_SETS:
        return Proposal(level, f"{goal} at the last level on {day}")
    return Proposal(level, f"best {reached} of {goal} at {level.text} ({day}): stay")


def athlete_proposal(db: Database, athlete: str) -> Proposal:
    """``propose_level`` from ``athlete``'s stored sessions (``progress.athlete_sessions``:
    practice on the simulated station counts only while there is nothing else)."""
    sessions, _simulated = athlete_sessions(db, athlete)
    return propose_level((info, db.sets(info.id)) for info in sessions)
