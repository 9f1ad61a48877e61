"""Which bucket and key an OSS request names: path style, or virtual host (``Host: <bucket>.<endpoint>``).

``Host: <bucket>.<endpoint>`` is virtual-host style when the endpoint part is ``localhost``, an IP address, or an
``oss-*`` domain (``bucket.oss-cn-shanghai.aliyuncs.com``, e.g. reached through a proxy); otherwise the first path
segment is the bucket. The key is the rest of the path, percent-decoded once from the raw request target (so
``%2F``, ``+``, ``%25`` and non-ASCII keys round-trip exactly).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote_to_bytes

from werkzeug.wrappers import Request

from localcloud.auth import wire
from localcloud.oss import errors as e


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def virtual_host_bucket(host: str) -> str | None:
    """The bucket named by a virtual-host style Host header, or None for path style."""
    hostname = host if host.startswith("[") else host.rsplit(":", 1)[0]
    if _is_ip(hostname) or "." not in hostname:
        return None
    first, rest = hostname.split(".", 1)
    if first.startswith("oss-"):
        return None
    if rest == "localhost" or _is_ip(rest) or rest.startswith("oss-"):
        return first
    return None


def _decode(text: str) -> str:
    try:
        return unquote_to_bytes(text.encode("latin-1")).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        raise e.InvalidArgument("The request path is not valid percent-encoded UTF-8.") from exc


def locate(request: Request) -> tuple[str, str]:
    """(bucket, key) addressed by the request; either may be '' (service / bucket level)."""
    path, _ = wire.raw_target(request)
    bucket = virtual_host_bucket(request.host)
    if bucket is not None:
        return bucket, _decode(path[1:])
    raw_bucket, _, raw_key = path[1:].partition("/")
    return _decode(raw_bucket), _decode(raw_key)
