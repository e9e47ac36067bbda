"""A rep's verdict: valid, or a no-rep and its reason (docs/analysis.md,
"Verdict"). The reasons and their order are decided here and nowhere else."""

from __future__ import annotations

from .config import DROPOUT_REP_S
from .history import History
from .reps import RepDraft

DROPOUT_LOOKBACK_US = 500_000     # a dropout run may have begun this long before the rep


def verdict(draft: RepDraft, contacts_on_us: list[int], gaps: History,
            has_distance: bool) -> tuple[bool | None, str | None, int | None]:
    """(valid, reason, time of the first contact) of a finished rep, in this
    order: let go, stream broke, (contact unknown without a distance
    sensor), no contact (or the gap sensor blind for DROPOUT_REP_S), no
    lockout, valid."""
    if draft.released:
        return False, "bar_released", None
    if draft.cut:
        return False, "sensor_dropout", None
    if not has_distance:
        return None, None, None               # contact unknown, never guessed
    touches = [c for c in contacts_on_us if draft.t_start_us <= c <= draft.t_end_us]
    if not touches:
        if longest_dropout_us(gaps, draft.t_start_us, draft.t_end_us) >= DROPOUT_REP_S * 1e6:
            return False, "sensor_dropout", None
        return False, "no_contact", None
    if not draft.lockout:
        return False, "no_lockout", touches[0]
    return True, None, touches[0]


def longest_dropout_us(gaps: History, t0_us: int, t1_us: int) -> int:
    """Longest run without a reading of the chest inside [t0, t1], from the
    last good reading."""
    t, cols = gaps.window(t0_us - DROPOUT_LOOKBACK_US, t1_us)
    longest, last_good = 0, None
    for ti, missing in zip(t.tolist(), cols["missing"].tolist()):
        if not missing:
            last_good = ti
        elif last_good is not None and ti >= t0_us:
            longest = max(longest, ti - max(last_good, t0_us))
    return longest
