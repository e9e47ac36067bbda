"""Issue 15's done-when: two simulated stations record at the same time, sync
to one server, and either station's History shows both sessions, with the
right athletes. Each station records through the recorder's real pipeline
(tests/e2e.record_in_process, the simulated station sped up) into its own
SQLite file, on its own thread, at once."""

from __future__ import annotations

import threading
from datetime import datetime

from backstation.device.sim.protocol_sim import simulated_url
from backstation.storage import Database
from backstation.team import sync
from backstation.ui.history import HistoryView

from .e2e import record_in_process
from .team import team_server  # noqa: F401

RECORD_S = 1.5
WAIT_MS = 10_000
JOIN_S = 20.0


def test_two_stations_record_at_once_sync_to_one_server_and_each_history_shows_both(
        qtbot, tmp_path, team_server):
    stations = {"rack1": ("Anna", 62.0), "rack2": ("Ben", 81.0)}
    recorded, errors = {}, []
    started = threading.Barrier(len(stations))

    def record(station: str, athlete: str, mass_kg: float, seed: int) -> None:
        try:
            started.wait(JOIN_S)
            recorded[station] = record_in_process(
                tmp_path / f"{station}.db", simulated_url("clean", seed=seed, speed=10),
                RECORD_S, athlete=athlete, body_mass_kg=mass_kg)
        except BaseException as exc:        # reported by the test, not lost in a thread
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(name, *who, seed), name=f"record-{name}")
               for seed, (name, who) in enumerate(stations.items())]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_S)
    assert not errors, errors
    spans = {}
    for station in stations:
        with Database(tmp_path / f"{station}.db") as db:
            info = db.get_session(recorded[station]["session_id"])
            assert info.force_samples > 100
            spans[station] = (datetime.fromisoformat(info.started_at),
                              datetime.fromisoformat(info.ended_at))
            assert sync(db, station).uploaded == [info.id]
    (a0, a1), (b0, b1) = spans.values()
    assert a0 < b1 and b0 < a1                # the two recordings overlapped

    want = sorted((station, recorded[station]["session_id"], athlete)
                  for station, (athlete, _) in stations.items())
    for station in stations:
        view = HistoryView(tmp_path / f"{station}.db", team_server=station)
        qtbot.addWidget(view)
        with qtbot.waitSignal(view.sessions_listed, timeout=WAIT_MS):
            view.set_team_mode(True)
        rows = [view.model.row_at(i) for i in range(view.model.rowCount())]
        assert sorted((r.station, r.session_id, r.athlete) for r in rows) == want, station
        view.close()
