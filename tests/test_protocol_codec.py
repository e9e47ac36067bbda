"""Protocol v1 codec: the CRC, every sentence's text form and its validation,
and the host commands (formatting and the device-side parser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backstation.protocol import (
    Ack, Cal, DistanceSample, Err, ForceSample, Hello, Stat, StreamDecoder,
    crc16_ccitt_false, crc_hex, encode, frame, parse_body,
)
from backstation.protocol import commands
from backstation.protocol.commands import Command, CommandError, parse_command


def decode_one(line: bytes):
    decoder = StreamDecoder()
    out = decoder.feed(line)
    return out, decoder.counters


# -- CRC ----------------------------------------------------------------------------


def test_crc_check_value_is_29b1():
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_crc_of_empty_input_is_the_init_value():
    assert crc16_ccitt_false(b"") == 0xFFFF


def bitwise_crc16_ccitt_false(data: bytes) -> int:
    """The textbook shift-register form, independent of binascii."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


@pytest.mark.parametrize("data", [b"", b"A", b"123456789", b"F,0,1000000,12345,-2345",
                                  bytes(range(256))])
def test_crc_matches_the_textbook_shift_register(data):
    assert crc16_ccitt_false(data) == bitwise_crc16_ccitt_false(data)


def test_crc_hex_is_four_upper_case_digits():
    assert crc_hex(b"123456789") == b"29B1"
    assert crc_hex(b"") == b"FFFF"
    assert crc_hex(b"STOP") == b"%04X" % crc16_ccitt_false(b"STOP")


@pytest.mark.parametrize("line", [
    b"$HELLO,1,bs-0.1.0,1A2B3C4D,2,80,hcsr04*3D41\r\n",
    b"$F,0,1000000,12345,-2345*E028\r\n",
    b"$D,0,1000000,412*3471\r\n",
    b"$ACK,START*261E\r\n",
])
def test_known_sentences_carry_their_documented_crc(line):
    """These lines are quoted in docs/protocol.md; the doc must stay right."""
    out, counters = decode_one(line)
    assert len(out) == 1 and counters.errors == 0
    assert encode(out[0]) == line


# -- every sentence round-trips ---------------------------------------------------------

SENTENCES = [
    Hello(1, "bs-0.1.0", "1A2B3C4D", 2, 80, "hcsr04"),
    Hello(1, "sim", "00000000", 4, 10, "none"),
    Cal(0, -81234, 214.5678),
    Cal(3, 8388607, -0.0001),
    ForceSample(0, 0, (0,)),
    ForceSample(65535, 4294967295, (-8388608, 8388607, 1, -1)),
    DistanceSample(7, 123456, -1),
    DistanceSample(65535, 4294967295, 10_000),
    Stat(1_000_000, 8000, 2000, 3, 0),
    Ack("START"),
    Ack("TARE", ("0", "-81234")),
    Err("RATE", "range"),
]


@pytest.mark.parametrize("sentence", SENTENCES, ids=lambda s: s.body())
def test_every_sentence_round_trips_through_the_decoder(sentence):
    out, counters = decode_one(encode(sentence))
    assert out == [sentence]
    assert counters.sentences == 1 and counters.errors == 0


@pytest.mark.parametrize("sentence", SENTENCES, ids=lambda s: s.body())
def test_parse_body_inverts_body(sentence):
    assert parse_body(sentence.body()) == sentence


def test_frame_writes_dollar_body_star_crc_crlf():
    assert frame("PING") == b"$PING*" + crc_hex(b"PING") + b"\r\n"
    assert frame(b"PING") == frame("PING")


def test_hello_normalises_device_id_case_and_sensor_case():
    hello = parse_body("HELLO,1,fw,1a2b3c4d,2,80,HCSR04")
    assert hello.device_id == "1A2B3C4D"
    assert hello.distance_sensor == "hcsr04"
    assert hello.has_distance
    assert not parse_body("HELLO,1,fw,1A2B3C4D,2,80,none").has_distance


def test_cal_converts_counts_to_newtons():
    cal = Cal(0, 1000, 200.0)
    assert cal.newtons(1000) == 0.0
    assert cal.newtons(21000) == pytest.approx(100.0)


def test_stat_reports_rates_in_hz():
    stat = Stat(0, 7985, 2001, 0, 0)
    assert stat.force_hz == pytest.approx(79.85)
    assert stat.distance_hz == pytest.approx(20.01)


# -- field validation: off-contract bodies are malformed, never raised -------------------


def assert_malformed(body: str) -> None:
    out, counters = decode_one(frame(body))
    assert out == []
    assert counters.malformed == 1 and counters.crc_errors == 0 and counters.overlong == 0


def test_force_raw_accepts_the_full_signed_24_bit_range():
    out, _ = decode_one(frame("F,1,2,-8388608,8388607"))
    assert out == [ForceSample(1, 2, (-8388608, 8388607))]


@pytest.mark.parametrize("body", [
    "F,1,2,8388608",
    "F,1,2,-8388609",
    "F,65536,2,0",
    "F,-1,2,0",
    "F,1,4294967296,0",
    "F,1,2",
    "F,1,2,0,0,0,0,0",
    "F,1,2,x",
    "D,65536,2,100",
    "D,1,2,-2",
    "D,1,2,10001",
    "D,1,2",
    "HELLO,1,fw,1A2B3C4,2,80,hcsr04",
    "HELLO,1,fw,1A2B3C4DE,2,80,hcsr04",
    "HELLO,1,fw,1A2B3C4G,2,80,hcsr04",
    "HELLO,1,fw,1A2B3C4D,0,80,hcsr04",
    "HELLO,1,fw,1A2B3C4D,5,80,hcsr04",
    "HELLO,1,fw,1A2B3C4D,2,80",
    "HELLO,1,f w,1A2B3C4D,2,80,hcsr04",
    "CAL,0,0,0",
    "CAL,0,0,0.0",
    "CAL,0,0,nan",
    "CAL,0,0,inf",
    "CAL,0,0,-inf",
    "CAL,4,0,1.0",
    "STAT,1,2,3,4",
    "ERR,START",
    "ACK",
    "NOPE,1,2",
    "f,1,2,3",
    "",
])
def test_off_contract_body_is_one_malformed(body):
    assert_malformed(body)


