"""Port recognition and error mapping: pure functions over fakes."""

from __future__ import annotations

import errno
from types import SimpleNamespace

import serial

from backstation.link import (
    LinkError, PermissionDenied, PortBusy, PortInfo, PortNotFound, find_ports, map_serial_error,
)
from backstation.link.candidates import ReconnectCandidates
from backstation.link.errors import (
    CommandFailed, NoHello, UnsupportedProtocol, WrongDevice,
)


def record(device, vid=None, pid=None, description="n/a", serial_number=None):
    return SimpleNamespace(device=device, vid=vid, pid=pid, description=description,
                           serial_number=serial_number)


def test_arduino_uno_and_nano_clone_are_recognised_with_labels():
    ports = find_ports([record("/dev/ttyACM0", 0x2341, 0x0043, "Arduino Uno"),
                        record("/dev/ttyUSB0", 0x1A86, 0x7523, "USB2.0-Serial")])
    labels = {p.device: p.label for p in ports}
    assert labels == {"/dev/ttyACM0": "Arduino Uno",
                      "/dev/ttyUSB0": "CH340 USB-serial (Nano clone)"}
    assert all(p.likely_station for p in ports)
    assert ports[0].usb_id == "2341:0043"


def test_every_listed_bridge_counts_as_a_likely_station():
    ids = [(0x2341, 0x0001), (0x2341, 0x0243), (0x2341, 0x0058), (0x2A03, 0x0043),
           (0x1A86, 0x5523), (0x0403, 0x6001), (0x0403, 0x6015), (0x10C4, 0xEA60),
           (0x067B, 0x2303)]
    ports = find_ports([record(f"/dev/ttyUSB{i}", vid, pid) for i, (vid, pid) in enumerate(ids)])
    assert [p.likely_station for p in ports] == [True] * len(ids)
    assert "Nano Every" in next(p.label for p in ports if p.pid == 0x0058)


def test_unknown_arduino_pid_is_likely_and_says_its_usb_id():
    (port,) = find_ports([record("COM7", 0x2341, 0x1234)])
    assert port.likely_station
    assert "2341:1234" in port.label


def test_builtin_uart_and_unknown_usb_device_are_listed_but_not_likely():
    ports = find_ports([record("/dev/ttyS0"),
                        record("/dev/ttyACM3", 0x1234, 0x5678, "Some modem")])
    assert [(p.device, p.label, p.likely_station) for p in ports] == [
        ("/dev/ttyACM3", "Some modem", False), ("/dev/ttyS0", "/dev/ttyS0", False)]


def test_likely_stations_sort_first_genuine_before_clones_and_numbers_naturally():
    ports = find_ports([record("/dev/ttyS0"),
                        record("/dev/ttyUSB10", 0x1A86, 0x7523),
                        record("/dev/ttyUSB2", 0x1A86, 0x7523),
                        record("/dev/ttyACM1", 0x2341, 0x0043)])
    assert [p.device for p in ports] == ["/dev/ttyACM1", "/dev/ttyUSB2", "/dev/ttyUSB10",
                                         "/dev/ttyS0"]


def posix_open_error(code, port="/dev/ttyACM0"):
    """What pyserial's POSIX open() raises: SerialException(errno, text)."""
    return serial.SerialException(code, f"could not open port {port}: [Errno {code}] ...")


def test_missing_port_names_the_port_and_the_ports_that_exist():
    for code in (errno.ENOENT, errno.ENODEV):
        error = map_serial_error(posix_open_error(code), "/dev/ttyACM0",
                                 ["/dev/ttyACM1", "/dev/ttyS0"], platform="linux")
        assert isinstance(error, PortNotFound)
        assert "/dev/ttyACM0" in str(error) and "/dev/ttyACM1, /dev/ttyS0" in str(error)


def test_permission_error_gives_the_dialout_hint():
    for code in (errno.EACCES, errno.EPERM):
        error = map_serial_error(posix_open_error(code), "/dev/ttyACM0", platform="linux")
        assert isinstance(error, PermissionDenied)
        assert "sudo usermod -aG dialout $USER" in str(error)
        assert "log out" in str(error)


