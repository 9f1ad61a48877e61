"""Reading a request exactly as the client sent it: raw path and query, headers, body, dates, digests.

Signatures cover the bytes on the wire, so verifiers must never look at werkzeug's decoded ``path``/``args``
(which lose the distinction between ``%2F`` and ``/``, or ``+`` and ``%2B``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from werkzeug.wrappers import Request

from localcloud.auth.errors import AuthFailure

HashFactory = Callable[..., Any]
"""A hashlib constructor such as ``hashlib.sha1``."""


def header(request: Request, name: str) -> str:
    """The value of header ``name`` (case-insensitive), '' when absent."""
    return request.headers.get(name, "") or ""


def header_bytes(value: str) -> bytes:
    """A header value as the bytes the client sent: WSGI hands them over latin-1 decoded (PEP 3333), so a UTF-8
    value arrives as mojibake and encodes back to exactly the signed bytes."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # not from a WSGI server (a hand-built request): the text is already decoded
        return value.encode("utf-8")


def query_value(request: Request, name: str) -> str | None:
    """The form-decoded value of query parameter ``name`` as sent (first occurrence), None when absent."""
    for key, value in parse_query(raw_query(request)):
        if key == name:
            return value
    return None


def headers_with_prefix(request: Request, prefix: str) -> list[tuple[str, str]]:
    """(lowercased name, value) of every header whose name starts with ``prefix``, sorted by name."""
    return sorted((k.lower(), v) for k, v in request.headers.items() if k.lower().startswith(prefix))


def request_target(request: Request) -> str:
    """The request target (path and query) as sent, still percent-encoded.

    An absolute-form target (``GET http://bucket.host/key``, what a client sends through an HTTP proxy) is
    reduced to its origin form, which is what the client signed.
    """
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not target:
        # WSGI strings carry the raw bytes as latin-1 ("WSGI encoding dance"); re-encode only what must be.
        raw_path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
        path = quote(raw_path, safe="/~!$&'()*+,;=:@")
        query = request.query_string.decode("latin-1")
        return (path or "/") + (f"?{query}" if query else "")
    if "://" in target.split("?", 1)[0]:
        after_scheme = target.split("://", 1)[1]
        cut = min((i for i in (after_scheme.find("/"), after_scheme.find("?")) if i >= 0), default=len(after_scheme))
        target = after_scheme[cut:]
    if not target.startswith("/"):
        target = "/" + target
    return target


def raw_target(request: Request) -> tuple[str, str]:
    """(path, query) of :func:`request_target`."""
    path, _, query = request_target(request).partition("?")
    return path, query


def raw_query(request: Request) -> bytes:
    """The query string bytes as sent (no decoding at all)."""
    return request.query_string


def parse_query(raw: bytes | str) -> list[tuple[str, str]]:
    """Split and form-decode a query string into (name, value) pairs, keeping blanks and order.

    Form semantics (``+`` is a space) are right for every official SDK: those that use ``urlencode``
    (requests, tea-openapi, oss2 via requests) send a space as ``+``, the others send ``%20``, and all of them
    send a literal plus as ``%2B``. Invalid UTF-8 is a ``malformed`` request, not a crash.
    """
    data = raw.encode("latin-1") if isinstance(raw, str) else raw
    pairs: list[tuple[str, str]] = []
    for part in data.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        pairs.append((_form_decode(name), _form_decode(value)))
    return pairs


def _form_decode(component: bytes) -> str:
    try:
        return unquote_to_bytes(component.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AuthFailure("malformed", "the query string is not valid percent-encoded UTF-8") from exc


def unquote_path(path: str) -> str:
    """Percent-decode a path (``+`` stays a plus) as UTF-8."""
    try:
        return unquote_to_bytes(path.encode("latin-1")).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        raise AuthFailure("malformed", "the request path is not valid percent-encoded UTF-8") from exc


def body(request: Request) -> bytes:
    """The whole request body, cached so the service can still read it after authentication."""
    return request.get_data(cache=True)


# -- dates ---------------------------------------------------------------------------------------------------
def parse_http_date(value: str, header_name: str) -> float:
    """Epoch seconds of an RFC 1123 date (``Fri, 27 Nov 2026 20:48:45 GMT``)."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise AuthFailure("malformed", f"{header_name} is not an RFC 1123 date") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def parse_iso8601(value: str, header_name: str, fmt: str) -> float:
    """Epoch seconds of a UTC timestamp in the strict ``fmt`` (e.g. ``%Y-%m-%dT%H:%M:%SZ``)."""
    try:
        return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc).timestamp()
    except ValueError as exc:
        raise AuthFailure("malformed", f"{header_name} {value!r} does not match {fmt}") from exc


# -- digests -------------------------------------------------------------------------------------------------
def b64_hmac(secret: str, message: str | bytes, digestmod: HashFactory) -> str:
    """base64(HMAC(secret, message)) with text as UTF-8, as the SDKs compute it."""
    data = message if isinstance(message, bytes) else message.encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), data, digestmod).digest()
    return base64.b64encode(digest).decode("ascii")


def hex_hmac_sha256(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def signature_matches(sent: str, candidates: Iterable[str]) -> bool:
    """Constant-time comparison of the sent signature against every acceptable canonical form."""
    sent_bytes = sent.encode("utf-8")
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(sent_bytes, candidate.encode("utf-8"))
    return matched


def content_md5_matches(value: str, payload: bytes) -> bool:
    """True if ``value`` is the body's Content-MD5 in either form Alibaba clients send.

    RFC 1864 form is base64 of the raw digest; the MNS SDK sends base64 of the 32-char lowercase HEX digest.
    """
    digest = hashlib.md5(payload)
    accepted = (
        base64.b64encode(digest.digest()).decode("ascii"),
        base64.b64encode(digest.hexdigest().encode("ascii")).decode("ascii"),
        base64.b64encode(digest.hexdigest().upper().encode("ascii")).decode("ascii"),
    )
    return signature_matches(value.strip(), accepted)


def split_colon_credential(authorization: str, scheme: str) -> tuple[str, str]:
    """Parse ``<scheme> <AccessKeyId>:<signature>`` (MNS, OSS v1, FC)."""
    prefix = scheme + " "
    if not authorization.startswith(prefix):
        raise AuthFailure("malformed", f"Authorization must start with {prefix!r}")
    access_key_id, sep, signature = authorization[len(prefix) :].strip().rpartition(":")
    if not sep or not access_key_id or not signature:
        raise AuthFailure("malformed", f"Authorization must be '{scheme} <AccessKeyId>:<Signature>'")
    return access_key_id, signature
