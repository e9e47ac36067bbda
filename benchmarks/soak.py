"""Soak: 30 minutes (device time) of a hostile station through the real recorder.

A station of the fuzz test's own (tests/test_wire_fuzz.py's ``Station`` on
``CountingPtyDevice``, a real pty, sentences framed with ``binascii.crc_hqx``)
streams two force channels at 80 Hz and at 1 kHz into ``record``'s
``Recorder`` (``DeviceLink`` + ``LiveSession`` + ``PatientWriter`` on a real
SQLite file), while the injector mixes in:

- line faults every ~2 s of device time: garbage, bad CRCs, truncated frames,
  samples dated back, CALs for channel 3 and HELLOs refused for their content
  (rate 99999);
- reboots (HELLO unasked for, seq and clock start again after 1.5 s down);
- another station's HELLO (another id, 4 channels, protocol 2): refused, ours
  re-adopted;
- the database write lock held for 20 s (real time) twice by another
  ``sqlite3`` connection (``BEGIN IMMEDIATE``), longer than the busy timeout;
- a stall (the station silent past the link's stall time; its clock runs on).

The device runs faster than real time, as fast as the host reads the pty
(the pty's buffer holds it back), except while the write lock is held: then
in real time, so the samples held in memory are a real hold's. The host's clock for sample times is the
device's wall clock (``VirtualClock``), so what the host measures across a
reboot (docs/protocol.md §7) is the injector's own figure and every counter
can be checked exactly. Ends by checking: every valid sample stored once, in
order (seq and raw values, by digest), the time axis increasing, crc_errors,
malformed, lost, reboots, reconnects and stalls exactly the injector's tally,
the session ended normally, and resident memory flat within 10 MB (sampled
every 0.5 s; printed beside a baseline run without faults in the same process).

Usage: ``python benchmarks/soak.py [--minutes 30] [--rates 80,1000]``.
A benchmark, not a CI test; tests/test_soak_short.py runs a few seconds of it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import sqlite3
import struct
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from backstation.link import DeviceLink, LinkState  # noqa: E402
from backstation.record import Recorder, RecordOptions  # noqa: E402
from backstation.storage import Database  # noqa: E402
from tests.pty_station import ID, Usb, frame, hello  # noqa: E402
from tests.test_wire_fuzz import CountingPtyDevice, Station  # noqa: E402

WAIT_S = 120.0
STALL_AFTER_S = 2.0           # the link's stall time (the app's): under 2 s of a
                              # starved injector is no stall
STALL_DEVICE_S = 3.0          # how long the station is silent, device time
REBOOT_DOWN_S = 1.5           # a reboot's silence, device time (a bootloader's)
FAULT_EVERY_S = 2.0           # one line fault per this much device time
BATCH_S = 0.25                # device time written per batch


class VirtualClock:
    """The host's clock for sample times: the station's wall clock, moved by
    the injector; read by the link's reader thread."""

    def __init__(self):
        self.base_s = float(int(time.time()))
        self.wall_us = 0

    def __call__(self) -> float:
        return self.base_s + self.wall_us / 1e6


class SoakDevice(CountingPtyDevice):
    """The fuzz test's pty station, announcing its real rate."""

    def __init__(self, rate_hz: int):
        self.rate_hz = rate_hz
        super().__init__()

    def greeting(self) -> bytes:
        return frame(f"HELLO,1,soak-1,{ID},2,{self.rate_hz},hcsr04") + b"".join(
            frame(f"CAL,{ch},0,100.0000") for ch in range(2))


class SampleDigest:
    """Stands in for the fuzz tally's list of valid samples: a count and a
    digest of (seq, raw) instead of 1.8 million tuples in memory."""

    def __init__(self):
        self.count = 0
        self._hash = hashlib.blake2b(digest_size=16)

    def append(self, item) -> None:
        seq, _t_us, raw = item
        self._hash.update(struct.pack("<Hii", seq, *raw))
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def stored_digest(seq: np.ndarray, raw: np.ndarray) -> str:
    rows = np.empty(len(seq), dtype=[("seq", "<u2"), ("r0", "<i4"), ("r1", "<i4")])
    rows["seq"], rows["r0"], rows["r1"] = seq, raw[:, 0], raw[:, 1]
    return hashlib.blake2b(rows.tobytes(), digest_size=16).hexdigest()


