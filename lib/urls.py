"""When two upload URLs name the same thing: the comparison key, and the other spellings of a URL.

A URL copied from a browser (``…/e%20f.mp4``) and the same URL typed by hand (``…/e f.mp4``) are the one file a
server would send, so they are one item. The key (:func:`url_key`) is RFC 3986's syntax-based normal form
(§6.2.2), applied after writing as percent-encoded UTF-8 every character a URI cannot hold as it is:

- characters a URI cannot contain (space, non-ASCII, ``"<>\\^`{|}``, a ``%`` not followed by two hex digits) are
  percent-encoded as UTF-8 (as browsers do, and as RFC 3987 maps an IRI to a URI);
- percent-encoding: hex digits upper-cased (§6.2.2.1), and octets of unreserved characters (``A-Z a-z 0-9 - . _
  ~``) decoded (§6.2.2.2);
- the scheme and the host are lower-cased (§6.2.2.1); user info, path, query and fragment keep their case.

Reserved characters (``:/?#[]@!$&'()*+,;=``) are NOT equated with their percent-encoded octets: RFC 3986 §2.2 says
such URIs are not equivalent, and servers do tell them apart (``a%2Fb`` is one path segment, ``a/b`` two; ``+`` is
a space to a form decoder and ``%2B`` is not). Dot segments (§6.2.2.3) are left alone: VOD stores and compares the
URL text, and the normal form must not invent a path nobody wrote.

VOD compares URLs as text, so a job may be stored under any spelling of its URL. :func:`spellings` gives the other
spellings worth asking about when VOD does not know the one given. Pure and stdlib-only.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

__all__ = ["spellings", "url_key"]

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_RESERVED = ":/?#[]@!$&'()*+,;="
_URI_SAFE = _RESERVED + "%-._~"  # what quote() must leave alone (with letters and digits, which it always does)
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ENCODED_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# Already normal: scheme and host in lower case, nothing to encode, no percent-encoding to look at.
_NORMAL = re.compile(r"[a-z][a-z0-9+.-]*://[a-z0-9.\-\[\]:]*(?:[/?#][A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]*)?")
_KEEP_ENCODED = frozenset(_RESERVED) | {chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))}
"""What a decoded spelling keeps percent-encoded: reserved characters (they would change the URL) and controls (no
upload URL holds one raw). A space is decoded: ``e%20f`` → ``e f`` is the spelling people type. A decoded ``%25``
is kept only where the result still has the same key (``100%25.mp4`` → ``100%.mp4``, not ``%2541`` → ``%41``)."""


def _normal_octet(match: re.Match[str]) -> str:
    octet = match.group()
    char = chr(int(octet[1:], 16))
    return char if char in _UNRESERVED else octet.upper()


def _split_authority(url: str) -> tuple[str, str, str]:
    """(scheme, authority, rest) of an absolute URL; ("", "", url) when it has no ``scheme://``."""
    scheme, sep, after = url.partition("://")
    if not sep:
        return "", "", url
    end = next((index for index, char in enumerate(after) if char in "/?#"), len(after))
    return scheme, after[:end], after[end:]


def _lower_scheme_and_host(url: str) -> str:
    scheme, authority, rest = _split_authority(url)
    if not scheme:
        return url
    userinfo, at, host = authority.rpartition("@")
    host = _PERCENT.sub(lambda match: match.group().upper(), host.lower())
    return f"{scheme.lower()}://{userinfo}{at}{host}{rest}"


def url_key(url: str) -> str:
    """The comparison key of an upload URL: equal keys name the same file (see the module docstring)."""
    if _NORMAL.fullmatch(url):
        return url
    text = quote(_STRAY_PERCENT.sub("%25", url), safe=_URI_SAFE, errors="surrogatepass")
    return _lower_scheme_and_host(_PERCENT.sub(_normal_octet, text))


def _decoded_run(match: re.Match[str]) -> str:
    """A run of percent-encoded octets with every character outside ``_KEEP_ENCODED`` decoded (when UTF-8)."""
    run = match.group()
    try:
        text = unquote(run, errors="strict")
    except UnicodeDecodeError:
        return run
    return "".join(quote(char, safe="") if char in _KEEP_ENCODED else char for char in text)


def spellings(url: str) -> tuple[str, ...]:
    """Other spellings of ``url`` VOD may hold a job under: decoded (``e f``), then normal (``e%20f``), both with
    the scheme and host in lower case. Each has the same :func:`url_key` as ``url``; ``url`` is not among them.
    """
    key = url_key(url)
    decoded = _lower_scheme_and_host(_ENCODED_RUN.sub(_decoded_run, url))
    found: list[str] = []
    for candidate in (decoded, key):
        if candidate != url and candidate not in found and url_key(candidate) == key:
            found.append(candidate)
    return tuple(found)
