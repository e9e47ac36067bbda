"""The History tab only reads: it opens the database read-only (``mode=ro``,
which tests/test_cli_read_only.py proves on a file nobody may write), leaves
the file as it was, and on a first start with no database yet lists nothing
instead of creating one."""

from __future__ import annotations

import shutil

from backstation.storage import Database
from backstation.ui import jobs
from backstation.ui.history import HistoryView

from .e2e import record_in_process

WAIT_MS = 15_000


def test_history_lists_and_opens_a_session_read_only(qtbot, tmp_path, monkeypatch):
    opened: list[bool] = []

    def spy(path, **kw):
        opened.append(kw.get("read_only", False))
        return Database(path, **kw)

    monkeypatch.setattr(jobs, "Database", spy)
    source = tmp_path / "rec" / "s.db"
    source.parent.mkdir()
    live = record_in_process(source, "sim://?scenario=clean&seed=6&speed=40", 1.5)
    folder = tmp_path / "copy"
    folder.mkdir()
    path = folder / "s.db"
    shutil.copy(source, path)
    before = path.read_bytes()
    view = HistoryView(path)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1 and view.busy.isHidden(), timeout=WAIT_MS)
    view.open_session(live["session_id"])
    qtbot.waitUntil(lambda: view.busy.isHidden() and "Loading" not in view.title.text(),
                    timeout=WAIT_MS)
    assert view.banner.isHidden(), view.banner.text()
    view.shutdown()
    view.close()
    assert len(opened) == 2 and all(opened)            # the list, then the session
    assert path.read_bytes() == before


def test_history_on_a_first_start_lists_nothing_and_creates_nothing(qtbot, tmp_path):
    view = HistoryView(tmp_path / "none.db")
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.busy.isHidden(), timeout=WAIT_MS)
    assert view.model.rowCount() == 0 and view.banner.isHidden()
    view.shutdown()
    view.close()
    assert list(tmp_path.iterdir()) == []
