"""The station's health stays on screen (issue 12 follow-up): the app against
the simulated station playing each fault. A load cell that does not answer or
a distance sensor that is absent is one line across the live view, in the
owner's words (protocol/sentences.py), for as long as it holds: past the
status bar's few seconds, until the sensor answers again; gone when healthy."""

from __future__ import annotations

import pytest

from backstation.device.sim import protocol_sim
from backstation.protocol.sentences import NO_DISTANCE_MESSAGE, absent_force_message
from backstation.ui.live.station_health import MARK

WAIT_MS = 20_000


@pytest.fixture
def window(main_window):
    return main_window


def _shown(window) -> str | None:
    view = window.live.station_health
    return view.text() if view.isVisible() else None


def _connect(qtbot, window, url: str) -> None:
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_to(url)


def test_a_missing_load_cell_stays_shown_until_it_answers_again(qtbot, window) -> None:
    url = "sim://?scenario=clean&seed=7&speed=10&absent_force=1"
    _connect(qtbot, window, url)
    qtbot.waitUntil(lambda: _shown(window) == MARK + absent_force_message(1), timeout=WAIT_MS)
    # The window's toast says it too, for a few seconds; the line outlasts it.
    toast = window.toast
    qtbot.waitUntil(lambda: toast.isVisible() and toast.text() == absent_force_message(1),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not toast.isVisible(), timeout=WAIT_MS)
    assert _shown(window) == MARK + absent_force_message(1)
    newest = window.controller.buffers.newest_s
    qtbot.waitUntil(lambda: window.controller.buffers.newest_s > newest + 2.0, timeout=WAIT_MS)
    assert _shown(window) == MARK + absent_force_message(1)

    protocol_sim.operate(url, lambda station: station.replug_load_cell(1))
    qtbot.waitUntil(lambda: _shown(window) is None, timeout=WAIT_MS)
    assert window.controller.link.health.problems == ()


def test_no_distance_sensor_stays_shown_until_one_answers(qtbot, window) -> None:
    url = "sim://?scenario=clean&seed=7&speed=10&distance_sensor=none"
    _connect(qtbot, window, url)
    qtbot.waitUntil(lambda: _shown(window) == MARK + NO_DISTANCE_MESSAGE, timeout=WAIT_MS)
    newest = window.controller.buffers.newest_s
    qtbot.waitUntil(lambda: window.controller.buffers.newest_s > newest + 2.0, timeout=WAIT_MS)
    assert _shown(window) == MARK + NO_DISTANCE_MESSAGE

    protocol_sim.operate(url, lambda station: station.connect_distance_sensor())
    qtbot.waitUntil(lambda: _shown(window) is None, timeout=WAIT_MS)


def test_every_problem_is_its_own_line_and_a_disconnect_clears_them(qtbot, window) -> None:
    url = "sim://?scenario=clean&seed=7&speed=10&distance_sensor=none"
    _connect(qtbot, window, url)
    qtbot.waitUntil(lambda: _shown(window) is not None, timeout=WAIT_MS)
    protocol_sim.operate(url, lambda station: station.unplug_load_cell(0))   # mid-run
    lines = [MARK + absent_force_message(0), MARK + NO_DISTANCE_MESSAGE]
    qtbot.waitUntil(lambda: _shown(window) == "\n".join(lines), timeout=WAIT_MS)

    with qtbot.waitSignal(window.controller.disconnected, timeout=WAIT_MS):
        window.controller.disconnect()
    assert _shown(window) is None


def test_a_healthy_station_shows_no_line(qtbot, window) -> None:
    _connect(qtbot, window, "sim://?scenario=clean&seed=7&speed=10")
    newest = window.controller.buffers.newest_s
    qtbot.waitUntil(lambda: window.controller.buffers.newest_s > newest + 2.0, timeout=WAIT_MS)
    assert _shown(window) is None
