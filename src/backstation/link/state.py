"""The link's own state beside ``LinkState`` (what the owner sees): where the
link is in its life, and who asked for the HELLO it waits for.

A HELLO means different things by who asked for it (docs/protocol.md §6):
the handshake's INFO or the station's boot (``PROBE``: the HELLO adopted),
the ``info()`` command (``COMMAND``: its reply), the reader's INFO after a
stall (``READER``: a reply nobody is told of). Unasked, it is a reboot. One
``HelloRequest`` at a time says which; the reader tells the ``DeviceStream``
once (``stream_told``), since the stream is the reader thread's alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Lifecycle(enum.Enum):
    NEW = "new"          # made, never opened
    OPEN = "open"        # open() called: connecting, adopted or reconnecting
    CLOSED = "closed"    # close() called; a link is never opened twice


class HelloAsker(enum.Enum):
    PROBE = "probe"        # adopting a port: the HELLO the handshake read is the one adopted
    COMMAND = "command"    # info(): the HELLO is the command's reply
    READER = "reader"      # the reader's INFO after a stall: a reply, said nowhere


@dataclass
class HelloRequest:
    """A HELLO awaited, and whether the stream knows one was asked for (INFO sent)."""

    asker: HelloAsker
    stream_told: bool = False
