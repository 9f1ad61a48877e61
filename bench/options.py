"""Run options shared by every benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.runtime import Runtime, dev_runtime


@dataclass(frozen=True)
class Options:
    """``quick`` shrinks every workload (a smoke run, figures are noisier); ``repeat`` is the cold-start run count;
    ``runtime`` is where the function and its baselines run (``python -m bench`` passes the code package's)."""

    quick: bool = False
    repeat: int = 11
    runtime: Runtime = field(default_factory=dev_runtime)

    def pick(self, full: int, quick: int) -> int:
        return quick if self.quick else full