class SoakStation(Station):
    """The fuzz test's station at any rate, with a wall clock and reboots."""

    def __init__(self, device, rng, period_us: int, clock: VirtualClock):
        super().__init__(device, rng)
        self.period_us = period_us
        self.clock = clock
        self.tally.valid = SampleDigest()
        self._boot_wall_us = 0
        self._boot_t_us = self.t_us
        self.reboots = 0
        self.refused_hellos = 0

    def _take(self) -> tuple[int, int]:
        seq, t_us = self.seq % 65536, self.t_us
        self.seq += 1
        self.t_us += self.period_us
        return seq, t_us

    def wall_us(self) -> int:
        """The wall time of the next sample."""
        return self._boot_wall_us + self.t_us - self._boot_t_us

    def reboot(self, down_us: int) -> None:
        self._boot_wall_us = self.wall_us() - self.period_us + down_us
        self.seq, self.t_us = 0, 2_000_000
        self._boot_t_us = self.t_us
        self.reboots += 1
        # The host measures the silence by its clock (docs/protocol.md §7).
        self.tally.lost_force += round(down_us / self.period_us) - 1

    def refused_hello(self) -> bytes:
        self.tally.malformed += 1
        self.refused_hellos += 1
        return frame(f"HELLO,1,soak-1,{ID},2,99999,hcsr04") + self.sample()


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


