"""Typed rows read back from the database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..exercises import check_logged_exercise

# Running stream counters kept on each session row; the recorder passes them
# by these names to update_session_stats / finish_session.
STAT_COLUMNS: tuple[str, ...] = (
    "force_samples", "distance_samples", "crc_errors", "malformed", "overlong",
    "lost_force", "lost_distance", "reconnects", "reboots",
)
# Counted by append_force / append_distance themselves, so never set by hand.
SAMPLE_COUNT_COLUMNS: tuple[str, ...] = ("force_samples", "distance_samples")
SETTABLE_STAT_COLUMNS: tuple[str, ...] = tuple(c for c in STAT_COLUMNS
                                               if c not in SAMPLE_COUNT_COLUMNS)

# Where a calibration came from (the CAL sentence after HELLO, or the reply
# to a TARE / CAL / SETCAL command, or a software tare the app keeps itself).
# Not enforced by the schema, so a new source needs no migration.
SOFTWARE_TARE_SOURCE = "software_tare"
# The calibration in force where the previous session on the same connection
# ended (another athlete stepped up: session.LiveSession.hand_over).
CARRIED_SOURCE = "carried"
CALIBRATION_SOURCES: tuple[str, ...] = ("device", "tare", "cal", "setcal", SOFTWARE_TARE_SOURCE,
                                        CARRIED_SOURCE)

# Event kinds a session stores (EventRecord.kind) for its own replay.
CONTACT_EVENT = "contact"               # detail "on" or "off"
MANUAL_SET_EVENT = "manual_set"         # detail "start" or "end", at its t_device_us
SET_LABELS_EVENT = "set_labels"         # detail JSON {"variant", "added_load_kg"}
EXERCISE_EVENT = "exercise"             # detail the exercise of the sets opened from t_device_us
SHRUG_EVENT = "shrug"                   # detail JSON {"squeeze_mm", "hold_s"}: the shrug's judge
TIME_ORIGIN_EVENT = "time_origin"       # the sample every "_s" time counts from
# Link health, stored for History and replay to see (detail "<figure>_s=<seconds>").
STALL_EVENT = "stall"                   # no sample for quiet_s while streaming
HEALTH_EVENT = "health"                 # StationHealth.to_json() at the end of a recording
RESUMED_EVENT = "resumed"               # samples again after stalled_s
READER_BEHIND_EVENT = "reader_behind"   # samples read backlog_s late

# What a person can weigh and how close a chest can count as touching the
# bar: anything outside is a typo (or an attack), never stored, since a body
# mass of 1e-320 kg would turn every "% of body mass" into infinity.
BODY_MASS_KG_RANGE: tuple[float, float] = (20.0, 300.0)
CONTACT_MM_RANGE: tuple[float, float] = (1.0, 500.0)
STRAIGHT_ARM_MM_RANGE: tuple[float, float] = (50.0, 2000.0)   # chest to bar, arms straight
SQUEEZE_MM_RANGE: tuple[float, float] = (10.0, 120.0)   # a mid-back shrug's rise of the chest
RPE_RANGE: tuple[float, float] = (1.0, 10.0)       # the rating of perceived exertion's scale
# A set logged by hand (exercises.LOGGED_EXERCISES: done with dumbbells away
# from the bar): past these it is a typo, never stored.
LOGGED_REPS_RANGE: tuple[int, int] = (1, 200)
DUMBBELL_KG_RANGE: tuple[float, float] = (0.0, 100.0)  # the mass of each dumbbell (per hand)
HOLD_S_RANGE: tuple[float, float] = (0.0, 120.0)       # the squeeze held at the top of a rep


def athlete_name(text: str) -> str:
    """The name as stored (surrounding blanks removed); ValueError if nothing is left."""
    name = text.strip()
    if not name:
        raise ValueError("the athlete's name is empty")
    return name


def _in_range(value: float, limits: tuple[float, float], what: str, unit: str) -> float:
    value = float(value)
    low, high = limits
    if not low <= value <= high:     # NaN fails this too
        unit = f" {unit}" if unit else ""
        raise ValueError(f"{what} must be between {low:g} and {high:g}{unit}, not {value:g}")
    return value


def body_mass_kg(value: float) -> float:
    """``value`` if a person can weigh it, else ValueError saying the range."""
    return _in_range(value, BODY_MASS_KG_RANGE, "body mass", "kg")


def contact_mm(value: float) -> float:
    """``value`` if it can be a contact threshold, else ValueError saying the range."""
    return _in_range(value, CONTACT_MM_RANGE, "the contact threshold", "mm")


def straight_arm_mm(value: float) -> float:
    """``value`` if it can be the gap of a straight-arm hang, else ValueError saying the range."""
    return _in_range(value, STRAIGHT_ARM_MM_RANGE, "the straight-arm gap", "mm")


def squeeze_mm(value: float) -> float:
    """``value`` if it can be a shrug's squeeze depth, else ValueError saying the range."""
    return _in_range(value, SQUEEZE_MM_RANGE, "the squeeze depth", "mm")


