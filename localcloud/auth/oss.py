"""OSS: signature V1 (``OSS ak:sig``, HMAC-SHA1) and V4 (``OSS4-HMAC-SHA256``), in the Authorization header or
in the query string of a presigned URL, as oss2 and alibabacloud_oss_v2 send them.

Both versions sign the resource as ``/<bucket>/<key>`` whatever the addressing style (path style on IP
endpoints, virtual host ``bucket.<endpoint>`` or CNAME), so the caller passes the bucket and the decoded key it
routed the request to. V1 signs only whitelisted sub-resources of the query; the two SDKs keep different
whitelists, so either canonical form is accepted. V4 signs every query parameter.

Header values are signed as the bytes on the wire: oss2 sends ``x-oss-meta-*`` values as the UTF-8 bytes it was
given and signs those bytes (its ``test_put_object_with_unicode_header`` passes against OSS), while WSGI hands
header values over latin-1 decoded; :func:`~localcloud.auth.wire.header_bytes` turns them back into those bytes.

STS tokens: ``x-oss-security-token`` (oss2 v1/v4, oss_v2 v4; signed as an x-oss-* header) or ``security-token``
(alibabacloud_oss_v2 with signature V1; not signed). In presigned URLs: ``security-token`` (V1, signed as a
sub-resource) or ``x-oss-security-token`` (V4, signed as a query parameter).

Presigned URLs: V1 ``OSSAccessKeyId``/``Expires``/``Signature`` (``Expires`` takes the Date's place in the string
to sign; oss2 ``sign_url``, oss-v2 ``presign`` with signature V1), V4 ``x-oss-signature-version``/
``x-oss-credential``/``x-oss-date``/``x-oss-expires``/``x-oss-signature``/``x-oss-additional-headers`` (every
query parameter but the signature is signed; the payload is unsigned). Expiry is checked on the store's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

from werkzeug.wrappers import Request

from localcloud.auth import wire
from localcloud.auth.credentials import CredentialStore
from localcloud.auth.errors import AuthFailure

V4_ALGORITHM = "OSS4-HMAC-SHA256"
V4_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

# Whitespace-separated so they diff easily against the SDK sources they were copied from.
# oss2 2.19 ``ProviderAuth._subresource_key_set``.
OSS2_SUBRESOURCES = frozenset(
    """acl append asyncFetch bucketArchiveDirectRead bucketInfo callback callback-var cname comp
    continuation-token cors delete encryption endTime group httpsConfig inventory inventoryId lifecycle link live
    location logging metaQuery objectInfo objectMeta partNumber policy position qos qosInfo qosRequester
    redundancyTransition referer regionList replication replicationLocation replicationProgress requestPayment
    requesterQosInfo resourceGroup resourcePool resourcePoolBuckets resourcePoolInfo response-cache-control
    response-content-disposition response-content-encoding response-content-language response-content-type
    response-expires restore security-token sequential startTime stat status style styleName symlink tagging
    transferAcceleration uploadId uploads versionId versioning versions vod website worm wormExtend wormId
    x-oss-ac-forward-allow x-oss-ac-source-ip x-oss-ac-subnet-mask x-oss-ac-vpc-id x-oss-access-point-name
    x-oss-async-process x-oss-process x-oss-redundancy-transition-taskid x-oss-request-payer
    x-oss-target-redundancy-type x-oss-traffic-limit x-oss-write-get-object-response accessPoint
    accessPointPolicy publicAccessBlock""".split()  # noqa: SIM905
)
# alibabacloud_oss_v2 1.4 ``SignerV1._subresource_key_set`` plus every operation's ``sub-resource`` metadata.
OSS_V2_SUBRESOURCES = frozenset(
    """acl bucketInfo location stat delete append tagging objectMeta uploads uploadId partNumber security-token
    position response-content-type response-content-language response-expires response-cache-control
    response-content-disposition response-content-encoding restore callback callback-var versions versioning
    versionId sequential continuation-token regionList cloudboxes symlink resourceGroup
    MetaQuery accessPoint accessPointPolicy bucketArchiveDirectRead cleanRestoredObject cname comp cors
    dataPipeline encryption httpsConfig inventory inventoryId legalHold lifecycle logging metaQuery
    metadataConfiguration metadataInventoryTable metadataJournalTable objectWorm overwriteConfig policy
    policyStatus publicAccessBlock quota redundancyTransition referer replication replicationLocation
    replicationProgress requestPayment retention rtc seal style styleName transferAcceleration
    userDefinedLogFieldsConfig website worm wormExtend wormId x-oss-access-point-name
    x-oss-redundancy-transition-taskid x-oss-target-redundancy-type""".split()  # noqa: SIM905
)


def _resource_path(bucket: str, key: str) -> str:
    return f"/{bucket}/{key}" if bucket else "/"


def _pairs_text(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" if v else k for k, v in sorted(pairs))


class PresignedUrlExpired(AuthFailure):
    """A presigned URL used after its expiry (OSS answers AccessDenied "Request has expired.")."""

    def __init__(self, expires: float, server_time: float) -> None:
        super().__init__("stale_date", "the presigned URL has expired")
        self.expires = expires
        self.server_time = server_time


class PresignExpiryInvalid(AuthFailure):
    """A presigned URL whose expiry is missing or not a number."""

    def __init__(self, detail: str) -> None:
        super().__init__("malformed", detail)


class SigningRegionMismatch(AuthFailure):
    """A V4 credential scope that names a region other than this endpoint's."""

    def __init__(self, detail: str) -> None:
        super().__init__("malformed", detail)