@dataclass
class Soak:
    rate_hz: int
    device_s: float
    faults: bool = True
    lock_holds: int = 2
    lock_hold_s: float = 20.0
    busy_timeout_s: float = 5.0
    stall_after_s: float = STALL_AFTER_S
    seed: int = 1
    messages: list[str] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)   # (device s, MB)

    def run(self) -> dict:
        folder = Path(tempfile.mkdtemp(prefix="soak-"))
        clock = VirtualClock()
        usb = Usb()
        device = usb.plug(SoakDevice(self.rate_hz))
        period_us = round(1e6 / self.rate_hz)
        station = SoakStation(device, random.Random(self.seed), period_us, clock)
        db = Database(folder / "soak.db", busy_timeout_s=self.busy_timeout_s)

        def link_factory(port, **kw):
            return DeviceLink(port, opener=usb.open, clock=clock, port_lister=lambda: [],
                              hello_timeout_s=0.1, info_timeout_s=WAIT_S,
                              reconnect_interval_s=0.05, stall_after_s=self.stall_after_s, **kw)

        recorder = Recorder(db, RecordOptions(port="fake://usb"), link_factory=link_factory,
                            on_message=self.messages.append)
        stop, done = threading.Event(), threading.Event()
        outcome: dict = {}

        def record() -> None:
            try:
                outcome["result"] = recorder.run(stop)
            except BaseException as exc:       # noqa: BLE001 - reported below
                outcome["error"] = exc
            done.set()

        sampling = threading.Event()

        def sample_rss() -> None:
            while not sampling.wait(0.5):
                self.rss.append((clock.wall_us / 1e6, rss_mb()))

        runner = threading.Thread(target=record, name="soak-recorder")
        sampler = threading.Thread(target=sample_rss, name="soak-rss")
        holders: list[threading.Thread] = []
        started = time.monotonic()
        runner.start()
        sampler.start()
        try:
            device.wait_for_line(b"START")
            link = self._wait_for(lambda: recorder.session and recorder.session.link)
            self._stream(station, device, link, folder / "soak.db", holders, period_us)
            self._consumed(station, link)
            stop.set()
            runner.join(WAIT_S)
            for holder in holders:
                holder.join(WAIT_S)
        finally:
            stop.set()
            sampling.set()
            sampler.join()
            runner.join(WAIT_S)
            device.unplug()
        elapsed_s = time.monotonic() - started
        if "error" in outcome:
            raise outcome["error"]
        result = outcome["result"]
        stored = db.load_force(result["session_id"])
        (info,) = [s for s in db.list_sessions() if s.id == result["session_id"]]
        db.close()
        return self._check(station, result, stored, info, elapsed_s)

    # -- the hostile mix ------------------------------------------------------

    def _stream(self, station, device, link, db_path, holders, period_us) -> None:
        rng = random.Random(self.seed + 1)
        total_us = int(self.device_s * 1e6)
        per_batch = max(1, round(BATCH_S * 1e6 / period_us))
        plan = self._plan(total_us) if self.faults else []
        next_fault_us = FAULT_EVERY_S * 1e6
        faults = ["garbage", "bad_crc", "truncated", "off_time", "cal3", "refused_hello"]
        while station.wall_us() < total_us:
            while plan and plan[0][0] <= station.wall_us():
                _, kind = plan.pop(0)
                if kind == "reboot":
                    # The host's loss estimate follows its period estimate,
                    # which a lost sample nudges: some clean samples first.
                    self._write(station, device, station.op("samples", 400))
                    self._consumed(station, link)
                    station.reboot(int(REBOOT_DOWN_S * 1e6))
                    self._write(station, device, device.greeting() + station.op("samples", 1),
                                wall_us=station.wall_us() - period_us)
                    self._consumed(station, link)
                elif kind == "stall":
                    self._consumed(station, link)
                    infos, starts = device.count(b"INFO"), device.count(b"START")
                    device.wait_for_line(b"INFO", infos + 1)     # the link asks again...
                    device.wait_for_line(b"START", starts + 1)
                    station.tally.stalls += 1
                    station.t_us += int(STALL_DEVICE_S * 1e6)    # its clock ran on
                    self._write(station, device, station.op("samples", 3))
                elif kind.startswith("hello:"):
                    self._consumed(station, link)
                    other = {"DEADBEEF": dict(device_id="DEADBEEF"), "channels": dict(channels=4),
                             "protocol": dict(protocol=2)}[kind[6:]]
                    reconnects = link.stats.reconnects
                    device.write(hello(**other))
                    self._wait_for(lambda: link.stats.reconnects > reconnects)  # ours again
                    if not link.wait_for_state(LinkState.STREAMING, WAIT_S):
                        raise AssertionError("ours was not adopted again")
                    station.tally.reconnects += 1
                    self._write(station, device, station.op("samples", 3))
                elif kind == "lock":
                    failed_before = self._saving_failed_said()
                    holder = threading.Thread(
                        target=hold_write_lock, name="soak-lock",
                        args=(db_path, self.lock_hold_s,
                              lambda: self._saving_failed_said() > failed_before))
                    holder.start()
                    holders.append(holder)
            if self.faults and station.wall_us() >= next_fault_us:
                next_fault_us += FAULT_EVERY_S * 1e6
                kind = rng.choice(faults)
                data = (station.refused_hello() if kind == "refused_hello"
                        else station.op(kind, rng.randint(1, 60)))
                self._write(station, device, data)
            self._write(station, device, station.op("samples", per_batch))
            if any(holder.is_alive() for holder in holders):
                self._real_time(station)
            else:
                self._paced_from = None

    _paced_from: tuple[float, int] | None = None

    def _saving_failed_said(self) -> int:
        return sum(m.startswith("Saving failed") for m in list(self.messages))

    def _real_time(self, station) -> None:
        """While the write lock is held, the device runs in real time, so
        the samples held in memory are what a real 20 s hold costs (running
        30x faster would hold 10 min of samples, the bound itself)."""
        now = time.monotonic()
        if self._paced_from is None:
            self._paced_from = (now, station.wall_us())
        start_s, start_us = self._paced_from
        ahead_s = (station.wall_us() - start_us) / 1e6 - (now - start_s)
        if ahead_s > 0:
            time.sleep(ahead_s)

    def _plan(self, total_us: int) -> list[tuple[float, str]]:
        at = {0.10: "reboot", 0.15: "hello:DEADBEEF", 0.20: "lock", 0.35: "reboot",
              0.45: "hello:channels", 0.50: "stall", 0.60: "reboot", 0.65: "lock",
              0.75: "hello:protocol", 0.85: "reboot"}
        plan = [(f * total_us, kind) for f, kind in sorted(at.items())
                if kind != "lock" or self.lock_holds]
        locks = [p for p in plan if p[1] == "lock"][self.lock_holds:]
        return [p for p in plan if p not in locks]

    def _write(self, station, device, data: bytes, wall_us: int | None = None) -> None:
        """Set the host's clock to the newest sample's wall time, then write:
        whatever the host reads of ``data`` it reads at that time or later."""
        station.clock.wall_us = station.wall_us() - station.period_us if wall_us is None \
            else wall_us
        device.write(data)

    def _consumed(self, station, link) -> None:
        """Until the host has taken every valid sample written so far."""
        try:
            self._wait_for(lambda: link.stats.force_samples >= len(station.tally.valid))
        except AssertionError:
            raise AssertionError(f"soak: the host took {link.stats} of "
                                 f"{len(station.tally.valid)} valid samples") from None

    @staticmethod
    def _wait_for(condition):
        deadline = time.monotonic() + WAIT_S
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("soak: gave up waiting")
            time.sleep(0.002)     # a benchmark's poll, not a test's

    # -- the verdict ------------------------------------------------------------

    def _check(self, station, result, stored, info, elapsed_s) -> dict:
        tally = station.tally
        stream = result["stream"]
        problems = []

        def expect(name, got, want):
            if got != want:
                problems.append(f"{name}: {got}, expected {want}")

        expect("stored samples", len(stored), tally.valid.count)
        expect("stored digest", stored_digest(stored.seq, stored.raw), tally.valid.hexdigest())
        expect("time axis increasing", bool(np.all(np.diff(stored.t_device_us) > 0)), True)
        expect("force_samples", stream["force_samples"], tally.valid.count)
        expect("crc_errors", stream["crc_errors"], tally.crc_errors)
        expect("malformed", stream["malformed"], tally.malformed)
        expect("overlong", stream["overlong"], 0)
        expect("lost_force", stream["lost_force"], tally.lost_force)
        expect("lost_distance", stream["lost_distance"], 0)
        expect("reboots", stream["reboots"], station.reboots)
        expect("reconnects", stream["reconnects"], tally.reconnects)
        expect("stalls", stream["stalls"], tally.stalls)
        expect("session ended", info.ended_at is not None and info.end_reason is None, True)
        expect("stored count on the session row", info.force_samples, len(stored))
        bad = [m for m in self.messages if "could not be handled" in m or "reader stopped" in m]
        expect("reader errors", bad, [])
        failing = self._saving_failed_said()
        again = sum(m.startswith("Saving works again") for m in self.messages)
        if self.faults and self.lock_holds:
            expect("saving failed / works again said", (failing, again),
                   (self.lock_holds, self.lock_holds))
        mb = [m for _, m in self.rss]
        tenth = max(1, len(mb) // 10)
        settled = mb[tenth] if len(mb) > tenth else mb[0] if mb else 0.0
        figures = dict(
            rate_hz=self.rate_hz, device_s=self.device_s, faults=self.faults,
            elapsed_s=elapsed_s, speedup=self.device_s / elapsed_s,
            samples=tally.valid.count, crc_errors=tally.crc_errors, malformed=tally.malformed,
            lost_force=tally.lost_force, reboots=station.reboots,
            reconnects=tally.reconnects, stalls=tally.stalls,
            rss_start_mb=mb[0] if mb else 0.0, rss_settled_mb=settled,
            rss_peak_mb=max(mb, default=0.0), rss_end_mb=mb[-1] if mb else 0.0,
            rss_growth_mb=(mb[-1] - settled) if mb else 0.0, problems=problems)
        if abs(figures["rss_growth_mb"]) > 10.0:
            problems.append(f"resident memory grew {figures['rss_growth_mb']:.1f} MB "
                            "from 10 % of the run to its end")
        return figures


LOCK_FELT_MAX_S = 10.0        # a held lock waits at most this long more for the recorder to feel it


def hold_write_lock(path: Path, seconds: float, felt=lambda: True) -> None:
    """Hold the database's write lock for ``seconds``, and on until the
    recorder has felt it (``felt()``: it said saving failed), at most
    LOCK_FELT_MAX_S more: a short hold can fall between two saves."""
    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        other.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)          # the fault itself: a lock held this long
        deadline = time.monotonic() + LOCK_FELT_MAX_S
        while not felt() and time.monotonic() < deadline:
            time.sleep(0.05)         # waiting on the recorder's own message, not a guess
        other.execute("ROLLBACK")
    finally:
        other.close()


