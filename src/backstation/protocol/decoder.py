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

Fast path. A complete line that is a canonical F or D sentence
(``$F,seq,t,raw...*HHHH\r\n``: digits only, at most four channels) is
matched in bulk by one regular expression and, if its CRC and ranges hold,
becomes a plain tuple instead of a dataclass: ``feed_rows`` returns those
tuples for the session's reader (docs/performance.md: per-sample object
construction was most of the parse cost). Anything else, and any line whose
CRC or range check fails, goes through the general path above, so counters
and output are exactly those of the general path. ``reference=True`` turns
the fast path off (every line through the general path): the twin that
tests/test_protocol_bulk_differential.py compares it with on long random
streams.
"""

from __future__ import annotations

import binascii
import re
from itertools import compress, repeat
from operator import not_
from dataclasses import dataclass, field

from .sentences import (
    MAX_GAP_MM, NO_ECHO_MM, RAW_MAX, RAW_MIN, SENTENCE_TYPES, SEQ_MODULO, T_US_MODULO,
    DistanceSample, ForceSample, Sentence,
)

MAX_LINE_BYTES = 120
_CRC_INIT = 0xFFFF
_WHITESPACE = b" \t\r\n\x00"
_HEX_DIGITS = b"0123456789ABCDEFabcdef"

FORCE_ROW = "F"      # ("F", seq, t_us, raw tuple) from feed_rows
DISTANCE_ROW = "D"   # ("D", seq, t_us, gap_mm) from feed_rows
Row = tuple
# One canonical F/D line, newline included; groups: body, type, seq, t_us,
# values, crc, optional CR. Bounded digit counts keep it well under 120 bytes.
_CANONICAL_LINE = re.compile(
    rb"\$((F|D),(\d{1,5}),(\d{1,10}),(-?\d{1,8}(?:,-?\d{1,8}){0,3}))\*([0-9A-Fa-f]{4})(\r?)\n")
_CANONICAL_LINE_OVERHEAD = 7  # "$", "*", four hex digits, "\n"
_crc_hqx = binascii.crc_hqx


@dataclass
class DecoderCounters:
    sentences: int = 0
    crc_errors: int = 0
    malformed: int = 0
    overlong: int = 0

    @property
    def errors(self) -> int:
        return self.crc_errors + self.malformed + self.overlong


@dataclass(frozen=True)
class Refusal:
    """A sentence with a good CRC refused for its content: its type, its
    fields as sent, and why, in the contract's words (``sentences.py``)."""

    kind: str
    fields: tuple[str, ...]
    reason: str


