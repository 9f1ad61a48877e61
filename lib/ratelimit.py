"""Client-side pacing for VOD's per-account QPS quotas, learning how VOD counts them.

VOD states its quotas as N calls per second per account, not how it counts them. Two rules fit: a sliding window
(at most N accepted calls in any trailing second) and a token bucket (N tokens a second, holding up to a burst).
Pacing by the wrong one costs: window pacing leaves a bucket's steady refill unused between its bursts, and bucket
pacing sends up to twice N calls in a window's first second, where the window throttles them.

:class:`QuotaLimiter` keeps both rules as hypotheses over the calls VOD counted (started and not throttled) and
lets a call start only when every rule still standing allows it; while both stand that is the window (at a burst
of N, the stricter one). When the window makes a call wait while the bucket has room to spare, and the N calls
filling the window started well within a second, that call goes anyway, as a probe: N + 1 calls inside one second.
A window must throttle exactly one of them; a bucket throttles none. The answers to those N + 1 calls decide (more
than one throttle decides nothing: neither rule explains it), once for the limiter's life. Any other throttle says
the limiter's picture was off:

- a call with room to spare by the bucket: the bucket's burst is smaller than believed, no larger than what the
  bucket had given out before that call.
- else arrivals at VOD vary more than the margin allowed for (the network, and VOD judging a call when it
  arrives, not when it was sent): the margin doubles, then decays back.
- once the margin is as wide as it goes, the quota is smaller than believed (another instance on the account
  shares it, or it was lowered): the allowance drops (AIMD: see :meth:`QuotaLimiter._slow_down`) and every caller
  pauses briefly.

The window places each call where VOD counted it, on arrival: at its start, later if its round trip shows it was
held up on the way (a cold connection). An ``x-acs-retry-after`` in a throttle answer pauses every caller that long.
One limiter per API is shared by every worker thread of the function instance (module-level registry), because the
quota is per account, not per thread. Times are ``time.monotonic()`` seconds throughout.
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

__all__ = ["Permit", "QuotaLimiter", "get_limiter", "reset_limiters", "set_limiter_factory"]

Rule = Literal["window", "bucket"]
RULES: tuple[Rule, ...] = ("window", "bucket")

# A throttle the rules cannot explain cuts the allowance to this fraction of itself (or less: see _slow_down) and
# every caller pauses THROTTLE_PAUSE_S; the allowance then grows back by (1 - SLOWDOWN_FACTOR) every RECOVERY_S.
SLOWDOWN_FACTOR = 0.7
RECOVERY_S = 3.0
THROTTLE_PAUSE_S = 0.1
# Throttles within this long of the last slowdown are the same news (calls already in flight when it was made).
COOLDOWN_S = 1.0

# The margin for arrival jitter: a window is kept this much longer than VOD's second, and a bucket this many
# seconds' worth of tokens from empty. It starts at MARGIN_INITIAL_S, doubles (while that keeps it within
# MARGIN_MAX_S) when a call paced to the edge with the current margin is throttled, and decays towards MARGIN_MIN_S
# with a half-life of MARGIN_HALF_LIFE_S. An edge throttle it cannot double for counts as one the rules cannot
# explain.
MARGIN_MIN_S = 0.01
MARGIN_INITIAL_S = 0.01
MARGIN_MAX_S = 0.1
MARGIN_HALF_LIFE_S = 10.0

# A burst found smaller than N grows back to N over this long: a bucket's size does not change, but a throttle
# caused by another client's calls can make it look smaller than it is.
BURST_RECOVERY_S = 60.0

# The probe goes only if the N calls filling the window started PROBE_LEAD_S (more than arrival times vary) within
# a second of it, so that all N + 1 reach VOD within one second, and if the bucket would still hold PROBE_SPARE of
# its burst after it, so that a bucket accepts it whatever the jitter. Answers still missing after PROBE_TIMEOUT_S
# (timeouts) leave the question open for a later probe.
PROBE_LEAD_S = 0.1
PROBE_SPARE = 0.2
PROBE_TIMEOUT_S = 5.0

# How many of the latest round trips the fastest one is taken from (see QuotaLimiter._retime).
ROUND_TRIP_SAMPLES = 100


@dataclass(frozen=True)
class Permit:
    """One call's start, from :meth:`QuotaLimiter.acquire`; hand it back with the answer to that call.

    ``paced_by``: the rule whose last place the call took (None: it had room), keeping ``margin`` from its edge;
    ``probe``: sent early on purpose to tell the rules apart; ``seq`` tells calls apart.
    """

    start: float
    seq: int
    paced_by: Rule | None = None
    margin: float = 0.0
    probe: bool = False


@dataclass(frozen=True)
class _Belief:
    """What the limiter believes at one moment: calls per window, refill rate, burst, jitter margin."""

    allowed: int
    rate: float
    burst: float
    margin: float


@dataclass
class _Probe:
    """The N + 1 calls of a probe: those not answered yet, how many were throttled, and when it started."""

    started: float
    unanswered: set[int]
    throttled: int = 0


class QuotaLimiter:
    """Thread-safe pacing to a quota of ``rate`` calls/s, by whichever of VOD's possible rules the answers leave.

    ``rate`` becomes ``limit = floor(rate)`` calls per ``limit / rate`` seconds (1 s for whole rates; a rate below
    1 becomes one call per ``1 / rate`` s), and a bucket of ``limit`` tokens refilled at ``rate``. Each
    :meth:`acquire` reserves the earliest start the standing rules allow, under a lock, then sleeps outside it;
    starts are handed out in order, so concurrent callers queue fairly. ``rule`` fixes the rule instead of
    learning it.
    """

    def __init__(
        self,
        rate: float,
        *,
        rule: Rule | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._standing: tuple[Rule, ...] = RULES if rule is None else (rule,)
        self._counted: list[tuple[float, int]] = []  # counted calls (in flight or accepted): (arrival, seq), sorted
        self._round_trips: deque[tuple[int, float]] = deque()  # (answer number, round trip), rising: a sliding min
        self._answers = 0
        self._in_flight: dict[int, float] = {}  # counted calls not answered yet: seq -> start
        self._accepted: list[float] = []  # starts of the calls VOD accepted, sorted
        self._tat = float("-inf")  # the bucket's theoretical arrival time (GCRA): it is empty then
        self._not_before = float("-inf")
        self._probe: _Probe | None = None
        now = clock()
        self._factor, self._factor_at, self._last_slowdown = 1.0, now, float("-inf")
        self._margin_peak, self._margin_at = MARGIN_INITIAL_S, now
        self._configure(rate)

    def _configure(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0, got {rate!r}")
        self._rate = float(rate)
        self._limit = max(1, math.floor(rate + 1e-9))
        self._span = self._limit / self._rate
        self._burst, self._burst_at = float(self._limit), self._clock()

    # -- what the limiter believes -------------------------------------------------------------------------
    @property
    def rate(self) -> float:
        """The quota, calls/s."""
        return self._rate

    @property
    def limit(self) -> int:
        """Calls allowed per window at full allowance."""
        return self._limit

    @property
    def rule(self) -> Rule | None:
        """The rule the answers left standing; None while both still fit."""
        return self._standing[0] if len(self._standing) == 1 else None

    def set_rate(self, rate: float) -> None:
        with self._lock:
            self._configure(rate)

    def current_rate(self, now: float | None = None) -> float:
        """The rate allowed now: the quota, or less for a while after a throttle the rules cannot explain."""
        with self._lock:
            return self._belief(self._clock() if now is None else now).rate

    def margin(self, now: float | None = None) -> float:
        """The margin for arrival jitter now (seconds)."""
        with self._lock:
            return self._belief(self._clock() if now is None else now).margin

    def burst(self, now: float | None = None) -> float:
        """The bucket's burst as believed now (calls)."""
        with self._lock:
            return self._belief(self._clock() if now is None else now).burst

    def _belief(self, now: float) -> _Belief:
        factor = min(1.0, self._factor + max(0.0, now - self._factor_at) * (1.0 - SLOWDOWN_FACTOR) / RECOVERY_S)
        allowed = max(1, math.floor(self._limit * factor + 1e-9))
        burst = min(float(allowed), self._burst + max(0.0, now - self._burst_at) * self._limit / BURST_RECOVERY_S)
        halvings = max(0.0, now - self._margin_at) / MARGIN_HALF_LIFE_S
        margin = MARGIN_MIN_S + (self._margin_peak - MARGIN_MIN_S) * 0.5**halvings
        return _Belief(allowed, self._rate * factor, max(1.0, burst), margin)

    # -- starts --------------------------------------------------------------------------------------------
    def reserve(self, deadline: float | None = None) -> Permit | None:
        """Reserve the earliest allowed start; None (nothing reserved) if it would come after ``deadline``."""
        with self._lock:
            now = self._clock()
            belief = self._belief(now)
            earliest = max(now, self._not_before)
            window = self._window_slot(earliest, belief)
            bucket = self._bucket_slot(earliest, belief)
            probe = self._probe_due(now, earliest, window, belief)
            slot = earliest if probe else max(window, bucket, self._counted[-1][0] if self._counted else earliest)
            if deadline is not None and slot > deadline:
                return None
            edge = None if probe else self._edge(slot, belief)
            permit = Permit(slot, next(self._seq), edge, belief.margin, probe)
            _insert(self._counted, (slot, permit.seq), (now - self._span - MARGIN_MAX_S,))
            self._track(permit, now)
            self._tat = max(self._tat, slot) + 1.0 / belief.rate
            if probe:
                group = {seq for _, seq in self._counted[-self._limit - 1 :] if seq in self._in_flight}
                self._probe = _Probe(now, group)
            return permit

    def _track(self, permit: Permit, now: float) -> None:
        """Remember ``permit`` until its answer; calls never answered (timeouts) are forgotten after a while."""
        self._in_flight[permit.seq] = permit.start
        if len(self._in_flight) > 4 * self._limit + 64:
            for seq, start in list(self._in_flight.items()):
                if start < now - PROBE_TIMEOUT_S:
                    del self._in_flight[seq]

    def _edge(self, slot: float, belief: _Belief) -> Rule | None:
        """The standing rule a call starting at ``slot`` is close to the limit of: within two margins of the moment
        its window place frees, or among the bucket's last tokens. A throttle of that call is a matter of the margin.
        None if it had room to spare."""
        if "window" in self._standing and len(self._counted) >= belief.allowed:
            frees = self._counted[-belief.allowed][0] + self._span
            if slot < frees + 2 * belief.margin:
                return "window"
        if "bucket" in self._standing:
            tokens = belief.burst - max(0.0, self._tat - slot) * belief.rate
            if tokens < 2.0 + 2 * belief.margin * belief.rate:
                return "bucket"
        return None

    def _window_slot(self, earliest: float, belief: _Belief) -> float:
        """The first start at which fewer than ``allowed`` counted calls lie within a window (+ margin)."""
        if "window" not in self._standing or len(self._counted) < belief.allowed:
            return earliest
        return max(earliest, self._counted[-belief.allowed][0] + self._span + belief.margin)

    def _bucket_slot(self, earliest: float, belief: _Belief, spare: float = 0.0) -> float:
        """The first start at which the bucket holds this call's token, ``margin`` seconds' worth and ``spare``
        tokens more (GCRA: a call conforms when the bucket's debt, ``tat - t``, is below a burst's worth)."""
        if "bucket" not in self._standing:
            return earliest
        tolerance = (belief.burst - 1.0 - spare) / belief.rate - belief.margin
        return max(earliest, self._tat - tolerance)

    def _probe_due(self, now: float, earliest: float, window: float, belief: _Belief) -> bool:
        """Whether the call asking now goes early as the probe (see the module docstring)."""
        if self.rule is not None or belief.allowed < self._limit or window - earliest < PROBE_LEAD_S:
            return False
        if self._probe is not None:
            if now - self._probe.started < PROBE_TIMEOUT_S:
                return False
            self._probe = None  # some answers never came: ask again
        first, last = self._counted[-self._limit][0], self._counted[-1][0]
        if last > earliest or earliest - first > self._span - PROBE_LEAD_S:
            return False
        return self._bucket_slot(earliest, belief, spare=PROBE_SPARE * belief.burst) <= earliest

    def acquire(self, deadline: float | None = None) -> Permit | None:
        """Wait for a start and return its permit; None (without waiting) if it would come after ``deadline``."""
        permit = self.reserve(deadline)
        if permit is None:
            return None
        wait = permit.start - self._clock()
        if wait > 0:
            self._sleep(wait)
        return permit

    # -- answers -------------------------------------------------------------------------------------------
    def accepted(self, permit: Permit | None) -> None:
        """VOD answered the call started by ``permit`` (anything but a throttle: the quota counted it)."""
        if permit is None:
            return
        with self._lock:
            now = self._clock()
            self._in_flight.pop(permit.seq, None)
            _insert(self._accepted, permit.start, now - self._span - MARGIN_MAX_S)
            self._retime(permit, now)
            self._probe_answered(permit, throttled=False)

    def _retime(self, permit: Permit, now: float) -> None:
        """Place an answered call in the window where VOD most likely counted it: at its start, plus however much
        longer than the fastest recent round trip it took, beyond the margin (which covers that much already).
        The delay is taken to have been on the way in (a cold connection, a busy client), the safe assumption for
        a window that counts calls when they arrive."""
        trip = now - permit.start
        trips = self._round_trips
        while trips and trips[-1][1] >= trip:
            trips.pop()
        trips.append((self._answers, trip))
        self._answers += 1
        while trips[0][0] <= self._answers - ROUND_TRIP_SAMPLES:
            trips.popleft()
        delay = trip - trips[0][1] - self._belief(now).margin
        if delay <= 0:
            return
        index = bisect.bisect_left(self._counted, (permit.start, permit.seq))
        if index < len(self._counted) and self._counted[index] == (permit.start, permit.seq):
            del self._counted[index]
            bisect.insort(self._counted, (permit.start + delay, permit.seq))

    def throttled(self, pause_s: float | None = None, permit: Permit | None = None) -> None:
        """VOD throttled the call started by ``permit`` (None: some call): learn from it, and pause every caller
        ``pause_s`` (``x-acs-retry-after``) if given."""
        with self._lock:
            now = self._clock()
            if pause_s is not None and pause_s > 0:
                self._not_before = max(self._not_before, now + pause_s)
            if permit is None:
                self._slow_down(now, pause_s)
                return
            self._in_flight.pop(permit.seq, None)
            self._uncount(permit)
            if self._probe_answered(permit, throttled=True):
                return  # what a probe asked for: the answers decide together
            belief = self._belief(now)
            if permit.margin < belief.margin - 1e-9:
                return  # sent before the margin was last widened: that throttle is already accounted for
            if not self._shrink_burst(permit, belief, now) and not self._widen_margin(belief, now):
                self._slow_down(now, pause_s)

    def _probe_answered(self, permit: Permit, throttled: bool) -> bool:
        """Count an answer to one of the probe's calls; once all are in, drop the rule they refute. False if the
        call is not one of them."""
        probe = self._probe
        if probe is None or permit.seq not in probe.unanswered:
            return False
        probe.unanswered.discard(permit.seq)
        probe.throttled += throttled
        if not probe.unanswered:
            self._probe = None
            if self.rule is None and probe.throttled <= 1:
                self._standing = ("window",) if probe.throttled else ("bucket",)
        return True

    def _uncount(self, permit: Permit) -> None:
        """A throttled call took no place in VOD's count: free its place in ours."""
        index = bisect.bisect_left(self._counted, (permit.start, permit.seq))
        if index < len(self._counted) and self._counted[index] == (permit.start, permit.seq):
            del self._counted[index]
            self._tat -= 1.0 / self._belief(permit.start).rate

    def _widen_margin(self, belief: _Belief, now: float) -> bool:
        """A call the standing rules allowed was throttled: arrivals at VOD vary more than the margin allowed for.
        False if the margin cannot double any more: then the quota is smaller than believed."""
        if 2 * belief.margin > MARGIN_MAX_S + 1e-9:
            return False
        self._margin_peak, self._margin_at = 2 * belief.margin, now
        return True

    def _shrink_burst(self, permit: Permit, belief: _Belief, now: float) -> bool:
        """A call with room to spare by the bucket was throttled: the burst is no larger than what the calls still
        counted took from it by that call's start (net of its refill). False if that says nothing new."""
        if "bucket" not in self._standing or permit.paced_by is not None:
            return False
        taken = max(0.0, self._tat - permit.start) * belief.rate
        if taken >= belief.burst - 0.5:
            return False
        self._burst, self._burst_at = max(1.0, taken), now
        return True

    def _slow_down(self, now: float, pause_s: float | None) -> None:
        """The quota is smaller than believed: allow SLOWDOWN_FACTOR of what was allowed, or what VOD accepted in
        the last window if that is less (a quota far below the configured one is found at once, not cut after
        cut), and pause every caller briefly."""
        if pause_s is None:
            self._not_before = max(self._not_before, now + THROTTLE_PAUSE_S)
        if now - self._last_slowdown < COOLDOWN_S:
            return
        factor = self._belief(now).rate / self._rate * SLOWDOWN_FACTOR
        accepted = len(self._accepted) - bisect.bisect_right(self._accepted, now - self._span)
        if accepted:
            factor = min(factor, accepted / self._limit)
        self._factor, self._factor_at = max(1.0 / self._limit, factor), now
        self._last_slowdown = now


