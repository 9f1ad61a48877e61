"""A CancelRequest as VOD calls: batches of at most 10 job IDs or 10 URLs, and how their lists are encoded.

- Job IDs and upload URLs go in SEPARATE calls: when both are sent, VOD drops the URLs.
- Each URL is encoded with ``urllib.parse.quote`` and the encoded URLs are comma-joined (as Alibaba's own samples
  do; the SDK then encodes the whole value once more on the wire, and the server decodes that layer). A comma
  inside a URL is therefore ``%2C`` and cannot split the list.
- Batches are built as items arrive (:class:`BatchBuilder`), one pending batch per kind, so a manifest of any size
  never exists as prepared batches; each batch is numbered in the order it is closed, which is the order its
  outcomes are reported in.

Pure and stdlib-only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from lib.items import Item
from lib.limits import MAX_BATCH_ITEMS, MAX_QUERY_CHARS
from lib.request import CancelRequest
from lib.urls import spellings

__all__ = ["MAX_LAG_ITEMS", "Batch", "BatchBuilder", "encode_url", "iter_batches", "respelled", "wire_length"]

MAX_LAG_ITEMS = 1000
"""A pending batch of one kind is sent, not full, once this many items have arrived after its first: its outcomes
are reported in order, so the other kind's outcomes wait for it (in memory) until it is done."""

_WIRE_COMMA = "%2C"


def encode_url(url: str) -> str:
    """One URL as VOD's UploadUrls/UploadURLs lists want it: ``quote(url)``, so ``,`` → ``%2C``."""
    return quote(url)