def test_busy_and_locked_ports_name_the_usual_suspects():
    locked = serial.SerialException(
        errno.EAGAIN, "Could not exclusively lock port /dev/ttyACM0: [Errno 11] ...")
    for exc in (posix_open_error(errno.EBUSY), locked):
        error = map_serial_error(exc, "/dev/ttyACM0", platform="linux")
        assert isinstance(error, PortBusy)
        assert "Arduino IDE serial monitor" in str(error)
        assert "Back Station" in str(error)


def test_windows_access_denied_means_busy_and_file_not_found_means_missing():
    denied = serial.SerialException(
        "could not open port 'COM3': PermissionError(13, 'Access is denied.', None, 5)")
    missing = serial.SerialException(
        "could not open port 'COM9': FileNotFoundError(2, 'The system cannot find the file "
        "specified.', None, 2)")
    assert isinstance(map_serial_error(denied, "COM3", platform="win32"), PortBusy)
    assert isinstance(map_serial_error(missing, "COM9", platform="win32"), PortNotFound)


def test_unknown_failure_is_still_a_link_error_with_the_port():
    error = map_serial_error(OSError(errno.EIO, "Input/output error"), "/dev/ttyUSB0",
                             platform="linux")
    assert type(error) is LinkError
    assert "/dev/ttyUSB0" in str(error)


def test_messages_say_what_to_do():
    assert str(NoHello("/dev/ttyACM0", 250000, 3.0)) == (
        "no HELLO from /dev/ttyACM0 within 3 s at 250000 baud: wrong baud rate, "
        "or not a Back Station")
    assert "speaks protocol 2, this app speaks 1: update the app" in str(
        UnsupportedProtocol("/dev/ttyACM0", 2))
    assert "update the firmware" in str(UnsupportedProtocol("/dev/ttyACM0", 0))
    wrong = str(WrongDevice("/dev/ttyACM0", "0000BEEF", "DEADBEEF"))
    assert "0000BEEF" in wrong and "DEADBEEF" in wrong and "not adopted" in wrong
    failed = CommandFailed("TARE", "unstable")
    assert failed.reason == "unstable" and "hold the bar still" in str(failed)


# -- where the link looks for a station that went away ------------------------------


class Clock:
    def __init__(self):
        self.now_s = 100.0

    def __call__(self):
        return self.now_s


def test_reconnect_tries_the_given_port_then_the_last_then_other_likely_stations():
    listed = [PortInfo("/dev/ttyUSB0", "CH340", True), PortInfo("/dev/ttyS0", "ttyS0", False),
              PortInfo("/dev/ttyACM0", "Arduino Uno", True)]
    candidates = ReconnectCandidates("/dev/ttyACM0", lambda: listed, retry_s=10.0,
                                     path_exists=lambda p: True)
    assert candidates.ports(last_port="/dev/ttyACM1") == [
        "/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyUSB0"]


def test_urls_are_never_enumerated():
    candidates = ReconnectCandidates("sim://?scenario=unplug", lambda: 1 / 0, retry_s=10.0)
    assert candidates.ports(last_port="sim://?scenario=unplug") == ["sim://?scenario=unplug"]


def test_a_foreign_board_is_left_alone_until_it_vanishes_or_the_retry_time_passes():
    present = {"/dev/ttyUSB0": True}
    listed = [PortInfo("/dev/ttyUSB0", "CH340", True)]
    clock = Clock()
    candidates = ReconnectCandidates("/dev/ttyACM0", lambda: listed, retry_s=10.0,
                                     monotonic=clock, path_exists=lambda p: present.get(p, False))
    candidates.avoid("/dev/ttyUSB0")
    assert candidates.ports("/dev/ttyACM0") == ["/dev/ttyACM0"]
    listed.clear()
    present["/dev/ttyUSB0"] = False           # unplugged ...
    candidates.ports("/dev/ttyACM0")
    listed.append(PortInfo("/dev/ttyUSB0", "CH340", True))
    present["/dev/ttyUSB0"] = True            # ... and back: worth a look again
    assert candidates.ports("/dev/ttyACM0") == ["/dev/ttyACM0", "/dev/ttyUSB0"]
    candidates.avoid("/dev/ttyUSB0")
    clock.now_s += 10.0
    assert candidates.ports("/dev/ttyACM0") == ["/dev/ttyACM0", "/dev/ttyUSB0"]