def test_force_channel_count_must_match_hello_once_known():
    decoder = StreamDecoder(force_channels=2)
    assert decoder.feed(frame("F,1,2,3")) == []
    assert decoder.counters.malformed == 1
    assert decoder.feed(frame("F,1,2,3,4")) == [ForceSample(1, 2, (3, 4))]


def test_parse_body_raises_value_error_for_unknown_type():
    with pytest.raises(ValueError):
        parse_body("NOPE,1")


# -- host commands ----------------------------------------------------------------------


def test_tare_line_is_byte_exact_with_crc():
    assert commands.tare(1).line() == b"TARE 1*" + crc_hex(b"TARE 1") + b"\n"
    assert commands.tare(1).line() == b"TARE 1*8D86\n"


@pytest.mark.parametrize("command, text", [
    (commands.info(), b"INFO"),
    (commands.start(), b"START"),
    (commands.stop(), b"STOP"),
    (commands.ping(), b"PING"),
    (commands.tare(), b"TARE"),
    (commands.tare(0), b"TARE 0"),
    (commands.calibrate(1, 20000), b"CAL 1 20000"),
    (commands.calibrate(0, 2500.5), b"CAL 0 2500.5"),
    (commands.set_calibration(0, -81234, 214.56789), b"SETCAL 0 -81234 214.5679"),
    (commands.rate(10), b"RATE 10"),
    (commands.rate(80), b"RATE 80"),
])
def test_command_lines_are_text_star_crc_newline(command, text):
    assert command.line() == text + b"*" + crc_hex(text) + b"\n"
    assert command.line(with_crc=False) == text + b"\n"


@pytest.mark.parametrize("hz", [0, 20, 40, 100])
def test_rate_other_than_10_or_80_raises(hz):
    with pytest.raises(ValueError):
        commands.rate(hz)


def test_parse_command_round_trips_every_command():
    for command in (commands.info(), commands.tare(1), commands.calibrate(0, 20000),
                    commands.set_calibration(1, 5, 2.5), commands.rate(80)):
        assert parse_command(command.line()) == command
        assert parse_command(command.line(with_crc=False)) == command


def test_parse_command_accepts_lowercase_and_no_crc():
    assert parse_command(b"info\n") == Command("INFO")
    assert parse_command(b"tare 1\r\n") == Command("TARE", ("1",))
    assert parse_command(b"  Cal 0 20000  \n") == Command("CAL", ("0", "20000"))


def test_parse_command_accepts_a_lowercase_crc():
    line = b"TARE 1*" + crc_hex(b"TARE 1").lower() + b"\n"
    assert parse_command(line) == Command("TARE", ("1",))


def test_parse_command_checks_the_crc_over_the_text_as_typed():
    line = b"tare 1*" + crc_hex(b"tare 1") + b"\n"
    assert parse_command(line) == Command("TARE", ("1",))
    with pytest.raises(CommandError) as caught:
        parse_command(b"tare 1*" + crc_hex(b"TARE 1") + b"\n")
    assert caught.value.reason == "crc"


@pytest.mark.parametrize("line", [b"TARE 1*0000\n", b"TARE 1*8D8\n", b"TARE 1*8D866\n",
                                  b"TARE 1*XYZW\n", b"TARE 1*\n"])
def test_parse_command_rejects_a_bad_crc(line):
    with pytest.raises(CommandError) as caught:
        parse_command(line)
    assert caught.value.reason == "crc"
    assert caught.value.command == "TARE"


def test_parse_command_rejects_an_unknown_command():
    with pytest.raises(CommandError) as caught:
        parse_command(b"jump 3\n")
    assert (caught.value.command, caught.value.reason) == ("JUMP", "unknown")


@pytest.mark.parametrize("line", [b"\n", b"   \r\n", b"\xff\xfe\n"])
def test_parse_command_rejects_empty_or_binary_lines_as_syntax(line):
    with pytest.raises(CommandError) as caught:
        parse_command(line)
    assert caught.value.reason == "syntax"


def test_parse_command_rejects_an_overlong_line():
    with pytest.raises(CommandError) as caught:
        parse_command(b"PING " + b"x" * 80 + b"\n")
    assert caught.value.reason == "overlong"


def test_command_error_is_a_value_error():
    assert issubclass(CommandError, ValueError)


# -- docs/protocol.md quotes real lines ---------------------------------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"


def test_every_sentence_quoted_in_the_protocol_doc_decodes_cleanly():
    lines = re.findall(rb"\$[A-Z]+,[^*\s`]*\*[0-9A-F]{4}", DOC.read_bytes())
    assert len(lines) >= 10
    for line in lines:
        out, counters = decode_one(line + b"\r\n")
        assert len(out) == 1 and counters.errors == 0, line
        assert encode(out[0]) == line + b"\r\n", line


def test_every_command_quoted_in_the_protocol_doc_has_its_crc():
    lines = re.findall(rb"(?<![$\w,])([A-Z]{3,6}(?: [-\d.]+)*)\*([0-9A-F]{4})", DOC.read_bytes())
    assert len(lines) >= 10
    for text, crc in lines:
        assert crc_hex(text) == crc, text
        assert parse_command(text + b"*" + crc + b"\n").name == text.split()[0].decode()
