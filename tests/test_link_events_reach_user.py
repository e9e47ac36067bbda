"""Link health reaches the user (issue 10 follow-up): a stall, the stream
resuming and a reader falling behind are stored as session events and said;
the app's banner shows a stall and clears it on resume; each reconnect is
worded as what happened. A pty station of the tests' own (tests/pty_station.py)."""

from __future__ import annotations

import threading
import time

import pytest

from backstation.link import DeviceLink, LinkState
from backstation.session import LiveSession, SessionOptions
from backstation.storage import Database
from tests.pty_station import (  # noqa: F401 - usb: a fixture
    WAIT_S, PtyDevice, Usb, frame, hello, usb,
)

WAIT_MS = int(WAIT_S * 1000)
UNPLUGGED_SAID = "station unplugged: waiting for it to come back"


def link_to(usb: Usb, **kw) -> DeviceLink:
    kw.setdefault("hello_timeout_s", 0.1)
    kw.setdefault("info_timeout_s", WAIT_S)
    kw.setdefault("reconnect_interval_s", 0.05)
    return DeviceLink("fake://usb", opener=usb.open, port_lister=lambda: [], **kw)


class Recording:
    """A LiveSession on a fake station; what it said is kept in ``said``."""

    def __init__(self, usb: Usb, db: Database, **link_kw):
        self.link = link_to(usb, **link_kw)
        self.link.open()
        self.said: list[str] = []
        self.session = LiveSession(db, self.link, SessionOptions(), on_message=self.said.append)
        self.link.start()
        self.steps = []

    def step_until(self, done) -> None:
        """Step the session (as ``record`` does) until ``done()``; fails after WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        while True:
            self.steps.append(self.session.step())
            if done():
                return
            assert time.monotonic() < deadline, f"gave up waiting; said: {self.said}"
            threading.Event().wait(0.02)

    def kinds(self, db: Database) -> list[str]:
        self.session.writer.flush()
        return [e.kind for e in db.events(self.session.session_id)]


@pytest.fixture
def recording(usb, tmp_path):
    made = []

    def make(**link_kw) -> tuple[Recording, Database]:
        db = Database(tmp_path / "s.db")
        rec = Recording(usb, db, **link_kw)
        made.append((rec, db))
        return rec, db

    yield make
    for rec, db in made:
        rec.link.close()
        db.close()


# -- A: stalls, resuming, backlog are stored and said ---------------------------------------


def test_a_stall_and_its_end_are_stored_as_session_events_and_said(usb, recording):
    device = usb.plug(PtyDevice())
    rec, db = recording(stall_after_s=0.3)
    device.wait_for_line(b"START")
    device.write(device.samples(10))
    rec.step_until(lambda: any(m.startswith("No data from the station") for m in rec.said))
    device.wait_for_line(b"START", count=2)          # sent again by the link
    device.write(device.samples(10))
    rec.step_until(lambda: any(m.startswith("Data from the station again") for m in rec.said))
    kinds = rec.kinds(db)
    assert kinds.count("stall") == 1 and kinds.count("resumed") == 1
    assert kinds.index("stall") < kinds.index("resumed")
    (stall,) = [e for e in db.events(rec.session.session_id) if e.kind == "stall"]
    assert stall.detail.startswith("quiet_s=0.")
    assert "check the cable" in [m for m in rec.said if m.startswith("No data")][0]


def test_a_reader_falling_behind_is_stored_and_said(usb, recording):
    host = [1000.0]
    device = usb.plug(PtyDevice())
    rec, db = recording(clock=lambda: host[0])
    device.wait_for_line(b"START")
    device.write(device.samples(8) + frame("ACK,PING"))
    rec.link.ping()
    host[0] += 2.2                        # 2.2 s of host time for 0.1 s of device time
    device.write(device.samples(8) + frame("ACK,PING"))
    rec.link.ping()
    rec.step_until(lambda: any(m.startswith("Reading the station") for m in rec.said))
    assert "reader_behind" in rec.kinds(db)
    assert any("2.1 s late" in m for m in rec.said)


# -- B: each reconnect worded as what happened ----------------------------------------------


def test_refusing_another_station_is_not_said_as_an_unplug(usb, recording):
    device = usb.plug(PtyDevice())
    rec, _db = recording()
    device.wait_for_line(b"START")
    device.write(device.samples(10) + hello(device_id="DEADBEEF"))
    rec.step_until(lambda: rec.link.state is LinkState.RECONNECTING
                   and any("another station" in m for m in rec.said))
    assert UNPLUGGED_SAID not in rec.said
    assert [m for m in rec.said if "another station" in m][0].endswith(
        "waiting for 0000BEEF to come back")


def test_giving_up_on_a_silent_station_is_not_said_as_an_unplug(usb, recording):
    device = usb.plug(PtyDevice())
    rec, _db = recording(stall_after_s=0.2, info_timeout_s=0.3)
    device.wait_for_line(b"START")
    device.replies.update(START=b"", INFO=b"")       # deaf from now on
    device.write(device.samples(10))
    rec.step_until(lambda: any("no data for" in m for m in rec.said))
    rec.step_until(lambda: rec.link.state is LinkState.RECONNECTING)
    rec.session.step()
    assert UNPLUGGED_SAID not in rec.said
    assert any(m.endswith("waiting for the station to come back") for m in rec.said)


def test_a_port_that_fails_is_said_as_an_unplug(usb, recording):
    device = usb.plug(PtyDevice())
    rec, _db = recording()
    device.wait_for_line(b"START")
    device.write(device.samples(10))
    device.unplug()
    rec.step_until(lambda: UNPLUGGED_SAID in rec.said)


# -- A in the app: the banner ------------------------------------------------------------------


@pytest.fixture
def live_view(qtbot, usb, tmp_path):
    from backstation.ui.acquisition import AcquisitionController
    from backstation.ui.live.live_view import LiveView

    made = {}

    def make(**link_kw):
        controller = AcquisitionController(tmp_path / "s.db",
                                           link_factory=lambda url: link_to(usb, **link_kw))
        view = LiveView(controller)
        qtbot.addWidget(view)
        made["controller"] = controller
        with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
            controller.connect_to("fake://usb")
        return view

    yield make
    if "controller" in made:
        made["controller"].close()


def test_the_banner_shows_a_stall_in_one_line_and_clears_it_on_resume(qtbot, usb, live_view):
    device = usb.plug(PtyDevice())
    view = live_view(stall_after_s=0.3)
    device.wait_for_line(b"START")
    device.write(device.samples(10))
    qtbot.waitUntil(lambda: not view.banner.isHidden(), timeout=WAIT_MS)
    text = view.banner.text()
    assert text.startswith("No data from the station for ") and text.endswith(
        ": check the cable")
    assert "\n" not in text
    device.wait_for_line(b"START", count=2)
    device.write(device.samples(10))
    qtbot.waitUntil(view.banner.isHidden, timeout=WAIT_MS)
    controller = view.controller
    session_id = controller.session.session_id
    with qtbot.waitSignal(controller.disconnected, timeout=WAIT_MS):
        controller.disconnect()
    with Database(controller.db_path) as db:
        kinds = [e.kind for e in db.events(session_id)]
    assert "stall" in kinds and "resumed" in kinds


def test_the_banner_says_a_silent_station_is_being_reconnected_not_unplugged(qtbot, usb,
                                                                             live_view):
    from backstation.ui.live.live_view import UNPLUGGED_TEXT

    device = usb.plug(PtyDevice())
    view = live_view(stall_after_s=0.2, info_timeout_s=0.3)
    device.wait_for_line(b"START")
    device.replies.update(START=b"", INFO=b"")
    device.write(device.samples(10))
    qtbot.waitUntil(lambda: view.controller.state is LinkState.RECONNECTING, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.banner.text().startswith("The station stopped sending"),
                    timeout=WAIT_MS)
    assert view.banner.text() != UNPLUGGED_TEXT
    del device.replies["START"], device.replies["INFO"]   # it answers again
    qtbot.waitUntil(lambda: view.controller.state is LinkState.STREAMING, timeout=WAIT_MS)
    qtbot.waitUntil(view.banner.isHidden, timeout=WAIT_MS)


# -- D: what the chatter limit held back reaches the owner ------------------------------------


def test_the_held_back_chatter_is_said_and_stored_before_the_session_ends(usb, recording):
    device = usb.plug(PtyDevice())
    rec, db = recording()
    device.wait_for_line(b"START")
    device.write(frame("ERR,RATE,range") * 500 + frame("ACK,PING"))
    rec.link.ping()                       # its ACK follows the storm: every ERR has been read
    rec.session.step()
    assert sum("RATE" in m for m in rec.said) == 1
    rec.session.finish()
    held = [m for m in rec.said if m.startswith("499 more ERR,RATE")]
    assert held == ["499 more ERR,RATE from the station were not shown"]
    details = [e.detail for e in db.events(rec.session.session_id) if e.kind == "fault"]
    assert held[0] in details


def test_record_says_the_held_back_chatter_before_it_ends(usb, tmp_path):
    from backstation.record import Recorder, RecordOptions

    device = usb.plug(PtyDevice())
    stop = threading.Event()
    said: list[str] = []

    def on_step(session, step) -> None:
        if any("RATE" in m for m in said):
            stop.set()

    with Database(tmp_path / "r.db") as db:
        recorder = Recorder(db, RecordOptions(port="fake://usb"),
                            link_factory=lambda port, **kw: link_to(usb, **kw),
                            on_step=on_step, on_message=said.append)
        outcome: list = []

        def run() -> None:
            try:
                outcome.append(recorder.run(stop))
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome.append(exc)

        runner = threading.Thread(target=run)
        runner.start()
        device.wait_for_line(b"START")
        device.write(device.samples(10) + frame("ERR,RATE,range") * 300)
        runner.join(WAIT_S)
        assert not runner.is_alive()
    assert isinstance(outcome[0], dict), outcome
    assert "299 more ERR,RATE from the station were not shown" in said, (said, device.lines)