@dataclass
class StreamDecoder:
    """Frames and parses protocol v1 sentences from a byte stream.

    ``force_channels`` (set from HELLO by the caller) makes an F sentence
    with another channel count malformed; ``None`` accepts 1 to 4.
    ``refusals`` keeps, per sentence type, the last one counted as malformed
    for its content, so a caller can say why (a HELLO refused at connect).
    """

    force_channels: int | None = None
    counters: DecoderCounters = field(default_factory=DecoderCounters)
    reference: bool = False   # no fast path: the general path for every line
    refusals: dict[str, Refusal] = field(default_factory=dict)
    _tail: bytes = b""
    _discarding: bool = False

    def reset(self) -> None:
        """Forget the partial tail (after a reconnect); counters are kept."""
        self._tail = b""
        self._discarding = False

    def feed(self, data: bytes) -> list[Sentence]:
        """The complete sentences in ``data`` (and the kept tail), typed."""
        return [_typed(item) if type(item) is tuple else item for item in self.feed_rows(data)]

    def feed_rows(self, data: bytes) -> list[Sentence | Row]:
        """As ``feed``, but F and D samples come as ``FORCE_ROW`` and
        ``DISTANCE_ROW`` tuples: the hot path of a 1 kHz stream."""
        out: list = []
        if not data:
            return out
        if self._discarding:
            data = self._skip_discarded(data)
        buf = self._tail + data if self._tail else data
        end = buf.rfind(b"\n") + 1
        if end:
            self._lines(buf[:end], out)
        tail = buf[end:]
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

    def _lines(self, region: bytes, out: list) -> None:
        """Complete lines (``region`` ends with ``\\n``): canonical F/D lines in
        bulk, everything else line by line through ``_line``."""
        if self.reference:
            for line in region[:-1].split(b"\n"):
                self._line(line, out)
            return
        rows = _CANONICAL_LINE.findall(region)
        matched = (sum(map(len, [r[0] for r in rows])) + sum(len(r[6]) for r in rows)
                   + _CANONICAL_LINE_OVERHEAD * len(rows)) if rows else 0
        if matched == len(region):
            self._rows(rows, out)   # the region is canonical lines only
            return
        # Runs of consecutive canonical lines go to _rows together (its bulk
        # path needs more than a few rows); a run is flushed before the line
        # that interrupts it, so the output order is the stream's.
        pos = 0
        run: list = []
        for match in _CANONICAL_LINE.finditer(region):
            start = match.start()
            if start != pos:
                gap = region[pos:start]
                if gap[-1:] != b"\n":
                    # The match began mid-line: not a line of its own.
                    continue
                if run:
                    self._rows(run, out)
                    run = []
                for line in gap[:-1].split(b"\n"):
                    self._line(line, out)
            run.append(match.groups())
            pos = match.end()
        if run:
            self._rows(run, out)
        if pos != len(region):
            for line in region[pos:-1].split(b"\n"):
                self._line(line, out)

    def _rows(self, rows: list, out: list) -> None:
        if len(rows) > 8:
            bulk = _bulk_rows(rows, self.force_channels)
            if bulk is not None:
                out.extend(bulk)
                self.counters.sentences += len(bulk)
                return
        channels = self.force_channels
        append = out.append
        accepted = 0
        for body, kind, seq, t_us, values, crc, cr in rows:
            seq = int(seq)
            t_us = int(t_us)
            if (_crc_hqx(body, _CRC_INIT) == int(crc, 16) and seq < SEQ_MODULO
                    and t_us < T_US_MODULO):
                if kind == b"F":
                    raw = tuple(map(int, values.split(b",")))
                    if ((channels is None or len(raw) == channels)
                            and min(raw) >= RAW_MIN and max(raw) <= RAW_MAX):
                        append((FORCE_ROW, seq, t_us, raw))
                        accepted += 1
                        continue
                elif b"," not in values:
                    gap_mm = int(values)
                    if NO_ECHO_MM <= gap_mm <= MAX_GAP_MM:
                        append((DISTANCE_ROW, seq, t_us, gap_mm))
                        accepted += 1
                        continue
            # Off the fast path: the general path counts it exactly.
            self._line(b"$" + body + b"*" + crc + cr, out)
        self.counters.sentences += accepted

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
        except UnicodeDecodeError:
            return None
        kind, _, rest = text.partition(",")
        fields = rest.split(",") if rest else []
        try:
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
        except ValueError as exc:
            self.refusals[kind] = Refusal(kind, tuple(fields), str(exc))
            return None


def _typed(row: Row) -> Sentence:
    if row[0] == FORCE_ROW:
        return ForceSample(row[1], row[2], row[3])
    return DistanceSample(row[1], row[2], row[3])


def _bulk_rows(rows: list, channels: int | None) -> list[Row] | None:
    """Every row at once with C-level ``map``s, or ``None`` if any row fails
    a check (then ``_rows`` takes them one by one and counts the bad one)."""
    bodies, kinds, seqs, times, values, crcs, _ = zip(*rows)
    if list(map(_crc_hqx, bodies, repeat(_CRC_INIT))) != list(map(int, crcs, repeat(16))):
        return None
    seqs = list(map(int, seqs))
    times = list(map(int, times))
    if max(seqs) >= SEQ_MODULO or max(times) >= T_US_MODULO:
        return None
    is_force = list(map(b"F".__eq__, kinds))
    force_values = list(compress(values, is_force))
    if not force_values:
        return None
    per_row = force_values[0].count(b",") + 1
    if (channels is not None and per_row != channels) or set(
            map(bytes.count, force_values, repeat(b","))) != {per_row - 1}:
        return None
    raw = list(map(int, b",".join(force_values).split(b",")))
    if min(raw) < RAW_MIN or max(raw) > RAW_MAX:
        return None
    force_rows = zip(repeat(FORCE_ROW), compress(seqs, is_force), compress(times, is_force),
                     zip(*([iter(raw)] * per_row)))
    if len(force_values) == len(rows):
        return list(force_rows)
    is_distance = list(map(not_, is_force))
    distance_values = b",".join(compress(values, is_distance))
    gaps = list(map(int, distance_values.split(b",")))
    if len(gaps) != len(rows) - len(force_values) or min(gaps) < NO_ECHO_MM or max(gaps) > MAX_GAP_MM:
        return None   # a D with several values, or out of range
    distance_rows = zip(repeat(DISTANCE_ROW), compress(seqs, is_distance),
                        compress(times, is_distance), gaps)
    return [next(force_rows) if f else next(distance_rows) for f in is_force]