def describe(f: dict) -> str:
    return (f"{f['rate_hz']:>5} Hz {'faults  ' if f['faults'] else 'baseline'} "
            f"{f['device_s'] / 60:5.1f} min device time in {f['elapsed_s']:6.1f} s "
            f"({f['speedup']:5.1f}x)  samples {f['samples']:>8}  crc {f['crc_errors']:>4}  "
            f"malformed {f['malformed']:>4}  lost {f['lost_force']:>5}  reboots {f['reboots']}  "
            f"reconnects {f['reconnects']}  stalls {f['stalls']}  RSS MB start "
            f"{f['rss_start_mb']:.1f} at 10 % {f['rss_settled_mb']:.1f} peak "
            f"{f['rss_peak_mb']:.1f} end {f['rss_end_mb']:.1f} (growth "
            f"{f['rss_growth_mb']:+.1f})  {'OK' if not f['problems'] else f['problems']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="device time per run")
    parser.add_argument("--rates", default="80,1000", help="force rates in Hz, comma-separated")
    parser.add_argument("--lock-hold", type=float, default=20.0, help="seconds per lock hold")
    args = parser.parse_args(argv)
    print(f"{platform.node()} {platform.processor() or platform.machine()} "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}", flush=True)
    failed = False
    for rate in (int(r) for r in args.rates.split(",")):
        for faults in (False, True):
            figures = Soak(rate, args.minutes * 60, faults=faults,
                           lock_hold_s=args.lock_hold).run()
            print(describe(figures), flush=True)
            failed |= bool(figures["problems"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
