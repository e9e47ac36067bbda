"""Sample blocks as chunk rows: one row per append, concatenated in
``chunk_no`` order on load. Each append also bumps the session's running
sample count in the same transaction, so the count on the session row always
matches what is stored, even after a crash."""

from __future__ import annotations

import sqlite3

from ..samples import DistanceBlock, ForceBlock
from .blobs import GAP_DTYPE, RAW_DTYPE, SEQ_DTYPE, T_DEVICE_DTYPE, T_HOST_DTYPE, from_blob, to_blob
from .errors import StorageError


def _next_chunk_no(conn: sqlite3.Connection, table: str, session_id: int) -> int:
    return conn.execute(f"SELECT COALESCE(MAX(chunk_no) + 1, 0) FROM {table} "
                        "WHERE session_id = ?", (session_id,)).fetchone()[0]


def insert_force(conn: sqlite3.Connection, session_id: int, block: ForceBlock) -> None:
    n = len(block)
    if n == 0:
        return
    if block.raw.shape != (n, block.channels):
        raise ValueError(f"raw has shape {block.raw.shape} for {n} samples")
    conn.execute(
        "INSERT INTO force_chunks (session_id, chunk_no, n, channels, t_first_us, t_last_us,"
        " seq, t_device_us, raw, t_host_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, _next_chunk_no(conn, "force_chunks", session_id), n, block.channels,
         int(block.t_device_us[0]), int(block.t_device_us[-1]),
         to_blob(block.seq, SEQ_DTYPE), to_blob(block.t_device_us, T_DEVICE_DTYPE),
         to_blob(block.raw, RAW_DTYPE), to_blob(block.t_host_s, T_HOST_DTYPE)))
    conn.execute("UPDATE sessions SET force_samples = force_samples + ? WHERE id = ?",
                 (n, session_id))


def insert_distance(conn: sqlite3.Connection, session_id: int, block: DistanceBlock) -> None:
    n = len(block)
    if n == 0:
        return
    conn.execute(
        "INSERT INTO distance_chunks (session_id, chunk_no, n, t_first_us, t_last_us,"
        " seq, t_device_us, gap_mm, t_host_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, _next_chunk_no(conn, "distance_chunks", session_id), n,
         int(block.t_device_us[0]), int(block.t_device_us[-1]),
         to_blob(block.seq, SEQ_DTYPE), to_blob(block.t_device_us, T_DEVICE_DTYPE),
         to_blob(block.gap_mm, GAP_DTYPE), to_blob(block.t_host_s, T_HOST_DTYPE)))
    conn.execute("UPDATE sessions SET distance_samples = distance_samples + ? WHERE id = ?",
                 (n, session_id))


def read_force(conn: sqlite3.Connection, session_id: int, default_channels: int) -> ForceBlock:
    blocks = []
    for n, channels, seq, t_dev, raw, t_host in conn.execute(
            "SELECT n, channels, seq, t_device_us, raw, t_host_s FROM force_chunks "
            "WHERE session_id = ? ORDER BY chunk_no", (session_id,)):
        if blocks and channels != blocks[0].channels:
            raise StorageError(f"session {session_id}: force chunks disagree on the "
                               f"channel count ({blocks[0].channels} then {channels})")
        blocks.append(ForceBlock(
            from_blob(seq, SEQ_DTYPE, n, "force seq"),
            from_blob(t_dev, T_DEVICE_DTYPE, n, "force time"),
            from_blob(raw, RAW_DTYPE, n * channels, "force raw").reshape(n, channels),
            from_blob(t_host, T_HOST_DTYPE, n, "force host time")))
    channels = blocks[0].channels if blocks else default_channels
    return ForceBlock.concat(blocks, channels)


def read_distance(conn: sqlite3.Connection, session_id: int) -> DistanceBlock:
    blocks = [
        DistanceBlock(from_blob(seq, SEQ_DTYPE, n, "distance seq"),
                      from_blob(t_dev, T_DEVICE_DTYPE, n, "distance time"),
                      from_blob(gap, GAP_DTYPE, n, "distance gap"),
                      from_blob(t_host, T_HOST_DTYPE, n, "distance host time"))
        for n, seq, t_dev, gap, t_host in conn.execute(
            "SELECT n, seq, t_device_us, gap_mm, t_host_s FROM distance_chunks "
            "WHERE session_id = ? ORDER BY chunk_no", (session_id,))]
    return DistanceBlock.concat(blocks)


def device_span_us(conn: sqlite3.Connection, session_id: int) -> tuple[int, int] | None:
    """First and last device time of any stored sample, or None."""
    row = conn.execute(
        "SELECT MIN(first), MAX(last) FROM ("
        " SELECT MIN(t_first_us) AS first, MAX(t_last_us) AS last FROM force_chunks"
        "  WHERE session_id = ?1"
        " UNION ALL"
        " SELECT MIN(t_first_us), MAX(t_last_us) FROM distance_chunks WHERE session_id = ?1)",
        (session_id,)).fetchone()
    return None if row[0] is None else (int(row[0]), int(row[1]))
