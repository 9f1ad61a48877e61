"""Every OSS sub-resource, at every level and with every method, is either an emulated API or answered
``NotImplemented`` — never reinterpreted as another operation.

The sub-resources swept are the ones the official SDKs sign (oss2 ``ProviderAuth._subresource_key_set``,
alibabacloud_oss_v2 ``SignerV1._subresource_key_set``, read from the installed packages) plus those the OSS API
reference names for operations neither list covers. Requests are unsigned: an emulated API then answers the
signature check's AccessDenied, proving it was routed to that API; anything else must be NotImplemented, which
is answered before any signature check.
"""

from __future__ import annotations

import base64
import http.client
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import oss2
import pytest
from alibabacloud_oss_v2.signer.v1 import SignerV1
from oss2.auth import ProviderAuth
from svc_helpers import Running, oss2_bucket
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from localcloud.oss.routes import route

BUCKET = "sweep-bucket"
LEVELS = {"service": "/", "bucket": f"/{BUCKET}", "object": f"/{BUCKET}/some/key"}
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
API_REFERENCE_EXTRAS = frozenset(
    """cleanRestoredObject cloudboxes dataPipeline legalHold metadataConfiguration objectWorm overwriteConfig
    policyStatus quota retention rtc seal userDefinedLogFieldsConfig""".split()  # noqa: SIM905
)
MODIFIERS = frozenset(
    """response-cache-control response-content-disposition response-content-encoding response-content-language
    response-content-type response-expires continuation-token security-token""".split()  # noqa: SIM905
)
"""Query parameters that modify an API rather than select one (overrides, a ListObjectsV2 token, a V1 STS token)."""
SWEPT = sorted((ProviderAuth._subresource_key_set | SignerV1._subresource_key_set | API_REFERENCE_EXTRAS) - MODIFIERS)

EMULATED = {
    ("bucket", "GET", "location"): "GetBucketLocation",
    ("bucket", "GET", "acl"): "GetBucketAcl",
    ("bucket", "PUT", "acl"): "PutBucketAcl",
    ("bucket", "GET", "uploads"): "ListMultipartUploads",
    ("bucket", "POST", "delete"): "DeleteMultipleObjects",
    ("object", "HEAD", "objectMeta"): "GetObjectMeta",
    ("object", "POST", "append"): "AppendObject",
    ("object", "GET", "acl"): "GetObjectAcl",
    ("object", "PUT", "acl"): "PutObjectAcl",
    ("object", "GET", "tagging"): "GetObjectTagging",
    ("object", "PUT", "tagging"): "PutObjectTagging",
    ("object", "DELETE", "tagging"): "DeleteObjectTagging",
    ("object", "PUT", "symlink"): "PutSymlink",
    ("object", "GET", "symlink"): "GetSymlink",
    ("object", "POST", "uploads"): "InitiateMultipartUpload",
    ("object", "GET", "uploadId"): "ListParts",
    ("object", "POST", "uploadId"): "CompleteMultipartUpload",
    ("object", "DELETE", "uploadId"): "AbortMultipartUpload",
}
"""The (level, method, sub-resource) combinations that are OSS APIs this emulator implements."""


@pytest.fixture(scope="module")
def connection(services: Running) -> Iterator[http.client.HTTPConnection]:
    services.cloud.reset()
    services.cloud.oss.create_bucket(BUCKET)
    host = services.oss_url.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=10)
    yield conn
    conn.close()


def _code(response: http.client.HTTPResponse, body: bytes) -> str:
    document = body or base64.b64decode(response.getheader("x-oss-err") or "")
    return ET.fromstring(document).findtext("Code") or ""


def _routed(method: str, target: str) -> str | None:
    chosen = route(
        Request(
            EnvironBuilder(path=target.split("?")[0], query_string=target.split("?")[1], method=method).get_environ()
        )
    )
    return chosen.action if chosen else None


def test_the_sweep_covers_what_the_sdks_sign() -> None:
    for name in ("live", "requestPayment", "versionId", "x-oss-process", "restore", "uploads", "acl", "worm"):
        assert name in SWEPT
    assert len(SWEPT) > 90


@pytest.mark.parametrize("name", SWEPT)
def test_sub_resource_is_emulated_or_not_implemented(connection: http.client.HTTPConnection, name: str) -> None:
    for level, path in LEVELS.items():
        for method in METHODS:
            target = f"{path}?{name}"
            connection.request(method, target, body=b"x" if method in ("PUT", "POST") else None)
            response = connection.getresponse()
            body = response.read()
            expected = EMULATED.get((level, method, name))
            answer = (response.status, _code(response, body))
            if expected is None:
                assert answer == (400, "NotImplemented"), f"{method} {target}"
                assert _routed(method, target) is None
            else:
                assert answer == (403, "AccessDenied"), f"{method} {target}"
                assert _routed(method, target) == expected


def test_an_upload_asking_for_a_callback_is_not_implemented_and_stores_nothing(services: Running) -> None:
    services.cloud.reset()
    services.cloud.oss.create_bucket(BUCKET)
    callback = base64.b64encode(json.dumps({"callbackUrl": "http://127.0.0.1:9/cb", "callbackBody": "x"}).encode())

    with pytest.raises(oss2.exceptions.NotImplemented):
        oss2_bucket(services.oss_url, BUCKET).put_object("k", b"x", headers={"x-oss-callback": callback.decode()})

    assert services.cloud.oss.objects(BUCKET) == {}
