"""A stall (the station's port open, no data) is counted in ``record --json``
as ``stalls``, and a replay of the session prints the same count; a recording
that fails closes its session at once. A pty station of the tests' own
(tests/pty_station.py)."""

from __future__ import annotations

import threading
import time

import pytest

from backstation.link import DeviceLink, LinkError
from backstation.record import Recorder, RecordOptions
from backstation.replay import Replay
from backstation.storage import Database
from tests.pty_station import WAIT_S, PtyDevice, Usb, frame


def wait_until(condition) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_a_stall_is_counted_in_record_json_and_in_its_replay(tmp_path):
    usb = Usb()
    device = usb.plug(PtyDevice())
    said: list[str] = []
    result: dict = {}
    stop = threading.Event()

    def link_factory(url, **kw):
        return DeviceLink("fake://usb", opener=usb.open, port_lister=lambda: [],
                          hello_timeout_s=0.1, info_timeout_s=WAIT_S, stall_after_s=0.3, **kw)

    with Database(tmp_path / "s.db") as db:
        recorder = Recorder(db, RecordOptions(port="fake://usb"), link_factory=link_factory,
                            on_message=said.append)
        thread = threading.Thread(target=lambda: result.update(recorder.run(stop)),
                                  name="test-recorder")
        thread.start()
        try:
            device.wait_for_line(b"START")
            device.write(device.samples(10))
            wait_until(lambda: any(m.startswith("No data from the station") for m in said))
            device.wait_for_line(b"START", count=2)          # sent again by the link
            device.write(device.samples(10))
            wait_until(lambda: any(m.startswith("Data from the station again") for m in said))
        finally:
            stop.set()
            thread.join(WAIT_S)
            device.unplug()
        assert result["stream"]["stalls"] == 1
        assert result["stream"]["force_samples"] == 20
        assert Replay(db, result["session_id"]).to_json()["stream"]["stalls"] == 1


def test_a_refused_start_closes_its_session_as_interrupted_at_once(tmp_path):
    usb = Usb()
    device = usb.plug(PtyDevice(replies={"START": frame("ERR,START,busy")}))

    def link_factory(url, **kw):
        return DeviceLink("fake://usb", opener=usb.open, port_lister=lambda: [],
                          hello_timeout_s=0.1, info_timeout_s=WAIT_S, **kw)

    try:
        with Database(tmp_path / "s.db") as db:
            recorder = Recorder(db, RecordOptions(port="fake://usb"),
                                link_factory=link_factory)
            with pytest.raises(LinkError):
                recorder.run(threading.Event())
            (info,) = db.list_sessions()        # still open in this process
    finally:
        device.unplug()
    assert info.end_reason == "interrupted" and info.ended_at == info.started_at
