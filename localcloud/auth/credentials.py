"""Who may call the local cloud: static AccessKeys, STS tokens, plus the replay and clock-skew guards.

One store is shared by every service (``cloud.credentials``) so an STS token issued for the function works against
VOD, MNS, OSS and FC alike, as it does on Alibaba Cloud. An STS token may carry the RAM policy of the role it was
issued for (what the role may do); a permanent AccessKey never does (an account's own key is not restricted by RAM).
All methods are thread-safe: the servers are threaded.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import string
import threading
from collections import deque
from dataclasses import dataclass, field

from localcloud.auth.errors import AuthFailure
from localcloud.auth.ram import Policy
from localcloud.clock import Clock

MAX_SKEW_SECONDS = 15 * 60
"""Alibaba Cloud rejects request times more than 15 minutes away from its own clock."""

NONCE_TTL_SECONDS = 15 * 60
"""A nonce only has to be remembered as long as a request carrying it could still pass the skew check."""

_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class StsCredential:
    """Temporary credentials as AssumeRole returns them; the secret and token are kept out of ``repr``."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str = field(repr=False)
    expiration: float
    """Epoch seconds (on the store's clock) after which the token is refused."""
    policy: Policy | None = field(default=None, repr=False, compare=False)
    """The RAM policy of the role the token was issued for; None: unrestricted (a token minted by a test)."""


def _random_alnum(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def _random_security_token() -> str:
    """A long base64 token that always contains ``+``, ``/`` and ``=``.

    Real STS tokens are base64 too; guaranteeing the three special characters means every header and query
    encoding path is exercised by every test that uses a token, not by chance.
    """
    while True:
        token = "CAIS" + base64.b64encode(secrets.token_bytes(301)).decode("ascii")  # 301 % 3 == 1 -> "=="
        if "+" in token and "/" in token:
            return token


class CredentialStore:
    """AccessKey secrets by id, issued STS tokens, and recently seen signature nonces."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._static: dict[str, str] = {}
        self._sts: dict[str, StsCredential] = {}
        self._nonce_expiry: dict[tuple[str, str], float] = {}
        self._nonce_order: deque[tuple[float, tuple[str, str]]] = deque()

    # -- administration --------------------------------------------------------------------------------------
    def add_access_key(self, access_key_id: str, secret: str) -> None:
        """Register (or replace) a permanent AccessKey pair."""
        if not access_key_id or not secret:
            raise ValueError("access_key_id and secret must be non-empty")
        with self._lock:
            self._static[access_key_id] = secret

    def issue_sts_token(self, ttl_seconds: float = 3600, policy: Policy | None = None) -> StsCredential:
        """Mint a fresh ``STS.*`` key pair and token that expire ``ttl_seconds`` from the store's clock.

        ``policy`` is the role's RAM policy: requests signed with the token may do what it allows, nothing else.
        """
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        credential = StsCredential(
            access_key_id="STS." + _random_alnum(28),
            access_key_secret=_random_alnum(44),
            security_token=_random_security_token(),
            expiration=self._clock.now() + ttl_seconds,
            policy=policy,
        )
        with self._lock:
            self._sts[credential.access_key_id] = credential
        return credential

    def add_sts_credential(self, credential: StsCredential) -> None:
        """Register an STS credential minted elsewhere (another store, a fixture) so it verifies here too."""
        with self._lock:
            self._sts[credential.access_key_id] = credential

    def revoke(self, access_key_id: str) -> None:
        """Forget a static key or an STS key (later requests with it fail with ``unknown_key``)."""
        with self._lock:
            self._static.pop(access_key_id, None)
            self._sts.pop(access_key_id, None)

    def reset(self) -> None:
        """Forget every key, token and nonce."""
        with self._lock:
            self._static.clear()
            self._sts.clear()
            self._nonce_expiry.clear()
            self._nonce_order.clear()

    def policy_of(self, access_key_id: str | None) -> Policy | None:
        """The RAM policy a request signed with this key is held to; None for permanent keys and free tokens."""
        if not access_key_id:
            return None
        with self._lock:
            sts = self._sts.get(access_key_id)
        return sts.policy if sts is not None else None

    # -- checks used by the verifiers ------------------------------------------------------------------------
    def now(self) -> float:
        """The store's clock (what request times are compared with)."""
        return self._clock.now()

    def resolve(self, access_key_id: str, security_token: str | None = None) -> str:
        """Return the secret that must have signed a request from ``access_key_id``.

        ``security_token`` is the token the request carried ('' and None both mean "none"). Raises
        :class:`AuthFailure` ``unknown_key``, ``missing_token``, ``invalid_token`` or ``expired_token``.
        """
        token = security_token or ""
        with self._lock:
            static_secret = self._static.get(access_key_id)
            sts = self._sts.get(access_key_id)
        if static_secret is not None:
            if token:
                raise AuthFailure("invalid_token", "a security token was sent with a permanent AccessKey")
            return static_secret
        if sts is None:
            raise AuthFailure("unknown_key", f"AccessKeyId {access_key_id!r} does not exist")
        if not token:
            raise AuthFailure("missing_token", f"AccessKeyId {access_key_id!r} is temporary and needs its token")
        if not hmac.compare_digest(token.encode("utf-8"), sts.security_token.encode("utf-8")):
            raise AuthFailure("invalid_token", f"the security token is not the one issued with {access_key_id!r}")
        if self._clock.now() >= sts.expiration:
            raise AuthFailure("expired_token", f"the security token of {access_key_id!r} has expired")
        return sts.access_key_secret

    def check_request_time(self, request_time: float, header: str) -> None:
        """Raise ``stale_date`` when the signed request time is more than 15 minutes away from now."""
        skew = request_time - self._clock.now()
        if abs(skew) > MAX_SKEW_SECONDS:
            direction = "ahead of" if skew > 0 else "behind"
            raise AuthFailure(
                "stale_date",
                f"{header} is {abs(skew):.0f} s {direction} the server clock (limit {MAX_SKEW_SECONDS} s)",
            )

    def use_nonce(self, access_key_id: str, nonce: str) -> None:
        """Record a signature nonce; raise ``replayed_nonce`` if the same key used it in the last 15 minutes."""
        now = self._clock.now()
        key = (access_key_id, nonce)
        with self._lock:
            self._prune_nonces(now)
            if key in self._nonce_expiry:
                raise AuthFailure("replayed_nonce", f"signature nonce {nonce!r} was already used")
            expiry = now + NONCE_TTL_SECONDS
            self._nonce_expiry[key] = expiry
            self._nonce_order.append((expiry, key))

    def _prune_nonces(self, now: float) -> None:
        # Entries are appended in time order, so expired ones sit at the left; a clock moved backwards only
        # makes some live a little longer, which is harmless.
        while self._nonce_order and self._nonce_order[0][0] <= now:
            expiry, key = self._nonce_order.popleft()
            if self._nonce_expiry.get(key) == expiry:
                del self._nonce_expiry[key]
