"""The words a person reads for a verdict, a no-rep reason and a rep metric.

Every view calls this module: the live rep table, counter and last-rep
panel, the History table and plot, and the terminal ``monitor``. The CSV
and the JSON carry the machine names (reason codes such as ``no_contact``
and metric keys such as ``mean_concentric_velocity_m_s``); this module says
what each of them is called on screen. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

# One wording per reason in analysis.config.NO_REP_REASONS.
REASON_TEXT: dict[str, str] = {
    "no_contact": "chest did not touch",
    "no_lockout": "arms not straight",
    "bar_released": "bar released",
    "sensor_dropout": "sensor dropout",
}
VALID_TEXT = "valid"
CONTACT_UNKNOWN_TEXT = "contact unknown"     # no distance sensor: valid is None
UNKNOWN_REASON_TEXT = "no rep"               # a no-rep stored without a reason
# Marks before a verdict where there is room for a symbol (not the terminal).
VERDICT_MARK = {True: "✓", False: "✗", None: "?"}


def reason_text(reason: str | None) -> str:
    """The wording of a no-rep reason code; an unknown code is shown as it is."""
    if not reason:
        return UNKNOWN_REASON_TEXT
    return REASON_TEXT.get(reason, reason)


def verdict_text(valid: bool | None, reason: str | None) -> str:
    """"valid", "contact unknown", or the reason a rep did not count."""
    if valid is None:
        return CONTACT_UNKNOWN_TEXT
    return VALID_TEXT if valid else reason_text(reason)


def verdict_label(valid: bool | None, reason: str | None) -> str:
    """The verdict with its mark: "✓ valid", "✗ chest did not touch", "? contact unknown"."""
    return f"{VERDICT_MARK[valid]} {verdict_text(valid, reason)}"


@dataclass(frozen=True)
class Metric:
    key: str        # the attribute of analysis.Rep and the key in stored rep metrics / CSV
    name: str       # what a person calls it
    unit: str       # as shown after a value
    short: str = ""  # the name in a table header, where it differs

    @property
    def header(self) -> str:
        """A table header: the name over its unit, so a column is as wide as its numbers."""
        return f"{self.short or self.name}\n{self.unit}"


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("peak_force_n", "Peak force", "N", short="Peak"),
    Metric("peak_force_pct_bm", "% body mass", "% BM", short="Peak"),
    Metric("asymmetry_pct", "Left/right", "%"),
    Metric("rom_mm", "Range", "mm"),
    Metric("mean_concentric_velocity_m_s", "Velocity", "m/s"),
    Metric("top_hold_s", "Hold", "s"),
)}


def metric_name(key: str) -> str:
    return METRICS[key].name


def metric_header(key: str) -> str:
    return METRICS[key].header
