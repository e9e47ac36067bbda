"""The hobbyist's ingest: ``serial.readline().split(",")``, ``float()`` per
field, no CRC, no framing rules, rows appended to a list (and to a CSV file).

Used two ways by the benchmarks: ``parse_bytes`` on a recorded byte stream
(the parse alone, in memory) and as a script reading a real port::

    python benchmarks/baselines/naive_ingest.py --port /dev/pts/N --duration 60 --csv out.csv
"""

from __future__ import annotations

import argparse
import io
import sys
import time


def parse_line(line: bytes) -> list[float] | None:
    parts = line.decode(errors="replace").strip().lstrip("$").split("*")[0].split(",")
    try:
        return [float(x) for x in parts[1:]]
    except ValueError:
        return None


def parse_bytes(data: bytes) -> list[list[float]]:
    """Every line of ``data`` the way a readline loop sees it."""
    f = io.BytesIO(data)
    rows = []
    while True:
        line = f.readline()
        if not line:
            return rows
        values = parse_line(line)
        if values is not None:
            rows.append(values)


def read_port(port: str, duration_s: float, csv_path: str | None, max_lines: int | None = None,
              baud: int = 250_000) -> int:
    import serial
    ser = serial.Serial(port, baud, timeout=0.1)
    time.sleep(0.3)                # the board reboots when the port opens
    ser.write(b"START*0D17\n")     # the station streams after START (docs/design.md §3)
    rows = []
    out = open(csv_path, "w") if csv_path else None
    deadline = time.monotonic() + duration_s
    try:
        while time.monotonic() < deadline:
            line = ser.readline()
            if not line:
                continue
            values = parse_line(line)
            if values is None:
                continue
            rows.append(values)
            if out is not None:
                out.write(",".join(map(str, values)) + "\n")
            if max_lines is not None and len(rows) >= max_lines:
                break
    finally:
        ser.close()
        if out is not None:
            out.close()
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", required=True)
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--csv")
    args = p.parse_args(argv)
    n = read_port(args.port, args.duration, args.csv)
    print(n, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
