"""The firmware's logic (CRC, sentences, command parsing, calibration math,
EEPROM record, HX711 bit-banging, command replies) as C++ unit tests: the
same source files the AVR build uses, compiled with g++ against fake pins
(firmware/arduino/host/). A failed C++ check fails this test with its output."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FIRMWARE_DIR = Path(__file__).resolve().parent.parent / "firmware" / "arduino"


def test_firmware_logic_passes_its_host_unit_tests() -> None:
    missing = [t for t in ("make", "g++") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing {missing}: install the packages in .ci/firmware-deps.txt")
    result = subprocess.run(["make", "-s", "host-test"], cwd=FIRMWARE_DIR,
                            capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert " 0 failed" in output, output
    assert "FAIL" not in output, output
