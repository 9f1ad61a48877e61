"""What every service's front door shares: where the cloud is, its clock, faults and keys, and who may do what.

The :class:`Gateway` is built once by :class:`~localcloud.cloud.LocalCloud` and handed to every service's WSGI
app. Its ``authorize`` hook is called for every authenticated request with the caller's :class:`Identity`, the
service, the action and the resource (an ACS ARN); it allows everything unless replaced, e.g. by a RAM policy
check for STS credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from localcloud.auth.credentials import CredentialStore
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
    """Raised by an authorizer to refuse a request; each service answers with its own access-denied error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Authorizer(Protocol):
    def __call__(self, identity: Identity, service: str, action: str, resource: str) -> None:
        """Return to allow the request; raise :class:`AuthorizationDenied` to refuse it."""


def allow_all(identity: Identity, service: str, action: str, resource: str) -> None:
    """The default authorizer: every authenticated caller may do everything (as an account's own AccessKey)."""
    return None


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
