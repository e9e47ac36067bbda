"""What a rep's verdict is, and how a set counts them.

``valid`` is True (the rep counts), False (a no-rep, with its reason) or
None (contact unknown: a station without a distance sensor cannot tell).
The judge gives the reasons of ``analysis.config.NO_REP_REASONS``: an
inverted row's, and a mid-back shrug's (``SHRUG_REASONS``, decided in
analysis/shrugs.py); a coach who overrules it to a no-rep gives
``COACH_REASON`` (storage/corrections.py).
No Qt here.
"""

from __future__ import annotations

from collections.abc import Iterable

COACH_REASON = "coach"      # the coach overruled the judge: not a rep
# A mid-back shrug's own no-rep reasons (docs/analysis.md, "Mid-back shrug").
ARMS_BENT_REASON = "arms_bent"   # the gap fell by a row's worth: the elbows bent, the arms pulled
NO_HOLD_REASON = "no_hold"       # the squeeze was let go before the target hold time
SHRUG_REASONS: tuple[str, ...] = (ARMS_BENT_REASON, NO_HOLD_REASON)


def count_verdicts(valids: Iterable[bool | None]) -> tuple[int, int]:
    """(valid reps, no-reps) of a set: a rep of unknown contact is neither."""
    valid = no = 0
    for v in valids:
        if v is True:
            valid += 1
        elif v is False:
            no += 1
    return valid, no
