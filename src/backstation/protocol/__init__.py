"""Wire protocol v1: CRC, sentences, the incremental decoder and host commands.

Pure Python; no Qt (tests/test_architecture.py keeps it so).
"""

from .clock import ClockUnwrapper, SequenceTracker
from .crc import crc16_ccitt_false, crc_hex
from .decoder import MAX_LINE_BYTES, DecoderCounters, StreamDecoder
from .sentences import (
    NO_ECHO_MM, PROTOCOL_VERSION, Ack, Cal, DistanceSample, Err, ForceSample,
    Hello, Sentence, Stat, encode, frame, parse_body,
)

__all__ = [
    "Ack", "Cal", "ClockUnwrapper", "DecoderCounters", "DistanceSample", "Err",
    "ForceSample", "Hello", "MAX_LINE_BYTES", "NO_ECHO_MM", "PROTOCOL_VERSION",
    "Sentence", "SequenceTracker", "Stat", "StreamDecoder", "crc16_ccitt_false",
    "crc_hex", "encode", "frame", "parse_body",
]
