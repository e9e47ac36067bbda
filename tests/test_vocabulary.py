"""A verdict, a no-rep reason and a metric have one wording, and every view
(live table and counter, History table and plot, the terminal monitor) shows it."""

from __future__ import annotations

import io

import pytest

from backstation.analysis import Rep, RepCompleted
from backstation.analysis.config import NO_REP_REASONS
from backstation.monitor import LiveReadout
from backstation.storage import RepRecord
from backstation.ui.history.rep_model import COLUMNS as HISTORY_COLUMNS
from backstation.ui.history.rep_model import RepTableModel as HistoryRepTableModel
from backstation.ui.history.session_plot import rep_tooltip
from backstation.ui.live.counter import LastRepView, RepCounterView
from backstation.ui.live.rep_table import COLUMNS as LIVE_COLUMNS
from backstation.ui.live.rep_table import RepTableModel as LiveRepTableModel
from backstation.vocabulary import METRICS, REASON_TEXT, verdict_text

VERDICTS = [(True, None), (None, None), *((False, r) for r in NO_REP_REASONS)]


def test_every_no_rep_reason_has_one_wording_of_its_own():
    assert set(REASON_TEXT) == set(NO_REP_REASONS)
    wordings = [REASON_TEXT[r] for r in NO_REP_REASONS]
    assert all(w and "_" not in w for w in wordings)
    assert len(set(wordings)) == len(wordings)


def _rep(valid, reason):
    return Rep(set_index=1, index=1, valid=valid, reason=reason, t_start_us=0,
               t_end_us=2_000_000, peak_force_n=600.0, rom_mm=450.0, top_hold_s=0.5,
               mean_concentric_velocity_m_s=0.4)


def _record(valid, reason):
    return RepRecord(session_id=1, set_index=1, rep_index=1, valid=valid, reason=reason,
                     t_start_us=0, t_end_us=2_000_000, peak_force_n=600.0, min_gap_mm=10.0,
                     metrics={})


def _monitor_line(rep) -> str:
    out = io.StringIO()
    readout = LiveReadout(out, clock=lambda: 0.0)
    readout._announce(RepCompleted(rep))
    return out.getvalue()


@pytest.mark.parametrize("valid,reason", VERDICTS)
def test_every_view_shows_the_one_wording_of_a_verdict(qtbot, valid, reason):
    words = verdict_text(valid, reason)
    live = LiveRepTableModel()
    live.add_rep(_rep(valid, reason))
    history = HistoryRepTableModel()
    history.set_reps([_record(valid, reason)])
    result_col = [c[1] for c in HISTORY_COLUMNS].index("result")
    counter = RepCounterView()
    qtbot.addWidget(counter)
    counter.add_rep(_rep(valid, reason))
    shown = {
        "live table": live.data(live.index(0, 1)),
        "history table": history.data(history.index(0, result_col)),
        "history plot": rep_tooltip(_record(valid, reason)),
        "monitor": _monitor_line(_rep(valid, reason)),
    }
    for view, text in shown.items():
        assert words in text, f"{view} shows {text!r}, not {words!r}"
    assert words.upper() in counter.flash_text
    if reason is not None:
        other = [w for r, w in REASON_TEXT.items() if r != reason]
        assert not any(w in t for w in other for t in shown.values())


def test_a_metric_has_one_name_in_every_view(qtbot):
    live_headers = {h for h, _ in LIVE_COLUMNS}
    history_headers = dict(HISTORY_COLUMNS)
    for key in ("peak_force_n", "rom_mm", "mean_concentric_velocity_m_s"):
        assert METRICS[key].header in live_headers
    for header, key in history_headers.items():
        if key in METRICS:
            assert header == METRICS[key].header
    last = LastRepView()
    qtbot.addWidget(last)
    assert [title for _, title in last.FIELDS] == [
        METRICS[k].name for k in ("peak_force_n", "peak_force_pct_bm", "asymmetry_pct",
                                  "rom_mm", "mean_concentric_velocity_m_s", "top_hold_s")]
    line = _monitor_line(_rep(True, None))
    for key in ("peak_force_n", "rom_mm", "top_hold_s"):
        assert METRICS[key].name.lower() in line