@dataclass(frozen=True)
class Batch:
    """≤10 items of one kind. ``items`` are what outcomes are reported for: job IDs, or the URLs as given."""

    kind: Literal["job_ids", "urls"]
    items: tuple[str, ...]
    keys: tuple[str, ...]  # what is sent: the job IDs, or the decoded URLs (same order as items)
    seq: int = field(default=0, compare=False)  # the order it was closed in (BatchBuilder), from 1

    @property
    def is_url(self) -> bool:
        return self.kind == "urls"

    def param(self, keys: Iterable[str] | None = None) -> str:
        """The comma-joined JobIds / UploadUrls value of ``keys`` (default: the whole batch)."""
        keys = self.keys if keys is None else keys
        return ",".join(encode_url(key) for key in keys) if self.is_url else ",".join(keys)

    def fields(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """The SDK request field carrying :meth:`param`: ``upload_urls`` or ``job_ids``."""
        return {"upload_urls" if self.is_url else "job_ids": self.param(keys)}

    def item_of(self) -> dict[str, str]:
        """Each key's item."""
        return dict(zip(self.keys, self.items, strict=True))


def wire_length(url: str) -> int:
    """Characters ``url`` takes in the request line: quoted by us, then form-encoded again by the SDK.

    ``quote`` leaves only ``A-Za-z0-9_.-~/%``; the SDK's form encoding then turns each ``%`` and ``/`` into three
    characters. Counting is cheaper than encoding twice, which matters for 100,000-URL manifests.
    """
    quoted = encode_url(url)
    return len(quoted) + 2 * (quoted.count("%") + quoted.count("/"))


def _chunks(
    pairs: Iterable[tuple[str, str]], size: int, cost: Callable[[str], int] | None = None, budget: int = 0
) -> Iterator[list[tuple[str, str]]]:
    """Lists of ≤``size`` pairs whose keys' ``cost`` sums to ≤``budget`` (a lone oversized pair goes alone)."""
    chunk: list[tuple[str, str]] = []
    used = 0
    for pair in pairs:
        weight = cost(pair[1]) + len(_WIRE_COMMA) if cost is not None else 0
        if chunk and (len(chunk) == size or (cost is not None and used + weight > budget)):
            yield chunk
            chunk, used = [], 0
        chunk.append(pair)
        used += weight
    if chunk:
        yield chunk


def iter_batches(
    request: CancelRequest, size: int = MAX_BATCH_ITEMS, max_query_chars: int = MAX_QUERY_CHARS
) -> Iterator[Batch]:
    """Batches of ≤``size`` job IDs, then of ≤``size`` URLs, each URL batch under ``max_query_chars`` on the wire."""
    builder = BatchBuilder(size, max_query_chars)
    for job_id in request.job_ids:
        yield from builder.add(Item(job_id, False, job_id))
    yield from builder.flush()
    for upload_url in request.upload_urls:
        yield from builder.add(Item(upload_url.original, True, upload_url.url))
    yield from builder.flush()


class _Pending:
    """The batch being filled for one kind of item."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []
        self.cost = 0
        self.first = 0  # the arrival number of its first item


class BatchBuilder:
    """Batches from items as they arrive: ≤``size`` job IDs, or ≤``size`` URLs whose wire length stays under
    ``max_query_chars`` (so ten long, say presigned, URLs do not make a request line a gateway refuses).

    A batch is closed when it is full, when the next item would not fit, when it has waited for
    ``max_lag`` items of the other kind (see MAX_LAG_ITEMS), or on :meth:`flush`. Closed batches are numbered.
    """

    def __init__(
        self, size: int = MAX_BATCH_ITEMS, max_query_chars: int = MAX_QUERY_CHARS, max_lag: int = MAX_LAG_ITEMS
    ) -> None:
        if not 1 <= size <= MAX_BATCH_ITEMS:
            raise ValueError(f"batch size must be 1..{MAX_BATCH_ITEMS}, got {size}")
        self._size = size
        self._max_query_chars = max_query_chars
        self._max_lag = max_lag
        self._pending = {"job_ids": _Pending(), "urls": _Pending()}
        self._arrived = 0
        self.closed = 0
        """How many batches have been closed (the number of the last one)."""

    def add(self, item: Item) -> list[Batch]:
        """Take one item; the batches it closed, in order. A batch that reaches ``size`` is closed at once, so right
        after it nothing of its kind is pending."""
        self._arrived += 1
        kind = "urls" if item.is_url else "job_ids"
        weight = wire_length(item.url) + len(_WIRE_COMMA) if item.is_url else 0
        closed = []
        if self._pending[kind].pairs and self._pending[kind].cost + weight > self._max_query_chars:
            closed.append(self._close(kind))
        pending = self._pending[kind]
        if not pending.pairs:
            pending.first = self._arrived
        pending.pairs.append((item.text, item.url))
        pending.cost += weight
        if len(pending.pairs) == self._size:
            closed.append(self._close(kind))
        other = "job_ids" if item.is_url else "urls"
        if self._pending[other].pairs and self._arrived - self._pending[other].first >= self._max_lag:
            closed.append(self._close(other))
        return closed

    def flush(self) -> list[Batch]:
        """Close what is pending (its oldest first)."""
        kinds = sorted((p.first, kind) for kind, p in self._pending.items() if p.pairs)
        return [self._close(kind) for _, kind in kinds]

    def _close(self, kind: Literal["job_ids", "urls"]) -> Batch:
        pending = self._pending[kind]
        self._pending[kind] = _Pending()
        self.closed += 1
        items = tuple(item for item, _ in pending.pairs)
        return Batch(kind, items, tuple(key for _, key in pending.pairs), seq=self.closed)


def _url_batches(pairs: Iterable[tuple[str, str]], size: int, max_query_chars: int) -> Iterator[Batch]:
    for chunk in _chunks(pairs, size, wire_length, max_query_chars):
        yield Batch("urls", tuple(item for item, _ in chunk), tuple(key for _, key in chunk))


def respelled(batch: Batch, items: Collection[str], attempt: int) -> list[Batch]:
    """URL batches asking again about ``items`` of ``batch`` (VOD did not know them as sent), each in its
    ``attempt``-th other spelling (lib.urls.spellings; 0 is the first); empty when no item has one."""
    pairs = []
    for item, url in zip(batch.items, batch.keys, strict=True):
        if item in items:
            others = spellings(url)
            if attempt < len(others):
                pairs.append((item, others[attempt]))
    return list(_url_batches(pairs, MAX_BATCH_ITEMS, MAX_QUERY_CHARS))
