"""A CancelRequest as VOD calls: batches of at most 10 job IDs or 10 URLs, and how their lists are encoded.

- Job IDs and upload URLs go in SEPARATE calls: when both are sent, VOD drops the URLs.
- Each URL is encoded with ``urllib.parse.quote`` and the encoded URLs are comma-joined (as Alibaba's own samples
  do; the SDK then encodes the whole value once more on the wire, and the server decodes that layer). A comma
  inside a URL is therefore ``%2C`` and cannot split the list.
- Batches are generated lazily, so a 100,000-URL manifest never exists as 10,000 prepared batches at once.

Pure and stdlib-only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from lib.limits import MAX_BATCH_ITEMS, MAX_QUERY_CHARS
from lib.request import CancelRequest
from lib.urls import spellings

__all__ = ["Batch", "encode_url", "iter_batches", "respelled", "wire_length"]

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
    """Batches of ≤``size`` job IDs, then of ≤``size`` URLs; lazy, so memory stays flat for any size.

    A URL batch also stays under ``max_query_chars`` on the wire, so ten long (say, presigned) URLs do not
    make a request line that a gateway rejects.
    """
    if not 1 <= size <= MAX_BATCH_ITEMS:
        raise ValueError(f"batch size must be 1..{MAX_BATCH_ITEMS}, got {size}")
    for chunk in _chunks(((job_id, job_id) for job_id in request.job_ids), size):
        yield Batch("job_ids", tuple(item for item, _ in chunk), tuple(key for _, key in chunk))
    yield from _url_batches(((u.original, u.url) for u in request.upload_urls), size, max_query_chars)


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
