"""Set segmentation by load: a set begins when the total force stays above
the threshold for ``set_on_s`` (dated from the first sample above it) and
ends when it stays under it for ``set_off_s`` (dated from the first sample
under it). Under it for ``RELEASE_CONFIRM_S`` mid-set is a release: the rep
in progress, if any, is ``bar_released``."""

from __future__ import annotations

from dataclasses import dataclass

from .config import RELEASE_CONFIRM_S


@dataclass
class SetSegmenter:
    threshold_n: float
    on_us: int
    off_us: int
    release_us: int = int(RELEASE_CONFIRM_S * 1e6)
    in_set: bool = False
    manual: bool = False
    _above_since: int | None = None
    _below_since: int | None = None
    _release_told: bool = False

    def update(self, t_us: int, force_n: float) -> list[tuple[str, int]]:
        """One force sample; returns ('start'|'release'|'end', t_us) changes."""
        above = force_n > self.threshold_n
        if not self.in_set:
            if not above:
                self._above_since = None
                return []
            if self._above_since is None:
                self._above_since = t_us
            if t_us - self._above_since >= self.on_us:
                self.begin()
                return [("start", self._above_since)]
            return []
        if above:
            self._below_since = None
            self._release_told = False
            return []
        if self._below_since is None:
            self._below_since = t_us
        out = []
        if not self._release_told and t_us - self._below_since >= self.release_us:
            self._release_told = True
            out.append(("release", self._below_since))
        if not self.manual and t_us - self._below_since >= self.off_us:
            out.append(("end", self._below_since))
            self.reset()
        return out

    @property
    def below_since_us(self) -> int | None:
        return self._below_since

    def begin(self, manual: bool = False) -> None:
        self.in_set, self.manual = True, manual
        self._below_since, self._release_told = None, False

    def reset(self) -> None:
        self.in_set = self.manual = False
        self._above_since = self._below_since = None
        self._release_told = False
