"""OSS: signature V1 (``OSS ak:sig``, HMAC-SHA1) and V4 (``OSS4-HMAC-SHA256``), as oss2 and alibabacloud_oss_v2 send.

Both versions sign the resource as ``/<bucket>/<key>`` whatever the addressing style (path style on IP
endpoints, virtual host ``bucket.<endpoint>`` or CNAME), so the caller passes the bucket and the decoded key it
routed the request to. V1 signs only whitelisted sub-resources of the query; the two SDKs keep different
whitelists, so either canonical form is accepted. V4 signs every query parameter.

STS tokens: ``x-oss-security-token`` (oss2 v1/v4, oss_v2 v4; signed as an x-oss-* header) or ``security-token``
(alibabacloud_oss_v2 with signature V1; not signed).
"""

from __future__ import annotations

import hashlib
import hmac
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


def v1_string_to_sign(request: Request, resource: str) -> str:
    """VERB, Content-MD5, Content-Type, x-oss-date or Date, sorted ``x-oss-*:value`` lines, resource."""
    date = wire.header(request, "x-oss-date") or wire.header(request, "Date")
    oss_headers = "".join(f"{k}:{v}\n" for k, v in wire.headers_with_prefix(request, "x-oss-"))
    return (
        f"{request.method.upper()}\n{wire.header(request, 'Content-MD5')}\n{wire.header(request, 'Content-Type')}\n"
        f"{date}\n{oss_headers}{resource}"
    )


def _verify_v1(request: Request, store: CredentialStore, bucket: str, key: str, authorization: str) -> str:
    access_key_id, signature = wire.split_colon_credential(authorization, "OSS")
    date = wire.header(request, "x-oss-date") or wire.header(request, "Date")
    if not date:
        raise AuthFailure("missing", "a Date (or x-oss-date) header is required")
    token = wire.header(request, "x-oss-security-token") or wire.header(request, "security-token")
    secret = store.resolve(access_key_id, token)
    candidates = [
        wire.b64_hmac(secret, v1_string_to_sign(request, resource), hashlib.sha1)
        for resource in v1_canonical_resources(request, bucket, key)
    ]
    if not wire.signature_matches(signature, candidates):
        raise AuthFailure("bad_signature", "the OSS V1 request signature does not match")
    store.check_request_time(wire.parse_http_date(date, "Date"), "Date")
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


def v4_canonical_query(raw: bytes) -> str:
    """Every query parameter, RFC 3986 encoded (``/`` too), sorted; a blank value gives the bare name."""
    pairs = [(quote(k, safe=""), quote(v, safe="")) for k, v in wire.parse_query(raw)]
    return _pairs_text(pairs)


def v4_canonical_request(
    request: Request, bucket: str, key: str, additional_headers: list[str], hashed_payload: str
) -> str:
    extra = set(additional_headers)
    headers = sorted(
        (name.lower(), value)
        for name, value in request.headers.items()
        if name.lower().startswith("x-oss-") or name.lower() in {"content-type", "content-md5"} | extra
    )
    return "\n".join(
        [
            request.method.upper(),
            quote(_resource_path(bucket, key), safe="/"),
            v4_canonical_query(wire.raw_query(request)),
            "".join(f"{name}:{value}\n" for name, value in headers),
            ";".join(additional_headers),
            hashed_payload,
        ]
    )


def v4_signing_key(secret: str, date: str, region: str, product: str) -> bytes:
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (date, region, product, "aliyun_v4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _verify_v4(
    request: Request, store: CredentialStore, bucket: str, key: str, authorization: str, region: str | None
) -> str:
    fields = _parse_v4_authorization(authorization)
    scope_parts = fields["Credential"].split("/")
    if len(scope_parts) != 5 or scope_parts[4] != "aliyun_v4_request":
        raise AuthFailure("malformed", "Credential must be <AccessKeyId>/<date>/<region>/oss/aliyun_v4_request")
    access_key_id, scope_date, scope_region, product, _ = scope_parts
    if product != "oss":
        raise AuthFailure("malformed", f"the credential scope names product {product!r}, not 'oss'")
    if region is not None and scope_region != region:
        raise AuthFailure("malformed", f"the credential scope names region {scope_region!r}, expected {region!r}")
    date = wire.header(request, "x-oss-date")
    if not date:
        raise AuthFailure("missing", "header x-oss-date is required with OSS4-HMAC-SHA256")
    request_time = wire.parse_iso8601(date, "x-oss-date", V4_DATE_FORMAT)
    if date[:8] != scope_date:
        raise AuthFailure("malformed", "the credential scope date differs from x-oss-date")

    secret = store.resolve(access_key_id, wire.header(request, "x-oss-security-token"))

    additional = sorted(h.strip().lower() for h in fields.get("AdditionalHeaders", "").split(";") if h.strip())
    hashed_payload = wire.header(request, "x-oss-content-sha256") or UNSIGNED_PAYLOAD
    canonical = v4_canonical_request(request, bucket, key, additional, hashed_payload)
    scope = "/".join(scope_parts[1:])
    string_to_sign = f"{V4_ALGORITHM}\n{date}\n{scope}\n{wire.sha256_hex(canonical)}"
    expected = wire.hex_hmac_sha256(v4_signing_key(secret, scope_date, scope_region, product), string_to_sign)
    if not wire.signature_matches(fields["Signature"].lower(), [expected]):
        raise AuthFailure("bad_signature", "the OSS4-HMAC-SHA256 signature does not match")
    if hashed_payload != UNSIGNED_PAYLOAD and hashed_payload.lower() != wire.sha256_hex(wire.body(request)):
        raise AuthFailure("bad_signature", "x-oss-content-sha256 does not match the request body")
    store.check_request_time(request_time, "x-oss-date")
    return access_key_id


def verify_oss(request: Request, store: CredentialStore, bucket: str, key: str, *, region: str | None = None) -> str:
    """Verify an OSS request routed to ``bucket`` ('' for service-level calls) and decoded ``key``.

    ``region``, when given, must match a V4 credential scope. Returns the AccessKeyId. Raises AuthFailure:
    ``missing`` (no Authorization, no date), ``malformed`` (unknown scheme, bad Authorization/scope/date), the
    credential kinds of :meth:`CredentialStore.resolve`, ``bad_signature`` (signature mismatch, or a V4
    x-oss-content-sha256 that does not match the body), ``stale_date``. OSS has no nonce: replays within the
    skew window pass, as on the real service. Presigned (query-string) URLs are not supported (``missing``).
    """
    authorization = wire.header(request, "Authorization").strip()
    if not authorization:
        raise AuthFailure("missing", "the Authorization header is required")
    if authorization.startswith(V4_ALGORITHM + " "):
        return _verify_v4(request, store, bucket, key, authorization, region)
    if authorization.startswith("OSS "):
        return _verify_v1(request, store, bucket, key, authorization)
    raise AuthFailure("malformed", "unsupported Authorization scheme (expected 'OSS' or 'OSS4-HMAC-SHA256')")
