"""A verdict, a no-rep reason and a metric have one wording, and every view
(live table and counter, History table and plot, the terminal monitor) shows it."""

from __future__ import annotations

import io

import pytest

from backstation.analysis import Rep, RepCompleted
from backstation.analysis.config import NO_REP_REASONS
from backstation.verdicts import COACH_REASON
from backstation.monitor import LiveReadout
from backstation.storage import RepRecord
from backstation.ui.history.rep_model import COLUMNS as HISTORY_COLUMNS
from backstation.ui.history.rep_model import RepTableModel as HistoryRepTableModel
from backstation.ui.history.session_plot import rep_tooltip
from backstation.ui.live.counter import LastRepView, RepCounterView
from backstation.ui.live.rep_table import COLUMNS as LIVE_COLUMNS
from backstation.ui.live.rep_table import RepTableModel as LiveRepTableModel
from backstation.vocabulary import (
    METRICS, MISSING_TEXT, NO_REPS_TEXT, REASON_TEXT, VALID_REPS_TEXT, metric_name, metric_text,
    value_text, verdict_text,
)

VERDICTS = [(True, None), (None, None), *((False, r) for r in NO_REP_REASONS)]


def test_every_no_rep_reason_has_one_wording_of_its_own():
    assert set(REASON_TEXT) == {*NO_REP_REASONS, COACH_REASON}
    wordings = [REASON_TEXT[r] for r in REASON_TEXT]
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


METRIC_VALUES = {"peak_force_n": 612.4, "peak_force_pct_bm": 80.04, "asymmetry_pct": -4.2,
                 "rom_mm": 451.6, "mean_concentric_velocity_m_s": 0.4234, "top_hold_s": 0.87}


def _column_texts(model, row: int = 0) -> dict[str, str]:
    from PySide6.QtCore import Qt
    return {model.headerData(c, Qt.Horizontal): model.data(model.index(row, c))
            for c in range(model.columnCount())}


def test_a_metric_value_reads_the_same_in_the_live_table_last_rep_and_history(qtbot):
    rep = Rep(set_index=1, index=1, valid=True, reason=None, t_start_us=0,
              t_end_us=2_000_000, **METRIC_VALUES)
    record = RepRecord(session_id=1, set_index=1, rep_index=1, valid=True, reason=None,
                       t_start_us=0, t_end_us=2_000_000, peak_force_n=612.4, min_gap_mm=10.0,
                       metrics=dict(METRIC_VALUES))
    live = LiveRepTableModel()
    live.add_rep(rep)
    history = HistoryRepTableModel()
    history.set_reps([record])
    last = LastRepView()
    qtbot.addWidget(last)
    last.show_rep(rep)
    live_cells, history_cells = _column_texts(live), _column_texts(history)
    for key, value in METRIC_VALUES.items():
        header = METRICS[key].header
        number = value_text(key, value)
        assert history_cells[header] == number, key
        if header in live_cells:
            assert live_cells[header] == number, key
        assert last.value_text(key) == metric_text(key, value), key
        assert last.value_text(key).startswith(number.split(" ")[0]), key
    missing = RepRecord(session_id=1, set_index=1, rep_index=2, valid=False, reason="no_contact",
                        t_start_us=0, t_end_us=1, peak_force_n=None, min_gap_mm=None, metrics={})
    history.set_reps([missing])
    live.clear()
    live.add_rep(Rep(set_index=1, index=2, valid=False, reason="no_contact", t_start_us=0,
                     t_end_us=1))
    last.clear()
    assert (_column_texts(history)[METRICS["rom_mm"].header]
            == _column_texts(live)[METRICS["rom_mm"].header]
            == last.value_text("rom_mm") == MISSING_TEXT)


def test_set_summary_and_progress_charts_use_the_vocabulary_names(qtbot):
    from backstation.storage import SetRecord
    from backstation.ui.history.progress_view import CHARTS
    from backstation.ui.history.rep_model import set_summary
    record = SetRecord(session_id=1, set_index=2, exercise="inverted-row", variant=None,
                       added_load_kg=None, manual=False, t_start_us=0, t_end_us=1,
                       valid_reps=5, no_reps=3,
                       metrics={"velocity_loss_pct": 47.2, "peak_force_decay_pct": 16.0})
    summary = set_summary(record)
    for key in ("velocity_loss_pct", "peak_force_decay_pct"):
        assert f"{metric_name(key).lower()} {metric_text(key, record.metrics[key])}" in summary
    assert f"{VALID_REPS_TEXT.lower()} 5" in summary and f"{NO_REPS_TEXT.lower()} 3" in summary
    titles = {key: title for key, title, _, _ in CHARTS}
    assert VALID_REPS_TEXT in titles["valid_reps"]
    assert metric_name("velocity_loss_pct") in titles["velocity_loss"]
    assert metric_name("peak_force_n").lower() in titles["peak_n"].lower()


def test_a_verdict_the_coach_overruled_says_so_and_what_the_judge_said():
    from backstation.vocabulary import verdict_label
    assert verdict_label(True, None, judged=(False, "no_contact")) == \
        "✓ valid by the coach (judged: chest did not touch)"
    assert verdict_label(False, COACH_REASON, judged=(True, None)) == \
        "✗ no-rep by the coach (judged: valid)"
    assert verdict_label(True, None, judged=(None, None)) == \
        "✓ valid by the coach (judged: contact unknown)"


def test_where_one_verdict_fits_the_coach_s_is_shown_without_the_judge_s():
    from backstation.vocabulary import short_verdict_label
    assert short_verdict_label(True, None, (False, "no_contact")) == "✓ valid by the coach"
    assert short_verdict_label(False, COACH_REASON, (True, None)) == "✗ no-rep by the coach"
    assert short_verdict_label(False, "no_lockout") == "✗ arms not straight"


def test_a_number_never_reads_minus_zero():
    from backstation.ui.calibration.mass import readings_text
    from backstation.vocabulary import number_text, value_text
    assert [number_text(v, d) for v, d in ((-0.04, 1), (-0.4, 0), (-0.6, 0), (2.25, 1))] == [
        "0.0", "0", "-1", "2.2"]
    assert value_text("mean_concentric_velocity_m_s", -0.001) == "0.00"
    assert readings_text((-0.03, 0.04)) == "Left 0.0 N   Right 0.0 N"
