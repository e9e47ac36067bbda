"""The app ends cleanly however its world ends (issue 16): the X server killed
under it, SIGTERM, SIGINT, SIGHUP, a second SIGTERM while it is closing.

Each case is the real app in a child process on a real Xvfb server, recording
from a station of the test's own on a pty (``StreamingDevice``: 80 Hz, STOP
answered after the last sample). Checked: the exit within its bound, the code,
one line said, STOP sent, the session closed with every sample the station
sent, and the port free for the next process."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import serial

from backstation.storage import Database
from backstation.ui.ending import (
    EXIT_DISPLAY_LOST, EXIT_SHUTDOWN_OVERRAN, SHUTDOWN_BOUND_S, AppEnding,
)

from .e2e import env
from .pty_station import PtyDevice

START_TIMEOUT_S = 30.0
DISPLAY_LOST_BOUND_S = 5.0      # issue 16's "done when"
SIGNAL_BOUND_S = 5.0
SAMPLES_BEFORE_S = 80           # stored before the world ends: one flush at least

# The app as ``backstation`` runs it, plus what a user would do once connected
# (argv[1]: "set" starts a set, "wizard" opens the calibration wizard,
# "contact" the contact calibration dialog, "idle" nothing), and SIGUSR1
# dumping every thread if a case hangs.
CHILD = """
import faulthandler, signal, sys
faulthandler.register(signal.SIGUSR1, all_threads=True)
from backstation.cli import main
from backstation.ui import app

plain_start = app.start_connection
state = sys.argv[1]

def start_connection(window, args):
    done = []
    def act(_step):   # once the analysis has a sample: a set needs a time to start at
        session = window.controller.session
        if done or session is None or session.judge.last_fed_us is None:
            return
        done.append(state)
        ok = True
        if state == "set":
            window.live.toggle_set()
            ok = window.controller.set_open
        elif state in ("wizard", "contact"):
            dialog = (window.open_calibration_wizard() if state == "wizard"
                      else window.open_contact_calibration())
            ok = dialog is not None and dialog.isVisible()
        print("READY" if ok else "FAILED", state, flush=True)
    window.controller.stepped.connect(act)
    plain_start(window, args)

