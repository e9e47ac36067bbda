"""(h) The wire's ceiling: how many bytes per second the host side can take in.

One stream of 4-channel F sentences (plus D at 1/20 of the F rate), framed
with ``binascii.crc_hqx``. Measured in the same run, medians of interleaved
repeats:

- baseline: ``StreamDecoder(reference=True)``, every line through the
  general path (no bulk fast path);
- decoder: ``StreamDecoder.feed_rows`` on 4 KB chunks, as the reader does;
- stream: ``DeviceStream.feed`` + ``take_blocks`` (the reader's whole work
  per chunk: decoding, continuity rules, time axis, blocks);
- link: a real pty, a station thread writing the stream as fast as the pty
  takes it after START, ``DeviceLink`` (record's read pacing) draining it;
  and the same with the pacing wait after every read (the link before
  ``PACING_SKIP_BYTES``), as its baseline.

Each figure is printed in kB/s and as the 4-channel force rate it could
carry; 250000 baud carries 25 kB/s. Usage: ``python benchmarks/bench_link_ceiling.py``.
"""

from __future__ import annotations

import binascii
import os
import random
import select
import threading
import time
import tty

from common import interleave, median

CHUNK = 4096
N_FORCE = 40_000
CHANNELS = 4


def frame(body: str) -> bytes:
    data = body.encode("ascii")
    return b"$" + data + b"*" + b"%04X" % binascii.crc_hqx(data, 0xFFFF) + b"\r\n"


def make_stream(n_force: int = N_FORCE, rate_hz: int = 2000) -> bytes:
    rng = random.Random(1)
    step_us = 1_000_000 // rate_hz
    out = []
    t_us = 1_000_000
    for i in range(n_force):
        raws = ",".join(str(rng.randrange(-400_000, 400_000)) for _ in range(CHANNELS))
        out.append(frame(f"F,{i % 65536},{t_us},{raws}"))
        if i % 20 == 0:
            out.append(frame(f"D,{(i // 20) % 65536},{t_us},{rng.randrange(0, 600)}"))
        t_us += step_us
    return b"".join(out)


def hello(rate_hz: int = 2000) -> bytes:
    return frame(f"HELLO,1,bench,0000BEEF,{CHANNELS},{rate_hz},hcsr04") + b"".join(
        frame(f"CAL,{ch},0,100.0000") for ch in range(CHANNELS))


def _decode(data: bytes, reference: bool) -> int:
    from backstation.protocol.decoder import StreamDecoder
    decoder = StreamDecoder(force_channels=CHANNELS, reference=reference)
    return sum(len(decoder.feed_rows(data[i:i + CHUNK])) for i in range(0, len(data), CHUNK))


def _stream(data: bytes) -> int:
    from backstation.protocol.stream import DeviceStream
    stream = DeviceStream()
    stream.feed(hello(), 0.0)
    n = 0
    for k, i in enumerate(range(0, len(data), CHUNK)):
        stream.feed(data[i:i + CHUNK], k * 0.001)
        force, _ = stream.take_blocks()
        n += len(force)
    return n


def _through_link(data: bytes) -> float:
    """Seconds from START to the last force sample drained from a DeviceLink."""
    from backstation.link import DeviceLink
    from backstation.record import RECORD_READ_PACING_S
    master, slave = os.openpty()
    tty.setraw(master)
    path = os.ttyname(slave)
    stop = threading.Event()
    started = threading.Event()

    def station() -> None:
        pending = b""
        while not stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.02)
            if not ready:
                continue
            pending += os.read(master, 4096)
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                word = line.split(b"*")[0].strip().upper()
                if word == b"INFO":
                    os.write(master, hello())
                elif word == b"START":
                    os.write(master, frame("ACK,START"))
                    started.set()
                    view = memoryview(data)
                    while view and not stop.is_set():
                        _, w, _ = select.select([], [master], [], 0.5)
                        if w:
                            view = view[os.write(master, view[:4096]):]
                elif word:
                    os.write(master, frame(f"ACK,{word.decode()}"))

    thread = threading.Thread(target=station, daemon=True)
    thread.start()
    link = DeviceLink(path, hello_timeout_s=0.1, info_timeout_s=5.0,
                      read_pacing_s=RECORD_READ_PACING_S)
    want = data.count(b"$F,")
    try:
        link.open()
        t0 = time.perf_counter()
        link.start()
        got = 0
        while got < want:
            force, _ = link.drain(timeout_s=1.0)
            got += len(force)
            if time.perf_counter() - t0 > 120:
                raise RuntimeError(f"only {got} of {want} samples in 120 s")
        return time.perf_counter() - t0
    finally:
        stop.set()
        link.close()
        thread.join(2.0)
        os.close(master)
        os.close(slave)


def main() -> None:
    data = make_stream()
    n_force = data.count(b"$F,")
    kb = len(data) / 1000
    per_sample = len(data) / n_force
    runs = interleave({
        "baseline: reference decoder": lambda: _decode(data, True),
        "decoder: feed_rows (bulk path)": lambda: _decode(data, False),
        "stream: DeviceStream.feed + take_blocks": lambda: _stream(data),
    }, reps=5)
    from backstation.link import link as link_module
    runs["link: pty -> DeviceLink -> drain"] = [_through_link(data) for _ in range(2)]
    skip = link_module.PACING_SKIP_BYTES
    link_module.PACING_SKIP_BYTES = 1 << 30
    try:
        runs["link baseline: paced after every read"] = [_through_link(data[:len(data) // 8])]
    finally:
        link_module.PACING_SKIP_BYTES = skip
    print(f"# wire ceiling: {n_force} F sentences ({CHANNELS} channels) + D, {kb:.0f} kB, "
          f"{per_sample:.1f} bytes per force sample (D included)")
    print(f"# 250000 baud = 25 kB/s = {25_000 / per_sample:.0f} force samples/s of this stream")
    for name, seconds in runs.items():
        share = 8 if name.startswith("link baseline") else 1   # it ran on 1/8 of the stream
        s = median(seconds) * share
        print(f"{name:42s} {kb / s:8.0f} kB/s  {n_force / s:9.0f} force samples/s  "
              f"({s * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
