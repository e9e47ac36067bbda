"""What each control sentence from the station means for the link, apart
from the port it came on: pyserial's split of ``Protocol`` (what the bytes
mean) from ``ReaderThread`` (reading them).

``SentenceDispatch.react`` takes one sentence and what the link knows when
it arrives (the command in flight, who asked for a HELLO, the station's
health, whether streaming is wanted) and returns a ``Reaction``: the events to
emit, the state to enter, the health now, whether to send START again, a
complaint for the chatter limiter, whether it answers the command in flight.
It reads no port, writes none, holds no lock and starts no thread;
``DeviceLink`` (the transport) applies the reaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..protocol.health import StationHealth
from ..protocol.sentences import Ack, Cal, Err, Hello, Sentence, Stat
from .errors import unsolicited_err_message
from .events import (
    CalibrationReceived, DeviceRebooted, LinkEvent, LinkState, StatReceived,
)
from .replies import PendingCommand
from .state import HelloAsker

# An unsolicited HELLO makes the link send START again at most this often.
START_RESEND_INTERVAL_S = 1.0


@dataclass
class Reaction:
    """What the transport does about one sentence, in this order: health,
    calibration, stat, state, events, START, complaint, the command's reply."""

    health: StationHealth | None = None     # the station's health, if it changed
    calibration: Cal | None = None          # a new CAL (commands waiting for it wake)
    stat: Stat | None = None
    state: LinkState | None = None
    events: list[LinkEvent] = field(default_factory=list)
    send_start: bool = False                # an unasked HELLO while streaming is wanted
    complaint: tuple[str, str] | None = None   # (chatter kind, one-line message)
    answers_command: bool = False           # the reply of the command in flight


class SentenceDispatch:
    """The meaning of control sentences; keeps only when START was last resent."""

    def __init__(self) -> None:
        self._start_resent_at: float | None = None   # monotonic

    def react(self, sentence: Sentence, *, t_host_s: float, now_s: float,
              pending: PendingCommand | None, hello_asker: HelloAsker | None,
              health: StationHealth, streaming_wanted: bool, rebooted: bool,
              last_t_device_us: int | None) -> Reaction:
        """``now_s``: monotonic; ``rebooted``: the stream counted a reboot in this read."""
        matched = pending is not None and pending.matches(sentence)
        out = Reaction(answers_command=matched)
        if isinstance(sentence, Hello):
            out.health = StationHealth.from_hello(sentence)
        elif isinstance(sentence, Err) and sentence.absent_force_channel is not None:
            out.health = health.with_absent(sentence.absent_force_channel)
        if isinstance(sentence, Cal):
            out.calibration = sentence
            out.events.append(CalibrationReceived(t_host_s, sentence, last_t_device_us))
        elif isinstance(sentence, Stat):
            out.stat = sentence
            out.events.append(StatReceived(t_host_s, sentence))
        elif isinstance(sentence, Ack):
            if sentence.command == "START":
                out.state = LinkState.STREAMING
            elif sentence.command == "STOP":
                out.state = LinkState.IDLE
        elif isinstance(sentence, Hello):
            asked = hello_asker is HelloAsker.PROBE or (
                hello_asker is HelloAsker.READER and not matched)
            if not matched and not asked:
                if rebooted:                # one event per reboot the stream counted
                    out.events.append(DeviceRebooted(t_host_s, sentence))
                if streaming_wanted and (
                        self._start_resent_at is None
                        or now_s - self._start_resent_at >= START_RESEND_INTERVAL_S):
                    self._start_resent_at = now_s
                    out.send_start = True
        elif isinstance(sentence, Err) and not matched:
            out.complaint = (f"ERR,{sentence.command}",
                             unsolicited_err_message(sentence.command, sentence.reason))
        return out