app.start_connection = start_connection
sys.exit(main(sys.argv[2:]))
"""


class StreamingDevice(PtyDevice):
    """The pty station of tests/pty_station.py, streaming 80 Hz after
    START: every sample is written before the ACK of a STOP (as the firmware
    does), and ``sent`` counts them."""

    PACKET_MODE = True          # it sees the app open the port: port_flushed
    BATCH = 4                   # 50 ms at 80 Hz

    def __init__(self, *, greets_on_open: bool = True, **kwargs):
        self.greets_on_open = greets_on_open
        super().__init__(**kwargs)
        self._streamer = threading.Thread(target=self._stream, name="pty-streamer")
        self._streamer.start()

    @property
    def sent(self) -> int:
        with self._write_lock:
            return self.f_seq

    def port_flushed(self) -> None:
        """A port opened on the other side (pyserial's open flushes its input)
        is a freshly reset Uno, which says HELLO at once instead of waiting 3 s
        for INFO (``greets_on_open``: a board that did not reset says nothing
        until asked)."""
        if self.greets_on_open:
            self.write(self.greeting())

    def _stream(self) -> None:
        while not self._stop.wait(0.05):
            with self._write_lock:
                if self.streaming:
                    try:
                        self.write(self.samples(self.BATCH))
                    except OSError:
                        return          # unplugged

    def unplug(self) -> None:
        super().unplug()
        self._streamer.join(30)


@pytest.fixture
def xvfb():
    """A real X server on a display it chose itself (``-displayfd``)."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is missing: install it with tools/install-debian-deps")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                               "1366x768x24", "-nolisten", "tcp"], pass_fds=(write_fd,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as announced:
        number = announced.readline().strip()      # written once it accepts clients
    assert number, "Xvfb did not start"
    server.display = f":{number}"
    yield server
    if server.poll() is None:
        server.kill()
    server.wait(30)


@pytest.fixture
def station():
    device = StreamingDevice()
    yield device
    device.unplug()


class App:
    """The app in a child process; stdout lines collected, stderr to a file."""

    def __init__(self, tmp_path: Path, display: str | None, state: str, *args: str):
        tmp_path.mkdir(parents=True)
        self.db_path = tmp_path / "s.db"
        self.err_path = tmp_path / "app.err"
        child_env = dict(env(), HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
                         XDG_DATA_HOME=str(tmp_path / "data"),
                         XDG_CACHE_HOME=str(tmp_path / "cache"))
        if display is None:
            child_env["QT_QPA_PLATFORM"] = "offscreen"
        else:
            child_env.pop("QT_QPA_PLATFORM", None)
            child_env["DISPLAY"] = display
        self._err = open(self.err_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, state, *args, "--db", str(self.db_path)],
            env=child_env, stdout=subprocess.PIPE, stderr=self._err, text=True)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="app-stdout")
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.strip())
                self._changed.notify_all()
        with self._changed:
            self.lines.append("<eof>")
            self._changed.notify_all()

    def wait_ready(self) -> None:
        with self._changed:
            assert self._changed.wait_for(
                lambda: any(l.startswith(("READY", "FAILED", "<eof>")) for l in self.lines),
                START_TIMEOUT_S), f"the app did not connect: {self.stderr()}"
        assert any(l.startswith("READY") for l in self.lines), (
            f"the app did not get there: {self.lines} {self.stderr()}")

    def wait_stored(self, count: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while _stored_force_samples(self.db_path) < count:
            assert self.proc.poll() is None, f"the app ended: {self.stderr()}"
            assert time.monotonic() < deadline, f"the app stored no samples: {self.stderr()}"
            time.sleep(0.05)    # polling the database another process writes

    def wait_exit(self, bound_s: float) -> float:
        """Seconds until the process is gone; fails (with a dump of its
        threads) past ``bound_s``."""
        start = time.monotonic()
        try:
            self.proc.wait(bound_s)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(0.5)     # the dump is written by the child's faulthandler
            pytest.fail(f"still running {bound_s:g} s later:\n{self.stderr()}")
        return time.monotonic() - start

    def stderr(self) -> str:
        self._err.flush()
        return self.err_path.read_text()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        self._reader.join(30)
        self.proc.stdout.close()
        self._err.close()


@pytest.fixture
def launch(tmp_path):
    apps: list[App] = []

    def launch_(display: str | None, state: str, *args: str) -> App:
        app = App(tmp_path / f"app{len(apps)}", display, state, *args)
        apps.append(app)
        return app

    yield launch_
    for app in apps:
        app.close()


def _stored_force_samples(db_path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()
            if not row[0]:
                return 0
            chunks = conn.execute("SELECT SUM(n) FROM force_chunks").fetchone()
        return chunks[0] or 0
    except sqlite3.OperationalError:
        return 0  # not created yet


def _session(db_path: Path) -> dict:
    with Database(db_path, read_only=True) as db:
        (session,) = db.list_sessions()
        return dict(session=session, force=len(db.load_force(session.id)),
                    sets=db.sets(session.id))


def _assert_port_free(path: str) -> None:
    """The next process can open the port for its exclusive use."""
    with serial.Serial(path, 250000, exclusive=True, timeout=0.05):
        pass


def _said(stderr: str, words: str) -> list[str]:
    return [line for line in stderr.splitlines() if words in line]


@pytest.mark.parametrize("state", ["set", "wizard", "contact"])
def test_killing_the_x_server_saves_the_session_and_exits_within_5_s(
        xvfb, station, launch, state):
    app = launch(xvfb.display, state, "--port", station.path)
    app.wait_ready()
    app.wait_stored(SAMPLES_BEFORE_S)
    xvfb.kill()
    took_s = app.wait_exit(DISPLAY_LOST_BOUND_S)

    err = app.stderr()
    assert app.proc.returncode == EXIT_DISPLAY_LOST, err
    assert len(_said(err, "the display went away")) == 1, err
    station.wait_for_line(b"STOP")
    stored = _session(app.db_path)
    assert stored["session"].ended_at is not None, "the session was left open"
    assert stored["session"].end_reason is None, "closed by its recorder, not as interrupted"
    assert stored["force"] == station.sent, "every sample sent before STOP's ACK is stored"
    if state == "set":
        (manual,) = stored["sets"]
        assert manual.t_end_us is not None, "the open set was closed"
    _assert_port_free(station.path)
    print(f"display lost ({state}): exited in {took_s:.2f} s")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_saves_the_session_and_frees_the_port(xvfb, station, launch, sig):
    app = launch(xvfb.display, "set", "--port", station.path)
    app.wait_ready()
    app.wait_stored(SAMPLES_BEFORE_S)
    app.proc.send_signal(sig)
    took_s = app.wait_exit(SIGNAL_BOUND_S)

    err = app.stderr()
    assert app.proc.returncode == 0, err
    assert len(_said(err, f"{sig.name}: saving the session")) == 1, err
    station.wait_for_line(b"STOP")
    stored = _session(app.db_path)
    assert stored["session"].ended_at is not None
    assert stored["session"].end_reason is None
    assert stored["force"] == station.sent
    _assert_port_free(station.path)
    print(f"{sig.name}: exited in {took_s:.2f} s")


def test_a_second_sigterm_while_closing_exits_at_once_keeping_what_was_saved(
        xvfb, launch, tmp_path):
    # A station that never answers STOP keeps the shutdown waiting (1.5 s).
    station = StreamingDevice(replies={"STOP": b""})
    try:
        app = launch(xvfb.display, "set", "--port", station.path)
        app.wait_ready()
        app.wait_stored(SAMPLES_BEFORE_S)
        saved_before = _stored_force_samples(app.db_path)
        app.proc.send_signal(signal.SIGTERM)
        station.wait_for_line(b"STOP")           # the shutdown has begun
        app.proc.send_signal(signal.SIGTERM)
        took_s = app.wait_exit(1.0)
        err = app.stderr()
        assert app.proc.returncode == 128 + signal.SIGTERM, err
        assert len(_said(err, "SIGTERM again while quitting")) == 1, err
        # What was flushed is kept; the next opening closes the session.
        with Database(app.db_path) as db:
            (session,) = db.list_sessions()
            assert session.end_reason == "interrupted"
            assert len(db.load_force(session.id)) >= saved_before
        _assert_port_free(station.path)
        print(f"second SIGTERM: exited {took_s:.2f} s after it")
    finally:
        station.unplug()


def test_the_display_lost_while_closing_after_sigterm_still_ends_the_session(xvfb, launch):
    """What a logout does: SIGTERM, then the X server goes while the app is
    still closing (the station does not answer STOP: 1.5 s of waiting)."""
    station = StreamingDevice(replies={"STOP": b""})
    try:
        app = launch(xvfb.display, "set", "--port", station.path)
        app.wait_ready()
        app.wait_stored(SAMPLES_BEFORE_S)
        app.proc.send_signal(signal.SIGTERM)
        station.wait_for_line(b"STOP")           # closing
        xvfb.kill()
        app.wait_exit(SIGNAL_BOUND_S)
        err = app.stderr()
        assert app.proc.returncode == 0, err      # SIGTERM's ending, finished in time
        assert len(_said(err, "saving the session")) == 1, err
        stored = _session(app.db_path)
        assert stored["session"].ended_at is not None
        assert stored["session"].end_reason is None
        assert stored["force"] >= SAMPLES_BEFORE_S
        _assert_port_free(station.path)
    finally:
        station.unplug()


def test_simulated_station_display_lost_then_the_next_start_records_again(xvfb, launch):
    """Issue 16's "done when": ``backstation --simulate`` under an X server
    killed mid-set, then a second ``backstation --simulate`` right after."""
    first = launch(xvfb.display, "set", "--simulate")
    first.wait_ready()
    first.wait_stored(SAMPLES_BEFORE_S)
    xvfb.kill()
    first.wait_exit(DISPLAY_LOST_BOUND_S)
    assert first.proc.returncode == EXIT_DISPLAY_LOST, first.stderr()
    stored = _session(first.db_path)
    assert stored["session"].ended_at is not None and stored["session"].end_reason is None
    assert stored["force"] >= SAMPLES_BEFORE_S

    second = launch(None, "idle", "--simulate")
    second.wait_ready()
    second.wait_stored(1)
    second.proc.send_signal(signal.SIGTERM)
    second.wait_exit(SIGNAL_BOUND_S)
    assert second.proc.returncode == 0, second.stderr()
    assert "busy" not in second.stderr()


# -- suspend and resume: the USB serial device goes away and comes back ------------------

SUSPEND_S = 30.0        # of host time, jumped (a suspended process sees no time pass)
RATE_HZ = 80


@pytest.mark.parametrize("rebooted", [True, False])
def test_after_a_suspend_the_app_reconnects_to_the_same_station_and_counts_the_gap(
        qtbot, tmp_path, rebooted):
    """As a laptop's suspend does it: the tty vanishes under the open link and
    a station with the same id comes back; the host's wall clock has jumped
    30 s. An Uno comes back rebooted (opening the port resets it); a board
    that kept its power carries on with its seq and clock."""
    from backstation.link import DeviceLink, LinkState
    from backstation.ui.acquisition import AcquisitionController

    from .pty_station import WAIT_S, Usb

    usb = Usb()
    jumped = [0.0]

    def link_factory(url: str) -> DeviceLink:
        return DeviceLink(url, opener=usb.open, port_lister=lambda: [], hello_timeout_s=0.1,
                          info_timeout_s=WAIT_S, reconnect_interval_s=0.05,
                          clock=lambda: time.time() + jumped[0])

    before = usb.plug(StreamingDevice())
    controller = AcquisitionController(tmp_path / "s.db", link_factory=link_factory)
    after = None
    try:
        with qtbot.waitSignal(controller.connected, timeout=WAIT_S * 1000):
            controller.connect_to("fake://usb")
        qtbot.waitUntil(lambda: controller.link.stats.force_samples >= RATE_HZ,
                        timeout=WAIT_S * 1000)
        with qtbot.waitSignal(controller.link_lost, timeout=WAIT_S * 1000):
            before.unplug()                         # suspended: the tty is gone
        jumped[0] += SUSPEND_S
        after = StreamingDevice(greets_on_open=rebooted)
        if not rebooted:                            # it ran on while nobody read
            after.f_seq = before.f_seq + int(SUSPEND_S * RATE_HZ)
            after.t_us = before.t_us + int(SUSPEND_S * 1e6)
        resumed_at_seq = after.f_seq
        usb.plug(after)                             # resumed: the same station again
        qtbot.waitUntil(lambda: controller.state is LinkState.STREAMING
                        and controller.link.stats.force_samples >= before.sent + RATE_HZ // 2,
                        timeout=WAIT_S * 1000)
        session_id = controller.session.session_id
        stats = controller.link.stats
        assert controller.link.device_id == before.device_id
        assert stats.reconnects == 1
        assert stats.reboots == (1 if rebooted else 0)
        gap = int(SUSPEND_S * RATE_HZ)
        if rebooted:     # measured by the host's clock: 30 s plus the reconnect
            assert gap - 1 <= stats.lost_force <= gap + 2 * RATE_HZ
        else:            # counted from seq, exactly
            assert stats.lost_force == gap
    finally:
        controller.close()
        for device in (before, after):
            if device is not None:
                device.unplug()
    with Database(tmp_path / "s.db", read_only=True) as db:
        session = db.get_session(session_id)
        stored = len(db.load_force(session_id))
    assert session.ended_at is not None and session.reconnects == 1
    assert session.lost_force == stats.lost_force
    assert stored == before.sent + after.sent - resumed_at_seq


# -- the watchdog on its own (in-process, no exit) ------------------------------------------


class Exits:
    def __init__(self):
        self.codes: list[int] = []
        self.changed = threading.Condition()

    def __call__(self, code: int) -> None:
        with self.changed:
            self.codes.append(code)
            self.changed.notify_all()

    def wait(self, timeout_s: float) -> list[int]:
        with self.changed:
            self.changed.wait_for(lambda: self.codes, timeout_s)
            return list(self.codes)


def test_a_shutdown_past_its_bound_is_cut_short():
    exits = Exits()
    ending = AppEnding(lambda: None, bound_s=0.2, hard_exit=exits)
    ending.start()              # install() would take the test process's signals too
    try:
        started = time.monotonic()
        assert ending.begin("closed", quiet=True)
        assert exits.wait(5.0) == [EXIT_SHUTDOWN_OVERRAN]
        assert 0.2 <= time.monotonic() - started < 2.0
    finally:
        ending.stop()


def test_the_display_hanging_up_begins_the_ending_and_asks_the_window_to_close():
    exits = Exits()
    closes = threading.Event()
    ours, servers = socket_pair()
    ending = AppEnding(closes.set, display_fd=ours.fileno(), bound_s=SHUTDOWN_BOUND_S,
                       hard_exit=exits)
    ending.start()
    try:
        servers.close()                         # the X server is gone
        assert closes.wait(5.0)
        assert ending.reason == "the display went away" and ending.code == EXIT_DISPLAY_LOST
        assert exits.codes == []                # the bound has not passed
    finally:
        ending.stop()
        ours.close()


def socket_pair():
    import socket
    return socket.socketpair()
