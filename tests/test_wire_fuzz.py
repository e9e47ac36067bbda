"""A fuzz test over link + stream + session (issue 10): a station of the
test's own on a real pty (``os.openpty``, sentences framed with
``binascii.crc_hqx``, tests/pty_station.py) streams while hypothesis mixes in line faults
(garbage, truncated frames, bad CRCs), surprising sentences (another
station's HELLO, a CAL for channel 3, a sample dated back), stalls and
storage faults: another ``sqlite3`` connection holding the database's write
lock (``BEGIN IMMEDIATE``, benchmarks/soak.py's ``hold_write_lock``) past a
short busy timeout while samples keep coming, then letting go. The session
writes through ``PatientWriter`` (the recorder's policy: keep the buffer,
retry with back-off), flushed on every step as the recorder does; its clock
is the test's own, moved a quarter second a step (and to the next retry
while the lock is held), so flushes and retries fall where the ops put them.

Invariants, against the device's own tally: nothing raises and no error
reaches the user as "could not be handled" or "reader stopped"; every valid
sample the device sent after adoption is stored exactly once, in order, with
its raw values and time; crc_errors, malformed, lost samples, reboots and
reconnects are exactly what the device's faults cost by docs/protocol.md §2,
§6 and §7; each held lock is said once as "Saving failed" and once as
"Saving works again". Bounded: a dozen examples, about 10 s in all.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from backstation.link import DeviceLink, LinkState
from backstation.session import LiveSession, SessionOptions
from backstation.storage import Database
from backstation.storage.patient import SAVING_WORKS_AGAIN, PatientWriter
from backstation.storage.writer import retry_interval_s
from tests.pty_station import WAIT_S, PtyDevice, Usb, frame, hello

STALL_AFTER_S = 0.3
BUSY_TIMEOUT_S = 0.05         # the writer's busy timeout: a held lock fails a flush fast
LOCK_HOLD_S = 0.15            # each hold: longer than the busy timeout
STEP_S = 0.25                 # the writer's clock per step: a flush every fourth step
PERIOD_US = 12_500
# Noise bytes: anything but '$' (a frame start) and line ends, never all blank.
NOISE = bytes(b for b in range(1, 256) if b not in b"$\r\n")


class CountingPtyDevice(PtyDevice):
    """The same pty station, counting the lines it was sent."""

    def count(self, word: bytes) -> int:
        with self.changed:
            return sum(line.startswith(word) for line in self.lines)


@dataclass
class Tally:
    """What the device sent, as the host must count it."""

    valid: list[tuple[int, int, tuple[int, int]]] = field(default_factory=list)
    crc_errors: int = 0
    malformed: int = 0
    lost_force: int = 0
    reconnects: int = 0
    stalls: int = 0
    lock_holds: int = 0


class StepClock:
    """The writer's clock: moved by the test, never by the wall."""

    def __init__(self):
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


class Station:
    """The fuzzing device's state: next seq and time; makes each op's bytes."""

    def __init__(self, device: CountingPtyDevice, rng: random.Random):
        self.device, self.rng, self.tally = device, rng, Tally()
        self.seq, self.t_us = 0, 5_000_000

    def _take(self) -> tuple[int, int]:
        seq, t_us = self.seq % 65536, self.t_us
        self.seq += 1
        self.t_us += PERIOD_US
        return seq, t_us

    def sample(self) -> bytes:
        seq, t_us = self._take()
        raw = (self.rng.randint(-8388608, 8388607), self.rng.randint(-8388608, 8388607))
        self.tally.valid.append((seq, t_us, raw))
        return frame(f"F,{seq},{t_us},{raw[0]},{raw[1]}")

    def lost_sample(self, good_crc: bool = True, t_us: int | None = None) -> bytes:
        """A sample the host must not store: its seq is spent, so it counts as lost."""
        seq, t = self._take()
        self.tally.lost_force += 1
        return frame(f"F,{seq},{t if t_us is None else t_us},1,2", good_crc)

    def op(self, kind: str, arg: int) -> bytes:
        tally = self.tally
        if kind == "samples":
            return b"".join(self.sample() for _ in range(arg))
        # Every fault is followed by one valid sample, so it ends where the
        # protocol says it ends (a noise run at a '$', a cut frame at the next '$').
        if kind == "garbage":
            tally.malformed += 1
            noise = bytes(self.rng.choice(NOISE) for _ in range(arg))
            return noise + self.sample()
        if kind == "bad_crc":
            tally.crc_errors += 1
            return self.lost_sample(good_crc=False) + self.sample()
        if kind == "truncated":
            tally.malformed += 1
            whole = self.lost_sample()
            cut = 1 + arg % (len(whole) - 3)           # never the whole "*XXXX"
            return whole[:cut] + self.sample()
        if kind == "cal3":
            tally.malformed += 1                       # rejected: a channel not announced
            return frame(f"CAL,3,{arg},1.0000") + self.sample()
        if kind == "off_time":
            tally.malformed += 1                       # rejected: dated back, seq carried on
            return self.lost_sample(t_us=self.t_us - PERIOD_US * (1 + arg)) + self.sample()
        raise AssertionError(kind)


OPS = st.one_of(
    st.tuples(st.just("samples"), st.integers(1, 120)),
    st.tuples(st.just("garbage"), st.integers(1, 100)),
    st.tuples(st.just("bad_crc"), st.just(0)),
    st.tuples(st.just("truncated"), st.integers(0, 60)),
    st.tuples(st.just("cal3"), st.integers(-5, 5)),
    st.tuples(st.just("off_time"), st.integers(1, 800)),
    st.tuples(st.just("stall"), st.just(0)),
    st.tuples(st.just("lock"), st.integers(1, 4)),
    st.tuples(st.just("foreign_hello"), st.sampled_from(["DEADBEEF", "channels", "protocol"])),
)