T = TypeVar("T", float, tuple[float, int])


def _insert(times: list[T], entry: T, stale_before: T | tuple[float]) -> None:
    """Insert ``entry`` into the sorted ``times``, dropping (now and then) the entries before ``stale_before``."""
    if times and times[-1] > entry:
        bisect.insort(times, entry)
    else:
        times.append(entry)
    stale = bisect.bisect_left(times, stale_before)  # type: ignore[arg-type]
    if stale > len(times) // 2:
        del times[:stale]


_registry: dict[str, QuotaLimiter] = {}
_registry_lock = threading.Lock()
_factory: Callable[[float], QuotaLimiter] = QuotaLimiter


def get_limiter(api: str, quota: float) -> QuotaLimiter:
    """The instance-wide limiter for ``api``: ``quota`` calls per second.

    Passing another quota (say, a new VOD_CANCEL_QPS) updates the shared limiter in place.
    """
    with _registry_lock:
        limiter = _registry.get(api)
        if limiter is None:
            limiter = _registry[api] = _factory(quota)
        elif quota != limiter.rate:
            limiter.set_rate(quota)
        return limiter


def set_limiter_factory(factory: Callable[[float], QuotaLimiter] | None) -> None:
    """Build the shared limiters with ``factory(quota)`` from now on (None: :class:`QuotaLimiter`), forgetting the
    current ones: a benchmark's baseline pacing, or a test's fake clock."""
    global _factory
    with _registry_lock:
        _factory = factory or QuotaLimiter
        _registry.clear()


def reset_limiters() -> None:
    """Forget every shared limiter (tests, or a configuration reload)."""
    with _registry_lock:
        _registry.clear()
