"""What the analysis reports: reps, sets and the events a caller reacts to.

Times are on the session's device time axis (``t_device_us``, see
samples.py); ``to_json`` gives seconds since ``t0_us``, the session's first
sample, as docs/design.md §6 wants them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ..verdicts import count_verdicts


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


@dataclass
class Rep:
    set_index: int
    index: int                      # within the set, 1-based
    valid: bool | None              # None only when contact is unknown (no distance sensor)
    reason: str | None              # None or one of NO_REP_REASONS
    t_start_us: int
    t_end_us: int
    t_contact_us: int | None = None
    peak_force_n: float | None = None
    mean_force_n: float | None = None
    peak_force_pct_bm: float | None = None
    mean_force_pct_bm: float | None = None
    asymmetry_pct: float | None = None       # (left - right) / total, %; + = left heavier
    impulse_ns: float | None = None          # total force integrated over the rep
    rom_mm: float | None = None
    min_gap_mm: float | None = None
    concentric_s: float | None = None
    top_hold_s: float | None = None
    eccentric_s: float | None = None
    mean_concentric_velocity_m_s: float | None = None
    rfd_n_per_s: float | None = None
    rfd_unavailable_reason: str | None = None

    def to_json(self, t0_us: int) -> dict:
        return {
            "index": self.index, "valid": self.valid, "reason": self.reason,
            "t_start_s": round((self.t_start_us - t0_us) / 1e6, 3),
            "t_end_s": round((self.t_end_us - t0_us) / 1e6, 3),
            "t_contact_s": None if self.t_contact_us is None
            else round((self.t_contact_us - t0_us) / 1e6, 3),
            "peak_force_n": _r(self.peak_force_n, 1), "mean_force_n": _r(self.mean_force_n, 1),
            "peak_force_pct_bm": _r(self.peak_force_pct_bm, 1),
            "mean_force_pct_bm": _r(self.mean_force_pct_bm, 1),
            "asymmetry_pct": _r(self.asymmetry_pct, 1), "impulse_ns": _r(self.impulse_ns, 1),
            "rom_mm": _r(self.rom_mm, 1), "min_gap_mm": _r(self.min_gap_mm, 1),
            "concentric_s": _r(self.concentric_s, 3), "top_hold_s": _r(self.top_hold_s, 3),
            "eccentric_s": _r(self.eccentric_s, 3),
            "mean_concentric_velocity_m_s": _r(self.mean_concentric_velocity_m_s, 3),
            "rfd_n_per_s": _r(self.rfd_n_per_s, 0),
            "rfd_unavailable_reason": self.rfd_unavailable_reason,
        }

    def key(self) -> tuple:
        """Everything, for equality checks across chunkings."""
        return tuple(getattr(self, f.name) for f in fields(self))


@dataclass
class SetResult:
    index: int                      # 1-based within the session
    exercise: str
    t_start_us: int
    t_end_us: int | None = None     # None while the set is open
    reps: list[Rep] = field(default_factory=list)
    manual: bool = False            # started by start_set(), not by the load
    velocity_loss_pct: float | None = None
    peak_force_decay_pct: float | None = None
    range_loss_pct: float | None = None
    reps_per_min: float | None = None

    @property
    def valid_reps(self) -> int:
        return count_verdicts(r.valid for r in self.reps)[0]

    @property
    def no_reps(self) -> int:
        return count_verdicts(r.valid for r in self.reps)[1]

    def to_json(self, t0_us: int) -> dict:
        return {
            "index": self.index, "exercise": self.exercise,
            "t_start_s": round((self.t_start_us - t0_us) / 1e6, 3),
            "t_end_s": None if self.t_end_us is None else round((self.t_end_us - t0_us) / 1e6, 3),
            "manual": self.manual, "valid_reps": self.valid_reps, "no_reps": self.no_reps,
            "velocity_loss_pct": _r(self.velocity_loss_pct, 1),
            "peak_force_decay_pct": _r(self.peak_force_decay_pct, 1),
            "range_loss_pct": _r(self.range_loss_pct, 1),
            "reps_per_min": _r(self.reps_per_min, 1),
            "reps": [r.to_json(t0_us) for r in self.reps],
        }


@dataclass(frozen=True)
class SetStarted:
    set_index: int
    t_us: int


@dataclass(frozen=True)
class RepCompleted:
    rep: Rep


@dataclass(frozen=True)
class SetEnded:
    set: SetResult


@dataclass(frozen=True)
class ContactChanged:
    t_us: int
    in_contact: bool


AnalysisEvent = SetStarted | RepCompleted | SetEnded | ContactChanged
