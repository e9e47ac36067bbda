"""What the analysis is told (AnalysisConfig) and the fixed numbers it
decides with. docs/analysis.md explains each judgement and why these values.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..defaults import DEFAULT_CONTACT_MM, DEFAULT_SHRUG_HOLD_S, DEFAULT_SQUEEZE_MM
from ..exercises import DEFAULT_EXERCISE
from ..units import weight_n
from ..verdicts import SHRUG_REASONS

ROW_REASONS = ("no_contact", "no_lockout", "bar_released", "sensor_dropout")
NO_REP_REASONS = ROW_REASONS + SHRUG_REASONS

# Distance (HC-SR04 at ~20 Hz, integer mm, +-3 mm noise, -1 on a missed echo).
GAP_HOLD_S = 0.20              # a missed echo keeps the last gap this long; after it the gap is unknown
CONTACT_HYSTERESIS_MM = 10.0   # leave contact only above threshold + this
CONTACT_DWELL_SAMPLES = 2      # consecutive readings to make or break a contact (~0.1 s)
DROPOUT_REP_S = 0.30           # a rep with this much unknown gap and no contact seen: sensor_dropout
LOCKOUT_TOL_MM = 70.0          # "straight": gap within this of the athlete's resting hang
TOP_BAND_MM = 10.0             # top hold: gap within max(this, 3 % ROM) of the rep's minimum

# Force (HX711 at 10 or 80 SPS).
ONSET_MARGIN_N = 8.0           # a pull starts where the force rises this far above its rest level
ONSET_MARGIN_SHARE = 0.02      # ... or this share of the rest level, whichever is larger
ONSET_WINDOW_S = 2.0           # how far back from a confirmed pull to look for its start
END_TIMEOUT_S = 1.5            # after lockout, the rep ends within this even if the force stays up
RELEASE_CONFIRM_S = 0.25       # load under threshold this long mid-rep: bar_released
DATA_GAP_S = 0.75              # no force sample for this long: the stream broke (unplug)
SET_KEEP_GAP_S = 10.0          # a set goes on across a stream gap up to this long (load on after it)
DISTANCE_LAG_S = 30.0          # safety valve: force waits at most this long for distance (a stuck D stream)
RFD_MIN_RATE_HZ = 40.0         # slower ADCs cannot resolve a rate of force development
RFD_WINDOW_S = 0.05            # RFD = steepest force rise over this window in the pull
FORCE_ONLY_RISE_SHARE = 0.10   # no distance sensor: a pull raises the force by 10 % of rest


def onset_margin_n(rest_n: float) -> float:
    """How far over its rest level the force must rise for a pull to have begun."""
    return max(ONSET_MARGIN_N, ONSET_MARGIN_SHARE * rest_n)


@dataclass
class AnalysisConfig:
    body_mass_kg: float | None = None
    contact_mm: float = DEFAULT_CONTACT_MM   # the athlete's contact threshold
    load_threshold_n: float = 100.0   # a set begins: total force above this for set_on_s
    set_on_s: float = 0.5
    set_off_s: float = 3.0            # ... and ends when under it this long
    min_range_mm: float = 150.0       # a rep: the gap falls at least this far from the bottom
    force_rate_hz: float = 80.0       # from HELLO; decides whether RFD is supported
    has_distance: bool = True         # HELLO distance_sensor != 'none'
    exercise: str = DEFAULT_EXERCISE  # the session's first; SessionJudge.set_exercise changes it per set
    # Mid-back shrug (docs/analysis.md, "Mid-back shrug"), per athlete:
    shrug_squeeze_mm: float = DEFAULT_SQUEEZE_MM   # how far the squeeze raises the chest
    shrug_hold_s: float = DEFAULT_SHRUG_HOLD_S     # the squeeze is held at least this long

    @property
    def body_weight_n(self) -> float | None:
        return None if not self.body_mass_kg else weight_n(self.body_mass_kg)
