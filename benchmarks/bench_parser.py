"""(a) Parser throughput on a recorded byte stream, sentences per second.

Four readers of the same simulator stream (2 force channels at 1 kHz,
distance at 50 Hz), alternated, medians reported:

- ours, in memory: ``StreamDecoder.feed_rows`` (what the session's reader
  uses) and ``feed`` (the typed API) on 4 KB chunks;
- naive, in memory: ``BytesIO.readline`` + ``split(",")`` + ``float()``;
- through a real pty, as a port is read: ours ``read(in_waiting or 1)`` +
  ``feed_rows``; naive ``serial.readline()`` (one byte per call) + split.
"""

from __future__ import annotations

import os
import threading
import time
import tty

from common import interleave, median, sim_stream

CHUNK = 4096


def _ours_rows(data: bytes) -> int:
    from backstation.protocol.decoder import StreamDecoder
    decoder = StreamDecoder(force_channels=2)
    return sum(len(decoder.feed_rows(data[i:i + CHUNK])) for i in range(0, len(data), CHUNK))


def _ours_typed(data: bytes) -> int:
    from backstation.protocol.decoder import StreamDecoder
    decoder = StreamDecoder(force_channels=2)
    return sum(len(decoder.feed(data[i:i + CHUNK])) for i in range(0, len(data), CHUNK))


def _through_pty(data: bytes, reader) -> float:
    """Seconds for ``reader(port_path, lines)`` to get every line of ``data``
    written into a pty by another thread as fast as the pty takes it."""
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    stop = threading.Event()

    def write() -> None:
        view = memoryview(data)
        while view and not stop.is_set():
            view = view[os.write(master, view[:4096]):]

    try:
        import serial
        ser = serial.Serial(path, 250_000, timeout=0.5)
        writer = threading.Thread(target=write, daemon=True)
        t0 = time.perf_counter()
        writer.start()
        got = reader(ser, data.count(b"\n"))
        elapsed = time.perf_counter() - t0
        ser.close()
        stop.set()
        writer.join(2.0)
        assert got == data.count(b"\n"), (got, data.count(b"\n"))
        return elapsed
    finally:
        os.close(master)
        os.close(slave)


def _pty_ours(ser, lines: int) -> int:
    from backstation.protocol.decoder import StreamDecoder
    decoder = StreamDecoder(force_channels=2)
    got = 0
    while got < lines:
        data = ser.read(ser.in_waiting or 1)
        if not data:
            break
        got += len(decoder.feed_rows(data))
    c = decoder.counters
    return got + c.errors


def _pty_naive(ser, lines: int) -> int:
    from baselines.naive_ingest import parse_line
    rows = []
    for _ in range(lines):
        line = ser.readline()
        if not line:
            break
        values = parse_line(line)
        if values is not None:
            rows.append(values)
    return lines if len(rows) >= lines - 5 else len(rows)


def run(reps: int = 7, seconds: float = 30.0, pty_seconds: float = 8.0) -> dict:
    from baselines.naive_ingest import parse_bytes
    data = sim_stream(seconds)
    n = data.count(b"\n")
    times = interleave({"rows": lambda: _ours_rows(data), "typed": lambda: _ours_typed(data),
                        "naive": lambda: parse_bytes(data)}, reps)
    small = sim_stream(pty_seconds, seed=2)
    m = small.count(b"\n")
    pty = {"ours": [], "naive": []}
    for _ in range(max(3, reps // 2)):
        pty["ours"].append(_through_pty(small, _pty_ours))
        pty["naive"].append(_through_pty(small, _pty_naive))
    return {"sentences": n, "pty_sentences": m,
            "rows_per_s": n / median(times["rows"]), "typed_per_s": n / median(times["typed"]),
            "naive_per_s": n / median(times["naive"]),
            "pty_ours_per_s": m / median(pty["ours"]), "pty_naive_per_s": m / median(pty["naive"])}


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=1))
