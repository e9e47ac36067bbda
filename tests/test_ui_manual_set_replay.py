"""The app's manual set (Space), pressed before the athlete is on the bar:
what the app stored is what ``Replay`` gives, row for row and byte for byte
(pytest-qt, offscreen, the simulated station 10x faster than real time)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from backstation.device.sim import protocol_sim
from backstation.replay import Replay
from backstation.session import MANUAL_SET_EVENT
from backstation.storage import Database
from backstation.device.sim.protocol_sim import simulated_url

from .test_replay_manual_sets import (
    replay_rep_rows, replay_set_rows, stored_rep_rows, stored_set_rows,
)

WAIT_MS = 30_000
SCENARIO, SPEED = "pause-bottom", 10


@pytest.fixture
def window(main_window):
    return main_window


def test_space_before_the_athlete_is_on_stores_what_replay_gives(qtbot, window, tmp_path):
    controller = window.controller
    with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
        window.connect_simulated(SCENARIO, speed=SPEED)
    station = protocol_sim.station_for_url(simulated_url(SCENARIO, speed=SPEED))
    (truth_set,) = station.truth.sets
    qtbot.waitUntil(lambda: controller.session.judge.last_fed_us is not None, timeout=WAIT_MS)

    with qtbot.waitSignal(controller.set_started, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key_Space)
    judge = controller.session.judge
    started_us = judge.manual_requests[-1].t_us
    assert started_us < truth_set.t_start_s * 1e6, "Space came after the athlete got on"
    assert controller.set_open

    end_after_us = int((truth_set.t_end_s + 2.0) * 1e6)
    qtbot.waitUntil(lambda: judge.last_fed_us >= end_after_us, timeout=WAIT_MS)
    with qtbot.waitSignal(controller.set_ended, timeout=WAIT_MS) as ended:
        qtbot.keyClick(window, Qt.Key_Space)
    assert ended.args[0].manual and not controller.set_open
    ended_us = judge.manual_requests[-1].t_us

    with qtbot.waitSignal(controller.disconnected, timeout=WAIT_MS) as done:
        controller.disconnect()
    live = done.args[0]
    sid = live["session_id"]
    path = tmp_path / "sessions.db"
    with Database(path) as db:
        manual = [(e.detail, e.t_device_us) for e in db.events(sid) if e.kind == MANUAL_SET_EVENT]
        replay = Replay(db, sid)
    assert manual == [("start", started_us), ("end", ended_us)]
    stored_sets = stored_set_rows(path, sid)
    assert [(row[4], row[5], row[6]) for row in stored_sets] == [(1, started_us, ended_us)]
    assert replay_set_rows(replay) == stored_sets
    assert replay_rep_rows(replay) == stored_rep_rows(path, sid)
    assert replay.to_json() == live
