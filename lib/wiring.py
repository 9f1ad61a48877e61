"""What one invocation is wired to: settings, credentials, and the services built from them, each on first use.

Settings are the instance's (read once from the environment); credentials are the invocation's (FC rotates the
role's STS token). Nothing is built before it is needed, so a request that is bad on its face is answered without
reading credentials or importing an SDK. There is one way to build each service: :func:`canceller_from_settings`
is what production and the tests use alike.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from lib import clients, config, logs
from lib.config import Credentials, Settings
from lib.errors import ConfigurationError
from lib.limits import MIN_PUBLISH_WINDOW_S
from lib.request import CancelRequest, parse_cancel_request

if TYPE_CHECKING:
    from lib.documents import DocumentIds
    from lib.handoff import Handoff
    from lib.job import JobContext, ManifestJob
    from lib.manifest import OssObjectRef
    from lib.vod import Canceller

__all__ = ["Wiring", "canceller_from_settings"]


def canceller_from_settings(settings: Settings, credentials: Credentials) -> Canceller:
    """A Canceller on the instance's VOD client, paced by the shared quota limiters, tuned by the settings."""
    from lib.ratelimit import get_limiter
    from lib.vod import Canceller, VodOptions
    from lib.vodapi import CANCEL_API, INFO_API

    return Canceller(
        clients.vod_client(settings, credentials),
        cancel_limiter=get_limiter(CANCEL_API, settings.cancel_qps),
        info_limiter=get_limiter(INFO_API, settings.info_qps),
        options=VodOptions(
            max_workers=settings.vod_concurrency,
            safety_margin_s=settings.deadline_margin_s,
            connect_timeout_ms=settings.connect_timeout_ms,
            read_timeout_ms=settings.read_timeout_ms,
        ),
    )


class Wiring:
    """One invocation's settings, credentials and services. It reads requests for the envelopes
    (lib.envelopes.RequestReader) and publishes for them (lib.envelopes.Publisher)."""

    def __init__(self, context: Any, *, deadline: float) -> None:
        self._context = context
        self.deadline = deadline
        self._canceller: Canceller | None = None

    @property
    def request_id(self) -> str:
        """This invocation's FC request id."""
        return str(getattr(self._context, "request_id", "") or "")

    @property
    def function_name(self) -> str:
        """This function's name, for invoking it again (a continuation)."""
        function = getattr(self._context, "function", None)
        return str(getattr(function, "name", "") or os.environ.get("FC_FUNCTION_NAME", ""))

    @cached_property
    def settings(self) -> Settings:
        return config.settings()

    @cached_property
    def credentials(self) -> Credentials:
        credentials = config.credentials_from(self._context)
        logs.register_secrets(credentials.access_key_secret, credentials.security_token)
        return credentials

    def from_payload(self, payload: bytes) -> CancelRequest:
        return parse_cancel_request(
            payload, max_items=self.settings.max_request_items, max_bytes=self.settings.max_request_bytes
        )

    def from_manifests(self, manifests: Sequence[OssObjectRef], ids: DocumentIds) -> ManifestJob:
        from lib.job import ManifestJob

        return ManifestJob.start(self._job_context(), manifests, ids)

    def from_continuation(self, bucket: str, checkpoint: str, dedupe_key: str, handoff: Handoff) -> ManifestJob:
        from lib.job import ManifestJob

        return ManifestJob.resume(self._job_context(), bucket, checkpoint, dedupe_key, handoff)

    def _job_context(self) -> JobContext:
        from lib.job import JobContext
        from lib.objects import OssObjects

        return JobContext(
            objects=OssObjects(clients.oss_client(self.settings, self.credentials)),
            request_id=self.request_id,
            deadline=self.deadline,
            settings=self.settings,
            publish=self.publish,
            engine=self.canceller,
            continue_with=self._continue_with,
            prepare_continuation=self._prepare_continuation,
        )

    def _prepare_continuation(self) -> None:
        from lib.continuation import prepare_continuation

        try:
            prepare_continuation(self.settings, self.credentials)
        except Exception as error:  # start_continuation meets it again and reports it
            logs.warning("the FC client could not be prepared", error=str(error))

    def _continue_with(self, event: bytes, cutoff: float) -> str:
        from lib.continuation import start_continuation

        return start_continuation(self.settings, self.credentials, self.function_name, event, cutoff=cutoff)

    def check_trigger_topic(self, topic_name: str) -> None:
        if topic_name == self.settings.notify_topic:
            raise ConfigurationError(
                "NotifyTopicIsTriggerTopic",
                f"this function was triggered by {topic_name!r}, its own results topic (NOTIFY_TOPIC): "
                "refusing to publish there, which would invoke it again forever",
            )

    def canceller(self) -> Canceller:
        """The invocation's canceller, built on first use (its stats are the invocation's VOD calls)."""
        if self._canceller is None:
            self._canceller = canceller_from_settings(self.settings, self.credentials)
        return self._canceller

    def vod_stats(self) -> dict[str, object] | None:
        """What the canceller did, when one was built."""
        return self._canceller.stats.as_dict() if self._canceller is not None else None

    def publish(self, documents: Iterable[tuple[str, str]]) -> None:
        """Publish to the results topic; it always gets a few seconds, even when the cancel work used the deadline."""
        from lib.notify import ResultsTopic

        deadline = max(self.deadline, time.monotonic() + MIN_PUBLISH_WINDOW_S)
        ResultsTopic(self.settings, self.credentials, deadline=deadline).publish(documents)
