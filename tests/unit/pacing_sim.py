"""A deterministic, in-process replay of the function's workers calling a quota-limited VOD through a limiter.

Virtual time only: workers reserve starts from the limiter (``reserve``, never sleeping), each call reaches "VOD"
after a latency plus seeded jitter, where :class:`localcloud.vod.models.QuotaCounter` (the local cloud's own
implementation of both rules) accepts or throttles it; the answer comes back to the limiter as the function would
hand it back. Throttled calls are retried after a jittered backoff, as lib.retry does. Nothing here sleeps.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

from lib.ratelimit import QuotaLimiter
from localcloud.vod.models import QuotaCounter, QuotaRule


@dataclass
class Replay:
    """What a run did: when each call was accepted, how many answers were throttles, when the last one ended."""

    accepted_at: list[float] = field(default_factory=list)
    throttles: int = 0
    throttled_at: list[float] = field(default_factory=list)
    finished_at: float = 0.0

    def calls_per_s(self, first: float) -> float:
        """Accepted calls a second, from ``first`` to the last acceptance."""
        return (len(self.accepted_at) - 1) / (self.accepted_at[-1] - first)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def replay(
    limiter: QuotaLimiter,
    clock: Clock,
    rule: QuotaRule,
    *,
    quota: int = 50,
    calls: int = 200,
    workers: int = 16,
    latency_s: float = 0.1,
    jitter_s: float = 0.01,
    work_s: float = 0.11,
    seed: int = 7,
    server: QuotaCounter | None = None,
) -> Replay:
    """``calls`` calls from ``workers`` workers: each call, once answered, keeps its worker ``work_s`` more (the
    batch's lookup) before the worker asks for its next start. The arrival delay is ``latency_s`` plus up to
    ``jitter_s``. Pass ``server`` to carry VOD's count over from an earlier replay."""
    rng = random.Random(seed)
    server = server or QuotaCounter(rule)
    out = Replay()
    events: list[tuple[float, int, str, int, object]] = []
    seq = 0

    def schedule(at: float, kind: str, worker: int, permit: object = None) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (at, seq, kind, worker, permit))

    remaining = calls
    for worker in range(min(workers, calls)):
        remaining -= 1
        schedule(clock.now, "ready", worker)
    attempts: dict[int, int] = {}
    while events:
        at, _, kind, worker, permit = heapq.heappop(events)
        clock.now = max(clock.now, at)
        if kind == "ready":
            permit = limiter.reserve()
            assert permit is not None
            schedule(max(permit.start, clock.now) + latency_s + rng.uniform(0, jitter_s), "arrive", worker, permit)
        elif kind == "arrive":
            ok = server.try_acquire(clock.now, quota)
            if ok:
                out.accepted_at.append(clock.now)
            else:
                out.throttles += 1
                out.throttled_at.append(clock.now)
            schedule(clock.now + 0.002, "accepted" if ok else "throttled", worker, permit)
        elif kind == "accepted":
            limiter.accepted(permit)  # type: ignore[arg-type]
            attempts.pop(worker, None)
            out.finished_at = max(out.finished_at, clock.now + work_s)
            if remaining:
                remaining -= 1
                schedule(clock.now + work_s, "ready", worker)
        else:
            limiter.throttled(None, permit)  # type: ignore[arg-type]
            attempts[worker] = attempts.get(worker, 0) + 1
            schedule(clock.now + rng.uniform(0, min(3.0, 0.08 * 2 ** (attempts[worker] - 1))), "ready", worker)
    return out
