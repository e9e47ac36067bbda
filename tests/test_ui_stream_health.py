"""The status bar's stream health: its slow-ADC warning in the session's words."""

from __future__ import annotations

import pytest

from backstation.protocol.sentences import slow_adc_message
from backstation.protocol.stream import StreamStats
from backstation.ui.acquisition import StreamHealth
from backstation.ui.live.health import StreamHealthView


@pytest.mark.parametrize("health, rate_hz", [
    (StreamHealth(StreamStats(), nominal_force_rate_hz=10), 10),
    (StreamHealth(StreamStats(), force_hz=10.4, nominal_force_rate_hz=80), 10),
])
def test_a_slow_adc_is_warned_of_in_the_one_wording_with_its_rate(qtbot, health, rate_hz):
    view = StreamHealthView()
    qtbot.addWidget(view)
    view.show_health(health)
    assert view.warning.text() == "⚠ " + slow_adc_message(rate_hz)


def test_no_warning_at_80_sps(qtbot):
    view = StreamHealthView()
    qtbot.addWidget(view)
    view.show_health(StreamHealth(StreamStats(), force_hz=80.2, nominal_force_rate_hz=80))
    assert view.warning.isHidden()