def is_signed(request: Request) -> bool:
    """Whether the request carries a signature at all (header or presigned query); unsigned ones are anonymous."""
    return bool(wire.header(request, "Authorization")) or any(
        name in request.args for name in ("Signature", "x-oss-signature")
    )


# -- V1 ------------------------------------------------------------------------------------------------------
def v1_canonical_resources(request: Request, bucket: str, key: str) -> list[str]:
    """Every acceptable CanonicalizedResource: ``/bucket/key`` plus the sub-resources either SDK signs."""
    params = wire.parse_query(wire.raw_query(request))
    resources: list[str] = []
    for whitelist in (OSS2_SUBRESOURCES, OSS_V2_SUBRESOURCES):
        signed = [(k, v) for k, v in params if k in whitelist]
        resource = _resource_path(bucket, key) + (f"?{_pairs_text(signed)}" if signed else "")
        if resource not in resources:
            resources.append(resource)
    return resources


def v1_string_to_sign(request: Request, resource: str, date: str) -> bytes:
    """VERB, Content-MD5, Content-Type, the date (Expires in a presigned URL), sorted ``x-oss-*:value`` lines,
    resource; header values as sent."""
    oss_headers = b"".join(
        name.encode("ascii") + b":" + wire.header_bytes(value) + b"\n"
        for name, value in wire.headers_with_prefix(request, "x-oss-")
    )
    head = [
        request.method.upper().encode("ascii"),
        wire.header_bytes(wire.header(request, "Content-MD5")),
        wire.header_bytes(wire.header(request, "Content-Type")),
        date.encode("utf-8"),
    ]
    return b"\n".join(head) + b"\n" + oss_headers + resource.encode("utf-8")


def _v1_matches(request: Request, secret: str, bucket: str, key: str, date: str, signature: str) -> bool:
    candidates = [
        wire.b64_hmac(secret, v1_string_to_sign(request, resource, date), hashlib.sha1)
        for resource in v1_canonical_resources(request, bucket, key)
    ]
    return wire.signature_matches(signature, candidates)


def _verify_v1(request: Request, store: CredentialStore, bucket: str, key: str, authorization: str) -> str:
    access_key_id, signature = wire.split_colon_credential(authorization, "OSS")
    date = wire.header(request, "x-oss-date") or wire.header(request, "Date")
    if not date:
        raise AuthFailure("missing", "a Date (or x-oss-date) header is required")
    token = wire.header(request, "x-oss-security-token") or wire.header(request, "security-token")
    secret = store.resolve(access_key_id, token)
    if not _v1_matches(request, secret, bucket, key, date, signature):
        raise AuthFailure("bad_signature", "the OSS V1 request signature does not match")
    store.check_request_time(wire.parse_http_date(date, "Date"), "Date")
    return access_key_id


def _expiry(value: str | None, name: str) -> int:
    if not value:
        raise PresignExpiryInvalid(f"the presigned URL has no {name}")
    if not value.isdigit():
        raise PresignExpiryInvalid(f"{name} {value!r} is not a number of seconds")
    return int(value)


