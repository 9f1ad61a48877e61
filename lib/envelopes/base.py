"""What every envelope is: the request it carries in, and how its door answers on the way out.

An envelope is built from the FC event once (lib.envelopes.open_envelope) and is never None: an event whose
envelope is broken still becomes the envelope of its door, carrying the ``problem``, so it is answered the way that
door answers (an HTTP 400, or a published rejection). Envelopes are pure: what they need from the outside world (the
request's parser and manifest reader, the results topic) is handed to them as a :class:`RequestReader` and a
:class:`Publisher`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NoReturn, Protocol

from lib.documents import TAG_REJECTED, DocumentIds, error_document
from lib.errors import BadRequestError, ConfigurationError
from lib.request import CancelRequest

if TYPE_CHECKING:
    from lib.handoff import Handoff
    from lib.job import ManifestJob
    from lib.manifest import OssObjectRef

__all__ = ["Envelope", "EventEnvelope", "Publisher", "RequestReader", "Source"]

Source = Literal["oss", "mns", "http"]


class RequestReader(Protocol):
    """Turns what an envelope carries into a request: a CancelRequest held in memory (HTTP, MNS), or the job of a
    manifest request, read from OSS as it goes (lib.job)."""

    def from_payload(self, payload: bytes) -> CancelRequest: ...

    def from_manifests(self, manifests: Sequence[OssObjectRef], ids: DocumentIds) -> ManifestJob: ...

    def from_continuation(self, bucket: str, checkpoint: str, dedupe_key: str, handoff: Handoff) -> ManifestJob: ...

    def check_trigger_topic(self, topic_name: str) -> None:
        """ConfigurationError when ``topic_name`` is the results topic (the function would trigger itself)."""


class Publisher(Protocol):
    """The results topic: publishes (JSON text, tag) documents in order, or raises."""

    def publish(self, documents: Iterable[tuple[str, str]]) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Envelope(ABC):
    """One FC event, unwrapped: the delivery's ``dedupe_key``, its ``shape`` (for logs) and, when the envelope
    itself is broken, the ``problem`` that rejects it."""

    source: ClassVar[Source]
    request_id: str
    dedupe_key: str
    shape: str
    problem: BadRequestError | None = None

    @property
    def ids(self) -> DocumentIds:
        return DocumentIds(self.request_id, self.source, self.dedupe_key)

    def log_fields(self) -> dict[str, Any]:
        return {"source": self.source, "envelope": self.shape, "dedupeKey": self.dedupe_key}

    def read_request(self, reader: RequestReader) -> CancelRequest | ManifestJob:
        """The cancel request this event carries. BadRequestError: the envelope or its request is invalid;
        EventIgnored: the event names nothing to cancel."""
        if self.problem is not None:
            raise self.problem
        return self._read(reader)

    @abstractmethod
    def _read(self, reader: RequestReader) -> CancelRequest | ManifestJob: ...

    @abstractmethod
    def reject(self, error: BadRequestError, publisher: Publisher) -> Any:
        """Answer a bad request: what the invocation returns."""

    @abstractmethod
    def misconfigured(self, error: ConfigurationError) -> Any:
        """Answer (or raise) when the function's configuration is wrong."""

    @abstractmethod
    def reply(self, document: str, *, published: bool) -> Any:
        """What the invocation returns once the results document is ready."""

    @abstractmethod
    def publish_failed(self, error: Exception) -> None:
        """Called when the results could not be published: raises if the event must be delivered again."""


class EventEnvelope(Envelope):
    """OSS and MNS events: nobody waits for the answer, so a rejection is published (and the invocation returns:
    redelivering a poison message cannot help), and whatever leaves the sender uninformed raises, for FC or MNS to
    deliver the event again."""

    def reject(self, error: BadRequestError, publisher: Publisher) -> str:
        document = error_document(error, self.ids)
        publisher.publish([(document, TAG_REJECTED)])
        return document

    def misconfigured(self, error: ConfigurationError) -> NoReturn:
        raise error

    def reply(self, document: str, *, published: bool) -> str:
        return document

    def publish_failed(self, error: Exception) -> NoReturn:
        raise error
