"""Defaults that several layers start from, one place each: the judgement,
the simulator's ground truth and the live plot all take the contact threshold
from here (docs/design.md §4); the judgement and both ground truths take the
chest speed under which a rep has ended from here, and the ground truths how
long it must stay under it."""

DEFAULT_CONTACT_MM = 25.0   # an athlete's contact threshold until a contact calibration
SETTLED_MM_S = 30.0         # a rep ends where the chest has settled: slower than this ...
SETTLED_S = 0.1             # ... for this long (docs/analysis.md, "End")
