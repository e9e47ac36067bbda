"""DeviceLink against a hostile station of the test's own (issue 10): a pty
whose master side is driven here (tests/pty_station.py), sentences framed with
``binascii.crc_hqx`` as docs/protocol.md describes, commands read back byte for byte."""

from __future__ import annotations

import threading
import time

import pytest

from backstation.link import (
    CommandFailed, Connected, DeviceLink, LinkFault, LinkState, ReaderBehind, RefusedHello,
    StreamResumed, StreamStalled, UnsupportedProtocol,
)

from .pty_station import ID, WAIT_S, PtyDevice, frame, hello, usb  # noqa: F401 - usb: a fixture


@pytest.fixture
def make_link(usb):
    links = []

    def make(**kw) -> DeviceLink:
        kw.setdefault("hello_timeout_s", 0.1)
        kw.setdefault("info_timeout_s", WAIT_S)
        kw.setdefault("reconnect_interval_s", 0.05)
        kw.setdefault("port_lister", lambda: [])
        link = DeviceLink("fake://usb", opener=usb.open, **kw)
        links.append(link)
        return link

    yield make
    for link in links:
        link.close()


def events_until(link: DeviceLink, done, seen: list) -> list:
    deadline = time.monotonic() + WAIT_S
    while not done(seen):
        assert time.monotonic() < deadline, f"gave up waiting; events: {seen}"
        seen.extend(link.drain_events(timeout_s=0.05))
    return seen


def faults(seen: list) -> list[str]:
    return [e.message for e in seen if isinstance(e, LinkFault)]


def streaming(usb, make_link, **kw) -> tuple[DeviceLink, PtyDevice]:
    link = make_link(**kw)
    link.open()
    link.start()
    return link, usb.device


# -- items 1, 5: another station's HELLO in the middle of the stream ----------------------


@pytest.mark.parametrize("other", [dict(channels=4), dict(device_id="DEADBEEF"),
                                   dict(protocol=2)])
def test_hello_of_another_station_in_one_read_with_samples_keeps_the_reader_and_the_data(
        usb, make_link, other):
    usb.plug(PtyDevice())
    link, device = streaming(usb, make_link)
    theirs = hello(**{"device_id": ID, **other})
    device.write(device.samples(80) + theirs + frame("CAL,3,0,1.0000") + device.samples(80))
    seen = events_until(link, lambda s: any("another station" in m for m in faults(s)), [])
    (message,) = [m for m in faults(seen) if "another station" in m]
    assert "data is not taken" in message and ID in message
    assert not any("reader stopped" in m for m in faults(seen))
    assert link.state is LinkState.RECONNECTING
    force, _ = link.drain()
    assert force.seq.tolist() == list(range(80))     # before the HELLO: all kept
    assert link.hello.force_channels == 2 and set(link.calibration) == {0, 1}
    assert link.stats.reboots == 0


def test_same_id_coming_back_with_another_channel_count_is_not_adopted(usb, make_link):
    usb.plug(PtyDevice())
    link, device = streaming(usb, make_link, refused_retry_s=0.2)
    device.write(device.samples(40))
    link.drain(timeout_s=WAIT_S)
    device.unplug()
    usb.plug(PtyDevice(channels=4))                   # same id, other hardware
    seen = events_until(link, lambda s: any("4 force channels" in m for m in faults(s)), [])
    assert not [e for e in seen if isinstance(e, Connected) and e.reconnects]
    assert link.state is LinkState.RECONNECTING and link.hello.force_channels == 2
    usb.device.unplug()
    usb.plug(PtyDevice())                             # ours again
    events_until(link, lambda s: any(isinstance(e, Connected) and e.reconnects for e in s), seen)
    assert link.hello.force_channels == 2


# -- item 8: a HELLO refused for its content at connect says why ----------------------------


@pytest.mark.parametrize("body, error, says", [
    ("HELLO,1,evil-1,0000BEEF,2,99999,hcsr04", RefusedHello,
     "force rate 99999 Hz is outside the protocol's 1..2000 Hz"),
    ("HELLO,1,evil-1,BEEF,2,80,hcsr04", RefusedHello, "device_id 'BEEF' is not 8 hex digits"),
    # Another protocol may shape its HELLO otherwise: its protocol is still read.
    ("HELLO,2,evil-2,0000BEEF,2,80,hcsr04,extra", UnsupportedProtocol,
     "speaks protocol 2, this app speaks 1: update the app"),
])
def test_a_hello_refused_for_its_content_at_connect_says_why(usb, make_link, body, error, says):
    device = usb.plug(PtyDevice(replies={"INFO": frame(body)}))
    link = make_link()
    with pytest.raises(error) as caught:
        link.open()
    message = str(caught.value)
    assert says in message and "wrong baud rate" not in message
    assert "\n" not in message
    assert link.state is LinkState.CLOSED
    assert device.lines == [b"INFO*01C6"]   # the answer taken at once, no waiting on


# -- item 14: what the firmware really answers -------------------------------------------


def test_err_cmd_answers_the_command_in_flight_at_once(usb, make_link):
    usb.plug(PtyDevice(replies={"PING": frame("ERR,CMD,syntax")}))
    link = make_link()
    link.open()
    t0 = time.monotonic()
    with pytest.raises(CommandFailed, match="syntax"):
        link.ping(timeout_s=5.0)
    assert time.monotonic() - t0 < 4.0


@pytest.mark.parametrize("reason", ["blank", "corrupt"])
def test_unsolicited_eeprom_err_is_a_status_not_a_refusal(usb, make_link, reason):
    usb.plug(PtyDevice())
    link = make_link()
    link.open()
    usb.device.write(frame(f"ERR,EEPROM,{reason}"))
    seen = events_until(link, faults, [])
    (message,) = faults(seen)
    assert "refused" not in message and f"calibration memory (EEPROM) is {reason}" in message


