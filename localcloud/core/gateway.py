"""What every service's front door shares: where the cloud is, its clock, faults and keys, and who may do what.

The :class:`Gateway` is built once by :class:`~localcloud.cloud.LocalCloud` and handed to every service's WSGI
app. Its ``authorize`` hook is called for every authenticated request with the caller's :class:`Identity`, the
service, the RAM action and the resource (an ACS ARN). :class:`RamAuthorizer` is the local cloud's RAM: a request
signed with an STS token that carries its role's policy is held to that policy; everything else is allowed.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from localcloud.auth.credentials import CredentialStore
from localcloud.auth.ram import Decision, Evaluation, Grant
from localcloud.clock import Clock
from localcloud.faults import Faults


@dataclass(frozen=True)
class Identity:
    """Who signed a request. ``access_key_id`` is None for anonymous requests (an anonymous HTTP trigger)."""

    access_key_id: str | None

    @property
    def is_sts(self) -> bool:
        """Temporary credentials (a role's STS token), the ones a RAM policy applies to."""
        return bool(self.access_key_id and self.access_key_id.startswith("STS."))


ANONYMOUS = Identity(None)


class AuthorizationDenied(Exception):
    """Raised by an authorizer to refuse a request; each service answers with its own access-denied error.

    ``explicit``: a ``Deny`` statement matched (services that tell the two apart answer it differently).
    """

    def __init__(self, reason: str, *, explicit: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.explicit = explicit


class Authorizer(Protocol):
    def __call__(self, identity: Identity, service: str, action: str, resource: str) -> None:
        """Return to allow the request; raise :class:`AuthorizationDenied` to refuse it."""


def allow_all(identity: Identity, service: str, action: str, resource: str) -> None:
    """The default authorizer: every authenticated caller may do everything (as an account's own AccessKey)."""
    return None


class RamAuthorizer:
    """Holds every request signed with a policy-carrying STS token to that policy, and remembers the decisions.

    Permanent AccessKeys (the account's own) and tokens minted without a policy are not restricted, as RAM does not
    restrict an account owner. The decisions (one per distinct action, resource and outcome, with a count) let
    tests show which grants of a policy were needed and which never were.
    """

    def __init__(self, credentials: CredentialStore) -> None:
        self._credentials = credentials
        self._lock = threading.Lock()
        self._evaluations: Counter[Evaluation] = Counter()

    def __call__(self, identity: Identity, service: str, action: str, resource: str) -> None:
        policy = self._credentials.policy_of(identity.access_key_id)
        if policy is None:
            return
        evaluation = policy.evaluate(f"{service}:{action}", resource)
        with self._lock:
            self._evaluations[evaluation] += 1
        if not evaluation.allowed:
            raise AuthorizationDenied(evaluation.reason(), explicit=evaluation.decision is Decision.EXPLICIT_DENY)

    def evaluations(self) -> dict[Evaluation, int]:
        """Each distinct decision taken so far and how many requests it answered."""
        with self._lock:
            return dict(self._evaluations)

    def used_grants(self) -> set[Grant]:
        """The policy grants (action pattern × resource pattern of an Allow statement) some request needed."""
        return {grant for e in self.evaluations() if e.allowed for grant in e.grants}

    def denials(self) -> list[Evaluation]:
        return [e for e in self.evaluations() if not e.allowed]


@dataclass
class Gateway:
    """The shared front-door state of one local cloud (one account in one region)."""

    region: str
    account_id: str
    clock: Clock
    faults: Faults
    credentials: CredentialStore
    authorize: Authorizer = allow_all

    def arn(self, service: str, resource: str) -> str:
        """``acs:<service>:<region>:<account>:<resource>``, the resource form RAM policies name."""
        return f"acs:{service}:{self.region}:{self.account_id}:{resource}"