def note_text(text: str | None) -> str | None:
    """A note as stored: surrounding blanks removed; None if nothing is left."""
    return (text or "").strip() or None


def rpe(value: float) -> float:
    """``value`` if it is on the RPE scale (1-10), else ValueError saying the range."""
    return _in_range(value, RPE_RANGE, "RPE", "")


def logged_reps(value: float) -> int:
    """``value`` if it can be a logged set's reps (a whole number, 1-200), else ValueError."""
    reps = _in_range(value, LOGGED_REPS_RANGE, "reps", "")
    if not reps.is_integer():
        raise ValueError(f"reps must be a whole number, not {reps:g}")
    return int(reps)


def dumbbell_kg(value: float) -> float:
    """``value`` if it can be a dumbbell's mass, else ValueError saying the range."""
    return _in_range(value, DUMBBELL_KG_RANGE, "the dumbbell's mass", "kg")


def hold_s(value: float) -> float:
    """``value`` if it can be a rep's hold, else ValueError saying the range."""
    return _in_range(value, HOLD_S_RANGE, "the hold", "s")


_checked_hold_s, _checked_rpe = hold_s, rpe      # the parameters below hide the names


def logged_set_fields(exercise: str, reps: float, load_kg: float | None = None,
                      hold_s: float | None = None, rpe: float | None = None,
                      notes: str | None = None) -> dict:
    """A set logged by hand as stored (``LoggedSet``'s fields by name, the
    session's and the order's aside), or ValueError in one line for the first
    value that cannot be: the one check for the database, the writers and the
    live session, so a bad value is refused before anything is queued."""
    return {"exercise": check_logged_exercise(exercise), "reps": logged_reps(reps),
            "load_kg": None if load_kg is None else dumbbell_kg(load_kg),
            "hold_s": None if hold_s is None else _checked_hold_s(hold_s),
            "rpe": None if rpe is None else _checked_rpe(rpe),
            "notes": note_text(notes)}


@dataclass(frozen=True)
class Athlete:
    id: int
    name: str
    body_mass_kg: float | None
    created_at: str
    contact_mm: float | None = None          # from a 2 s touch of the bar
    contact_calibrated_at: str | None = None
    uid: str | None = None                   # shared by every station (schema v4)
    straight_arm_mm: float | None = None     # chest to bar hanging with straight arms (v7)
    notes: str | None = None                 # the coach's notes on the athlete (v7)
    squeeze_mm: float | None = None          # their mid-back shrug's squeeze depth (v9)


@dataclass(frozen=True)
class DeviceInfo:
    device_id: str
    firmware: str
    protocol: int
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class SessionInfo:
    id: int
    started_at: str              # UTC, ISO-8601
    ended_at: str | None         # None while recording, or if the recorder was killed
    athlete_name: str | None
    body_mass_kg: float | None   # the athlete's mass when the session was recorded
    exercise: str
    device_id: str | None
    firmware: str | None
    protocol: int | None
    force_channels: int | None
    force_rate_hz: int | None
    distance_sensor: str | None
    port: str | None
    force_samples: int
    distance_samples: int
    crc_errors: int
    malformed: int
    overlong: int
    lost_force: int
    lost_distance: int
    reconnects: int
    reboots: int
    notes: str | None
    contact_mm: float | None     # the contact threshold the session was judged with
    # Span of the stored samples on the device time axis; when no sample is
    # stored, the wall-clock span started_at..ended_at (0.0 if not ended).
    duration_s: float
    # None: ended by its recorder (or still recording); "interrupted": its
    # recorder died and the session was closed at its last sample.
    end_reason: str | None = None
    # The same on every copy (the team server's too): schema v4.
    uid: str | None = None

    @property
    def lost_samples(self) -> int:
        return self.lost_force + self.lost_distance


def session_info(fields: dict, athlete_name: str | None,
                 span_us: tuple[int, int] | None) -> SessionInfo:
    """A ``sessions`` row as stored (its columns by name) with its athlete's
    name and the device-time span of its samples (``chunks.device_span``)."""
    names = SessionInfo.__dataclass_fields__
    kept = {k: v for k, v in fields.items() if k in names}
    if span_us is not None:
        duration_s = (span_us[1] - span_us[0]) / 1e6
    elif fields["ended_at"] is not None:
        duration_s = max(0.0, (datetime.fromisoformat(fields["ended_at"])
                               - datetime.fromisoformat(fields["started_at"])).total_seconds())
    else:
        duration_s = 0.0
    return SessionInfo(**{**kept, "athlete_name": athlete_name, "duration_s": duration_s})


