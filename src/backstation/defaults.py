"""Defaults that several layers start from, one place each: the judgement,
the simulator's ground truth and the live plot all take the contact threshold
from here (docs/design.md §4); the judgement and both ground truths take the
chest speed under which a rep has ended from here, and the ground truths how
long it must stay under it."""

DEFAULT_CONTACT_MM = 25.0   # an athlete's contact threshold until a contact calibration
# The mid-back shrug (docs/analysis.md, "Mid-back shrug"): how far an athlete's squeeze
# raises the chest until the roster says theirs, and how long it is held; the
# judgement, the workout's plan and the simulator's shrugs start from these.
DEFAULT_SQUEEZE_MM = 40.0
DEFAULT_SHRUG_HOLD_S = 2.0
SETTLED_MM_S = 30.0         # a rep ends where the chest has settled: slower than this ...
SETTLED_S = 0.1             # ... for this long (docs/analysis.md, "End")
