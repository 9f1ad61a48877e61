"""A manual clock for the pacing and retry tests: ``clock()`` reads it, ``sleep()`` advances it."""

from __future__ import annotations


class FakeTime:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
