"""One device's stream: decoded sentences become sample blocks on the
session's time axis, with the loss and error counters the user sees.

Plain Python, single-threaded: the link's reader thread owns one
``DeviceStream`` and is the only caller.

Time axis. ``t_device_us`` continues the device's ``micros()`` across its
32-bit wrap. When the device reboots mid-session (USB power lost and back, a
watchdog reset), its clock and sequence counters restart; the session time
then continues from the last sample plus the gap measured by the host's
clock, and the samples the gap should have held are counted as lost.
A reboot is recognised by a HELLO the host did not ask for, by a HELLO that
or by samples whose sequence number and time disagree with everything
before them (time ran backwards while seq did not carry on).

The rule for surprising sentences (docs/protocol.md §6, "Surprising
sentences"), applied here and nowhere else:

- A HELLO with the adopted station's device_id, protocol and force channel
  count is that station: a reboot if unasked for, a reply if asked for.
  Another id, protocol or channel count is another station (``judge_hello``):
  from that sentence on nothing from this port is taken (``refused``), what
  was taken before is kept, and the link says so.
- A CAL for a channel the HELLO did not announce, an F with another channel
  count than the HELLO's, a sample whose time does not move forward while its
  seq carries on (a repeated or earlier ``t_us``), or whose time is further
  ahead than the host's clock allows (``MAX_AHEAD_S`` past what the host saw
  pass) is *rejected*: counted (``rejected``, part of ``malformed``), never
  stored, and it never moves the time axis. Numbers off the contract never get
  this far: the decoder counts them as malformed.
- ``STRAY_RUN`` rejected samples in a row that agree with each other are
  believed: the device's clock really jumped, and the axis carries on by the
  host's clock as after a reboot, so no stray can lock a stream out.
"""


from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..samples import DistanceBlock, ForceBlock
from .clock import ClockUnwrapper, SequenceTracker
from .decoder import FORCE_ROW, StreamDecoder
from .sentences import (
    SEQ_MODULO, T_US_MODULO, Cal, DistanceSample, ForceSample, Hello, Sentence,
)

DEFAULT_DISTANCE_PERIOD_US = 50_000.0
# A sample may be dated this much further ahead of the one before it than the
# host's clock saw pass between their reads (reads batch, so a little slack).
MAX_AHEAD_S = 5.0
# Consecutive rejected samples that agree with each other: then they are right.
STRAY_RUN = 3
# A seq step this small with time not moving forward is the same boot (a
# rebooted device starts again from seq 0).
_SAME_BOOT_SEQ_STEP = 3

# Why a sentence was rejected (``DeviceStream.rejected`` keys).
REJECT_CAL_CHANNEL = "cal_channel"        # CAL for a channel HELLO did not announce
REJECT_CHANNELS = "force_channels"        # F with another channel count than HELLO's
REJECT_TIME = "time"                      # repeated, earlier or far-future t_us


def judge_hello(adopted: Hello | None, hello: Hello) -> str | None:
    """``None`` when ``hello`` is the adopted station's (same device_id, protocol
    and force channel count); otherwise why it is another station, in words."""
    if adopted is None:
        return None
    if hello.device_id != adopted.device_id:
        return f"device id {hello.device_id}, not {adopted.device_id}"
    if hello.protocol != adopted.protocol:
        return f"protocol {hello.protocol}, not {adopted.protocol}"
    if hello.force_channels != adopted.force_channels:
        return f"{hello.force_channels} force channels, not {adopted.force_channels}"
    return None


@dataclass
class StreamStats:
    """The counters of docs/design.md §6 ``stream``, plus a few the UI shows."""

    force_samples: int = 0
    distance_samples: int = 0
    crc_errors: int = 0
    malformed: int = 0
    overlong: int = 0
    lost_force: int = 0
    lost_distance: int = 0
    reconnects: int = 0
    reboots: int = 0
    # Sentences with a good CRC refused by the stream (docs/protocol.md §6):
    # already counted in ``malformed``; the split is kept for the curious.
    rejected: int = 0

    @property
    def lost_samples(self) -> int:
        return self.lost_force + self.lost_distance


