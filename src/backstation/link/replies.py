"""Matching a command to its reply, and the round-trip figures PING gives.

The device answers each command with ``ACK,<CMD>[,detail]`` or
``ERR,<CMD>,reason``; INFO is answered by a HELLO. Only one command is in
flight at a time (the link holds a lock around each), so matching by name is
enough. A device that could not even read the command name answers
``ERR,CMD,reason`` (the firmware's ``first_word``), which can only belong to
the command in flight.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..protocol.commands import UNREADABLE_COMMAND
from ..protocol.sentences import Ack, Err, Hello, Sentence
from .errors import LinkError

Reply = Ack | Err | Hello


class PendingCommand:
    """One command waiting for its reply; resolved by the reader thread."""

    def __init__(self, name: str):
        self.name = name
        self.done = threading.Event()
        self.reply: Reply | None = None
        self.error: LinkError | None = None
        self.t_sent_s: float = 0.0    # perf_counter() just before the write
        self.t_reply_s: float = 0.0   # perf_counter() when the reply's bytes were read

    def matches(self, sentence: Sentence) -> bool:
        if isinstance(sentence, Ack):
            return sentence.command == self.name
        if isinstance(sentence, Err):
            return sentence.command in (self.name, UNREADABLE_COMMAND)
        if isinstance(sentence, Hello):
            return self.name == "INFO"
        return False

    def resolve(self, reply: Reply, t_reply_s: float) -> None:
        if self.done.is_set():
            return
        self.reply = reply
        self.t_reply_s = t_reply_s
        self.done.set()

    def fail(self, error: LinkError) -> None:
        if self.done.is_set():
            return
        self.error = error
        self.done.set()

    @property
    def round_trip_s(self) -> float:
        return self.t_reply_s - self.t_sent_s


@dataclass(frozen=True, slots=True)
class Latency:
    """PING round trips (host write to reply read), in seconds."""

    count: int = 0
    last_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    mean_s: float | None = None

    def add(self, round_trip_s: float) -> "Latency":
        n = self.count + 1
        mean = round_trip_s if self.mean_s is None else self.mean_s + (round_trip_s - self.mean_s) / n
        return Latency(n, round_trip_s,
                       round_trip_s if self.min_s is None else min(self.min_s, round_trip_s),
                       round_trip_s if self.max_s is None else max(self.max_s, round_trip_s),
                       mean)
