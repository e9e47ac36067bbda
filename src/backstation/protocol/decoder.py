"""Incremental framer and parser: bytes in, typed sentences out.

Push-style, like pyserial's ``LineReader``: ``feed()`` takes whatever the port
delivered, keeps the partial tail, and returns the complete sentences. Bad
input is counted, never raised.

Framing rules (docs/protocol.md): a *segment* starts at ``$`` and ends at the
next ``$`` or ``\\n``; a single ``\\r`` before the end is ignored. Text outside
segments is noise. Each non-blank noise run is one malformed line; a segment
over 120 bytes is one overlong line; a segment whose CRC does not match is one
CRC error; a segment without ``*`` and four hex digits, or whose body is
off-contract, is one malformed line. Junk after a good ``*CRC`` is counted as
malformed noise but does not cost the sentence before it.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field

from .sentences import (
    ForceSample, DistanceSample, Sentence, SENTENCE_TYPES,
)

MAX_LINE_BYTES = 120
_CRC_INIT = 0xFFFF
_WHITESPACE = b" \t\r\n\x00"
_HEX_DIGITS = b"0123456789ABCDEFabcdef"


@dataclass
class DecoderCounters:
    sentences: int = 0
    crc_errors: int = 0
    malformed: int = 0
    overlong: int = 0
    bytes_in: int = 0

    @property
    def errors(self) -> int:
        return self.crc_errors + self.malformed + self.overlong


@dataclass
class StreamDecoder:
    """Frames and parses protocol v1 sentences from a byte stream.

    ``force_channels`` (set from HELLO by the caller) makes an F sentence
    with another channel count malformed; ``None`` accepts 1 to 4.
    """

    force_channels: int | None = None
    counters: DecoderCounters = field(default_factory=DecoderCounters)
    _tail: bytes = b""
    _discarding: bool = False

    def reset(self) -> None:
        """Forget the partial tail (after a reconnect); counters are kept."""
        self._tail = b""
        self._discarding = False

    def feed(self, data: bytes) -> list[Sentence]:
        out: list[Sentence] = []
        if not data:
            return out
        self.counters.bytes_in += len(data)
        if self._discarding:
            data = self._skip_discarded(data)
        buf = self._tail + data if self._tail else data
        lines = buf.split(b"\n")
        tail = lines.pop()
        for line in lines:
            self._line(line, out)
        cut = tail.rfind(b"$")
        if cut > 0:
            # A `$` ends the segment before it: emit it now, not at the next
            # newline, so what comes out never depends on the chunking.
            self._line(tail[:cut], out)
            tail = tail[cut:]
        if len(tail) > MAX_LINE_BYTES + 1:
            if cut < 0:
                # Blank noise costs nothing however long (NULs from a resetting
                # board); _line() measures noise the same way, so the counts do
                # not depend on how the port chunked the bytes.
                tail = tail.lstrip(_WHITESPACE)
            if len(tail) > MAX_LINE_BYTES + 1:
                self.counters.overlong += 1
                tail = b""
                self._discarding = True
        self._tail = tail
        return out

    def _skip_discarded(self, data: bytes) -> bytes:
        """Drop the rest of an overlong segment: up to the next ``$`` or ``\\n``."""
        ends = [i for i in (data.find(b"$"), data.find(b"\n")) if i >= 0]
        if not ends:
            return b""
        self._discarding = False
        return data[min(ends):]

    def _line(self, line: bytes, out: list[Sentence]) -> None:
        parts = line.split(b"$")
        noise = parts[0].lstrip(_WHITESPACE)
        if noise:
            if len(noise) > MAX_LINE_BYTES + 1:
                self.counters.overlong += 1
            else:
                self.counters.malformed += 1
        for segment in parts[1:]:
            self._segment(segment, out)

    def _segment(self, segment: bytes, out: list[Sentence]) -> None:
        counters = self.counters
        # +1 for the '$' that split() removed; a trailing '\r' is allowed.
        length = len(segment) + 1 - (1 if segment.endswith(b"\r") else 0)
        if length > MAX_LINE_BYTES:
            counters.overlong += 1
            return
        star = segment.find(b"*")
        if star < 0:
            counters.malformed += 1
            return
        body = segment[:star]
        crc_text = segment[star + 1:star + 5]
        rest = segment[star + 5:]
        try:
            # Only hex digits: int(x, 16) alone would also take "0x79".
            if len(crc_text) != 4 or crc_text.strip(_HEX_DIGITS):
                raise ValueError
            crc = int(crc_text, 16)
        except ValueError:
            counters.malformed += 1
            return
        if binascii.crc_hqx(body, _CRC_INIT) != crc:
            counters.crc_errors += 1
            return
        sentence = self._parse(body)
        if sentence is None:
            counters.malformed += 1
            return
        if rest and rest.strip(_WHITESPACE):
            # Junk after a good sentence: counted, the sentence is kept. A
            # dropped segment costs one count, never two.
            counters.malformed += 1
        counters.sentences += 1
        out.append(sentence)

    def _parse(self, body: bytes) -> Sentence | None:
        try:
            text = body.decode("ascii")
            kind, _, rest = text.partition(",")
            fields = rest.split(",") if rest else []
            if kind == "F":
                # Hot path: one F sentence per load-cell sample.
                sample = ForceSample.from_fields(fields)
                if self.force_channels is not None and len(sample.raw) != self.force_channels:
                    return None
                return sample
            if kind == "D":
                return DistanceSample.from_fields(fields)
            cls = SENTENCE_TYPES.get(kind)
            if cls is None:
                return None
            return cls.from_fields(fields)
        except (ValueError, UnicodeDecodeError):
            return None
