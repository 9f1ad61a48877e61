"""Injected faults and latency, per service and per operation, for reliability tests and benchmarks.

A :class:`FaultRule` matches requests by service and operation (``"*"`` matches any) and may add latency, answer
with a service error code, or drop the connection with a TCP reset. Rules with ``count`` are bursts: they apply to
the next N matching requests and then expire. Decisions use a seeded RNG so a failing run can be replayed.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FaultRule:
    """One fault: where it applies and what it does."""

    service: str = "*"
    operation: str = "*"
    latency_ms: float = 0.0
    error_code: str | None = None
    error_rate: float = 1.0
    reset_rate: float = 0.0
    count: int | None = None
    hits: int = field(default=0)

    def matches(self, service: str, operation: str) -> bool:
        return self.service in ("*", service) and self.operation in ("*", operation)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request: sleep first, then reset the connection or answer with an error code."""

    latency_s: float = 0.0
    error_code: str | None = None
    reset: bool = False

    @property
    def is_noop(self) -> bool:
        return not self.latency_s and not self.error_code and not self.reset


NO_FAULT = FaultDecision()


class Faults:
    """The set of active rules; thread-safe, resettable."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)

    def add(self, rule: FaultRule | None = None, **fields: Any) -> FaultRule:
        """Add a rule (or build one from keyword fields) and return it."""
        rule = rule or FaultRule(**fields)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._rng = random.Random(self._seed)

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_dict() for rule in self._rules]

    def decide(self, service: str, operation: str) -> FaultDecision:
        """Return what to do to this request; consumes one use of each matching burst rule."""
        with self._lock:
            if not self._rules:
                return NO_FAULT
            latency = 0.0
            error_code: str | None = None
            reset = False
            for rule in list(self._rules):
                if not rule.matches(service, operation):
                    continue
                rule.hits += 1
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                latency += rule.latency_ms / 1000.0
                if not reset and rule.reset_rate and self._rng.random() < rule.reset_rate:
                    reset = True
                if error_code is None and rule.error_code and self._rng.random() < rule.error_rate:
                    error_code = rule.error_code
            return FaultDecision(latency, error_code, reset)


def apply_latency(decision: FaultDecision) -> None:
    if decision.latency_s:
        time.sleep(decision.latency_s)


def reset_connection(environ: dict[str, Any]) -> None:
    """Abort the client's TCP connection with an RST (SO_LINGER 0), as a network fault would."""
    sock: socket.socket | None = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
