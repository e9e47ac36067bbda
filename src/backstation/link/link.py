"""``DeviceLink``: the serial link to one station, owning one reader thread.

The middle of ACQ4's three layers: ``protocol/`` is pure parsing, this is
the transport (a thread, a port, commands), and a thin Qt wrapper drains it
on a timer. Nothing here touches Qt; nothing crosses threads per sample.
What a control sentence means (a state, an event, START again) is decided by
``SentenceDispatch`` (dispatch.py), as pyserial's ``Protocol`` beside its
``ReaderThread``; this module applies it. The state beside ``LinkState`` is
in state.py.

Threads. The caller's thread runs ``open()`` (handshake included), commands
and ``close()``. The reader thread is the only one that reads the port, feeds
the ``DeviceStream`` and swaps ports when reconnecting; it hands results over
through two ``queue.SimpleQueue`` (sample blocks, events), a reply slot for
the one command in flight, and snapshots taken under ``_lock``. Writes from
either thread go through ``_write_lock``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import serial

from ..protocol import commands
from ..protocol.commands import Command
from ..protocol.health import StationHealth
from ..protocol.sentences import BAUD_RATE, Cal, Err, Hello, Sentence, Stat
from ..protocol.stream import DeviceStream, StreamStats, judge_hello
from ..samples import DistanceBlock, ForceBlock
from .chatter import ChatterLimiter, with_held
from .errors import (
    CommandFailed, CommandTimeout, ConnectionLost, LinkError, NotConnected, WrongDevice,
    map_serial_error,
)
from .events import (
    Connected, DeviceRefused, HealthChanged, LinkEvent, LinkFault, LinkState, ReaderBehind,
    ReconnectCause, StateChanged, StreamResumed, StreamStalled,
)
from .candidates import ReconnectCandidates
from .ports import PortInfo, find_ports
from .dispatch import SentenceDispatch
from .replies import Latency, PendingCommand
from .state import HelloAsker, HelloRequest, Lifecycle
from .transport import (
    INFO_TIMEOUT_S, Opener, Probe, SerialLike, close_quietly, open_port, probe_hello, read_chunk,
)

DEFAULT_BAUDRATE = BAUD_RATE
DEFAULT_COMMAND_TIMEOUT_S = 1.5
# TARE and CAL average the load cells on the device for 1-2 s before answering.
COMMAND_TIMEOUT_S = {"TARE": 4.0, "CAL": 4.0, "SETCAL": 2.0}
CAL_AFTER_ACK_S = 0.5        # how long a calibration command waits for the CAL that follows
RECONNECT_INTERVAL_S = 0.5
REFUSED_RETRY_S = 10.0       # a port that held another station is re-probed after this...
# After a read that brought data, let more arrive before the next one: at
# 1 kHz a reader that wakes per write burns a core on wake-ups alone. Costs
# at most this much latency (the display budget is 30 ms); a headless
# recorder, which nobody watches, passes a longer pacing.
READ_PACING_S = 0.008
# ...but a read this big means the port's buffer (4 KiB on a Linux tty) was
# filling: read again at once, or the pacing itself becomes the ceiling
# (4 KiB per 50 ms = 80 kB/s; docs/performance.md, figure h).
PACING_SKIP_BYTES = 2048
JOIN_TIMEOUT_S = 2.0         # ...or as soon as it disappears and comes back
STOP_ON_CLOSE_TIMEOUT_S = 1.0
# Streaming and no sample for this long is a stall: INFO and START are sent
# again; after STALL_GIVE_UP_FACTOR times as long, the port is taken as lost.
STALL_AFTER_S = 2.0
STALL_GIVE_UP_FACTOR = 3.0
# The reader is behind when samples arrive this much later than at the start
# of the stream (device clock against host clock); caught up below half that.
BACKLOG_REPORT_S = 1.0
CLOCK_TOLERANCE = 0.01       # device clock against host clock, s/s


class DeviceLink:
    """One station on one serial URL (a port path, a pty, ``sim://...``).

    ``open()`` adopts the device; ``drain()`` and ``drain_events()`` hand over
    what the reader thread collected; commands are methods; ``close()`` ends
    it all. Usable as a context manager (``with DeviceLink(url) as link``).
    """

    def __init__(self, url: str, baudrate: int = DEFAULT_BAUDRATE,
                 expect_device_id: str | None = None, hello_timeout_s: float = 3.0,
                 clock: Callable[[], float] = time.time, *,
                 opener: Opener | None = None,
                 port_lister: Callable[[], list[PortInfo]] | None = None,
                 info_timeout_s: float = INFO_TIMEOUT_S,
                 reconnect_interval_s: float = RECONNECT_INTERVAL_S,
                 refused_retry_s: float = REFUSED_RETRY_S,
                 read_pacing_s: float = READ_PACING_S,
                 stall_after_s: float = STALL_AFTER_S):
        self._url = url
        self._port = url
        self._baudrate = baudrate
        self._device_id = expect_device_id.upper() if expect_device_id else None
        self._hello_timeout_s = hello_timeout_s
        self._info_timeout_s = info_timeout_s
        self._clock = clock
        self._opener = opener or open_port
        self._reconnect_interval_s = reconnect_interval_s
        self._read_pacing_s = read_pacing_s
        self._stall_after_s = stall_after_s
        self._candidates = ReconnectCandidates(url, port_lister or find_ports, refused_retry_s)

        self._stream = DeviceStream()           # reader thread only, once open() returns
        self._blocks: queue.SimpleQueue[tuple[ForceBlock, DistanceBlock]] = queue.SimpleQueue()
        self._events: queue.SimpleQueue[LinkEvent] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._serial: SerialLike | None = None   # swapped under _write_lock
        self._write_failed = False
        self._write_lock = threading.Lock()
        self._command_lock = threading.Lock()    # one command in flight
        self._close_lock = threading.Lock()
        self._lock = threading.Lock()            # state, pending, snapshots
        self._changed = threading.Condition(self._lock)
        self._state = LinkState.CLOSED          # what the owner sees (StateChanged)
        self._lifecycle = Lifecycle.NEW         # under _close_lock
        self._pending: PendingCommand | None = None
        self._hello_request: HelloRequest | None = None   # under _lock
        # The owner's wish (start() until stop()): kept across reconnects, which send START.
        self._streaming_wanted = False
        self._stats = StreamStats()
        self._hello: Hello | None = None
        self._calibration: dict[int, Cal] = {}
        self._cal_generation: dict[int, int] = {}
        self._last_stat: Stat | None = None
        # The station's health (protocol/health.py): set by the reader thread
        # only, replaced whole, never mutated; each change is a HealthChanged.
        self._health = StationHealth()
        self._latency = Latency()
        # Reader thread only: chatter, stalls, backlog.
        self._chatter = ChatterLimiter()
        self._dispatch = SentenceDispatch()          # what each sentence means
        self._last_sample_at = time.monotonic()
        self._stalled_since: float | None = None
        self._lag_floor_s: float | None = None
        self._lag_at_s = 0.0
        self._behind = False

    # -- lifecycle -------------------------------------------------------------

    def open(self) -> Hello:
        """Open the port, wait for HELLO (INFO if late), adopt the device, start reading.

        Blocks up to ``hello_timeout_s`` + ``info_timeout_s``. Raises a
        ``LinkError`` (``PortNotFound``, ``PortBusy``, ``PermissionDenied``,
        ``NoHello``, ``UnsupportedProtocol``, ``WrongDevice``) and leaves
        the link CLOSED, with the port released, if anything fails.
        """
        with self._close_lock:
            if self._lifecycle is not Lifecycle.NEW:
                raise LinkError(f"the link to {self._url} was already opened; make a new one")
            self._lifecycle = Lifecycle.OPEN
        self._set_state(LinkState.CONNECTING)
        ser = None
        try:
            ser = self._open(self._url)
            probe = probe_hello(ser, self._url, self._baudrate, self._hello_timeout_s,
                                self._clock, self._stop, self._info_timeout_s)
            if probe is None:
                raise LinkError(f"closed while connecting to {self._url}")
            found = probe.hello.device_id
            if self._device_id is not None and found != self._device_id:
                raise WrongDevice(self._url, self._device_id, found)
        except BaseException as exc:
            close_quietly(ser)
            self._set_state(LinkState.CLOSED)
            if isinstance(exc, (serial.SerialException, OSError)):
                raise map_serial_error(exc, self._url) from exc
            raise
        self._adopt(ser, probe, self._url, reconnect=False)
        self._thread = threading.Thread(target=self._run, name=f"backstation-link[{self._url}]",
                                        daemon=False)
        self._thread.start()
        return probe.hello

    def close(self, timeout_s: float = JOIN_TIMEOUT_S) -> None:
        """Stop everything; safe to call twice, or from any thread but the reader.

        Shutdown order: (1) STOP, if streaming and the port is alive, while the
        reader still runs to read its ACK; (2) set the stop event and cancel
        the blocking read; (3) join the reader within ``timeout_s`` (it closes
        the port on its way out); (4) close the port if the reader did not;
        (5) fail any command still waiting; state CLOSED.
        """
        with self._close_lock:
            if self._lifecycle is Lifecycle.CLOSED:
                return
            self._lifecycle = Lifecycle.CLOSED
        thread = self._thread
        if (thread is not None and thread.is_alive() and self._streaming_wanted
                and self._serial is not None):
            try:
                self.stop(timeout_s=STOP_ON_CLOSE_TIMEOUT_S)
            except LinkError:
                pass  # the device is gone or deaf; closing goes on regardless
        self._stop.set()
        _cancel_read(self._serial)
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                self._emit(LinkFault(self._clock(),
                                     f"reader for {self._port} did not stop in {timeout_s:g} s"))
        self._detach_port()
        self._fail_pending(LinkError(f"the link to {self._port} was closed"))
        self.report_held_back()
        self._set_state(LinkState.CLOSED)

    def __enter__(self) -> "DeviceLink":
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what the owner reads ----------------------------------------------------

    def drain(self, timeout_s: float = 0.0) -> tuple[ForceBlock, DistanceBlock]:
        """Every sample read since the last call, merged into one force and one distance block.

        Waits up to ``timeout_s`` for the first block when none is queued.
        """
        items = _drain_queue(self._blocks, timeout_s)
        hello = self.hello
        channels = hello.force_channels if hello else 2
        force = [f for f, _ in items if len(f)]
        distance = [d for _, d in items if len(d)]
        return ForceBlock.concat(force, channels), DistanceBlock.concat(distance)

    def report_held_back(self) -> None:
        """Say now what the chatter limit still holds back (``link/chatter.py``):
        one ``LinkFault`` per kind on the event queue, so the owner's last
        drain gets it. ``close()`` calls it too, for whatever came after."""
        for kind, held in self._chatter.flush().items():
            self._emit(LinkFault(self._clock(), f"{held} more {kind} from the station "
                                                "were not shown"))

    def drain_events(self, timeout_s: float = 0.0) -> list[LinkEvent]:
        """Every event since the last call, oldest first; waits up to ``timeout_s`` for one."""
        return _drain_queue(self._events, timeout_s)

    def wait_for_state(self, state: LinkState, timeout_s: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._state is state, timeout_s)

    @property
    def state(self) -> LinkState:
        return self._state

    @property
    def url(self) -> str:
        return self._url

    @property
    def port(self) -> str:
        """The port in use now: the URL, or another port the device came back on."""
        return self._port

    @property
    def device_id(self) -> str | None:
        return self._device_id

    @property
    def stats(self) -> StreamStats:
        with self._lock:
            return StreamStats(**vars(self._stats))

    @property
    def hello(self) -> Hello | None:
        return self._hello

    @property
    def health(self) -> StationHealth:
        """Which sensors answer, as the station said and sends (``HealthChanged``)."""
        return self._health

    @property
    def absent_force_channels(self) -> tuple[int, ...]:
        """Force channels whose HX711 the station says is not answering."""
        return self._health.absent_force_channels

    @property
    def calibration(self) -> dict[int, Cal]:
        with self._lock:
            return dict(self._calibration)

    @property
    def last_stat(self) -> Stat | None:
        return self._last_stat

    @property
    def latency(self) -> Latency:
        return self._latency

    # -- commands ---------------------------------------------------------------

    def start(self, timeout_s: float | None = None) -> None:
        """Start streaming; samples (and STAT once a second) follow the ACK."""
        self._streaming_wanted = True
        try:
            self._command(commands.start(), timeout_s)
        except ConnectionLost:
            raise  # still wanted: the reconnect will send START again
        except LinkError:
            self._streaming_wanted = False
            raise

    def stop(self, timeout_s: float | None = None) -> None:
        """Stop streaming. Returns after the ACK: every sample sent before it is queued."""
        self._streaming_wanted = False
        self._command(commands.stop(), timeout_s)

    def ping(self, timeout_s: float | None = None) -> float:
        """Round trip in seconds, from writing PING to reading its ACK."""
        pending = self._command(commands.ping(), timeout_s)
        with self._lock:
            self._latency = self._latency.add(pending.round_trip_s)
        return pending.round_trip_s

    def info(self, timeout_s: float | None = None) -> Hello:
        reply = self._command(commands.info(), timeout_s).reply
        assert isinstance(reply, Hello)
        return reply

    def tare(self, channel: int | None = None, timeout_s: float | None = None) -> dict[int, Cal]:
        """Zero one channel (or all): returns the CALs the device sent back."""
        channels = [channel] if channel is not None else list(range(self._channel_count()))
        return self._calibration_command(commands.tare(channel), channels, timeout_s)

    def calibrate(self, channel: int, mass_grams: float,
                  timeout_s: float | None = None) -> Cal | None:
        """Scale ``channel`` with a known mass hanging on it; the new CAL, if sent in time."""
        got = self._calibration_command(commands.calibrate(channel, mass_grams), [channel],
                                        timeout_s)
        return got.get(channel)

    def set_calibration(self, channel: int, offset_counts: int, counts_per_newton: float,
                        timeout_s: float | None = None) -> Cal | None:
        got = self._calibration_command(
            commands.set_calibration(channel, offset_counts, counts_per_newton), [channel],
            timeout_s)
        return got.get(channel)

    def set_rate(self, hz: int, timeout_s: float | None = None) -> None:
        """HX711 rate, 10 or 80 SPS (``ValueError`` otherwise, before anything is sent)."""
        self._command(commands.rate(hz), timeout_s)

    def _channel_count(self) -> int:
        hello = self._hello
        return hello.force_channels if hello else 2

    def _calibration_command(self, cmd: Command, channels: list[int],
                             timeout_s: float | None) -> dict[int, Cal]:
        with self._lock:
            before = {ch: self._cal_generation.get(ch, 0) for ch in channels}
        self._command(cmd, timeout_s)
        # The device sends CAL after (or just before) its ACK; give it a moment.
        with self._changed:
            self._changed.wait_for(
                lambda: all(self._cal_generation.get(ch, 0) > n for ch, n in before.items()),
                CAL_AFTER_ACK_S)
            return {ch: self._calibration[ch] for ch, n in before.items()
                    if self._cal_generation.get(ch, 0) > n}

    def _command(self, cmd: Command, timeout_s: float | None) -> PendingCommand:
        if timeout_s is None:
            timeout_s = COMMAND_TIMEOUT_S.get(cmd.name, DEFAULT_COMMAND_TIMEOUT_S)
        with self._command_lock:
            pending = PendingCommand(cmd.name)
            with self._lock:
                if self._serial is None or self._state not in (LinkState.IDLE,
                                                               LinkState.STREAMING):
                    raise NotConnected(cmd.name, self._port, self._state.value)
                self._pending = pending
                if cmd.name == "INFO":
                    self._hello_request = HelloRequest(HelloAsker.COMMAND)
            try:
                pending.t_sent_s = time.perf_counter()
                self._write(cmd.line(), cmd.name)
                if not pending.done.wait(timeout_s):
                    raise CommandTimeout(cmd.name, timeout_s)
            finally:
                with self._lock:
                    if self._pending is pending:
                        self._pending = None
        if pending.error is not None:
            raise pending.error
        if isinstance(pending.reply, Err):
            raise CommandFailed(cmd.name, pending.reply.reason)
        return pending

    def _write(self, data: bytes, name: str) -> None:
        with self._write_lock:
            ser = self._serial
            if ser is None:
                raise NotConnected(name, self._port, self._state.value)
            try:
                ser.write(data)
            except serial.SerialTimeoutException:
                raise CommandTimeout(name, getattr(ser, "write_timeout", None) or 0.0) from None
            except (serial.SerialException, OSError) as exc:
                # Let the reader notice on its next read and start reconnecting.
                self._write_failed = True
                _cancel_read(ser)
                raise ConnectionLost(self._port, str(exc)) from exc

    def _send_quietly(self, cmd: Command) -> None:
        """A command the reader sends on its own (START after a reconnect): no reply awaited."""
        try:
            self._write(cmd.line(), cmd.name)
        except LinkError:
            pass  # the next read notices a dead port

    # -- reader thread ------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                ser = self._serial
                if ser is None:
                    self._reconnect()
                    continue
                try:
                    data = read_chunk(ser)
                    if self._write_failed:
                        raise serial.SerialException("write failed")
                except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                    # pyserial raises TypeError/AttributeError when the port is
                    # closed under a read; all mean the same: this port is done.
                    if self._stop.is_set():
                        break
                    self._lose_port(exc)
                    continue
                if data:
                    try:
                        self._ingest(data, self._clock(), time.perf_counter())
                    except Exception as exc:  # noqa: BLE001 - see below
                        # Nothing a station sends may stop the reader: a bug
                        # met by wire content costs that chunk, said once.
                        self._say("internal", f"data from {self._port} could not be "
                                              f"handled and was dropped: {exc!r}")
                    if len(data) < PACING_SKIP_BYTES:
                        self._stop.wait(self._read_pacing_s)
                self._check_stall()
        except BaseException as exc:
            self._emit(LinkFault(self._clock(), f"link reader stopped: {exc!r}"))
            raise
        finally:
            self._detach_port()

    def _ingest(self, data: bytes, t_host_s: float, t_read_s: float) -> None:
        stream = self._stream
        with self._lock:
            request = self._hello_request
            tell = request is not None and not request.stream_told
            if tell:
                request.stream_told = True
        if tell:
            stream.info_requested()
        reboots = stream.reboots
        control = stream.feed(data, t_host_s)
        force, distance = stream.take_blocks()
        # Samples go out before replies are matched, so when stop() returns,
        # every sample the device sent before its ACK is already queued.
        if len(force) or len(distance):
            # Before this read's sentences (a HELLO or ERR in it has the last word),
            # and before its samples are handed over (whoever has them sees it).
            self._set_health(self._health.after_samples(force.raw, len(distance)), t_host_s)
            self._blocks.put((force, distance))
            self._samples_arrived(force, distance, t_host_s)
        with self._lock:
            self._stats = stream.stats
            self._hello = stream.hello
            self._calibration = dict(stream.calibration)
        if stream.refused is not None:
            control, foreign = control[:-1], control[-1]
        for sentence in control:
            self._on_sentence(sentence, t_host_s, t_read_s, stream.reboots > reboots)
        if stream.refused is not None:
            self._refuse_station(foreign, stream.refused)

    def _refuse_station(self, hello: Hello, why: str) -> None:
        """Another station spoke on our port (docs/protocol.md §6): take nothing
        more from it, keep what was taken, say so, and look for ours again."""
        expected = self._stream.hello
        name = expected.device_id if expected else "the station"
        port = self._port
        self._detach_port()
        self._fail_pending(ConnectionLost(port, f"another station answered: {why}"))
        self._emit(LinkFault(self._clock(), f"{port} now speaks as another station ({why}): "
                                            f"its data is not taken, what was recorded is "
                                            f"kept; waiting for {name} to come back"))
        self._set_state(LinkState.RECONNECTING, ReconnectCause.ANOTHER_STATION)

    def _samples_arrived(self, force: ForceBlock, distance: DistanceBlock,
                         t_host_s: float) -> None:
        now = time.monotonic()
        if self._stalled_since is not None:
            self._emit(StreamResumed(t_host_s, now - self._stalled_since))
            self._stalled_since = None
        self._last_sample_at = now
        # Backlog: how much later than at its best the newest sample is read.
        # The best is allowed to creep up by CLOCK_TOLERANCE per second: an
        # Uno's ceramic resonator may be 0.5 % off, which is no backlog.
        t_device_s = max(float(b.t_device_us[-1]) for b in (force, distance) if len(b)) / 1e6
        lag_s = t_host_s - t_device_s
        floor = self._lag_floor_s
        if floor is None:
            floor = lag_s
        else:
            floor = min(lag_s, floor + CLOCK_TOLERANCE * max(0.0, t_host_s - self._lag_at_s))
        self._lag_floor_s, self._lag_at_s = floor, t_host_s
        backlog_s = lag_s - floor
        if not self._behind and backlog_s > BACKLOG_REPORT_S:
            self._behind = True
            self._emit(ReaderBehind(t_host_s, backlog_s))
        elif self._behind and backlog_s < BACKLOG_REPORT_S / 2:
            self._behind = False

    def _check_stall(self) -> None:
        """Streaming with no sample for ``stall_after_s``: say so, ask again
        (INFO, START); still nothing after ``STALL_GIVE_UP_FACTOR`` times as
        long: the station is gone, reconnect."""
        if self._state is not LinkState.STREAMING or not self._streaming_wanted:
            self._last_sample_at = time.monotonic()
            return
        quiet_s = time.monotonic() - self._last_sample_at
        if self._stalled_since is None and quiet_s >= self._stall_after_s:
            self._stalled_since = self._last_sample_at
            self._emit(StreamStalled(self._clock(), quiet_s))
            self._ask_for_hello(HelloAsker.READER)
            self._send_quietly(commands.info())
            self._send_quietly(commands.start())
        elif (self._stalled_since is not None and self._serial is not None
              and quiet_s >= self._stall_after_s * STALL_GIVE_UP_FACTOR):
            self._last_sample_at = time.monotonic()  # the reconnect gets its own time
            self._lose_port(LinkError(f"no data for {quiet_s:.1f} s, even after INFO and "
                                      "START were sent again: waiting for the station to "
                                      "come back"), ReconnectCause.SILENT)

    def _say(self, kind: str, message: str, t_host_s: float | None = None) -> None:
        """A ``LinkFault``, unless ``kind`` came too often (``ChatterLimiter``)."""
        held = self._chatter.allow(kind, time.monotonic())
        if held is not None:
            self._emit(LinkFault(self._clock() if t_host_s is None else t_host_s,
                                 with_held(message, held)))

    def _on_sentence(self, sentence: Sentence, t_host_s: float, t_read_s: float,
                     rebooted: bool = False) -> None:
        """Applies what ``SentenceDispatch`` says the sentence means."""
        with self._lock:
            pending = self._pending
            request = self._hello_request
            if isinstance(sentence, Hello) and (request is None
                                                or request.asker is not HelloAsker.PROBE):
                self._hello_request = None     # answered (adopting: every HELLO the probe read)
        reaction = self._dispatch.react(
            sentence, t_host_s=t_host_s, now_s=time.monotonic(), pending=pending,
            hello_asker=request.asker if request is not None else None, health=self._health,
            streaming_wanted=self._streaming_wanted, rebooted=rebooted,
            last_t_device_us=self._stream.last_t_device_us)
        if reaction.health is not None:
            self._set_health(reaction.health, t_host_s)
        if reaction.calibration is not None:
            with self._changed:
                ch = reaction.calibration.channel
                self._cal_generation[ch] = self._cal_generation.get(ch, 0) + 1
                self._changed.notify_all()
        if reaction.stat is not None:
            self._last_stat = reaction.stat
        if reaction.state is not None:
            self._set_state(reaction.state)
        for event in reaction.events:
            self._emit(event)
        if reaction.send_start:
            self._send_quietly(commands.start())
        if reaction.complaint is not None:
            self._say(*reaction.complaint, t_host_s)
        if reaction.answers_command:
            assert pending is not None
            pending.resolve(sentence, t_read_s)

    def _set_health(self, health: StationHealth, t_host_s: float) -> None:
        previous, self._health = self._health, health
        if health.problems != previous.problems:
            self._emit(HealthChanged(t_host_s, health))

    def _lose_port(self, exc: BaseException,
                   cause: ReconnectCause = ReconnectCause.PORT_LOST) -> None:
        port = self._port
        self._detach_port()
        self._fail_pending(ConnectionLost(port, str(exc)))
        self._emit(LinkFault(self._clock(), f"lost the connection to {port}: {exc}"))
        self._set_state(LinkState.RECONNECTING, cause)

    def _reconnect(self) -> None:
        """Try the known ports until our device answers, or until stop."""
        while not self._stop.is_set():
            for url in self._candidates.ports(self._port):
                if self._stop.is_set() or self._try_port(url):
                    return
            self._stop.wait(self._reconnect_interval_s)

    def _try_port(self, url: str) -> bool:
        try:
            ser = self._open(url)
        except LinkError:
            return False
        try:
            probe = probe_hello(ser, url, self._baudrate, self._hello_timeout_s, self._clock,
                                self._stop, self._info_timeout_s)
        except LinkError as exc:  # NoHello, UnsupportedProtocol: not ours, or not now
            close_quietly(ser)
            if url != self._url:
                self._candidates.avoid(url)
                self._emit(LinkFault(self._clock(), str(exc)))
            return False
        except (serial.SerialException, OSError):
            close_quietly(ser)
            return False
        if probe is None:
            close_quietly(ser)
            return False
        found = probe.hello.device_id
        if found != self._device_id:
            close_quietly(ser)
            self._candidates.avoid(url)
            self._emit(DeviceRefused(self._clock(), url, self._device_id or "", found))
            return False
        why = judge_hello(self._stream.hello, probe.hello)
        if why is not None:   # our id, but not the station we were recording
            close_quietly(ser)
            self._candidates.avoid(url)
            self._say(f"changed:{url}", f"{url} answered as station {found} with {why}: "
                                        "not adopted")
            return False
        self._adopt(ser, probe, url, reconnect=True)
        return True

    def _adopt(self, ser: SerialLike, probe: Probe, url: str, reconnect: bool) -> None:
        stream = self._stream
        if reconnect:
            stream.port_reopened()  # before any byte of the new port is fed
        if probe.info_sent:
            stream.info_requested()
        # Adopting: a HELLO the probe read is the one adopted, not a reboot; an
        # INFO sent on the old port is not answered here.
        self._ask_for_hello(HelloAsker.PROBE, stream_told=True)
        with self._write_lock:
            self._serial = ser
            self._write_failed = False
            self._port = url
        self._device_id = probe.hello.device_id
        self._last_sample_at = time.monotonic()
        self._lag_floor_s = None   # a new port may buffer differently
        self._emit(Connected(self._clock(), probe.hello, url, stream.reconnects))
        try:
            for data, t_host_s in probe.chunks:
                self._ingest(data, t_host_s, time.perf_counter())
        finally:
            with self._lock:
                if self._hello_request is not None and \
                        self._hello_request.asker is HelloAsker.PROBE:
                    self._hello_request = None
        if self._serial is None:
            return   # what the probe read already spoke as another station: refused
        if reconnect and self._streaming_wanted:
            self._send_quietly(commands.start())
        self._set_state(LinkState.STREAMING if self._streaming_wanted else LinkState.IDLE)

    # -- shared helpers -------------------------------------------------------------

    def _open(self, url: str) -> SerialLike:
        try:
            return self._opener(url, self._baudrate)
        except LinkError:
            raise
        except (serial.SerialException, OSError, ValueError) as exc:
            raise map_serial_error(exc, url) from exc

    def _detach_port(self) -> None:
        with self._write_lock:
            ser, self._serial = self._serial, None
            self._write_failed = False
        close_quietly(ser)

    def _ask_for_hello(self, asker: HelloAsker, stream_told: bool = False) -> None:
        """The one place a HELLO is said to be awaited (see link/state.py)."""
        with self._lock:
            self._hello_request = HelloRequest(asker, stream_told)

    def _fail_pending(self, error: LinkError) -> None:
        with self._lock:
            pending = self._pending
        if pending is not None:
            pending.fail(error)

    def _set_state(self, state: LinkState, cause: ReconnectCause | None = None) -> None:
        with self._changed:
            previous = self._state
            if previous is state:
                return
            self._state = state
            reconnects = self._stats.reconnects
            self._changed.notify_all()
        self._emit(StateChanged(self._clock(), state, previous, reconnects, cause))

    def _emit(self, event: LinkEvent) -> None:
        self._events.put(event)


def _cancel_read(ser: SerialLike | None) -> None:
    cancel = getattr(ser, "cancel_read", None)
    if cancel is not None:
        try:
            cancel()
        except Exception:  # a port closed under us has nothing left to cancel
            pass


def _drain_queue(q: queue.SimpleQueue, timeout_s: float) -> list:
    items = []
    if timeout_s > 0:
        try:
            items.append(q.get(timeout=timeout_s))
        except queue.Empty:
            return items
    while True:
        try:
            items.append(q.get_nowait())
        except queue.Empty:
            return items
