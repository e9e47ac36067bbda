"""The exercises the station judges, by the names every layer stores and
passes on: the analysis chooses its judge by them (analysis/pipeline.py),
a session stores them on its row and on each set, and the command line and
the app offer them. One owner, so a name is spelled once. No Qt here.

- ``inverted-row``: a pull until the chest touches the bar and back to
  straight arms (docs/analysis.md).
- ``mid-back-shrug``: hanging with straight arms, the shoulder blades
  squeezed together and held; the chest rises a few centimetres with no
  bend at the elbows (docs/analysis.md, "Mid-back shrug").
"""

from __future__ import annotations

INVERTED_ROW = "inverted-row"
MID_BACK_SHRUG = "mid-back-shrug"
JUDGED_EXERCISES: tuple[str, ...] = (INVERTED_ROW, MID_BACK_SHRUG)
DEFAULT_EXERCISE = INVERTED_ROW


def check_exercise(exercise: str) -> str:
    """``exercise`` if the station judges it, else ValueError saying which it does."""
    if exercise not in JUDGED_EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; the station judges "
                         f"{', '.join(JUDGED_EXERCISES)}")
    return exercise
