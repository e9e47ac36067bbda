"""History and Progress readable as they open (issue 14, item 3): a
Progress time axis reads in dates, even for one afternoon's sessions, and the
export dialog opens on a folder that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backstation.ui.history import ProgressView

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