# -- item 7: a stall ----------------------------------------------------------------------


def test_a_stall_is_reported_info_and_start_are_sent_again_and_resuming_is_reported(
        usb, make_link):
    usb.plug(PtyDevice())
    link, device = streaming(usb, make_link, stall_after_s=0.3)
    device.write(device.samples(10))
    seen = events_until(link, lambda s: any(isinstance(e, StreamStalled) for e in s), [])
    device.wait_for_line(b"START", count=2)
    device.wait_for_line(b"INFO", count=2)
    device.write(device.samples(10))
    events_until(link, lambda s: any(isinstance(e, StreamResumed) for e in s), seen)
    assert sum(isinstance(e, StreamStalled) for e in seen) == 1
    assert link.stats.reboots == 0          # the HELLO answering INFO is no reboot
    assert link.state is LinkState.STREAMING


def test_a_station_still_silent_after_the_retry_is_taken_as_gone(usb, make_link):
    usb.plug(PtyDevice())
    link, device = streaming(usb, make_link, stall_after_s=0.2)
    device.replies.update(START=b"", INFO=b"")       # deaf from now on
    seen = events_until(link, lambda s: any("no data for" in m for m in faults(s)), [])
    assert any(isinstance(e, StreamStalled) for e in seen)


# -- item 12: chatter ---------------------------------------------------------------------


def test_an_err_storm_makes_a_bounded_number_of_messages(usb, make_link):
    usb.plug(PtyDevice())
    link = make_link()
    link.open()
    usb.device.write(frame("ERR,RATE,range") * 2000 + frame("ACK,PING"))
    link.ping()   # its ACK follows the storm: every ERR has been read
    seen = link.drain_events()
    assert 1 <= len(faults(seen)) <= 2


def test_a_hello_storm_sends_start_a_bounded_number_of_times(usb, make_link):
    usb.plug(PtyDevice())
    link, device = streaming(usb, make_link)
    device.write(device.greeting() * 200)
    link.ping()
    assert sum(line.startswith(b"START") for line in device.lines) <= 3


# -- item 17: a reader that falls behind ---------------------------------------------------


def test_a_reader_falling_behind_is_reported(usb, make_link):
    host = [1000.0]
    usb.plug(PtyDevice())
    link, device = streaming(usb, make_link, clock=lambda: host[0])
    device.write(device.samples(8) + frame("ACK,PING"))
    link.ping()
    host[0] += 2.1 + 0.1                 # 2.2 s of host time for 0.1 s of device time
    device.write(device.samples(8) + frame("ACK,PING"))
    link.ping()
    behind = [e for e in link.drain_events() if isinstance(e, ReaderBehind)]
    assert len(behind) == 1 and behind[0].backlog_s == pytest.approx(2.1, abs=0.05)



# -- item 2 through the recorder: wire-valid input never ends a recording -------------------


def test_record_rides_out_cals_for_unannounced_channels(usb, tmp_path):
    from backstation.record import Recorder, RecordOptions
    from backstation.storage import Database

    device = usb.plug(PtyDevice())
    stop = threading.Event()
    recorded = [0]

    def on_step(session, step) -> None:
        recorded[0] += len(step.force)
        if recorded[0] >= 160:
            stop.set()

    def link_factory(port, **kw):
        return DeviceLink(port, opener=usb.open, hello_timeout_s=0.1, info_timeout_s=WAIT_S,
                          port_lister=lambda: [], **kw)

    with Database(tmp_path / "s.db") as db:
        recorder = Recorder(db, RecordOptions(port="fake://usb"), link_factory=link_factory,
                            on_step=on_step)
        result: dict = {}
        runner = threading.Thread(target=lambda: result.update(recorder.run(stop)))
        runner.start()
        device.wait_for_line(b"START")
        device.write(device.samples(80) + frame("CAL,2,0,1.0000") + frame("CAL,3,5,2.0000")
                     + device.samples(80))
        runner.join(WAIT_S)
        assert not runner.is_alive()
        force = db.load_force(result["session_id"])
    assert len(force) == 160 and force.seq.tolist() == list(range(160))
    assert result["stream"]["malformed"] == 2 and result["stream"]["reboots"] == 0


def test_an_error_while_handling_a_read_costs_that_read_not_the_reader(usb, make_link,
                                                                        monkeypatch):
    usb.plug(PtyDevice())
    link, device = streaming(usb, make_link)
    feed = link._stream.feed
    calls = [0]

    def feed_failing_once(data, t_host_s):
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("a bug the wire found")
        return feed(data, t_host_s)

    monkeypatch.setattr(link._stream, "feed", feed_failing_once)
    device.write(device.samples(10))
    seen = events_until(link, lambda s: any("could not be handled" in m for m in faults(s)), [])
    device.write(device.samples(10))
    link.ping()
    assert not any("reader stopped" in m for m in faults(seen + link.drain_events()))
    assert len(link.drain()[0]) > 0


def test_a_station_clock_half_a_percent_slow_is_no_backlog(usb, make_link):
    host = [1000.0]
    usb.plug(PtyDevice())
    link, device = streaming(usb, make_link, clock=lambda: host[0])
    for _ in range(30):                  # 300 s of samples, 0.5 % slow against the host
        device.write(device.samples(8) + frame("ACK,PING"))
        link.ping()
        device.t_us += 10_000_000 - 8 * 12_500
        host[0] += 10.05
    assert not [e for e in link.drain_events() if isinstance(e, ReaderBehind)]
