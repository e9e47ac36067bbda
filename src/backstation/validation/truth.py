"""What a generated session is: the blocks a pipeline is fed, the station's
calibration, the coach's manual presses, and the truth of every rep."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..samples import DistanceBlock, ForceBlock


WIGGLE_GREY_SHARE = 0.8        # see TrueRep.no_rep


@dataclass(frozen=True)
class TrueRep:
    t_start_s: float            # the pull starts (the chest starts to accelerate)
    t_end_s: float              # arms straight and settled (or the next pull, or the hands off)
    valid: bool | None          # None: contact unknowable (force-only station)
    reason: str | None
    reasons: tuple[str | None, ...]   # every reason a correct judge may give
    min_gap_mm: float           # sensor-frame reading at the closest approach
    rom_mm: float
    top_hold_s: float
    peak_force_n: float         # max of the load as the ADC's conversions saw it (no noise)
    grey: bool                  # too close to call: verdict not scored
    tags: tuple[str, ...] = ()
    observable: bool = True     # False: it fell wholly inside a stream gap
    wiggle_share: float | None = None   # a complete pull under the minimum range: rom / that range

    @property
    def scored(self) -> bool:
        """A rep the judge must find: observable, and a rep by the spec's
        definition (not a wiggle under the minimum range)."""
        return self.observable and self.wiggle_share is None

    @property
    def no_rep(self) -> bool:
        """A wiggle well under the minimum range: a judged rep over it is a
        phantom (one within WIGGLE_GREY_SHARE of the range may be seen
        either way: readings 20-100 ms apart see a turn's extremes short)."""
        return self.observable and self.wiggle_share is not None \
            and self.wiggle_share < WIGGLE_GREY_SHARE


@dataclass
class Session:
    seed: int
    model: str                  # 'body' (validation/body.py) or 'sim' (device/sim)
    description: str
    chunks: list[tuple[ForceBlock, DistanceBlock]]
    channels: int
    calibration: list[tuple[int, int, float]]     # channel, offset counts, counts per newton
    config: dict                # AnalysisConfig keyword arguments
    manual: list[tuple[float, str]]               # (session s, 'start'|'end'), in time order
    truth: list[TrueRep]
    tags: set[str] = field(default_factory=set)
    gaps_s: list[tuple[float, float]] = field(default_factory=list)
    duration_s: float = 0.0

    def rep_tags(self, rep: TrueRep) -> set[str]:
        return set(rep.tags) | self.tags