def _bounded(ops: list) -> list:
    """At most two stalls, two foreign HELLOs and two held locks (each costs
    ~0.3 s of real time)."""
    kept, slow = [], {"stall": 0, "foreign_hello": 0, "lock": 0}
    for op in ops:
        if op[0] in slow:
            slow[op[0]] += 1
            if slow[op[0]] > 2:
                continue
        kept.append(op)
    return kept


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=30), seed=st.integers(0, 2 ** 32 - 1))
def test_a_hostile_mix_stores_every_valid_sample_once_and_counts_every_fault(tmp_path_factory,
                                                                             ops, seed):
    # Here, not at the top: benchmarks/soak.py imports this module.
    from benchmarks.soak import hold_write_lock

    ops = _bounded(ops)
    usb = Usb()
    device = usb.plug(CountingPtyDevice())
    db_path = tmp_path_factory.mktemp("fuzz") / "s.db"
    db = Database(db_path, busy_timeout_s=BUSY_TIMEOUT_S)
    clock = StepClock()
    link = DeviceLink("fake://usb", opener=usb.open, port_lister=lambda: [],
                      hello_timeout_s=0.1, info_timeout_s=WAIT_S, reconnect_interval_s=0.05,
                      stall_after_s=STALL_AFTER_S)
    said: list[str] = []

    def saying(start: str) -> int:
        return sum(m.startswith(start) for m in list(said))

    def step() -> None:
        clock.now_s += STEP_S
        session.step()
        writer.flush_when_due()            # StorageError only past the bound: never here

    try:
        link.open()
        # The final flush is not retried (wait says stop): it must find the lock free.
        session = LiveSession(db, link, SessionOptions(), on_message=said.append,
                              writer_factory=lambda db, sid: PatientWriter(
                                  db, sid, on_failing=said.append, on_saved=said.append,
                                  clock=clock, wait=lambda s: True))
        writer = session.writer
        link.start()
        station = Station(device, random.Random(seed))
        device.write(station.op("samples", 5))
        for kind, arg in ops:
            if kind == "lock":
                failed, recovered = saying("Saving failed"), saying(SAVING_WORKS_AGAIN)
                holder = threading.Thread(
                    target=hold_write_lock, name="fuzz-lock",
                    args=(db_path, LOCK_HOLD_S, lambda: saying("Saving failed") > failed))
                holder.start()
                # Samples keep coming while the lock is held and after; every
                # step's flush is due (the clock moves to the next retry), until
                # the lock was felt, let go, and a retry saved everything.
                deadline = time.monotonic() + WAIT_S
                while holder.is_alive() or saying(SAVING_WORKS_AGAIN) == recovered:
                    assert time.monotonic() < deadline, "the held lock was never felt or let go"
                    device.write(station.op("samples", arg))
                    clock.now_s += retry_interval_s(writer.failures)
                    step()
                holder.join()
                station.tally.lock_holds += 1
                continue
            if kind == "stall":
                infos, starts = device.count(b"INFO"), device.count(b"START")
                device.wait_for_line(b"INFO", infos + 1)      # the link asks again...
                device.wait_for_line(b"START", starts + 1)
                station.tally.stalls += 1
                device.write(station.op("samples", 3))        # ...and the station answers
            elif kind == "foreign_hello":
                starts = device.count(b"START")
                other = {"DEADBEEF": dict(device_id="DEADBEEF"), "channels": dict(channels=4),
                         "protocol": dict(protocol=2)}[arg]
                device.write(hello(**other))
                device.wait_for_line(b"START", starts + 1)    # refused, then ours adopted again
                assert link.wait_for_state(LinkState.STREAMING, WAIT_S)
                station.tally.reconnects += 1
                device.write(station.op("samples", 3))
            else:
                device.write(station.op(kind, arg))
            step()
        device.write(station.op("samples", 5))
        result = session.finish()                              # STOP: all before its ACK is read
        stored = db.load_force(session.session_id)
    finally:
        link.close()
        device.unplug()
        db.close()

    tally = station.tally
    problems = [m for m in said if "could not be handled" in m or "reader stopped" in m]
    assert not problems
    assert stored.seq.tolist() == [s for s, _, _ in tally.valid]
    assert stored.t_device_us.tolist() == [t for _, t, _ in tally.valid]
    assert stored.raw.tolist() == [list(r) for _, _, r in tally.valid]
    stream = result["stream"]
    assert stream["force_samples"] == len(tally.valid)
    assert (stream["crc_errors"], stream["malformed"], stream["overlong"]) == (
        tally.crc_errors, tally.malformed, 0)
    assert (stream["lost_force"], stream["lost_distance"]) == (tally.lost_force, 0)
    assert (stream["reboots"], stream["reconnects"]) == (0, tally.reconnects)
    assert stream["stalls"] == tally.stalls
    assert sum("No data from the station" in m for m in said) == tally.stalls
    assert sum("another station" in m for m in said) == tally.reconnects
    assert saying("Saving failed") == saying(SAVING_WORKS_AGAIN) == tally.lock_holds
    assert link.state is LinkState.CLOSED
    assert not np.any(np.diff(stored.t_device_us) <= 0)