@dataclass(frozen=True)
class CalibrationRecord:
    id: int
    session_id: int
    channel: int
    offset_counts: int
    counts_per_newton: float
    t_device_us: int | None
    recorded_at: str
    source: str
    mass_grams: float | None


@dataclass(frozen=True)
class EventRecord:
    id: int
    session_id: int
    t_device_us: int | None
    t_host_s: float
    kind: str                    # state, reboot, reconnected, stat, fault; the *_EVENT
    #                              kinds above
    detail: str


@dataclass(frozen=True)
class SetRecord:
    session_id: int
    set_index: int
    exercise: str
    variant: str | None          # e.g. heels-floor, heels-bench
    added_load_kg: float | None
    manual: bool
    t_start_us: int
    t_end_us: int | None
    valid_reps: int
    no_reps: int
    metrics: dict
    corrected: bool = False      # a coach changed its reps (storage/corrections.py)
    rpe: float | None = None     # the athlete's rating of the set (1-10), given after it
    notes: str | None = None     # the coach's note on the set


@dataclass(frozen=True)
class RepRecord:
    session_id: int
    set_index: int
    rep_index: int
    valid: bool | None           # None: contact unknown (no distance sensor)
    reason: str | None
    t_start_us: int
    t_end_us: int
    peak_force_n: float | None
    min_gap_mm: float | None
    metrics: dict
    # The judge's (valid, reason) where a coach overruled it (storage/corrections.py);
    # None: the verdict above is the judge's.
    judged: tuple[bool | None, str | None] | None = None


@dataclass(frozen=True)
class LoggedSet:
    """A set of an exercise the station cannot measure (exercises.LOGGED_EXERCISES),
    logged by hand: sets x reps x dumbbell mass (schema v8)."""
    session_id: int
    set_no: int                  # its order among the session's logged sets, from 1
    exercise: str
    reps: int
    load_kg: float | None        # the mass of each dumbbell (per hand)
    hold_s: float | None         # the squeeze held at the top of each rep (dumbbell shrug)
    rpe: float | None
    notes: str | None
    logged_at: str               # UTC, ISO-8601 (database.utc_iso)
    # The newest device time the live judgement had when it was logged: its
    # place among the station's sets (storage/logged.py ``in_order``); None
    # when logged without a recording's samples.
    t_device_us: int | None = None


# -- what a session stored of its judgement, read back without judging again ---


def stored_contacts(events: Iterable[EventRecord]) -> list[tuple[int, bool]]:
    """(t_device_us, in contact) of each contact change the live judgement
    stored (``CONTACT_EVENT``), by time: what History draws and export flags."""
    return sorted((int(e.t_device_us), e.detail == "on") for e in events
                  if e.kind == CONTACT_EVENT and e.t_device_us is not None)


def contact_intervals_us(changes: Iterable[tuple[int, bool]]) -> list[tuple[int, int | None]]:
    """(start, end) of each contact from its changes in time order; end None
    if the session ended in contact."""
    intervals: list[tuple[int, int | None]] = []
    for t_us, in_contact in changes:
        if in_contact:
            if not intervals or intervals[-1][1] is not None:
                intervals.append((t_us, None))
        elif intervals and intervals[-1][1] is None:
            intervals[-1] = (intervals[-1][0], t_us)
    return intervals


def shrug_detail(squeeze_mm: float, hold_s: float) -> str:
    """``SHRUG_EVENT``'s detail: the squeeze depth and hold the shrugs were judged by."""
    return json.dumps({"squeeze_mm": squeeze_mm, "hold_s": hold_s}, sort_keys=True)


def stored_shrug(events: Iterable[EventRecord]) -> tuple[float, float] | None:
    """(squeeze depth mm, hold s) of ``shrug_detail``; None for a session that
    stored none (recorded before it was kept: judged by the defaults of then)."""
    detail = next((e.detail for e in events if e.kind == SHRUG_EVENT), None)
    if detail is None:
        return None
    try:
        stored = json.loads(detail)
        return float(stored["squeeze_mm"]), float(stored["hold_s"])
    except (ValueError, KeyError, TypeError):
        return None


def stored_time_origin_us(events: Iterable[EventRecord], *blocks) -> int | None:
    """The device time every stored ``_s`` time counts from (``TIME_ORIGIN_EVENT``);
    for a session that stored none, the first sample of ``blocks`` (force,
    distance; what the live judgement would have taken), else None."""
    stored = next((int(e.t_device_us) for e in events
                   if e.kind == TIME_ORIGIN_EVENT and e.t_device_us is not None), None)
    if stored is not None:
        return stored
    return min((int(b.t_device_us[0]) for b in blocks if len(b)), default=None)
