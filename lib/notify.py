"""Publish results documents to the results topic with the official MNS SDK (aliyun-mns-sdk).

The SDK's Account is not thread-safe and is cheap to keep, so one is cached per (endpoint, credentials) and used
from the invocation's main thread only; it is rebuilt when FC rotates the STS token.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from lib import logs
from lib.config import Credentials

_PUBLISH_ATTEMPTS = 3
_TRANSIENT_MNS_CODES = {"InternalError", "InternalServerError", "QpsLimitExceeded", "ServiceUnavailable"}
_accounts: dict[tuple[str, str, str], Any] = {}


class NotifyError(Exception):
    """The results could not be published; the function raises so that FC / MNS delivers the event again."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _account(endpoint: str, credentials: Credentials, timeout_s: float) -> Any:
    key = (endpoint, credentials.access_key_id, credentials.security_token)
    account = _accounts.get(key)
    if account is None:
        from mns.account import Account

        _accounts.clear()  # a new token replaces the old one; keep at most one Account
        account = Account(
            endpoint,
            credentials.access_key_id,
            credentials.access_key_secret,
            security_token=credentials.security_token or "",
        )
        _accounts[key] = account
    timeout = max(1, int(timeout_s))
    if getattr(account, "_timeout_s", None) != timeout:  # the SDK reconnects on every call of this setter
        account.mns_client.set_connection_timeout(timeout)
        account._timeout_s = timeout
    return account


def publish_documents(
    documents: Iterable[tuple[str, str]],
    *,
    endpoint: str,
    topic: str,
    credentials: Credentials,
    deadline: float,
) -> list[str]:
    """Publish each (body, tag) in order; returns the MNS message ids. Raises NotifyError when one cannot go.

    ``documents`` may be a generator (lib.outcome.ResultsParts): each part is built only when it is sent.
    """
    from mns.mns_exception import MNSClientNetworkException, MNSServerException
    from mns.topic import TopicMessage

    message_ids: list[str] = []
    for body, tag in documents:
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            try:
                mns_topic = _account(endpoint, credentials, min(10.0, max(1.0, remaining))).get_topic(topic)
                sent = mns_topic.publish_message(TopicMessage(body, tag))
                message_ids.append(sent.message_id)
                break
            except MNSServerException as exc:
                code = str(getattr(exc, "type", "") or "MNSError")
                transient = code in _TRANSIENT_MNS_CODES
                detail = str(getattr(exc, "message", "") or "")
            except MNSClientNetworkException as exc:
                code, transient, detail = "MNSNetworkError", True, str(getattr(exc, "message", exc))
                _accounts.clear()  # drop a connection that may be half-closed
            if not transient or attempt >= _PUBLISH_ATTEMPTS or time.monotonic() + 0.5 > deadline:
                raise NotifyError(code, logs.redact(f"publishing to topic {topic!r} failed: {detail}"))
            time.sleep(min(0.2 * 2 ** (attempt - 1), max(0.0, deadline - time.monotonic() - 0.5)))
    return message_ids