@dataclass
class PeriodEstimator:
    """The measured sample period of one sentence type. It follows the
    device's real clock (an HX711 at "80 SPS" runs at 80.4 or 86), slowly,
    so that one late sample cannot move it."""

    period_us: float
    _last_t_us: int | None = None

    def update(self, t_device_us: int, consecutive: bool = False) -> None:
        """``consecutive``: seq says no sample came between, so the step is one
        period however far it is from the nominal one (a HELLO rate that lies)."""
        if self._last_t_us is not None:
            step = t_device_us - self._last_t_us
            if 0 < step < (1_000_000 if consecutive else 4 * self.period_us):
                self.period_us += 0.05 * (step - self.period_us)
        self._last_t_us = t_device_us

    def restart(self) -> None:
        self._last_t_us = None


@dataclass
class _Continuity:
    """Where one sentence type (F or D) of the current boot stands: its last
    accepted (seq, raw t_us, t_host_s), and the run of rejected ones."""

    last: tuple[int, int, float] | None = None
    stray: tuple[int, int] | None = None
    stray_run: int = 0

    def reset(self) -> None:
        self.last = None
        self.stray = None
        self.stray_run = 0


_OK, _REBOOT, _STRAY = "ok", "reboot", "stray"


@dataclass
class DeviceStream:
    decoder: StreamDecoder = field(default_factory=StreamDecoder)
    hello: Hello | None = None
    calibration: dict[int, Cal] = field(default_factory=dict)
    reconnects: int = 0
    reboots: int = 0
    # Why the station on this port was refused (``judge_hello``), or None:
    # while set, nothing more from the port is taken.
    refused: str | None = None
    rejected: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._clock = ClockUnwrapper()
        self._force_seq = SequenceTracker()
        self._distance_seq = SequenceTracker(expected_step_us=DEFAULT_DISTANCE_PERIOD_US)
        self._offset_us = 0
        self._last_t_session_us: int | None = None
        self._last_t_host_s: float | None = None
        self._force_track = _Continuity()
        self._distance_track = _Continuity()
        self._restart_pending = False
        self._info_pending = False
        self._force_period: PeriodEstimator | None = None  # known from HELLO
        self._distance_period = PeriodEstimator(DEFAULT_DISTANCE_PERIOD_US)
        self._clear_rows()

    # -- what the link tells us -------------------------------------------------

    def info_requested(self) -> None:
        """The host sent INFO: the next HELLO is a reply, not a reboot."""
        self._info_pending = True

    def port_reopened(self) -> None:
        """The port came back; the device may or may not have rebooted (its
        samples tell: seq and time carry on, or they start again)."""
        self.reconnects += 1
        self.refused = None
        self.decoder.reset()

    # -- bytes in -----------------------------------------------------------------

    def feed(self, data: bytes, t_host_s: float) -> list[Sentence]:
        """Decode ``data``; keep the samples, return every other sentence.

        After a HELLO from another station (``refused`` set) the rest is dropped
        and that HELLO is the last sentence returned."""
        control: list[Sentence] = []
        if self.refused is not None:
            return control
        for sentence in self.decoder.feed_rows(data):
            kind = type(sentence)
            if kind is tuple:
                # The decoder's fast path: (FORCE_ROW | DISTANCE_ROW, seq, t_us, values).
                if sentence[0] == FORCE_ROW:
                    self._force(sentence[1], sentence[2], sentence[3], t_host_s)
                else:
                    self._distance(sentence[1], sentence[2], sentence[3], t_host_s)
            elif kind is ForceSample:
                self._force(sentence.seq, sentence.t_us, sentence.raw, t_host_s)
            elif kind is DistanceSample:
                self._distance(sentence.seq, sentence.t_us, sentence.gap_mm, t_host_s)
            else:
                if kind is Hello:
                    self._hello(sentence)
                    if self.refused is not None:
                        control.append(sentence)
                        break
                elif kind is Cal:
                    if self.hello is not None and sentence.channel >= self.hello.force_channels:
                        self._reject(REJECT_CAL_CHANNEL)
                        continue
                    self.calibration[sentence.channel] = sentence
                control.append(sentence)
        return control

    def take_blocks(self) -> tuple[ForceBlock, DistanceBlock]:
        """The samples decoded since the last call, as column blocks."""
        channels = self.hello.force_channels if self.hello else (
            len(self._f_raw[0]) if self._f_raw else 2)
        force = ForceBlock.from_rows(self._f_seq, self._f_t, self._f_raw, self._f_host, channels)
        distance = DistanceBlock.from_rows(self._d_seq, self._d_t, self._d_gap, self._d_host)
        self._clear_rows()
        return force, distance

    @property
    def stats(self) -> StreamStats:
        c = self.decoder.counters
        rejected = sum(self.rejected.values())
        return StreamStats(
            force_samples=self._force_seq.received, distance_samples=self._distance_seq.received,
            crc_errors=c.crc_errors, malformed=c.malformed + rejected, overlong=c.overlong,
            lost_force=self._force_seq.lost, lost_distance=self._distance_seq.lost,
            reconnects=self.reconnects, reboots=self.reboots, rejected=rejected)

    @property
    def last_t_device_us(self) -> int | None:
        return self._last_t_session_us

    # -- internals ----------------------------------------------------------------

    def _clear_rows(self) -> None:
        self._f_seq: list[int] = []
        self._f_t: list[int] = []
        self._f_raw: list[tuple[int, ...]] = []
        self._f_host: list[float] = []
        self._d_seq: list[int] = []
        self._d_t: list[int] = []
        self._d_gap: list[int] = []
        self._d_host: list[float] = []

    def _reject(self, why: str) -> None:
        self.rejected[why] += 1

    def _hello(self, hello: Hello) -> None:
        solicited = self._info_pending
        self._info_pending = False
        why = judge_hello(self.hello, hello)
        if why is not None:
            self.refused = why
            return
        # A HELLO asked for by INFO is a reply, even right after a reopen: a
        # device that did reboot then shows it by its samples (seq and time
        # start again), one that did not must not cost a phantom reboot.
        if self._last_t_session_us is not None and not solicited:
            self._device_restarted()
        self.hello = hello
        self.decoder.force_channels = hello.force_channels
        nominal_us = 1e6 / hello.force_rate_hz
        if self._force_period is None or abs(self._force_period.period_us / nominal_us - 1) > 0.25:
            self._force_period = PeriodEstimator(nominal_us)
        self._force_seq.expected_step_us = self._force_period.period_us

    def _device_restarted(self) -> None:
        if not self._restart_pending:
            self.reboots += 1
        self._restart_pending = True

    def _session_time(self, t_us: int, t_host_s: float) -> int:
        if self._restart_pending:
            self._begin_new_boot(t_us, t_host_s)
        return self._offset_us + self._clock.unwrap(t_us)

    def _begin_new_boot(self, t_us: int, t_host_s: float) -> None:
        """First sample after a reboot: continue the time axis by the host's clock."""
        self._restart_pending = False
        self._clock.reset()
        self._force_seq.reset()
        self._distance_seq.reset()
        self._force_track.reset()
        self._distance_track.reset()
        self._distance_period.restart()
        if self._force_period is not None:
            self._force_period.restart()
        last_us = self._last_t_session_us or 0
        gap_us = max(0.0, (t_host_s - (self._last_t_host_s or t_host_s)) * 1e6)
        self._offset_us = last_us + int(gap_us) - t_us
        if self._force_period is not None:
            self._force_seq.lost += max(0, round(gap_us / self._force_period.period_us) - 1)
        if self._distance_seq.received:
            # Only a device that sent distance samples can have lost some.
            self._distance_seq.lost += max(0, round(gap_us / self._distance_period.period_us) - 1)

    def _continuity(self, track: _Continuity, seq: int, t_us: int, t_host_s: float,
                    step_us: float | None, check_rate: bool) -> str:
        """``_OK``, ``_REBOOT`` or ``_STRAY`` for one sample against the last of its type."""
        if track.last is None or self._restart_pending:
            return _OK
        last_seq, last_t_us, last_host_s = track.last
        dseq = (seq - last_seq) % SEQ_MODULO
        if dseq == 1 and 0 < (t_us - last_t_us) % T_US_MODULO < 1_000_000:
            track.stray, track.stray_run = None, 0
            return _OK   # the common case, decided early: the next sample, on time
        dt_us = (t_us - last_t_us + T_US_MODULO // 2) % T_US_MODULO - T_US_MODULO // 2
        if dt_us <= 0:
            # Time stood still or ran backwards. A reboot restarts seq from 0;
            # seq carrying on (or a repeat) means this one sentence is wrong.
            verdict = _STRAY if dt_us == 0 or dseq <= _SAME_BOOT_SEQ_STEP else _REBOOT
        elif dt_us > (max(0.0, t_host_s - last_host_s) + MAX_AHEAD_S) * 1e6:
            verdict = _STRAY
        elif dseq == 1 or not check_rate or not step_us:
            verdict = _OK
        else:
            expected = dt_us / step_us
            diff = (dseq - expected + SEQ_MODULO / 2) % SEQ_MODULO - SEQ_MODULO / 2
            verdict = _REBOOT if abs(diff) > 3 + 0.15 * expected else _OK
        if verdict != _STRAY:
            track.stray, track.stray_run = None, 0
            return verdict
        stray = track.stray
        if stray is not None and (seq - stray[0]) % SEQ_MODULO == 1 and 0 < (
                t_us - stray[1]) % T_US_MODULO < 1_000_000:
            track.stray_run += 1
        else:
            track.stray_run = 1
        track.stray = (seq, t_us)
        if track.stray_run >= STRAY_RUN:
            track.stray, track.stray_run = None, 0
            return _REBOOT   # they agree with each other: the clock really jumped
        return _STRAY

    def _force(self, seq: int, t_us: int, raw: tuple[int, ...], t_host_s: float) -> None:
        channels = self.hello.force_channels if self.hello is not None else (
            len(self._f_raw[0]) if self._f_raw else len(raw))
        if len(raw) != channels:
            self._reject(REJECT_CHANNELS)
            return
        t = self._admit(self._force_track, seq, t_us, t_host_s, self._force_seq,
                        self._force_period, check_rate=True)
        if t is None:
            return
        self._f_seq.append(seq)
        self._f_t.append(t)
        self._f_raw.append(raw)
        self._f_host.append(t_host_s)

    def _distance(self, seq: int, t_us: int, gap_mm: int, t_host_s: float) -> None:
        t = self._admit(self._distance_track, seq, t_us, t_host_s, self._distance_seq,
                        self._distance_period, check_rate=False)
        if t is None:
            return
        self._d_seq.append(seq)
        self._d_t.append(t)
        self._d_gap.append(gap_mm)
        self._d_host.append(t_host_s)

    def _admit(self, track: _Continuity, seq: int, t_us: int, t_host_s: float,
               counter: SequenceTracker, period: PeriodEstimator | None, *,
               check_rate: bool) -> int | None:
        """One sample of a stream (force or distance) on its time line: its
        session time, or None if it was refused (counted). Time running
        backwards with seq not carrying on is the device restarting, even on
        a D that came before any F could tell (unwrapping it would misplace it
        by minutes)."""
        verdict = self._continuity(track, seq, t_us, t_host_s,
                                   counter.expected_step_us if check_rate else None,
                                   check_rate=check_rate)
        if verdict == _STRAY:
            self._reject(REJECT_TIME)
            return None
        if verdict == _REBOOT:
            self._device_restarted()
        consecutive = track.last is not None and (seq - track.last[0]) % SEQ_MODULO == 1
        t = self._session_time(t_us, t_host_s)
        if period is not None:
            period.update(t, consecutive)
            counter.expected_step_us = period.period_us
        counter.update(seq, t)
        track.last = (seq, t_us, t_host_s)
        self._mark(t, t_host_s)
        return t

    def _mark(self, t: int, t_host_s: float) -> None:
        if self._last_t_session_us is None or t > self._last_t_session_us:
            self._last_t_session_us = t
        self._last_t_host_s = t_host_s
