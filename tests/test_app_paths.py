"""Which database the app opens: ``--db``, else the simulated station's own
with ``--simulate`` (as ``monitor --simulate`` does), else the station's."""

from __future__ import annotations

from argparse import Namespace

from backstation.ui.app import app_db_path


def test_the_simulated_station_records_apart_from_training(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    folder = tmp_path / "backstation"
    assert app_db_path(Namespace(simulate=True, db=None)) == folder / "simulated.db"
    assert app_db_path(Namespace(simulate=False, db=None)) == folder / "backstation.db"
    assert app_db_path(Namespace()) == folder / "backstation.db"
    assert app_db_path(Namespace(simulate=True, db=str(tmp_path / "mine.db"))) == \
        tmp_path / "mine.db"
