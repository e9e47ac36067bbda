"""Audio cues: a bright double beep for a valid rep, a low buzz for a no-rep;
a rising triple beep when the rest is up, two falling beeps for STOP (the
set's velocity loss passed the stop line); a short tick to pace a hold or a
slow lowering, and a long tone when a hold is done.

``CUE_TONES`` is the recipe; tools/render-resources.py writes it with the
``wave`` module into the package's resources/sounds, which the app plays (no
write to the user's folders at start, and a packager or user may swap the
files). A folder without them (a test's) gets them written on first use.
Where QtMultimedia or an audio device is missing (a Pi without PulseAudio,
CI), the cues are silent, without error.
"""

from __future__ import annotations

import logging
import math
import struct
import wave
from pathlib import Path

log = logging.getLogger(__name__)

RATE_HZ = 22050
VOLUME = 0.6


def _tone(path: Path, parts: list[tuple[float, float]]) -> None:
    """(frequency Hz or 0 for silence, seconds) pieces, with 5 ms fades."""
    frames = bytearray()
    for freq, seconds in parts:
        n = int(RATE_HZ * seconds)
        fade = int(RATE_HZ * 0.005)
        for i in range(n):
            env = min(1.0, i / fade, (n - i) / fade) if freq else 0.0
            value = VOLUME * env * math.sin(2 * math.pi * freq * i / RATE_HZ)
            if freq < 300:                       # a buzz: add odd harmonics
                value = VOLUME * env * (0.7 * math.sin(2 * math.pi * freq * i / RATE_HZ)
                                        + 0.3 * math.sin(6 * math.pi * freq * i / RATE_HZ))
            frames += struct.pack("<h", int(value * 32767))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE_HZ)
        w.writeframes(bytes(frames))


# (frequency Hz or 0 for silence, seconds) pieces of each cue, and its file's name.
CUE_TONES: dict[str, list[tuple[float, float]]] = {
    "valid": [(880, 0.08), (0, 0.04), (1320, 0.12)],
    "no_rep": [(180, 0.35)],
    "rest_over": [(660, 0.1), (0, 0.05), (880, 0.1), (0, 0.05), (1100, 0.18)],
    "stop": [(740, 0.15), (0, 0.06), (520, 0.25)],
    "tick": [(1200, 0.03)],
    "hold_done": [(990, 0.4)],
}
CUE_FILENAMES = {"valid": "rep_valid.wav", "no_rep": "rep_no.wav",
                 "rest_over": "rest_over.wav", "stop": "velocity_stop.wav",
                 "tick": "tick.wav", "hold_done": "hold_done.wav"}


def write_cue_files(folder: Path, *, only_missing: bool = False) -> dict[str, Path]:
    """Every cue's WAV in ``folder`` (rendered from CUE_TONES); their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {key: folder / name for key, name in CUE_FILENAMES.items()}
    for key, path in files.items():
        if not (only_missing and path.exists()):
            _tone(path, CUE_TONES[key])
    return files


def ensure_cue_files(folder: Path) -> dict[str, Path]:
    """The cues in ``folder``, the missing ones written first."""
    return write_cue_files(folder, only_missing=True)


class RepCues:
    """``play(valid)`` after a rep, ``cue(key)`` for the others; silent when audio
    is unavailable or muted."""

    def __init__(self, folder: Path, parent=None):
        self.enabled = True
        self._effects: dict[str, object] = {}
        try:
            from PySide6.QtCore import QUrl
            from PySide6.QtMultimedia import QSoundEffect
        except ImportError as exc:      # no libpulse etc.: silent
            log.info("audio cues off: %s", exc)
            return
        try:
            files = ensure_cue_files(folder)
        except OSError as exc:
            log.info("audio cues off: %s", exc)
            return
        for key, path in files.items():
            effect = QSoundEffect(parent)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            self._effects[key] = effect

    @property
    def available(self) -> bool:
        return bool(self._effects)

    def play(self, valid: bool) -> None:
        """A rep's cue: valid or no-rep."""
        self.cue("valid" if valid else "no_rep")

    def cue(self, key: str) -> None:
        """The cue ``key`` of CUE_TONES (an unknown key: silence)."""
        if not self.enabled:
            return
        effect = self._effects.get(key)
        if effect is not None:
            effect.play()
