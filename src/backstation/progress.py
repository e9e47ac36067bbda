"""An athlete's progress over weeks, from the stored sets and reps of their
inverted rows (no Qt: runs on a worker thread and is tested without a
window). A session recorded from the simulated station (its port a sim://
URL) is practice, not the athlete's training: left out while they have
sessions on a real station (in ``simulated.db`` every session is simulated)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import TYPE_CHECKING

from .device.sim.controls import is_simulated
from .exercises import INVERTED_ROW, MID_BACK_SHRUG
from .storage import Database, RepRecord, SessionInfo, SetRecord
from .units import weight_n

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class SetPoint:
    when: datetime               # aware; the set's start
    session_id: int              # the station's id of it
    set_index: int
    valid_reps: int
    no_reps: int
    velocity_loss_pct: float | None


@dataclass(frozen=True)
class SessionPoint:
    when: datetime               # aware; the session's start
    session_id: int
    best_peak_force_n: float     # over the session's valid reps
    best_peak_force_pct_bm: float | None   # None when no body mass was recorded


@dataclass
class AthleteProgress:
    athlete: str
    sets: list[SetPoint] = field(default_factory=list)
    sessions: list[SessionPoint] = field(default_factory=list)
    simulated: bool = False          # charted from the simulated station's sessions

    @property
    def empty(self) -> bool:
        return not self.sets and not self.sessions

    @property
    def best_peak_force_n(self) -> float | None:
        """The highest peak of a valid row over every session charted; None if none."""
        return max((p.best_peak_force_n for p in self.sessions), default=None)


def athlete_sessions(db: Database, athlete: str) -> tuple[list[SessionInfo], bool]:
    """``athlete``'s sessions (the roster's athlete of that name, as the
    database matches names): those recorded on a real station, or, if they
    have none, the simulated station's; and whether these are simulated."""
    found = db.get_athlete(athlete)
    if found is None:
        return [], False
    theirs = [info for info in db.list_sessions() if info.athlete_name == found.name]
    real = [info for info in theirs if not is_simulated(info.port)]
    return (real or theirs), bool(theirs) and not real


MIN_SHRUGS_MEASURED = 3     # good shrugs a squeeze depth is measured from, at least


def measured_squeeze(db: Database, athlete: str) -> tuple[float, int] | None:
    """The athlete's squeeze depth as their shrugs show it: the median depth
    (``rom_mm``) of their valid mid-back shrugs, as the coach left them (corrected),
    and how many; None under MIN_SHRUGS_MEASURED. The judge's default depth
    finds squeezes of 20-80 mm, so this is the athlete's own."""
    sessions, _simulated = athlete_sessions(db, athlete)
    depths: list[float] = []
    for info in sessions:
        shrug_sets = {s.set_index for s in db.sets(info.id) if s.exercise == MID_BACK_SHRUG}
        depths += [float(r.metrics["rom_mm"]) for r in db.reps(info.id)
                   if r.set_index in shrug_sets and r.valid
                   and isinstance(r.metrics.get("rom_mm"), (int, float))]
    if len(depths) < MIN_SHRUGS_MEASURED:
        return None
    return float(median(depths)), len(depths)


def athlete_progress(db: Database, athlete: str) -> AthleteProgress:
    """Every stored set of ``athlete`` and each session's best valid rep, from
    this station's database (``athlete_sessions``)."""
    sessions, simulated = athlete_sessions(db, athlete)
    progress = progress_of(athlete, ((info, db.sets(info.id), db.reps(info.id))
                                     for info in sessions))
    progress.simulated = simulated
    return progress


def team_athlete_progress(conn: psycopg.Connection, athlete: str) -> AthleteProgress:
    """The same from the team server: ``athlete``'s sessions on every station."""
    from .team import read        # psycopg: loaded once a team server is used

    sessions = read.list_sessions(conn, athlete=athlete)
    judged = read.judgements(conn, [s.uid for s in sessions])
    return progress_of(athlete, ((s.info, *judged.get(s.uid, ([], []))) for s in sessions))


def progress_of(athlete: str, sessions: Iterable[tuple[SessionInfo, list[SetRecord],
                                                         list[RepRecord]]]) -> AthleteProgress:
    """``athlete``'s sessions, each with its stored sets and reps, as charts' points.

    The best peak counts valid reps only: a no-rep's force was not a
    completed pull. % body mass uses the mass stored with the session, so
    an athlete's later weighing does not rewrite history.
    """
    progress = AthleteProgress(athlete)
    for info, all_sets, all_reps in sessions:
        # The row's figures: a workout's shrugs are another exercise.
        sets = [s for s in all_sets if s.exercise == INVERTED_ROW]
        rows = {s.set_index for s in sets}
        reps = [r for r in all_reps if r.set_index in rows]
        started = datetime.fromisoformat(info.started_at)
        for s in sets:
            offset_s = s.metrics.get("t_start_s") or 0.0
            progress.sets.append(SetPoint(
                when=started + timedelta(seconds=float(offset_s)), session_id=info.id,
                set_index=s.set_index, valid_reps=s.valid_reps, no_reps=s.no_reps,
                velocity_loss_pct=s.metrics.get("velocity_loss_pct")))
        peaks = [r.peak_force_n for r in reps if r.valid and r.peak_force_n is not None]
        if peaks:
            best = max(peaks)
            pct = (None if not info.body_mass_kg
                   else 100.0 * best / weight_n(info.body_mass_kg))
            progress.sessions.append(SessionPoint(started, info.id, best, pct))
    # Session ids follow the order of recording, not of the dates (an import,
    # a clock set wrong): the charts want time order.
    progress.sets.sort(key=lambda p: (p.when, p.session_id, p.set_index))
    progress.sessions.sort(key=lambda p: (p.when, p.session_id))
    return progress
