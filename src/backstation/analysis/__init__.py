"""Analysis: calibrated force and the gap become contacts, sets, reps and
their metrics (docs/design.md §4; docs/analysis.md says exactly how). Plain Python
and numpy, streaming and causal: feed it blocks in any cut."""

from .config import NO_REP_REASONS, AnalysisConfig
from .contact import ContactDetector, GapFilter, contact_threshold_from_touch
from .pipeline import AnalysisPipeline
from .results import (
    AnalysisEvent, ContactChanged, Rep, RepCompleted, SetEnded, SetResult, SetStarted,
)

__all__ = [
    "NO_REP_REASONS", "AnalysisConfig", "AnalysisEvent", "AnalysisPipeline", "ContactChanged",
    "ContactDetector", "GapFilter", "Rep", "RepCompleted", "SetEnded", "SetResult", "SetStarted",
    "contact_threshold_from_touch",
]
