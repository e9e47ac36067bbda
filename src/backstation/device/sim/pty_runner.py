"""The simulated station on a pseudo-terminal, for hosts that open a real port.

``PtyRunner`` owns one thread: it makes a pty (raw mode), points a stable
symlink at its slave (``<tmpdir>/ttyBS0`` unless told otherwise) and loops
every few ms, writing the station's output at wall clock x speed and feeding
it the host's bytes. Opening the slave is a DTR reset: the runner sees the
master's POLLHUP go away and reboots the device. The scenario clock starts
at the host's first open. An unplug closes the pty and removes the symlink
for the gap; then a new pty appears behind the same path and the device has
rebooted.

``run_pty`` is the blocking form (stops on SIGINT/SIGTERM or ``stop_event``)
and ``main_sim`` the command line (``backstation sim``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import select
import signal
import sys
import tempfile
import threading
import time
import tty

from ...protocol.sentences import check_force_rate_hz
from .bench import parse_hang
from .scenarios import DEFAULT_SCENARIO, all_scenarios, describe_scenarios
from .station import SimulatedStation

LOOP_S = 0.004
JOIN_TIMEOUT_S = 2.0
MAX_PENDING_BYTES = 1 << 20


class PtyRunner:
    def __init__(self, scenario: str = DEFAULT_SCENARIO, seed: int = 0, speed: float = 1.0,
                 link_path: str | None = None, **station_kwargs):
        self.station = SimulatedStation(scenario, seed, **station_kwargs)
        self.speed = float(speed)
        self._own_dir = None
        if link_path is None:
            self._own_dir = tempfile.mkdtemp(prefix="backstation-sim-")
            link_path = os.path.join(self._own_dir, "ttyBS0")
        self.path = link_path
        self.stop_event = threading.Event()
        self.ready = threading.Event()      # the symlink exists
        self.host_opens = 0
        self.tx_dropped_bytes = 0
        self._master: int | None = None
        self._host_open = False
        self._wall0: float | None = None
        self._pending = bytearray()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._plug_changed = threading.Condition()
        self.plugged = False                # the symlink points at a live pty
        self.replugs = 0
        self.plug_error: OSError | None = None

    # ----- lifecycle --------------------------------------------------------
    def start(self) -> str:
        """Run in a thread this object owns; returns the port path once it
        exists, or raises the OSError that kept it from being made."""
        self._thread = threading.Thread(target=self.run, name="sim-pty", daemon=True)
        self._thread.start()
        self.ready.wait(JOIN_TIMEOUT_S)
        if self.plug_error is not None:
            self._thread.join(JOIN_TIMEOUT_S)
            raise self.plug_error
        return self.path

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)

    def run(self) -> None:
        try:
            try:
                self._plug()
            except OSError as exc:          # the link's folder is missing or not writable
                self.plug_error = exc
                return
            finally:
                self.ready.set()
            while not self.stop_event.is_set():
                self._step()
        finally:
            self._unplug()
            if self._own_dir:
                try:
                    os.rmdir(self._own_dir)
                except OSError:
                    pass

    def wait_plugged(self, plugged: bool, timeout: float) -> bool:
        """Wait until the port is there (True) or gone (False)."""
        with self._plug_changed:
            return self._plug_changed.wait_for(lambda: self.plugged == plugged, timeout)

    def _set_plugged(self, plugged: bool) -> None:
        with self._plug_changed:
            if plugged and not self.plugged and self.ready.is_set():
                self.replugs += 1
            self.plugged = plugged
            self._plug_changed.notify_all()

    def now_s(self) -> float:
        return 0.0 if self._wall0 is None else (time.monotonic() - self._wall0) * self.speed

    def summary(self) -> dict:
        with self._lock:
            return {"port": self.path, "speed": self.speed, "host_opens": self.host_opens,
                    "replugs": self.replugs,
                    "tx_dropped_bytes": self.tx_dropped_bytes, **self.station.summary()}

    # ----- the pty ----------------------------------------------------------
    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        target = os.ttyname(slave)
        os.close(slave)   # from now on, POLLHUP on the master means nobody has it open
        os.set_blocking(master, False)
        self._master = master
        self._poll = select.poll()
        self._poll.register(master, select.POLLIN | select.POLLHUP)
        tmp = self.path + ".new"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(target, tmp)
        os.replace(tmp, self.path)
        self._host_open = False
        self._set_plugged(True)

    def _unplug(self) -> None:
        if self._master is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self._master)
        self._master = None
        self._host_open = False
        self._pending.clear()
        self._set_plugged(False)

    # ----- one loop turn ----------------------------------------------------
    def _step(self) -> None:
        if self._master is None:
            with self._lock:
                self.station.advance(self.now_s())   # the cable is out: nobody hears it
                back = not self.station.unplugged()
            if back:
                self._plug()
            else:
                self.stop_event.wait(LOOP_S)
            return
        events = self._poll.poll(0 if not self._host_open else LOOP_S * 1000)
        revents = events[0][1] if events else 0
        hung_up = bool(revents & select.POLLHUP)
        if not hung_up and not self._host_open:
            self._on_host_opened()
        elif hung_up and self._host_open:
            self._host_open = False
            self._pending.clear()
        host_bytes = self._read_host() if revents & select.POLLIN and not hung_up else b""
        with self._lock:
            out = self.station.advance(self.now_s())
            if host_bytes:
                self.station.receive(host_bytes)
            unplugged = self.station.unplugged()
        if self._host_open:
            self._write_host(out)
        if unplugged:
            self._unplug()
        elif hung_up or self._wall0 is None:
            self.stop_event.wait(LOOP_S)

    def _on_host_opened(self) -> None:
        self._host_open = True
        self.host_opens += 1
        with self._lock:
            if self._wall0 is None:   # the first open powers the board up: it boots at t=0
                self._wall0 = time.monotonic()
                return
            self.station.advance(self.now_s())   # written to a closed port: lost
            self.station.reset()

    def _read_host(self) -> bytes:
        try:
            return os.read(self._master, 4096)
        except (BlockingIOError, OSError):
            return b""

    def _write_host(self, out: bytes) -> None:
        self._pending += out
        if len(self._pending) > MAX_PENDING_BYTES:
            drop = len(self._pending) - MAX_PENDING_BYTES
            self.tx_dropped_bytes += drop
            del self._pending[:drop]
        while self._pending:
            try:
                n = os.write(self._master, self._pending)
            except (BlockingIOError, OSError):
                return
            del self._pending[:n]


def run_pty(scenario: str = DEFAULT_SCENARIO, seed: int = 0, speed: float = 1.0, *,
            link_path: str | None = None, summary_path: str | None = None,
            stop_event: threading.Event | None = None, duration_s: float | None = None,
            out=sys.stdout, **station_kwargs) -> dict:
    """Serve the station on a pty until SIGINT/SIGTERM, ``stop_event`` or
    ``duration_s`` (wall seconds); print the port path first and return the
    summary (also written as JSON to ``summary_path``, '-' for ``out``)."""
    runner = PtyRunner(scenario, seed, speed, link_path, **station_kwargs)
    if stop_event is not None:
        runner.stop_event = stop_event
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: runner.stop_event.set())
    try:
        print(runner.start(), file=out, flush=True)
        runner.stop_event.wait(duration_s)
        runner.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    summary = runner.summary()
    if summary_path == "-":
        json.dump(summary, out, indent=1)
        print(file=out, flush=True)
    elif summary_path:
        with open(summary_path, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)
    return summary


def _positive(text: str) -> float:
    """An argparse type: a positive, finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def _device_id(text: str) -> str:
    if re.fullmatch(r"[0-9A-Fa-f]{8}", text) is None:
        raise argparse.ArgumentTypeError(f"must be 8 hex digits, not {text!r}")
    return text.upper()


