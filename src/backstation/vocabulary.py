"""The words a person reads for a verdict, a no-rep reason, a rep or set
metric and its value.

Every view calls this module: the live rep table, counter and last-rep
panel, the History table, plot and set summary, Progress, and the terminal
``monitor``. The CSV
and the JSON carry the machine names (reason codes such as ``no_contact``
and metric keys such as ``mean_concentric_velocity_m_s``); this module says
what each of them is called on screen. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .verdicts import ARMS_BENT_REASON, COACH_REASON, NO_HOLD_REASON

# One wording per reason in analysis.config.NO_REP_REASONS, and the coach's.
REASON_TEXT: dict[str, str] = {
    "no_contact": "chest did not touch",
    "no_lockout": "arms not straight",
    "bar_released": "bar released",
    "sensor_dropout": "sensor dropout",
    ARMS_BENT_REASON: "elbows bent",
    NO_HOLD_REASON: "squeeze not held",
    COACH_REASON: "no-rep by the coach",
}
VALID_BY_COACH_TEXT = "valid by the coach"
JUDGED_TEXT = "judged"                       # before the judge's verdict a coach overruled
CORRECTED_TEXT = "corrected by the coach"    # a set whose reps a coach changed
VALID_TEXT = "valid"
VALID_REPS_TEXT = "Valid reps"
NO_REPS_TEXT = "No-reps"
MISSING_TEXT = "–"                           # a metric the rep does not have
CONTACT_UNKNOWN_TEXT = "contact unknown"     # no distance sensor: valid is None
UNKNOWN_REASON_TEXT = "no rep"               # a no-rep stored without a reason
# Marks before a verdict where there is room for a symbol (not the terminal).
VERDICT_MARK = {True: "✓", False: "✗", None: "?"}


def reason_text(reason: str | None) -> str:
    """The wording of a no-rep reason code; an unknown code is shown as it is."""
    if not reason:
        return UNKNOWN_REASON_TEXT
    return REASON_TEXT.get(reason, reason)


def verdict_text(valid: bool | None, reason: str | None,
                 judged: tuple[bool | None, str | None] | None = None) -> str:
    """"valid", "contact unknown", or the reason a rep did not count; for a
    verdict a coach gave over the judge's (``judged``), who gave it and what
    the judge said: "valid by the coach (judged: chest did not touch)"."""
    if judged is not None:
        return f"{_coach_text(valid, reason)} ({JUDGED_TEXT}: {verdict_text(*judged)})"
    if valid is None:
        return CONTACT_UNKNOWN_TEXT
    return VALID_TEXT if valid else reason_text(reason)


def _coach_text(valid: bool | None, reason: str | None) -> str:
    return VALID_BY_COACH_TEXT if valid else verdict_text(valid, reason)


def short_verdict_label(valid: bool | None, reason: str | None,
                        judged: tuple[bool | None, str | None] | None = None) -> str:
    """``verdict_label`` where there is room for one verdict only: a coach's
    over the judge's without the judge's, "✓ valid by the coach", "✗ no-rep
    by the coach"."""
    if judged is None:
        return verdict_label(valid, reason)
    return f"{VERDICT_MARK[valid]} {_coach_text(valid, reason)}"


def verdict_label(valid: bool | None, reason: str | None,
                  judged: tuple[bool | None, str | None] | None = None) -> str:
    """The verdict with its mark: "✓ valid", "✗ chest did not touch", "? contact unknown",
    "✓ valid by the coach (judged: arms not straight)"."""
    return f"{VERDICT_MARK[valid]} {verdict_text(valid, reason, judged)}"


@dataclass(frozen=True)
class Metric:
    key: str        # the attribute of analysis.Rep and the key in stored rep metrics / CSV
    name: str       # what a person calls it
    unit: str       # as shown after a value
    short: str = ""  # the name in a table header, where it differs
    digits: int = 0  # decimals shown

    @property
    def header(self) -> str:
        """A table header: the name over its unit, so a column is as wide as its numbers."""
        return f"{self.short or self.name}\n{self.unit}"


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("peak_force_n", "Peak force", "N", short="Peak"),
    Metric("peak_force_pct_bm", "% body mass", "% BM", short="Peak"),
    Metric("asymmetry_pct", "Left/right", "%"),
    Metric("rom_mm", "Range", "mm"),
    Metric("mean_concentric_velocity_m_s", "Velocity", "m/s", digits=2),
    Metric("top_hold_s", "Hold", "s", digits=1),
    # A set's metrics (History's set summary, Progress).
    Metric("velocity_loss_pct", "Velocity loss", "%"),
    Metric("peak_force_decay_pct", "Peak force decay", "%"),
)}


def metric_name(key: str) -> str:
    return METRICS[key].name


def metric_header(key: str) -> str:
    return METRICS[key].header


def number_text(value: float, digits: int = 0) -> str:
    """A number as a person reads it, to ``digits`` decimals: never "-0" (a
    tared bar's noise a hair under zero reads 0)."""
    return f"{round(value, digits) + 0.0:.{digits}f}"


def value_text(key: str, value: float | None) -> str:
    """A metric's number as every view shows it, without its unit (a table's
    header carries it): "600", "0.42", "4 R" (the side that pulled harder)."""
    if value is None:
        return MISSING_TEXT
    if key == "asymmetry_pct":
        side = "" if abs(value) < 0.5 else (" L" if value > 0 else " R")
        return f"{abs(value):.0f}{side}"
    return number_text(value, METRICS[key].digits)


def metric_text(key: str, value: float | None) -> str:
    """A metric's value with its unit: "600 N", "0.42 m/s", "4 % R"."""
    if value is None:
        return MISSING_TEXT
    number, _, side = value_text(key, value).partition(" ")
    return f"{number} {METRICS[key].unit}" + (f" {side}" if side else "")


def logged_set_text(exercise_text: str, reps: int, load_kg: float | None,
                    hold_s: float | None, sets: int = 1) -> str:
    """Sets logged by hand as a gym writes them: "Rear-delt flye: 3 × 15 @ 6 kg",
    "Dumbbell shrug (incline bench): 1 × 12 @ 20 kg, hold 2 s" (the mass is
    each dumbbell's; ``exercise_text``: exercises.exercise_text of its name)."""
    text = f"{exercise_text}: {sets} × {reps}"
    if load_kg is not None:
        text += f" @ {load_kg:g} kg"
    if hold_s is not None:
        text += f", hold {hold_s:g} s"
    return text


DATE_TIME_FORMAT = "%Y-%m-%d %H:%M"    # a session's start, as the views and the CSV show it


def local_time(iso: str) -> datetime:
    """A stored UTC ISO-8601 time in this machine's time zone."""
    return datetime.fromisoformat(iso).astimezone()


def date_time_text(moment: datetime) -> str:
    """"2026-12-02 15:46": a session's start (local time) as every view shows it."""
    return moment.strftime(DATE_TIME_FORMAT)
