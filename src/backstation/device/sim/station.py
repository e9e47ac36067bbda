"""The simulated Back Station: the firmware's behaviour on a virtual clock.

No threads and no wall clock: ``advance(until_s)`` runs the device up to that
scenario time and returns every byte it wrote, each written when its sample
was taken; ``receive(data)`` hands it host bytes at the current time.
Transports (``protocol_sim``, ``pty_runner``) map wall-clock time onto it.
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from ...protocol.sentences import (
    ABSENT, ABSENT_RAW, PROTOCOL_VERSION, SEQ_MODULO, T_US_MODULO, Cal, DistanceSample, Err,
    ForceSample, Hello, NO_ECHO_MM, Stat, check_force_rate_hz, encode, force_status_command,
)
from . import hardware as hw
from .artefacts import ArtefactStream
from .bench import Bench
from .commands import CommandHandler
from .faults import FaultInjector
from .model import build_timeline
from .sampling import AdcClock, NormalRows, distance_lines, force_lines
from .scenarios import DEFAULT_SCENARIO, Scenario, make_scenario
from .truth import Truth, build_truth

HELLO_AFTER_BOOT_S = 0.1   # bootloader + setup() before the first byte
INF = math.inf
BULK_MIN_SAMPLES = 6


@dataclass(frozen=True)
class Boot:
    t_s: float            # scenario time of the (re)boot
    boot_offset_us: int   # micros() at that instant
    device_id: str


class SimulatedStation:
    """A seeded, scripted station. See the package docstring for its numbers.

    ``boot_offset_us`` is micros() at every boot (set near 2**32 to exercise
    the wrap); ``swap_device`` makes a different board come back after the
    unplug; ``first_seq`` starts the F/D counters elsewhere (to exercise the
    65535 -> 0 wrap without 14 minutes of samples); ``force_rate_hz``
    overrides the HX711 rate at boot (e.g. 1000, an upgraded ADC, for
    benchmarks; ``None`` keeps the RATE pin's 10 or 80) and
    ``distance_rate_hz`` the HC-SR04 cycle (``None``: 50 ms, ~20 Hz).
    ``hang`` is the known masses (grams by channel) on the hooks from boot;
    ``bench`` (``bench.Bench``) is a person beside the station mid-run: it
    hangs masses, sends the athlete away, has the athlete hold a touch.
    ``reference=True`` never takes the bulk path (``_bulk``): every sample is
    made one at a time by the event loop, the twin the bulk path is tested
    against (tests/test_sim_bulk_differential.py); same bytes, far slower.
    """

    def __init__(self, scenario: str | Scenario = DEFAULT_SCENARIO, seed: int = 0, *,
                 device_id: str | None = None, swap_device: bool = False,
                 boot_offset_us: int = 0, faults_per_s: float | None = None,
                 first_seq: int = 0, force_rate_hz: int | None = None,
                 distance_rate_hz: float | None = None, reference: bool = False,
                 absent_force: tuple[int, ...] = (), eeprom: str | None = None,
                 distance_sensor: str | None = None, hang: dict[int, float] | None = None):
        self.reference = reference
        # Bench faults of the firmware's health report (docs/protocol.md §3):
        # HX711s that are not there, from boot; ``unplug_load_cell`` for one mid-run.
        if any(not 0 <= ch < 2 for ch in absent_force):
            raise ValueError(f"absent_force {absent_force!r}: channels are 0 and 1")
        self.absent_force: frozenset[int] = frozenset(absent_force)
        # "blank" or "corrupt": no valid calibration record (ERR,EEPROM,… until a store)
        if eeprom not in (None, "blank", "corrupt"):
            raise ValueError(f"eeprom {eeprom!r}: blank or corrupt")
        self.eeprom_state = eeprom
        # The protocol's range: a rate its HELLO may not say would be refused by the host.
        self.force_rate_hz = (None if force_rate_hz is None
                              else check_force_rate_hz(int(force_rate_hz)))
        if distance_rate_hz is not None and not 0 < distance_rate_hz <= 1000:
            raise ValueError(f"distance_rate_hz {distance_rate_hz} outside (0, 1000]")
        self.scenario = scenario if isinstance(scenario, Scenario) else make_scenario(scenario, seed)
        if distance_sensor is not None:   # a bench fault: "none", no sensor answers
            self.scenario = dataclasses.replace(self.scenario, distance_sensor=distance_sensor)
        self.seed = int(seed)
        sensor_period_s = self.scenario.distance_period_s or hw.DISTANCE_PERIOD_BY_SENSOR_S.get(
            self.scenario.distance_sensor, hw.DISTANCE_PERIOD_S)
        self._distance_period_s = (sensor_period_s if distance_rate_hz is None
                                   else 1.0 / float(distance_rate_hz))
        self.timeline, self._windows = build_timeline(
            self.scenario.athlete, list(self.scenario.sets), self.scenario.lead_s,
            self.scenario.tail_s)
        adc_ss, dist_ss, fault_ss, sway_ss = np.random.SeedSequence([self.seed, 0x57]).spawn(4)
        self._adc_draws = NormalRows(np.random.default_rng(adc_ss))
        self._dist_rng = np.random.default_rng(dist_ss)
        self._sway_phases = np.random.default_rng(sway_ss).uniform(0, 2 * np.pi, 3)
        # Its own stream, made only when asked for: the tidy scenarios' draws never move.
        self.artefacts = None if self.scenario.artefacts is None else ArtefactStream(
            self.scenario.artefacts, np.random.default_rng(np.random.SeedSequence([self.seed, 0xA7])))
        self.identities = [hw.DeviceIdentity.from_seed(self.seed, device_id)]
        if swap_device:
            self.identities.append(hw.DeviceIdentity.from_seed(self.seed + 7919))
        self._eeprom: dict[str, list[Cal]] = {}
        self.boot_offset_us = int(boot_offset_us) % T_US_MODULO
        self.first_seq = int(first_seq) % SEQ_MODULO
        rate = self.scenario.faults_per_s if faults_per_s is None else faults_per_s
        self.faults = FaultInjector(np.random.default_rng(fault_ss), rate, self._fault_windows())
        self.bench = Bench(self.scenario.athlete, self.timeline, lambda: self.now_s, hang)
        self.external_load_n = self.bench.external_load_n   # a test may set a hook's load
        self.boots: list[Boot] = []
        self.now_s = 0.0
        self._out = bytearray()
        self._truth: Truth | None = None
        self.commands = CommandHandler(self)
        self._powered = False
        self._boot()

    # ----- public API -------------------------------------------------------
    @property
    def identity(self) -> hw.DeviceIdentity:
        swapped = len(self.identities) > 1 and self.scenario.unplug_at_s is not None \
            and self.now_s >= self.scenario.unplug_at_s
        return self.identities[-1] if swapped else self.identities[0]

    @property
    def device_id(self) -> str:
        return self.identity.device_id

    @property
    def calibration(self) -> list[Cal]:
        ident = self.identity
        return self._eeprom.setdefault(ident.device_id, list(ident.eeprom_cal))

    @property
    def streaming(self) -> bool:
        return self._streaming

    @property
    def truth(self) -> Truth:
        if self._truth is None:
            self._truth = build_truth(self.scenario.name, self.seed, self.timeline,
                                      self._windows, self._default_rate_hz(), self.unplug_window)
        return self._truth

    @property
    def unplug_window(self) -> tuple[float, float] | None:
        at = self.scenario.unplug_at_s
        return None if at is None else (at, at + self.scenario.unplug_for_s)

    @property
    def scenario_ended(self) -> bool:
        """The scenario's script has run out: nobody comes to the bar any more
        (the station streams an empty bar until it is restarted)."""
        return self.now_s >= self.timeline.end_s

    def unplugged(self, t_s: float | None = None) -> bool:
        w = self.unplug_window
        t = self.now_s if t_s is None else t_s
        return w is not None and w[0] <= t < w[1]

    def device_us(self, t_s: float) -> int:
        """micros() the device showed (or will show) at scenario time ``t_s``."""
        boot = next((b for b in reversed(self.boots) if b.t_s <= t_s), self.boots[0])
        return (boot.boot_offset_us + round((t_s - boot.t_s) * 1e6)) % T_US_MODULO

    def advance(self, until_s: float) -> bytes:
        """Run the device up to scenario time ``until_s``; return what it wrote.

        Samples come in bulk (``_bulk``) up to the next event that needs the
        one-at-a-time path: HELLO, the cable going out or back, a reboot, the
        sample that ends a TARE/CAL."""
        while True:
            self._bulk(until_s)
            t, handler = self._next_event()
            if t > until_s:
                break
            self.now_s = max(self.now_s, t)
            handler()
        self.now_s = max(self.now_s, until_s)
        out = bytes(self._out)
        self._out.clear()
        return out

    def receive(self, data: bytes) -> None:
        """Host bytes arriving at the current time (``advance`` first)."""
        if self._powered and self.now_s >= self._listening_s:
            self.commands.feed(data)

    def reset(self) -> None:
        """DTR pulse (the host opened the port): the board reboots now."""
        if self._powered and self.boots and self.boots[-1].t_s == self.now_s:
            return
        if not self.unplugged():
            self._boot()

    def summary(self) -> dict:
        return {"scenario": self.scenario.name, "seed": self.seed,
                "device_ids": [i.device_id for i in self.identities],
                "boots": [b.__dict__ for b in self.boots], "now_s": self.now_s,
                **self.faults.summary(),
                **({} if self.artefacts is None else {"artefacts": dict(self.artefacts.counts)}),
                "truth": self.truth.to_dict()}

    def _fault_windows(self) -> list[tuple[float, float]]:
        """Faults start after the lead-in and stop a second before the end or an unplug."""
        start, end = self.scenario.lead_s, self.timeline.end_s - 1.0
        w = self.unplug_window
        if w is None:
            return [(start, end)]
        return [(start, w[0] - 1.0), (w[1] + 2.0, end)]

    # ----- boot and power ---------------------------------------------------
    def _default_rate_hz(self) -> int:
        if self.force_rate_hz is not None:
            return self.force_rate_hz
        return 80 if self.scenario.rate_pin_high else 10

    def _boot(self) -> None:
        self._powered = True
        self.boots.append(Boot(self.now_s, self.boot_offset_us, self.identity.device_id))
        self.faults.reboot()
        self.commands.reset()
        self._streaming = False
        self._seq = {"F": self.first_seq, "D": self.first_seq}
        self._hello_at_s = self.now_s + HELLO_AFTER_BOOT_S
        self._listening_s = self.now_s + HELLO_AFTER_BOOT_S / 2   # the bootloader eats bytes
        self.rate_hz = self._default_rate_hz()
        self._restart_adc()
        has_distance = self.scenario.distance_sensor != "none"
        self._next_distance_s = self.now_s + 0.06 if has_distance else INF
        self._next_stat_s = INF
        self._adc_times: deque[float] = deque(maxlen=256)
        self._distance_times: deque[float] = deque(maxlen=64)

    def _restart_adc(self) -> None:
        factor = self.identity.adc_clock_factor
        base_s = self.now_s + hw.HX711_SETTLING_S.get(self.rate_hz, hw.HX711_SETTLING_S[80])
        if len(self.absent_force) == 2:   # no chip answers: the firmware reads nothing
            base_s = INF
        self._adc = AdcClock(base_s, base_s, 1.0 / (self.rate_hz * factor))

    def unplug_load_cell(self, channel: int) -> None:
        """A chip gone mid-run: reported at once, a TARE/CAL needing it ends absent."""
        if channel in self.absent_force:
            return
        self.absent_force = self.absent_force | {channel}
        if self._powered:
            self.write(Err(force_status_command(channel), ABSENT))
            self.commands.on_absent(channel)
        if len(self.absent_force) == 2:
            self._restart_adc()

    def replug_load_cell(self, channel: int) -> None:
        """A chip back mid-run. As on the firmware, nothing is said: its F
        channel reads the chip again, and the next INFO leaves it out."""
        if channel not in self.absent_force:
            return
        both_were_gone = len(self.absent_force) == 2
        self.absent_force = self.absent_force - {channel}
        if both_were_gone:
            self._restart_adc()

    def connect_distance_sensor(self) -> None:
        """An HC-SR04 wired in after a boot that saw none: as on the firmware,
        D follows from its third echo on and the next HELLO says hcsr04."""
        if self.scenario.distance_sensor != "none":
            return
        self.scenario = dataclasses.replace(self.scenario, distance_sensor="hcsr04")
        if self._powered:
            self._next_distance_s = self.now_s + 3 * self._distance_period_s

    @property
    def _next_adc_s(self) -> float:
        return self._adc.next_s

    def set_rate(self, rate_hz: int) -> None:
        if rate_hz != self.rate_hz:
            self.rate_hz = rate_hz
            self._restart_adc()

    def _power_off(self) -> None:
        self._powered = False
        self._streaming = False

    def _next_event(self):
        if not self._powered:
            w = self.unplug_window
            if w and self.now_s < w[1]:
                return w[1], self._boot
            return INF, None
        events = [(self._next_adc_s, self._on_adc), (self._next_distance_s, self._on_distance),
                  (self._next_stat_s, self._on_stat)]
        if self._hello_at_s >= self.now_s and self._hello_at_s != INF:
            events.append((self._hello_at_s, self._on_hello))
        w = self.unplug_window
        if w and self.now_s <= w[0]:
            events.append((w[0], self._power_off))
        return min(events, key=lambda e: e[0])

    # ----- output -----------------------------------------------------------
    def write(self, sentence) -> None:
        """Command replies: never faulted."""
        self.faults.emit(b"", sentence.TYPE, self.now_s)
        self._out += encode(sentence)

    def _stream(self, sentence) -> None:
        self._out += self.faults.emit(encode(sentence), sentence.TYPE, self.now_s)

    def hello(self) -> Hello:
        return Hello(PROTOCOL_VERSION, self.identity.firmware, self.device_id, 2, self.rate_hz,
                     self.scenario.distance_sensor)

    def write_info(self) -> None:
        self.write(self.hello())
        for cal in self.calibration:
            self.write(cal)
        if self.eeprom_state is not None:
            self.write(Err("EEPROM", self.eeprom_state))
        for channel in sorted(self.absent_force):
            self.write(Err(force_status_command(channel), ABSENT))

    def start_streaming(self) -> None:
        if not self._streaming:
            self._streaming = True
            self._next_stat_s = self.now_s + 1.0

    def stop_streaming(self) -> None:
        self._streaming = False
        self._next_stat_s = INF

    # ----- events -----------------------------------------------------------
    def _on_hello(self) -> None:
        self._hello_at_s = INF
        self.write_info()

    def side_forces_n(self, t_s: float) -> tuple[float, float]:
        force, left, on = self.bench.athlete.state(t_s)
        force += on * hw.sway_n(t_s, self._sway_phases)
        hook0, hook1 = self.bench.hook_loads_n(t_s)
        return (force * left + hook0, force * (1 - left) + hook1)

    def _raws(self, t_s: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """HX711 readings at ``t_s`` with their draw rows: ``side_forces_n``
        and ``hx711_raw`` in bulk, bit for bit."""
        force, left, right, on = self.bench.athlete.state_block(t_s)
        force = force + on * hw.sway_block(t_s, self._sway_phases)
        hook0, hook1 = self.bench.hook_loads_block(t_s)
        raws = hw.hx711_block(draws, self.identity, force * left + hook0, force * right + hook1)
        for channel in self.absent_force:
            raws[:, channel] = ABSENT_RAW
        return raws

    def _take_distance(self, stop_s: float, inclusive: bool):
        """HC-SR04 readings due up to ``stop_s``, drawing
        their random numbers in the loop's order: (times, running-max times,
        gap mm or NO_ECHO_MM)."""
        normal, uniform = self._dist_rng.standard_normal, self._dist_rng.random
        athlete = self.bench.athlete
        echo_lost = athlete.echo_lost if athlete.echo_lost_s else None
        miss_rate = self.scenario.missed_echo_rate
        period_s, jitter_s = self._distance_period_s, hw.DISTANCE_JITTER_S
        times, keys, missed, noise = [], [], [], []
        key = -INF
        t = self._next_distance_s
        while True:
            key = t if t > key else key
            if t == INF or key > stop_s or (key == stop_s and not inclusive):
                break
            times.append(t)
            keys.append(key)
            t = t + period_s + jitter_s * normal()
            missed.append((echo_lost is not None and echo_lost(times[-1])) or uniform() < miss_rate)
            noise.append(normal())
        self._next_distance_s = t
        t_arr = np.array(times, float)
        true_mm = athlete.gap_block(t_arr)
        gaps = hw.distance_block(self.scenario.distance_sensor, true_mm, np.array(noise, float))
        gaps[np.array(missed, bool)] = NO_ECHO_MM
        if self.artefacts is not None:
            gaps = self.artefacts.apply(gaps, true_mm)
        return t_arr, np.array(keys, float), gaps

    def _device_us_block(self, t_s: np.ndarray) -> np.ndarray:
        """``device_us`` for samples after the last boot."""
        boot = self.boots[-1]
        return (boot.boot_offset_us + np.rint((t_s - boot.t_s) * 1e6).astype(np.int64)) % T_US_MODULO

    def _bulk_stop(self, until_s: float) -> tuple[float, bool]:
        """How far ``_bulk`` may go: up to ``until_s`` inclusive, or strictly
        before the next event it leaves to the one-at-a-time path."""
        stops = [until_s]
        if self._hello_at_s >= self.now_s:
            stops.append(self._hello_at_s)
        w = self.unplug_window
        if w and self.now_s <= w[0]:
            stops.append(w[0])
        if self.commands.job is not None:
            stops.append(self.commands.job.until_s)
        stop_s = min(stops)
        return stop_s, all(s > until_s for s in stops[1:])

    def _bulk(self, until_s: float) -> None:
        """Every HX711, HC-SR04 and STAT event before the bulk stop, at once."""
        if not self._powered or self.reference:
            return
        stop_s, inclusive = self._bulk_stop(until_s)
        due = (max(0.0, stop_s - self._adc.next_s) / self._adc.period_s
               + max(0.0, stop_s - self._next_distance_s) / self._distance_period_s)
        if not due > BULK_MIN_SAMPLES:
            return   # a few samples: the event loop is cheaper than numpy's overhead
        adc_t, adc_keys, draws = self._adc.take(self._adc_draws, stop_s, inclusive)
        dist_t, dist_keys, gaps = self._take_distance(stop_s, inclusive)
        stat_t = []
        while self._next_stat_s < stop_s or (inclusive and self._next_stat_s == stop_s):
            stat_t.append(self._next_stat_s)
            self._next_stat_s += 1.0
        n_adc, n_dist, n_stat = len(adc_t), len(dist_t), len(stat_t)
        if n_adc + n_dist + n_stat == 0:
            return
        now0_s = self.now_s
        job = self.commands.job
        raws = self._raws(adc_t, draws) if n_adc and (self._streaming or job) else None
        if job is not None and raws is not None:
            job.samples.extend(map(tuple, raws.tolist()))   # all before its end
        keys = np.concatenate([adc_keys, dist_keys, np.array(stat_t, float)])
        self.now_s = max(now0_s, float(keys.max()))
        if not self._streaming:
            self._adc_times.extend(adc_t.tolist())
            self._distance_times.extend(dist_t.tolist())
            return
        order = np.argsort(keys, kind="stable")   # ties: HX711, HC-SR04, STAT
        lines = ((force_lines(self._seq["F"], self._device_us_block(adc_t), raws) if n_adc else [])
                 + distance_lines(self._seq["D"], self._device_us_block(dist_t), gaps)
                 + self._stat_lines(order, adc_t, dist_t, stat_t))
        self._seq["F"] = (self._seq["F"] + n_adc) % SEQ_MODULO
        self._seq["D"] = (self._seq["D"] + n_dist) % SEQ_MODULO
        kinds = ["F"] * n_adc + ["D"] * n_dist + ["STAT"] * n_stat
        order_list = order.tolist()
        emit_s = np.maximum(now0_s, keys[order])
        self._out += self.faults.emit_many([lines[i] for i in order_list],
                                           [kinds[i] for i in order_list], emit_s)

    def _stat_lines(self, order: np.ndarray, adc_t: np.ndarray, dist_t: np.ndarray,
                    stat_t: list[float]) -> list[bytes]:
        """STAT lines, each rating the samples taken before it; fills the
        rate windows with every sample of the block."""
        n_adc, n_dist = len(adc_t), len(dist_t)
        position = np.empty(len(order), np.int64)
        position[order] = np.arange(len(order))
        adc_done = dist_done = 0
        lines = []
        for j, t in enumerate(stat_t):
            p = position[n_adc + n_dist + j]
            adc_to = int(np.searchsorted(position[:n_adc], p))
            dist_to = int(np.searchsorted(position[n_adc:n_adc + n_dist], p))
            self._adc_times.extend(adc_t[adc_done:adc_to].tolist())
            self._distance_times.extend(dist_t[dist_done:dist_to].tolist())
            adc_done, dist_done = adc_to, dist_to
            lines.append(encode(Stat(self.device_us(t), _rate_x100(self._adc_times, t),
                                     _rate_x100(self._distance_times, t), 0, 0)))
        self._adc_times.extend(adc_t[adc_done:].tolist())
        self._distance_times.extend(dist_t[dist_done:].tolist())
        return lines

    def _on_adc(self) -> None:
        """One sample the scalar way (few samples, or one ending a TARE/CAL)."""
        adc = self._adc
        row = self._adc_draws.peek(1)[0].tolist()
        self._adc_draws.consume(1)
        t = adc.next_s
        adc.base_s += adc.period_s
        adc.next_s = adc.base_s + hw.HX711_JITTER_S * row[0]
        raw = hw.hx711_raw(row[1:], self.identity, self.side_forces_n(t))
        if self.absent_force:
            raw = tuple(ABSENT_RAW if ch in self.absent_force else v for ch, v in enumerate(raw))
        self._adc_times.append(t)
        self.commands.on_sample(raw)
        if self._streaming:
            self._stream(ForceSample(self._seq["F"], self.device_us(t), raw))
            self._seq["F"] = (self._seq["F"] + 1) % SEQ_MODULO

    def _on_distance(self) -> None:
        t = self._next_distance_s
        rng = self._dist_rng
        self._next_distance_s = t + self._distance_period_s + hw.DISTANCE_JITTER_S * float(
            rng.standard_normal())
        athlete = self.bench.athlete
        missed = athlete.echo_lost(t) or rng.random() < self.scenario.missed_echo_rate
        sensor, true_mm = self.scenario.distance_sensor, athlete.gap_mm(t)
        if sensor == "hcsr04":
            gap = hw.hcsr04_gap(float(rng.standard_normal()), true_mm)
        else:
            gap = int(hw.distance_block(sensor, np.array([true_mm]),
                                        np.array([rng.standard_normal()]))[0])
        gap = NO_ECHO_MM if missed else gap
        if self.artefacts is not None:
            gap = int(self.artefacts.apply(np.array([gap]), np.array([true_mm]))[0])
        self._distance_times.append(t)
        if self._streaming:
            self._stream(DistanceSample(self._seq["D"], self.device_us(t), gap))
            self._seq["D"] = (self._seq["D"] + 1) % SEQ_MODULO

    def _on_stat(self) -> None:
        t = self._next_stat_s
        self._next_stat_s = t + 1.0
        self._stream(Stat(self.device_us(t), _rate_x100(self._adc_times, t),
                          _rate_x100(self._distance_times, t), 0, 0))

    # ----- persistence ------------------------------------------------------
    def store_cal(self, cal: Cal) -> None:
        self.calibration[cal.channel] = cal
        self.eeprom_state = None   # a record is stored: no longer defaults


def _rate_x100(times: deque[float], now_s: float) -> int:
    """Rate over the last second as the firmware measures it: samples between
    the first and the last one in the window, over the time between them."""
    while times and times[0] < now_s - 1.0:
        times.popleft()
    if len(times) < 2 or times[-1] <= times[0]:
        return 0
    return int(round((len(times) - 1) * 100 / (times[-1] - times[0])))
