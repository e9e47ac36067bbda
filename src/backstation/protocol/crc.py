"""CRC-16/CCITT-FALSE, the checksum of every protocol v1 sentence.

Poly 0x1021, init 0xFFFF, no reflection, no final xor; the check value for
b"123456789" is 0x29B1. ``binascii.crc_hqx`` computes exactly this polynomial
in C, which keeps checksumming off the parser's profile.
"""

from __future__ import annotations

import binascii

CRC_INIT = 0xFFFF


def crc16_ccitt_false(data: bytes) -> int:
    """Return the CRC-16/CCITT-FALSE of ``data``."""
    return binascii.crc_hqx(data, CRC_INIT)


def crc_hex(data: bytes) -> bytes:
    """The CRC as it travels on the wire: four upper-case hex digits."""
    return b"%04X" % binascii.crc_hqx(data, CRC_INIT)
