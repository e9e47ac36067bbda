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
arrives after a reconnect before any sample, or by force samples whose
sequence number and time disagree with everything before them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..samples import DistanceBlock, ForceBlock
from .clock import ClockUnwrapper, SequenceTracker
from .decoder import FORCE_ROW, StreamDecoder
from .sentences import (
    SEQ_MODULO, T_US_MODULO, Cal, DistanceSample, ForceSample, Hello, Sentence,
)

DEFAULT_DISTANCE_PERIOD_US = 50_000.0


@dataclass
class StreamStats:
    """The counters of DESIGN §6 ``stream``, plus a few the UI shows."""

    force_samples: int = 0
    distance_samples: int = 0
    crc_errors: int = 0
    malformed: int = 0
    overlong: int = 0
    lost_force: int = 0
    lost_distance: int = 0
    reconnects: int = 0
    reboots: int = 0

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

    def update(self, t_device_us: int) -> None:
        if self._last_t_us is not None:
            step = t_device_us - self._last_t_us
            if 0 < step < 4 * self.period_us:
                self.period_us += 0.05 * (step - self.period_us)
        self._last_t_us = t_device_us

    def restart(self) -> None:
        self._last_t_us = None


@dataclass
class DeviceStream:
    decoder: StreamDecoder = field(default_factory=StreamDecoder)
    hello: Hello | None = None
    calibration: dict[int, Cal] = field(default_factory=dict)
    reconnects: int = 0
    reboots: int = 0

    def __post_init__(self) -> None:
        self._clock = ClockUnwrapper()
        self._force_seq = SequenceTracker()
        self._distance_seq = SequenceTracker(expected_step_us=DEFAULT_DISTANCE_PERIOD_US)
        self._offset_us = 0
        self._last_t_session_us: int | None = None
        self._last_t_host_s: float | None = None
        self._last_force: tuple[int, int] | None = None  # (seq, raw t_us)
        self._restart_pending = False
        self._info_pending = False
        self._reconnected = False
        self._force_period: PeriodEstimator | None = None  # known from HELLO
        self._distance_period = PeriodEstimator(DEFAULT_DISTANCE_PERIOD_US)
        self._last_distance_raw_us: int | None = None
        self._clear_rows()

    # -- what the link tells us -------------------------------------------------

    def info_requested(self) -> None:
        """The host sent INFO: the next HELLO is a reply, not a reboot."""
        self._info_pending = True

    def port_reopened(self) -> None:
        """The port came back; the device may or may not have rebooted."""
        self.reconnects += 1
        self._reconnected = True
        self.decoder.reset()

    # -- bytes in -----------------------------------------------------------------

    def feed(self, data: bytes, t_host_s: float) -> list[Sentence]:
        """Decode ``data``; keep the samples, return every other sentence."""
        control: list[Sentence] = []
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
                elif kind is Cal:
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
        return StreamStats(
            force_samples=self._force_seq.received, distance_samples=self._distance_seq.received,
            crc_errors=c.crc_errors, malformed=c.malformed, overlong=c.overlong,
            lost_force=self._force_seq.lost, lost_distance=self._distance_seq.lost,
            reconnects=self.reconnects, reboots=self.reboots)

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

    def _hello(self, hello: Hello) -> None:
        solicited = self._info_pending
        self._info_pending = False
        had_samples = self._last_t_session_us is not None
        if had_samples and (not solicited or self._reconnected):
            self._device_restarted()
        self.hello = hello
        self.decoder.force_channels = hello.force_channels
        if hello.force_rate_hz > 0:
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
        self._last_force = None
        self._last_distance_raw_us = None
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

    def _force_breaks_continuity(self, seq: int, t_us: int) -> bool:
        """True when seq and time disagree so much that the device must have restarted."""
        if self._last_force is None or not self._force_seq.expected_step_us:
            return False
        last_seq, last_t_us = self._last_force
        dseq = (seq - last_seq) % SEQ_MODULO
        dt_us = (t_us - last_t_us) % T_US_MODULO
        step = self._force_seq.expected_step_us
        if dseq == 1 and dt_us < 4 * step:
            return False
        if dt_us >= T_US_MODULO // 2:
            return True  # time ran backwards
        expected = dt_us / step
        diff = (dseq - expected + SEQ_MODULO / 2) % SEQ_MODULO - SEQ_MODULO / 2
        return abs(diff) > 3 + 0.15 * expected

    def _force(self, seq: int, t_us: int, raw: tuple[int, ...], t_host_s: float) -> None:
        if not self._restart_pending and self._force_breaks_continuity(seq, t_us):
            self._device_restarted()
        t = self._session_time(t_us, t_host_s)
        if self._force_period is not None:
            self._force_period.update(t)
            self._force_seq.expected_step_us = self._force_period.period_us
        self._force_seq.update(seq, t)
        self._last_force = (seq, t_us)
        self._mark(t, t_host_s)
        self._f_seq.append(seq)
        self._f_t.append(t)
        self._f_raw.append(raw)
        self._f_host.append(t_host_s)

    def _distance(self, seq: int, t_us: int, gap_mm: int, t_host_s: float) -> None:
        last_raw_us = self._last_distance_raw_us
        if (not self._restart_pending and last_raw_us is not None
                and (t_us - last_raw_us) % T_US_MODULO >= T_US_MODULO // 2):
            # Time ran backwards: the device restarted and this D came before
            # any F could tell; unwrapping it would misplace it by minutes.
            self._device_restarted()
        self._last_distance_raw_us = t_us
        t = self._session_time(t_us, t_host_s)
        self._distance_period.update(t)
        self._distance_seq.expected_step_us = self._distance_period.period_us
        self._distance_seq.update(seq, t)
        self._mark(t, t_host_s)
        self._d_seq.append(seq)
        self._d_t.append(t)
        self._d_gap.append(gap_mm)
        self._d_host.append(t_host_s)

    def _mark(self, t: int, t_host_s: float) -> None:
        if self._last_t_session_us is None or t > self._last_t_session_us:
            self._last_t_session_us = t
        self._last_t_host_s = t_host_s
        self._reconnected = False
