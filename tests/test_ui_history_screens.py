"""History and Progress readable as they open (issue 14, item 3): a
Progress time axis reads in dates, even for one afternoon's sessions, the
export dialog opens on a folder that exists, and History's tables and plot
titles fit at the screens' sizes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backstation.ui.history import ProgressView
from backstation.ui.history.session_plot import TITLE_OVERHANG_PX

from .e2e import record_in_process

WAIT_MS = 15_000
DAY_S = 86400.0


@pytest.fixture(scope="module")
def recorded_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("progress") / "s.db"
    record_in_process(path, "sim://?scenario=partial&seed=4&speed=40", 2.5,
                      athlete="Ada", body_mass_kg=62.0)
    return path


def test_progress_time_axes_read_in_dates_for_a_single_afternoon(qtbot, recorded_db):
    view = ProgressView(recorded_db)
    qtbot.addWidget(view)
    view.resize(1024, 560)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.progress is not None, timeout=WAIT_MS)
    for key, plot in view.plots.items():
        lo, hi = plot.vb.viewRange()[0]
        assert hi - lo >= 3 * DAY_S, key
        axis = plot.getAxis("bottom")
        levels = axis.tickValues(lo, hi, max(axis.width(), 200))
        strings = [s for spacing, values in levels
                   for s in axis.tickStrings(values, 1.0, spacing)]
        assert strings, key
        assert not [s for s in strings if re.fullmatch(r"\d+\.\d+|\d\d:\d\d(:\d\d)?", s)], key
    view.close()


def test_the_export_dialog_opens_on_a_folder_that_exists(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from backstation.ui import export_dialog
    home = tmp_path / "home"                  # a fresh machine: no Documents folder
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOCUMENTS_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    opened = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda parent, title, start: opened.append(start) or "")
    assert export_dialog.choose_folder(None) is None
    assert opened and Path(opened[0]).is_dir()


@pytest.mark.parametrize("width,height", [(800, 420), (1000, 540), (1340, 680)])
def test_history_tables_show_their_columns_whole_at_the_screens_sizes(
        qtbot, themed, recorded_db, width, height):
    """Sizes of the History tab in the window on an 800x480, 1024x600 and
    1366x768 screen: a column is shown whole or not at all (the optional ones
    give way), and neither table scrolls sideways."""
    from PySide6.QtCore import Qt

    from backstation.ui.history import HistoryView
    view = HistoryView(recorded_db)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and view.busy.isHidden(), timeout=WAIT_MS)
    with qtbot.waitSignal(view.session_opened, timeout=WAIT_MS):
        view.open_session(view.model.row_at(0).session_id)
    for table in (view.table, view.rep_table):
        model = table.model()
        shown = [c for c in range(model.columnCount()) if not table.isColumnHidden(c)]
        assert len(shown) >= 4
        for c in shown:
            whole = max(table.sizeHintForColumn(c), table.horizontalHeader().sectionSizeHint(c))
            assert table.columnWidth(c) >= whole, model.headerData(c, Qt.Horizontal)
        assert table.horizontalScrollBar().maximum() == 0
    for plot in (view.plot.force_plot, view.plot.gap_plot):
        plot.setYRange(0, 20_000)          # zoomed out: pyqtgraph's SI prefix would say "k"
        for name in ("left", "bottom"):
            label = re.sub(r"<[^>]+>", "", plot.getAxis(name).labelString()).strip()
            assert not label or re.search(r"(^|\()(N|mm|s)\)?$", label), label   # never "(kmm)"
        # An axis's title, turned, fits beside its plot: never into the other plot's.
        title = plot.getAxis("left").label
        text_px = title.boundingRect().width() - 2 * title.document().documentMargin()
        assert text_px <= plot.getViewBox().height() + TITLE_OVERHANG_PX, title.toPlainText()
    if (width, height) == (1340, 680):
        assert view.plot.axis_titles() == ("Force (N)", "Gap (mm)")
    view.close()
