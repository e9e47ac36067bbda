"""StreamDecoder framing: how bytes become sentences, and what bad bytes cost.

The rules under test (docs/protocol.md, "Framing"): a segment starts at `$`
and ends at the next `$` or `\\n`; one `\\r` before the end is ignored; text
outside segments is noise, one malformed per non-blank run; a segment over
120 bytes is one overlong; no `*` + 4 hex digits is one malformed; a CRC
mismatch is one crc_error; an off-contract body is one malformed; junk after
a good `*XXXX` is one malformed and the sentence is kept.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backstation.protocol import (
    MAX_LINE_BYTES, Ack, Cal, DistanceSample, Err, ForceSample, Hello, Stat,
    StreamDecoder, crc_hex, encode, frame,
)

PROPERTY = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

F1 = ForceSample(1, 1000, (12345, -2345))
F2 = ForceSample(2, 13500, (12350, -2340))
D1 = DistanceSample(1, 1200, 412)


def counts(decoder: StreamDecoder) -> dict:
    return asdict(decoder.counters)


def decode(data: bytes, chunk: int | None = None) -> tuple[list, StreamDecoder]:
    decoder = StreamDecoder()
    out = []
    if chunk is None:
        out += decoder.feed(data)
    else:
        for i in range(0, len(data), chunk):
            out += decoder.feed(data[i:i + chunk])
    return out, decoder


def only(decoder: StreamDecoder, **expected: int) -> None:
    """Every error counter is zero except the ones named."""
    got = {k: v for k, v in counts(decoder).items() if k in ("crc_errors", "malformed", "overlong")}
    want = {"crc_errors": 0, "malformed": 0, "overlong": 0, **expected}
    assert got == want


# -- line endings and resynchronisation ---------------------------------------------------


def test_crlf_and_lf_endings_both_end_a_sentence():
    body = F1.body().encode()
    data = b"$" + body + b"*" + crc_hex(body) + b"\n" + encode(F2)
    out, decoder = decode(data)
    assert out == [F1, F2]
    only(decoder)


def test_blank_lines_cost_nothing():
    out, decoder = decode(b"\r\n\n  \t\r\n" + encode(F1) + b"\n\r\n")
    assert out == [F1]
    only(decoder)


def test_a_sentence_is_held_until_its_newline_arrives():
    decoder = StreamDecoder()
    line = encode(F1)
    assert decoder.feed(line[:-1]) == []
    assert decoder.feed(line[-1:]) == [F1]


def test_garbage_before_dollar_costs_no_sentence():
    out, decoder = decode(b"boot garbage \xff\xfe" + encode(F1))
    assert out == [F1]
    only(decoder, malformed=1)


def test_a_noise_line_is_one_malformed():
    out, decoder = decode(b"Hello from the bootloader\r\n" + encode(F1))
    assert out == [F1]
    only(decoder, malformed=1)


def test_missing_newline_between_two_sentences_keeps_both():
    first = encode(F1).rstrip(b"\r\n")
    out, decoder = decode(first + encode(F2))
    assert out == [F1, F2]
    only(decoder)
    out, decoder = decode(first + b"\r" + encode(F2))
    assert out == [F1, F2]
    only(decoder)


def test_a_truncated_sentence_costs_itself_only():
    out, decoder = decode(encode(F1)[:12] + encode(F2))
    assert out == [F2]
    only(decoder, malformed=1)


def test_overlong_segment_counts_once_then_resyncs():
    data = b"$F," + b"1" * 200 + b"*0000\r\n" + encode(F1)
    for chunk in (None, 1, 7, 64):
        out, decoder = decode(data, chunk)
        assert out == [F1], chunk
        only(decoder, overlong=1)


def test_overlong_segment_ended_by_the_next_dollar_resyncs():
    data = b"$" + b"A" * 300 + encode(F1) + encode(F2)
    for chunk in (None, 1, 50):
        out, decoder = decode(data, chunk)
        assert out == [F1, F2], chunk
        only(decoder, overlong=1)


def test_a_120_byte_segment_is_accepted_and_121_is_overlong():
    def line_of_length(n: int) -> bytes:
        # "$ACK,X,<pad>*CRC" is n bytes before the line ending.
        pad = b"P" * (n - len(b"$ACK,X,*0000"))
        body = b"ACK,X," + pad
        return b"$" + body + b"*" + crc_hex(body)

    assert len(line_of_length(MAX_LINE_BYTES)) == MAX_LINE_BYTES
    for ending in (b"\n", b"\r\n"):
        for chunk in (None, 1):
            out, decoder = decode(line_of_length(MAX_LINE_BYTES) + ending, chunk)
            assert len(out) == 1
            out, decoder = decode(line_of_length(MAX_LINE_BYTES + 1) + ending, chunk)
            assert out == []
            only(decoder, overlong=1)


def test_endless_line_keeps_memory_bounded_and_counts_overlong():
    decoder = StreamDecoder()
    junk = bytes(range(0x41, 0x5B)) * 400  # 10,400 bytes, no `$`, no newline
    for i in range(0, len(junk), 37):
        decoder.feed(junk[i:i + 37])
        assert len(decoder._tail) <= 2 * MAX_LINE_BYTES
    assert decoder.counters.overlong == 1
    assert decoder.feed(encode(F1)) == [F1]
    only(decoder, overlong=1)


def test_endless_dollar_segments_keep_memory_bounded():
    decoder = StreamDecoder()
    junk = (b"$" + b"7" * 199) * 50  # fifty 200-byte segments, no newline
    for i in range(0, len(junk), 333):
        decoder.feed(junk[i:i + 333])
        assert len(decoder._tail) <= 2 * MAX_LINE_BYTES
    assert decoder.feed(encode(F1)) == [F1]
    only(decoder, overlong=50)


def test_a_long_run_of_blank_bytes_costs_nothing_however_it_is_chunked():
    """NULs and spaces (a floating RX line, a resetting board) are not a line."""
    data = b"\x00" * 500 + b" " * 500 + encode(F1)
    for chunk in (None, 1, 100):
        out, decoder = decode(data, chunk)
        assert out == [F1], chunk
        only(decoder)


# -- the star and the CRC -------------------------------------------------------------------


def test_junk_after_a_good_crc_is_one_malformed_and_the_sentence_is_kept():
    line = encode(F1).rstrip(b"\r\n") + b" junk\r\n"
    out, decoder = decode(line + encode(F2))
    assert out == [F1, F2]
    only(decoder, malformed=1)


def test_whitespace_after_a_good_crc_costs_nothing():
    out, decoder = decode(encode(F1).rstrip(b"\r\n") + b" \t \r\n")
    assert out == [F1]
    only(decoder)


def test_junk_after_a_bad_crc_costs_one_crc_error_only():
    body = F1.body().encode()
    out, decoder = decode(b"$" + body + b"*0000 junk\r\n")
    assert out == []
    only(decoder, crc_errors=1)


def test_lowercase_hex_crc_is_accepted():
    body = F1.body().encode()
    out, decoder = decode(b"$" + body + b"*" + crc_hex(body).lower() + b"\r\n")
    assert out == [F1]
    only(decoder)


def test_a_wrong_crc_is_one_crc_error():
    body = F1.body().encode()
    wrong = b"%04X" % (int(crc_hex(body), 16) ^ 0x0100)
    out, decoder = decode(b"$" + body + b"*" + wrong + b"\r\n" + encode(F2))
    assert out == [F2]
    only(decoder, crc_errors=1)


@pytest.mark.parametrize("tail", [b"", b"*", b"*12", b"*123", b"*12G4", b"* 123", b"*+123",
                                  b"*-123", b"*1_23"])
def test_missing_star_or_not_four_hex_digits_is_one_malformed(tail):
    out, decoder = decode(b"$" + F1.body().encode() + tail + b"\r\n")
    assert out == []
    only(decoder, malformed=1)


def test_a_0x_prefix_is_not_four_hex_digits():
    body = b"ACK,PING,16"  # its CRC is 0x0079, which int("0x79", 16) would also read
    assert crc_hex(body) == b"0079"
    out, decoder = decode(b"$" + body + b"*0x79\r\n")
    assert out == []
    only(decoder, malformed=1)


def test_non_ascii_body_with_a_good_crc_is_malformed():
    out, decoder = decode(frame(b"ACK,\xc3\xa9"))
    assert out == []
    only(decoder, malformed=1)


def test_reset_forgets_the_partial_tail_but_keeps_counters():
    decoder = StreamDecoder()
    decoder.feed(b"noise\n" + encode(F1)[:10])
    decoder.reset()
    assert decoder.feed(encode(F2)) == [F2]
    assert decoder.counters.malformed == 1 and decoder.counters.sentences == 1


# -- property tests ---------------------------------------------------------------------------

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
raw24 = st.integers(-(1 << 23), (1 << 23) - 1)
word = st.text("abcdefghijklmnopqrstuvwxyz0123456789_.-+", min_size=1, max_size=12)
sentences = st.one_of(
    st.builds(ForceSample, u16, u32, st.lists(raw24, min_size=1, max_size=4).map(tuple)),
    st.builds(DistanceSample, u16, u32, st.integers(-1, 10_000)),
    st.builds(Hello, st.just(1), word, st.text("0123456789ABCDEF", min_size=8, max_size=8),
              st.integers(1, 4), st.sampled_from([10, 80]),
              st.sampled_from(["hcsr04", "vl53l0x", "vl53l1x", "none"])),
    st.builds(Cal, st.integers(0, 3), raw24,
              st.integers(1, 10**8).map(lambda n: n / 10**4)),
    st.builds(Stat, u32, u32, u32, u32, u32),
    st.builds(Ack, word.map(str.upper), st.lists(word, max_size=3).map(tuple)),
    st.builds(Err, word.map(str.upper), word.map(str.lower)),
)


@st.composite
def wire_streams(draw, min_size=0):
    """Random sentences on the wire, each ending in CRLF or LF; their byte spans."""
    # Distinct sentences, so a decoded one names exactly one original.
    items = draw(st.lists(sentences, min_size=min_size, max_size=8, unique_by=lambda s: s.body()))
    data = b""
    spans = []
    for sentence in items:
        line = encode(sentence)
        if draw(st.booleans()):
            line = line[:-2] + b"\n"
        spans.append((len(data), len(data) + len(line)))
        data += line
    return items, data, spans


def split_points(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    chunks, last = [], 0
    for p in points + [len(data)]:
        chunks.append(data[last:p])
        last = p
    return chunks


@PROPERTY
@given(wire_streams(), st.lists(st.integers(0, 2000), max_size=40))
def test_any_chunking_of_a_valid_stream_decodes_the_same(stream, cuts):
    items, data, _ = stream
    whole, whole_decoder = decode(data)
    assert whole == items
    decoder = StreamDecoder()
    pieces = []
    for chunk in split_points(data, cuts):
        pieces += decoder.feed(chunk)
    assert pieces == items
    assert counts(decoder) == counts(whole_decoder)


@settings(PROPERTY, max_examples=50)
@given(wire_streams())
def test_one_byte_chunks_decode_a_valid_stream_the_same(stream):
    items, data, _ = stream
    out, decoder = decode(data, chunk=1)
    assert out == items
    only(decoder)
    assert decoder.counters.sentences == len(items)


# Byte soup that hits the framing rules: delimiters, long runs, blank runs,
# half sentences, whole sentences and random bytes.
TOKENS = st.one_of(
    st.sampled_from([b"$", b"*", b"\n", b"\r", b"\r\n", b" ", b"\x00", b"*FFFF", b"*0x79",
                     b"A" * 119, b"\x00" * 130, b"$" + b"7" * 125, b"F,1,2,3"]),
    st.binary(max_size=8),
    sentences.map(encode),
    sentences.map(lambda s: encode(s)[:-2]),
)


@PROPERTY
@given(st.lists(TOKENS, max_size=40).map(b"".join), st.lists(st.integers(0, 3000), max_size=30))
def test_any_bytes_decode_the_same_however_chunked_and_never_raise(data, cuts):
    whole, whole_decoder = decode(data)
    decoder = StreamDecoder()
    pieces = []
    for chunk in split_points(data, cuts):
        pieces += decoder.feed(chunk)
        assert len(decoder._tail) <= 2 * MAX_LINE_BYTES
    assert pieces == whole
    assert counts(decoder) == counts(whole_decoder)


# Garbage that cannot spell a new sentence by itself: no letters, digits or
# field punctuation, so a decoded sentence that is not an original would need
# a CRC-16 collision on a body that still parses. Framing bytes are weighted in.
SAFE_BYTES = bytes(b for b in range(256) if not (chr(b).isalnum() or chr(b) in ",.-+_"))
GARBAGE_ALPHABET = b"$*\n\r \x00" * 8 + SAFE_BYTES
garbage = st.one_of(
    st.binary(min_size=1, max_size=60).map(
        lambda raw: bytes(GARBAGE_ALPHABET[b % len(GARBAGE_ALPHABET)] for b in raw)),
    st.sampled_from([b"#" * 130, b"$" + b"#" * 130, b"\x00" * 200]),
)


@PROPERTY
@given(wire_streams(min_size=1),
       st.lists(st.tuples(st.integers(0, 10_000), garbage), min_size=1, max_size=6),
       st.lists(st.integers(0, 5000), max_size=10))
def test_inserted_garbage_costs_only_the_sentences_it_touched(stream, insertions, cuts):
    """An insertion at position p touches the sentence spanning [a, b) iff a < p < b:
    inserting right before its `$` (p == a) is noise before, or a segment ended by,
    its `$`; inserting right after its `\\n` (p == b) comes after it."""
    items, data, spans = stream
    placed = sorted((p % (len(data) + 1), g) for p, g in insertions)
    corrupted, last = b"", 0
    for p, g in placed:
        corrupted += data[last:p] + g
        last = p
    corrupted += data[last:]
    touched = {i for i, (a, b) in enumerate(spans) for p, _ in placed if a < p < b}

    decoder = StreamDecoder()
    out = []
    for chunk in split_points(corrupted, cuts):
        out += decoder.feed(chunk)

    # Decoded sentences are originals, in order (a subsequence of the stream) ...
    remaining = iter(enumerate(items))
    kept = []
    for sentence in out:
        index = next((i for i, original in remaining if original == sentence), None)
        assert index is not None, f"{sentence} is not in the stream, or out of order"
        kept.append(index)
    # ... and every untouched sentence is among them.
    assert set(range(len(items))) - touched <= set(kept)


@PROPERTY
@given(wire_streams(min_size=1), st.data())
def test_each_single_byte_substitution_in_a_body_is_one_crc_error(stream, data):
    items, wire, spans = stream
    corrupt = data.draw(st.sets(st.integers(0, len(items) - 1), min_size=1))
    damaged = bytearray(wire)
    for i in corrupt:
        a, _ = spans[i]
        body_len = len(items[i].body())
        pos = a + 1 + data.draw(st.integers(0, body_len - 1))
        new = data.draw(st.sampled_from(
            [b for b in range(256) if b != damaged[pos] and b not in b"$*\n"]))
        damaged[pos] = new
    out, decoder = decode(bytes(damaged))
    assert out == [s for i, s in enumerate(items) if i not in corrupt]
    only(decoder, crc_errors=len(corrupt))
