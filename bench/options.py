"""Run options shared by every benchmark."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """``quick`` shrinks every workload (a smoke run, figures are noisier); ``repeat`` is the cold-start run count."""

    quick: bool = False
    repeat: int = 11

    def pick(self, full: int, quick: int) -> int:
        return quick if self.quick else full
