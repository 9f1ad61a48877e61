"""verify_oss against requests captured from both official OSS SDKs (oss2 and alibabacloud_oss_v2), V1 and V4.

Path style is what both SDKs use on an IP endpoint. Virtual-host style (``Host: bucket.<endpoint>``, path
``/key``) is captured by giving the SDK a hostname endpoint and the capture server as its HTTP proxy, so the
SDK builds exactly the request it would send to Alibaba Cloud.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
from auth_capture import ACCESS_KEY_ID, ACCESS_KEY_SECRET, Captured, CaptureServer, Identity, identity

from localcloud.auth import AuthFailure, CredentialStore, verify_oss

REGION = "cn-shanghai"
BUCKET = "vod-cancel-manifests"
VHOST_ENDPOINT = "http://oss-cn-shanghai.localcloud.test"
KEYS = [
    "cancel-requests/batch.txt",
    "cancel-requests/with space+plus%percent.txt",
    "清单/中文 名字.txt",
    "odd ~!*'();:@&=$,?#[] chars",
]


@dataclass(frozen=True)
class Sdk:
    """One SDK + signature version, able to GetObject/PutObject and a sub-resource read (GetObjectAcl)."""

    name: str
    version: str

    def client(self, caller: Identity, endpoint: str, proxy: str | None = None) -> Any:
        if self.name == "oss2":
            if caller.token:
                auth = oss2.StsAuth(caller.access_key_id, caller.secret, caller.token, auth_version=self.version)
            else:
                auth = oss2.make_auth(caller.access_key_id, caller.secret, self.version)
            proxies = {"http": proxy} if proxy else None
            return oss2.Bucket(auth, endpoint, BUCKET, region=REGION, proxies=proxies)
        config = oss_v2.config.load_default()
        config.credentials_provider = oss_v2.credentials.StaticCredentialsProvider(
            caller.access_key_id, caller.secret, caller.token or None
        )
        config.region = REGION
        config.endpoint = endpoint
        config.signature_version = self.version
        if proxy:
            config.proxy_host = {"http": proxy}  # the str form is mapped to an invalid requests proxy key
        return oss_v2.Client(config)

    def get(self, client: Any, key: str) -> Callable[[], object]:
        if self.name == "oss2":
            return lambda: client.get_object(key).read()
        return lambda: client.get_object(oss_v2.GetObjectRequest(bucket=BUCKET, key=key)).body.read()

    def put(self, client: Any, key: str) -> Callable[[], object]:
        if self.name == "oss2":
            return lambda: client.put_object(key, b"job-1\njob-2\n")
        return lambda: client.put_object(oss_v2.PutObjectRequest(bucket=BUCKET, key=key, body=b"job-1\njob-2\n"))

    def get_acl(self, client: Any, key: str) -> Callable[[], object]:
        if self.name == "oss2":
            return lambda: client.get_object_acl(key)
        return lambda: client.get_object_acl(oss_v2.GetObjectAclRequest(bucket=BUCKET, key=key))

    def list_objects(self, client: Any, prefix: str) -> Callable[[], object]:
        if self.name == "oss2":
            return lambda: client.list_objects(prefix=prefix)
        return lambda: client.list_objects_v2(oss_v2.ListObjectsV2Request(bucket=BUCKET, prefix=prefix))

    def list_buckets(self, caller: Identity, endpoint: str) -> Callable[[], object]:
        if self.name == "oss2":
            auth = oss2.make_auth(caller.access_key_id, caller.secret, self.version)
            return oss2.Service(auth, endpoint, region=REGION).list_buckets
        client = self.client(caller, endpoint)
        return lambda: client.list_buckets(oss_v2.ListBucketsRequest())


SDKS = [Sdk("oss2", "v1"), Sdk("oss2", "v4"), Sdk("oss_v2", "v4"), Sdk("oss_v2", "v1")]
V4_SDKS = [sdk for sdk in SDKS if sdk.version == "v4"]


def sdk_id(sdk: Sdk) -> str:
    return f"{sdk.name}-{sdk.version}"


@pytest.fixture(params=SDKS, ids=sdk_id)
def sdk(request: pytest.FixtureRequest) -> Sdk:
    return request.param


def get_object(server: CaptureServer, sdk: Sdk, caller: Identity, key: str = KEYS[0]) -> Captured:
    return server.capture(sdk.get(sdk.client(caller, server.url), key))


def failure(captured: Captured, store: CredentialStore, key: str = KEYS[0], **tamper: object) -> AuthFailure:
    with pytest.raises(AuthFailure) as info:
        verify_oss(captured.request(**tamper), store, BUCKET, key)  # type: ignore[arg-type]
    return info.value


def static() -> Identity:
    return Identity(ACCESS_KEY_ID, ACCESS_KEY_SECRET)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("operation", ["get", "put"])
def test_path_style_requests_verify(server, store, sdk, caller, operation, key):
    """GIVEN GetObject/PutObject on an IP endpoint (path style /bucket/key) THEN the AccessKeyId comes back."""
    client = sdk.client(caller, server.url)
    captured = server.capture(getattr(sdk, operation)(client, key))
    assert captured.target.startswith(f"/{BUCKET}/")
    assert verify_oss(captured.request(), store, BUCKET, key, region=REGION) == caller.access_key_id


@pytest.mark.parametrize("key", [KEYS[1], KEYS[2]])
def test_virtual_host_requests_verify(server, store, sdk, caller, key):
    """GIVEN Host bucket.<endpoint> and path /key (sent through a proxy) THEN the resource is still /bucket/key."""
    captured = server.capture(sdk.get(sdk.client(caller, VHOST_ENDPOINT, proxy=server.url), key))
    assert captured.header("Host") == f"{BUCKET}.oss-cn-shanghai.localcloud.test"
    assert verify_oss(captured.request(), store, BUCKET, key) == caller.access_key_id


def test_signed_sub_resource_verifies_and_is_protected(server, store, sdk):
    """GetObjectAcl signs '?acl' in V1 and V4; dropping it must break the signature."""
    captured = server.capture(sdk.get_acl(sdk.client(static(), server.url), KEYS[0]), ignore_errors=True)
    assert "acl" in captured.target.split("?", 1)[1]
    assert verify_oss(captured.request(), store, BUCKET, KEYS[0]) == ACCESS_KEY_ID
    assert failure(captured, store, target=captured.target.split("?", 1)[0]).kind == "bad_signature"


def test_bucket_and_service_level_requests_verify(server, store, sdk):
    """ListObjects signs /bucket/ (key '') and ListBuckets signs / (bucket '')."""
    client = sdk.client(static(), server.url)
    listed = server.capture(sdk.list_objects(client, "a b+c/中"), ignore_errors=True)
    assert verify_oss(listed.request(), store, BUCKET, "") == ACCESS_KEY_ID
    buckets = server.capture(sdk.list_buckets(static(), server.url), ignore_errors=True)
    assert verify_oss(buckets.request(), store, "", "") == ACCESS_KEY_ID


def test_where_each_sdk_sends_the_sts_token(server, store, sdk):
    caller = identity(store, "sts")
    captured = get_object(server, sdk, caller)
    header = "security-token" if (sdk.name, sdk.version) == ("oss_v2", "v1") else "x-oss-security-token"
    assert captured.header(header) == caller.token


def test_wrong_secret_is_bad_signature(server, store, sdk):
    captured = get_object(server, sdk, Identity(ACCESS_KEY_ID, "not-the-secret"))
    assert failure(captured, store).kind == "bad_signature"


def test_unknown_key(server, store, sdk):
    captured = get_object(server, sdk, Identity("LTAI5tNobody", "whatever"))
    assert failure(captured, store).kind == "unknown_key"


def test_expired_sts_token(server, store, clock, sdk):
    captured = get_object(server, sdk, identity(store, "sts"))
    clock.advance(3601)
    assert failure(captured, store).kind == "expired_token"


def test_forged_or_missing_sts_token(server, store, sdk):
    caller = identity(store, "sts")
    captured = get_object(server, sdk, caller)
    header = "security-token" if (sdk.name, sdk.version) == ("oss_v2", "v1") else "x-oss-security-token"
    forged = store.issue_sts_token().security_token
    assert failure(captured, store, headers={header: forged}).kind == "invalid_token"
    assert failure(captured, store, headers={header: None}).kind == "missing_token"


@pytest.mark.parametrize("offset", [16 * 60, -16 * 60])
def test_date_more_than_15_minutes_off_is_stale(server, store, clock, sdk, offset):
    captured = get_object(server, sdk, static())
    clock.advance(offset)
    assert failure(captured, store).kind == "stale_date"


def test_replay_within_window_is_accepted_as_on_oss(server, store, sdk):
    """OSS signatures carry no nonce: the real service accepts a replay within the skew window."""
    captured = get_object(server, sdk, static())
    assert verify_oss(captured.request(), store, BUCKET, KEYS[0]) == ACCESS_KEY_ID
    assert verify_oss(captured.request(), store, BUCKET, KEYS[0]) == ACCESS_KEY_ID


def test_other_key_or_bucket_is_bad_signature(server, store, sdk):
    captured = get_object(server, sdk, static())
    assert failure(captured, store, key="cancel-requests/other.txt").kind == "bad_signature"
    with pytest.raises(AuthFailure, match="bad_signature"):
        verify_oss(captured.request(), store, "other-bucket", KEYS[0])


@pytest.mark.parametrize("v4_sdk", V4_SDKS, ids=sdk_id)
def test_v4_signs_every_query_parameter(server, store, v4_sdk):
    captured = get_object(server, v4_sdk, static())
    assert failure(captured, store, target=captured.target + "?x-oss-process=image").kind == "bad_signature"


@pytest.mark.parametrize("v4_sdk", V4_SDKS, ids=sdk_id)
def test_v4_content_type_and_oss_headers_are_signed(server, store, v4_sdk):
    captured = server.capture(v4_sdk.put(v4_sdk.client(static(), server.url), KEYS[0]))
    assert failure(captured, store, headers={"Content-Type": "application/x-evil"}).kind == "bad_signature"
    assert failure(captured, store, headers={"x-oss-meta-extra": "1"}).kind == "bad_signature"


def test_v1_ignores_unlisted_query_parameters_as_on_oss(server, store):
    """V1 covers only whitelisted sub-resources; other parameters (e.g. a cache-buster) are not signed."""
    captured = get_object(server, SDKS[0], static())
    assert verify_oss(captured.request(target=captured.target + "?t=1"), store, BUCKET, KEYS[0]) == ACCESS_KEY_ID


def test_v4_region_mismatch_is_refused_when_enforced(server, store):
    captured = get_object(server, SDKS[2], static())
    with pytest.raises(AuthFailure) as info:
        verify_oss(captured.request(), store, BUCKET, KEYS[0], region="cn-beijing")
    assert info.value.kind == "malformed"


def test_v4_real_payload_hash_is_checked(server, store):
    """A client that signs the body (x-oss-content-sha256 = hex digest) gets it checked like ACS3."""
    captured = server.capture(SDKS[1].put(SDKS[1].client(static(), server.url), KEYS[0]))
    # The SDK sends UNSIGNED-PAYLOAD; substituting a digest changes the signed canonical request.
    assert failure(captured, store, headers={"x-oss-content-sha256": "0" * 64}).kind == "bad_signature"


def test_unsigned_body_is_not_covered_as_on_oss(server, store, sdk):
    """Neither SDK signs PutObject bodies (UNSIGNED-PAYLOAD / no Content-MD5), so a swapped body still verifies."""
    captured = server.capture(sdk.put(sdk.client(static(), server.url), KEYS[0]))
    assert verify_oss(captured.request(body=b"other"), store, BUCKET, KEYS[0]) == ACCESS_KEY_ID


@pytest.mark.parametrize(
    ("authorization", "kind"),
    [(None, "missing"), ("OSS2 AccessKeyId:a,Signature:b", "malformed"), ("OSS4-HMAC-SHA256 junk", "malformed")],
)
def test_missing_or_malformed_authorization(server, store, authorization, kind):
    captured = get_object(server, SDKS[0], static())
    assert failure(captured, store, headers={"Authorization": authorization}).kind == kind
