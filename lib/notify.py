"""Publish documents to the results topic with the official MNS SDK (aliyun-mns-sdk).

Documents go out in order, one message each, as plain text (``TopicMessage``, never base64). A transient MNS error
is retried a few times inside the deadline; anything else raises :class:`NotifyError`, and the caller decides what
a failed publish means for its door (lib.envelopes).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from lib import clients, logs, sdk
from lib.config import Credentials, Settings

__all__ = ["NotifyError", "ResultsTopic"]

_PUBLISH_ATTEMPTS = 3
_TRANSIENT_MNS_CODES = frozenset({"InternalError", "InternalServerError", "QpsLimitExceeded", "ServiceUnavailable"})
_RETRY_BASE_S = 0.2
_LAST_RETRY_S = 0.5  # no retry starts closer than this to the deadline


class NotifyError(Exception):
    """The results could not be published."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ResultsTopic:
    """The results topic of one invocation: its settings, credentials and deadline."""

    def __init__(self, settings: Settings, credentials: Credentials, *, deadline: float) -> None:
        self._settings = settings
        self._credentials = credentials
        self._deadline = deadline

    def publish(self, documents: Iterable[tuple[str, str]]) -> None:
        """Publish each (body, tag) in order; raises NotifyError when one cannot go.

        ``documents`` may be a generator (lib.documents.ResultsParts): each part is built only when it is sent.
        """
        sdk.load(sdk.MNS)
        for body, tag in documents:
            self._publish_one(body, tag)

    def _publish_one(self, body: str, tag: str) -> None:
        from mns.mns_exception import MNSClientNetworkException, MNSServerException
        from mns.topic import TopicMessage

        topic = self._settings.notify_topic
        for attempt in range(1, _PUBLISH_ATTEMPTS + 1):
            try:
                account = clients.mns_account(self._settings, self._credentials)
                account.get_topic(topic).publish_message(TopicMessage(body, tag))
                return
            except MNSServerException as exc:
                code = str(getattr(exc, "type", "") or "MNSError")
                transient = code in _TRANSIENT_MNS_CODES
                detail = str(getattr(exc, "message", "") or "")
            except MNSClientNetworkException as exc:
                code, transient, detail = "MNSNetworkError", True, str(getattr(exc, "message", exc))
                clients.drop_mns_account(self._settings)
            left = self._deadline - time.monotonic() - _LAST_RETRY_S
            if not transient or attempt == _PUBLISH_ATTEMPTS or left <= 0:
                raise NotifyError(code, logs.redact(f"publishing to topic {topic!r} failed: {detail}"))
            time.sleep(min(_RETRY_BASE_S * 2 ** (attempt - 1), left))
