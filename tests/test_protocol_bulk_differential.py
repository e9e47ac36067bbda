"""The decoder's fast path against its reference twin (STYLE §15, issue 10
item 16): long random streams, thousands of sentences, every field at and
past its range, fed to ``StreamDecoder`` and to ``StreamDecoder(reference=True)``
in the same chunks must give the same sentences and the same counters.

Lines are framed with ``binascii.crc_hqx`` (tests/pty_station.py), not the project's encoder.
"""

from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st

from backstation.protocol.decoder import StreamDecoder

from .pty_station import frame

SEQ = [0, 1, 65534, 65535, 65536, 99999]
T_US = [0, 1, 4294967295, 4294967296, 9999999999]
RAW_IN = [-8388608, -8388607, -1, 0, 1, 8388606, 8388607]
RAW_OUT = [-8388609, 8388608, 99999999, -99999999]
GAP_IN = [-1, 0, 1, 9999, 10000]
GAP_OUT = [-2, 10001, 99999999, -99999999]


def random_stream(seed: int, n: int, channels: int, p_bad: float) -> bytes:
    """``n`` sentences: mostly F (``channels`` raw values) and D, each field
    in range or, with probability ``p_bad``, at or past its range; now and
    then a bad CRC, another channel count, a D with several values, a control
    sentence or noise."""
    rng = random.Random(seed)
    bad = lambda: rng.random() < p_bad  # noqa: E731

    def seq() -> int:
        return rng.choice(SEQ) if bad() else rng.randrange(65536)

    def t_us() -> int:
        return rng.choice(T_US) if bad() else rng.randrange(1 << 32)

    def raw() -> int:
        if bad():
            return rng.choice(RAW_OUT + RAW_IN)
        return rng.choice(RAW_IN) if rng.random() < 0.1 else rng.randrange(-8388608, 8388608)

    def gap() -> int:
        if bad():
            return rng.choice(GAP_OUT + GAP_IN)
        return rng.randrange(-1, 10001)

    out = bytearray()
    for _ in range(n):
        kind = rng.random()
        crc_ok = not bad()
        if kind < 0.75:
            k = rng.randint(1, 4) if bad() else channels
            body = f"F,{seq()},{t_us()}," + ",".join(str(raw()) for _ in range(k))
        elif kind < 0.95:
            values = [gap() for _ in range(rng.randint(2, 4) if bad() else 1)]
            body = f"D,{seq()},{t_us()}," + ",".join(map(str, values))
        elif kind < 0.97:
            body = f"STAT,{t_us()},8000,2000,0,0"
        elif kind < 0.98:
            body = f"HELLO,1,bs-0.1.0,1A2B3C4D,{channels},80,hcsr04"
        else:
            out += rng.choice([b"junk\r\n", b"$F,1,2*ZZZZ\r\n", b"\r\n", b"$$\n"])
            continue
        out += frame(body, crc_ok)
    return bytes(out)


def chunks(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    pieces, pos = [], 0
    while pos < len(data):
        size = rng.choice([1, 37, 500, 4096, 20000])
        pieces.append(data[pos:pos + size])
        pos += size
    return pieces


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), channels=st.integers(1, 4),
       known_channels=st.booleans(),
       p_bad=st.sampled_from([0.0, 0.0005, 0.002, 0.01, 0.1]))
def test_bulk_path_decodes_long_random_streams_exactly_as_the_reference(
        seed, channels, known_channels, p_bad):
    data = random_stream(seed, 3000, channels, p_bad)
    fast = StreamDecoder(force_channels=channels if known_channels else None)
    reference = StreamDecoder(force_channels=channels if known_channels else None,
                              reference=True)
    got, want = [], []
    for piece in chunks(data, seed):
        got += fast.feed(piece)
        want += reference.feed(piece)
    assert got == want
    assert fast.counters == reference.counters


def test_the_fast_paths_take_their_ranges_from_sentences():
    """One owner per range (sentences.py): the decoder's fast paths name them,
    so a range changed there changes every path alike."""
    import inspect

    import backstation.protocol.decoder as decoder

    source = inspect.getsource(decoder)
    for literal in ("65536", "4294967296", "8388607", "8388608", "10_000", "10000"):
        assert literal not in source, literal