def _hang(text: str) -> dict[int, float]:
    try:
        return parse_hang(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _unusable_path(option: str, path: str | None, *, link: bool) -> str | None:
    """Why ``path`` cannot be the port's link (or the summary), or None.
    The link is replaced on every plug: never over a file that is not one."""
    if not path or path == "-":
        return None
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"{option}: no folder {folder}"
    if link and os.path.lexists(path) and not os.path.islink(path):
        return f"{option}: {path} exists and is not a link: name a new path"
    return None


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, choices=all_scenarios(),
                        metavar="NAME", help="what the station does (--list names them)")
    parser.add_argument("--seed", type=int, default=0,
                        help="the random seed: the same seed, the same session")
    parser.add_argument("--speed", type=_positive, default=1.0,
                        help="scenario seconds per wall-clock second")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--summary", metavar="FILE",
                        help="write a JSON summary (ground truth, tallies) on exit; - for stdout")
    parser.add_argument("--link", metavar="PATH", help="port symlink path (default: a temp dir)")
    parser.add_argument("--device-id", type=_device_id,
                        help="8 hex digits (default: from the seed)")
    parser.add_argument("--swap", action="store_true",
                        help="a different board comes back after an unplug")
    parser.add_argument("--duration", type=_positive,
                        help="stop after this many wall seconds (default: until Ctrl-C)")
    parser.add_argument("--force-rate", type=int, metavar="HZ",
                        help="HX711 rate at boot, overriding the RATE pin (e.g. 1000)")
    parser.add_argument("--distance-rate", type=_positive, metavar="HZ",
                        help="HC-SR04 cycle rate (default ~20)")
    parser.add_argument("--hang", type=_hang, metavar="SIDE:MASS",
                        help="known masses on the hooks from boot, e.g. left:20kg or "
                             "left:20kg,right:500g (as sim://…&hang=)")


def main_sim(args: argparse.Namespace | list[str] | None = None) -> int:
    """``backstation sim``: takes a Namespace from ``add_sim_arguments`` or argv."""
    if not isinstance(args, argparse.Namespace):
        parser = argparse.ArgumentParser(prog="backstation sim")
        add_sim_arguments(parser)
        args = parser.parse_args(args)
    if args.list:
        for name, text in describe_scenarios().items():
            print(f"{name:12s} {text}")
        return 0
    extra = {"device_id": args.device_id} if args.device_id else {}
    if getattr(args, "force_rate", None) is not None:
        try:
            extra["force_rate_hz"] = check_force_rate_hz(args.force_rate)
        except ValueError as exc:
            print(f"backstation sim: --force-rate: {exc}", file=sys.stderr)
            return 2
    if getattr(args, "distance_rate", None):
        extra["distance_rate_hz"] = args.distance_rate
    if getattr(args, "hang", None):
        extra["hang"] = args.hang
    for problem in (_unusable_path("--link", args.link, link=True),
                    _unusable_path("--summary", args.summary, link=False)):
        if problem is not None:
            print(f"backstation sim: {problem}", file=sys.stderr)
            return 2
    try:
        run_pty(args.scenario, args.seed, args.speed, link_path=args.link,
                summary_path=args.summary, duration_s=args.duration,
                swap_device=args.swap, **extra)
    except OSError as exc:
        print(f"backstation sim: cannot write {exc.filename or args.link}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main_sim())
