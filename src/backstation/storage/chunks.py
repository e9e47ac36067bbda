"""Sample blocks as chunk rows: one row per append, concatenated in
``chunk_no`` order on load. Each append also bumps the session's running
sample count in the same transaction, so the count on the session row always
matches what is stored, even after a crash."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from ..samples import DistanceBlock, ForceBlock
from .blobs import (GAP_DTYPE, RAW_DTYPE, SEQ_DTYPE, T_HOST_OFFSET_DTYPE, from_blob, times_fit,
                    times_from_blobs, times_to_blobs, to_blob)
from .errors import StorageError


def _next_chunk_no(conn: sqlite3.Connection, table: str, session_id: int) -> int:
    return conn.execute(f"SELECT COALESCE(MAX(chunk_no) + 1, 0) FROM {table} "
                        "WHERE session_id = ?", (session_id,)).fetchone()[0]


def _halves(block: ForceBlock | DistanceBlock) -> list[ForceBlock | DistanceBlock]:
    """Split a block whose times do not fit one row (never seen from a real
    device: a reboot gap of over 35 minutes inside one flush)."""
    mid = len(block) // 2
    cls = type(block)
    payload = block.raw if isinstance(block, ForceBlock) else block.gap_mm
    return [cls(block.seq[part], block.t_device_us[part], payload[part], block.t_host_s[part])
            for part in (slice(None, mid), slice(mid, None))]


def insert_force(conn: sqlite3.Connection, session_id: int, block: ForceBlock) -> None:
    n = len(block)
    if n == 0:
        return
    if block.raw.shape != (n, block.channels):
        raise ValueError(f"raw has shape {block.raw.shape} for {n} samples")
    if not times_fit(block.t_device_us, block.t_host_s):
        for half in _halves(block):
            insert_force(conn, session_id, half)
        return
    t0, h0, t_blob, host_blob = times_to_blobs(block.t_device_us, block.t_host_s)
    conn.execute(
        "INSERT INTO force_chunks (session_id, chunk_no, n, channels, t_first_us, t_last_us,"
        " t_host_first_s, seq, t_device_us, raw, t_host_s)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, _next_chunk_no(conn, "force_chunks", session_id), n, block.channels,
         t0, int(block.t_device_us.max()), h0, to_blob(block.seq, SEQ_DTYPE), t_blob,
         to_blob(block.raw, RAW_DTYPE), host_blob))
    conn.execute("UPDATE sessions SET force_samples = force_samples + ? WHERE id = ?",
                 (n, session_id))


def insert_distance(conn: sqlite3.Connection, session_id: int, block: DistanceBlock) -> None:
    n = len(block)
    if n == 0:
        return
    if not times_fit(block.t_device_us, block.t_host_s):
        for half in _halves(block):
            insert_distance(conn, session_id, half)
        return
    t0, h0, t_blob, host_blob = times_to_blobs(block.t_device_us, block.t_host_s)
    conn.execute(
        "INSERT INTO distance_chunks (session_id, chunk_no, n, t_first_us, t_last_us,"
        " t_host_first_s, seq, t_device_us, gap_mm, t_host_s)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, _next_chunk_no(conn, "distance_chunks", session_id), n,
         t0, int(block.t_device_us.max()), h0, to_blob(block.seq, SEQ_DTYPE), t_blob,
         to_blob(block.gap_mm, GAP_DTYPE), host_blob))
    conn.execute("UPDATE sessions SET distance_samples = distance_samples + ? WHERE id = ?",
                 (n, session_id))


# The columns a chunk row is decoded from, in this order (force_from_rows,
# distance_from_rows): what read_force reads here, and what a team server's
# copy of a session hands back (team/read.py).
FORCE_READ_COLUMNS: tuple[str, ...] = (
    "n", "channels", "t_first_us", "t_host_first_s", "seq", "t_device_us", "raw", "t_host_s")
DISTANCE_READ_COLUMNS: tuple[str, ...] = (
    "n", "t_first_us", "t_host_first_s", "seq", "t_device_us", "gap_mm", "t_host_s")


def force_from_rows(rows: Iterable[Sequence], session_id: int,
                    default_channels: int) -> ForceBlock:
    """The force chunk rows (``FORCE_READ_COLUMNS``, in ``chunk_no`` order) as one block."""
    blocks = []
    for n, channels, t0, h0, seq, t_dev, raw, t_host in rows:
        if blocks and channels != blocks[0].channels:
            raise StorageError(f"session {session_id}: force chunks disagree on the "
                               f"channel count ({blocks[0].channels} then {channels})")
        t, host = times_from_blobs(t0, h0, t_dev, t_host, n, "force")
        blocks.append(ForceBlock(
            from_blob(seq, SEQ_DTYPE, n, "force seq"), t,
            from_blob(raw, RAW_DTYPE, n * channels, "force raw").reshape(n, channels), host))
    channels = blocks[0].channels if blocks else default_channels
    return ForceBlock.concat(blocks, channels)


def distance_from_rows(rows: Iterable[Sequence]) -> DistanceBlock:
    """The distance chunk rows (``DISTANCE_READ_COLUMNS``, in ``chunk_no`` order) as one block."""
    blocks = []
    for n, t0, h0, seq, t_dev, gap, t_host in rows:
        t, host = times_from_blobs(t0, h0, t_dev, t_host, n, "distance")
        blocks.append(DistanceBlock(from_blob(seq, SEQ_DTYPE, n, "distance seq"), t,
                                    from_blob(gap, GAP_DTYPE, n, "distance gap"), host))
    return DistanceBlock.concat(blocks)


def read_force(conn: sqlite3.Connection, session_id: int, default_channels: int) -> ForceBlock:
    return force_from_rows(conn.execute(
        f"SELECT {', '.join(FORCE_READ_COLUMNS)} FROM force_chunks WHERE session_id = ?"
        " ORDER BY chunk_no", (session_id,)), session_id, default_channels)


def read_distance(conn: sqlite3.Connection, session_id: int) -> DistanceBlock:
    return distance_from_rows(conn.execute(
        f"SELECT {', '.join(DISTANCE_READ_COLUMNS)} FROM distance_chunks WHERE session_id = ?"
        " ORDER BY chunk_no", (session_id,)))


def device_span(spans: Iterable[tuple[int | None, int | None]]) -> tuple[int, int] | None:
    """The rule for a session's span on the device time axis (its duration,
    ``records.session_info``): from its first sample to its last, force or
    distance. ``spans``: (first, last) device times of chunks, or of a table's
    chunks as ``MIN(t_first_us), MAX(t_last_us)`` (None, None when it has none).
    None when there is no sample at all. Every reader calls it: this station's
    database (``device_span_us``), a bundle (``storage/bundle_reader.py``) and
    the team server's list (team/read.py)."""
    firsts, lasts = [], []
    for first, last in spans:
        if first is not None:
            firsts.append(int(first))
            lasts.append(int(last))
    return (min(firsts), max(lasts)) if firsts else None


def device_span_us(conn: sqlite3.Connection, session_id: int) -> tuple[int, int] | None:
    """``device_span`` of a stored session."""
    return device_span(conn.execute(
        "SELECT MIN(t_first_us), MAX(t_last_us) FROM force_chunks WHERE session_id = ?1"
        " UNION ALL"
        " SELECT MIN(t_first_us), MAX(t_last_us) FROM distance_chunks WHERE session_id = ?1",
        (session_id,)))


def last_host_time_s(conn: sqlite3.Connection, session_id: int) -> float | None:
    """The host (wall-clock) arrival time of the session's newest stored sample, or None."""
    newest = None
    for table in ("force_chunks", "distance_chunks"):
        row = conn.execute(f"SELECT n, t_host_first_s, t_host_s FROM {table} WHERE session_id = ?"
                           " ORDER BY chunk_no DESC LIMIT 1", (session_id,)).fetchone()
        if row is None:
            continue
        n, h0, blob = row
        offsets = from_blob(blob, T_HOST_OFFSET_DTYPE, n, f"{table} host time")
        t = float(h0) + float(offsets.max()) / 1e6
        newest = t if newest is None else max(newest, t)
    return newest