def _verify_v1_query(request: Request, store: CredentialStore, bucket: str, key: str, now: float) -> str:
    access_key_id = wire.query_value(request, "OSSAccessKeyId") or ""
    expires = _expiry(wire.query_value(request, "Expires"), "Expires")
    secret = store.resolve(access_key_id, wire.query_value(request, "security-token"))
    signature = wire.query_value(request, "Signature") or ""
    if not _v1_matches(request, secret, bucket, key, str(expires), signature):
        raise AuthFailure("bad_signature", "the OSS V1 URL signature does not match")
    if now > expires:
        raise PresignedUrlExpired(expires, now)
    return access_key_id


# -- V4 ------------------------------------------------------------------------------------------------------
def _parse_v4_authorization(authorization: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in authorization[len(V4_ALGORITHM) :].split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            raise AuthFailure("malformed", f"unexpected element {item.strip()!r} in the OSS4 Authorization header")
        fields[name] = value.strip()
    if not fields.get("Credential") or not fields.get("Signature"):
        raise AuthFailure("malformed", "the OSS4 Authorization header needs Credential and Signature")
    return fields


def v4_canonical_query(raw: bytes, *, leave_out: str = "") -> str:
    """Every query parameter (but ``leave_out``), RFC 3986 encoded (``/`` too), sorted; a blank value gives the
    bare name."""
    pairs = [(quote(k, safe=""), quote(v, safe="")) for k, v in wire.parse_query(raw) if k != leave_out]
    return _pairs_text(pairs)


def v4_canonical_request(
    request: Request, bucket: str, key: str, additional_headers: list[str], hashed_payload: str, query: str
) -> bytes:
    extra = set(additional_headers)
    headers = sorted(
        (name.lower(), value)
        for name, value in request.headers.items()
        if name.lower().startswith("x-oss-") or name.lower() in {"content-type", "content-md5"} | extra
    )
    canonical_headers = b"".join(
        name.encode("ascii") + b":" + wire.header_bytes(value) + b"\n" for name, value in headers
    )
    head = "\n".join([request.method.upper(), quote(_resource_path(bucket, key), safe="/"), query]).encode("utf-8")
    tail = "\n".join([";".join(additional_headers), hashed_payload]).encode("utf-8")
    return head + b"\n" + canonical_headers + b"\n" + tail


def v4_signing_key(secret: str, date: str, region: str, product: str) -> bytes:
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (date, region, product, "aliyun_v4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _v4_scope(credential: str, region: str | None) -> tuple[str, str, str, str]:
    """(AccessKeyId, date, region, product) of ``<AccessKeyId>/<date>/<region>/oss/aliyun_v4_request``."""
    scope_parts = credential.split("/")
    if len(scope_parts) != 5 or scope_parts[4] != "aliyun_v4_request":
        raise AuthFailure("malformed", "Credential must be <AccessKeyId>/<date>/<region>/oss/aliyun_v4_request")
    access_key_id, scope_date, scope_region, product, _ = scope_parts
    if product != "oss":
        raise AuthFailure("malformed", f"the credential scope names product {product!r}, not 'oss'")
    if region is not None and scope_region != region:
        raise SigningRegionMismatch(f"the credential scope names region {scope_region!r}, expected {region!r}")
    return access_key_id, scope_date, scope_region, product


def _v4_signature(secret: str, scope: tuple[str, str, str, str], date: str, canonical: bytes) -> str:
    _, scope_date, scope_region, product = scope
    scope_text = f"{scope_date}/{scope_region}/{product}/aliyun_v4_request"
    string_to_sign = f"{V4_ALGORITHM}\n{date}\n{scope_text}\n{wire.sha256_hex(canonical)}"
    return wire.hex_hmac_sha256(v4_signing_key(secret, scope_date, scope_region, product), string_to_sign)


def _additional(value: str) -> list[str]:
    return sorted(h.strip().lower() for h in value.split(";") if h.strip())


def _verify_v4(
    request: Request, store: CredentialStore, bucket: str, key: str, authorization: str, region: str | None
) -> str:
    fields = _parse_v4_authorization(authorization)
    scope = _v4_scope(fields["Credential"], region)
    date = wire.header(request, "x-oss-date")
    if not date:
        raise AuthFailure("missing", "header x-oss-date is required with OSS4-HMAC-SHA256")
    request_time = wire.parse_iso8601(date, "x-oss-date", V4_DATE_FORMAT)
    if date[:8] != scope[1]:
        raise AuthFailure("malformed", "the credential scope date differs from x-oss-date")

    secret = store.resolve(scope[0], wire.header(request, "x-oss-security-token"))
    hashed_payload = wire.header(request, "x-oss-content-sha256") or UNSIGNED_PAYLOAD
    query = v4_canonical_query(wire.raw_query(request))
    canonical = v4_canonical_request(
        request, bucket, key, _additional(fields.get("AdditionalHeaders", "")), hashed_payload, query
    )
    expected = _v4_signature(secret, scope, date, canonical)
    if not wire.signature_matches(fields["Signature"].lower(), [expected]):
        raise AuthFailure("bad_signature", "the OSS4-HMAC-SHA256 signature does not match")
    if hashed_payload != UNSIGNED_PAYLOAD and hashed_payload.lower() != wire.sha256_hex(wire.body(request)):
        raise AuthFailure("bad_signature", "x-oss-content-sha256 does not match the request body")
    store.check_request_time(request_time, "x-oss-date")
    return scope[0]


def _verify_v4_query(
    request: Request, store: CredentialStore, bucket: str, key: str, region: str | None, now: float
) -> str:
    version = wire.query_value(request, "x-oss-signature-version")
    if version != V4_ALGORITHM:
        raise AuthFailure("malformed", f"unsupported x-oss-signature-version {version!r}")
    scope = _v4_scope(wire.query_value(request, "x-oss-credential") or "", region)
    date = wire.query_value(request, "x-oss-date") or ""
    signed_at = wire.parse_iso8601(date, "x-oss-date", V4_DATE_FORMAT)
    if date[:8] != scope[1]:
        raise AuthFailure("malformed", "the credential scope date differs from x-oss-date")
    lifetime = _expiry(wire.query_value(request, "x-oss-expires"), "x-oss-expires")

    secret = store.resolve(scope[0], wire.query_value(request, "x-oss-security-token"))
    hashed_payload = wire.header(request, "x-oss-content-sha256") or UNSIGNED_PAYLOAD
    query = v4_canonical_query(wire.raw_query(request), leave_out="x-oss-signature")
    additional = _additional(wire.query_value(request, "x-oss-additional-headers") or "")
    canonical = v4_canonical_request(request, bucket, key, additional, hashed_payload, query)
    expected = _v4_signature(secret, scope, date, canonical)
    if not wire.signature_matches((wire.query_value(request, "x-oss-signature") or "").lower(), [expected]):
        raise AuthFailure("bad_signature", "the OSS4-HMAC-SHA256 URL signature does not match")
    if now > signed_at + lifetime:
        raise PresignedUrlExpired(signed_at + lifetime, now)
    return scope[0]


def verify_oss(
    request: Request,
    store: CredentialStore,
    bucket: str,
    key: str,
    *,
    region: str | None = None,
    now: float | None = None,
) -> str:
    """Verify an OSS request routed to ``bucket`` ('' for service-level calls) and decoded ``key``.

    ``region``, when given, must match a V4 credential scope; ``now`` is the time presigned URLs expire against
    (the cloud's clock; the wall clock when not given). Returns the AccessKeyId. Raises AuthFailure:
    ``missing`` (no signature, no date), ``malformed`` (unknown scheme, bad Authorization/scope/date;
    :class:`SigningRegionMismatch` for a scope naming another region, :class:`PresignExpiryInvalid` for a
    presigned URL without a valid expiry), the credential kinds of :meth:`CredentialStore.resolve`,
    ``bad_signature`` (signature mismatch, or a V4 x-oss-content-sha256 that does not match the body),
    ``stale_date`` (a Date more than 15 minutes off; :class:`PresignedUrlExpired` for a presigned URL past its
    expiry). OSS has no nonce: replays within the skew window (or before a URL expires) pass, as on OSS.
    """
    authorization = wire.header(request, "Authorization").strip()
    if not authorization:
        current = time.time() if now is None else now
        if wire.query_value(request, "x-oss-signature") is not None:
            return _verify_v4_query(request, store, bucket, key, region, current)
        if wire.query_value(request, "Signature") is not None:
            return _verify_v1_query(request, store, bucket, key, current)
        raise AuthFailure("missing", "the Authorization header (or a presigned URL signature) is required")
    if authorization.startswith(V4_ALGORITHM + " "):
        return _verify_v4(request, store, bucket, key, authorization, region)
    if authorization.startswith("OSS "):
        return _verify_v1(request, store, bucket, key, authorization)
    raise AuthFailure("malformed", "unsupported Authorization scheme (expected 'OSS' or 'OSS4-HMAC-SHA256')")
