"""Presigned URLs in both forms the SDKs generate, used by a plain HTTP client (what a partner holding the link
does): oss2 ``sign_url`` (V1 query signature, V4 with ``auth_version=v4``) and oss-v2 ``presign`` (V4, or V1),
for GET and PUT, with STS tokens, and expiring on the cloud's clock."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from collections.abc import Callable

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
import requests
from svc_helpers import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, Running, oss2_bucket, oss_v2_client

BUCKET = "shared-links"

Signer = Callable[[Running, str, str, dict[str, str]], str]
"""(env, method, key, headers to sign) -> URL."""


def _oss2(version: str, sts: bool = False) -> Signer:
    def sign(env: Running, method: str, key: str, headers: dict[str, str]) -> str:
        if sts:
            cred = env.cloud.credentials.issue_sts_token()
            auth: object = oss2.StsAuth(
                cred.access_key_id, cred.access_key_secret, cred.security_token, auth_version=version
            )
        else:
            auth = oss2.make_auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET, version)
        bucket = oss2.Bucket(auth, env.oss_url, BUCKET, region=REGION)
        return bucket.sign_url(method, key, 600, headers=headers)

    return sign


def _v2(version: str, sts: bool = False) -> Signer:
    def sign(env: Running, method: str, key: str, headers: dict[str, str]) -> str:
        if sts:
            cred = env.cloud.credentials.issue_sts_token()
            client = oss_v2_client(
                env.oss_url, cred.access_key_id, cred.access_key_secret, cred.security_token, signature_version=version
            )
        else:
            client = oss_v2_client(env.oss_url, signature_version=version)
        request: object
        if method == "GET":
            request = oss_v2.GetObjectRequest(bucket=BUCKET, key=key)
        else:
            request = oss_v2.PutObjectRequest(bucket=BUCKET, key=key, content_type=headers.get("Content-Type"))
        return client.presign(request, expires=datetime.timedelta(minutes=10)).url  # type: ignore[arg-type]

    return sign


SIGNERS = {
    "oss2-v1": _oss2("v1"),
    "oss2-v4": _oss2("v4"),
    "oss2-v1-sts": _oss2("v1", sts=True),
    "oss2-v4-sts": _oss2("v4", sts=True),
    "oss_v2-v4": _v2("v4"),
    "oss_v2-v1": _v2("v1"),
    "oss_v2-v4-sts": _v2("v4", sts=True),
}


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    services.cloud.oss.create_bucket(BUCKET)
    services.cloud.oss.put_object(BUCKET, "清单/jobs 1.txt", b"job-1\njob-2\n")
    return services


@pytest.fixture(params=sorted(SIGNERS))
def signer(request: pytest.FixtureRequest) -> Signer:
    return SIGNERS[request.param]


def _error(response: requests.Response) -> dict[str, str]:
    root = ET.fromstring(response.content)
    return {child.tag: child.text or "" for child in root}


def test_presigned_get_downloads_the_object(env: Running, signer: Signer) -> None:
    response = requests.get(signer(env, "GET", "清单/jobs 1.txt", {}), timeout=10)

    assert (response.status_code, response.content) == (200, b"job-1\njob-2\n")


def test_presigned_put_uploads_with_the_signed_content_type(env: Running, signer: Signer) -> None:
    headers = {"Content-Type": "text/plain"}
    url = signer(env, "PUT", "incoming/manifest.txt", headers)

    response = requests.put(url, data=b"job-9\n", headers=headers, timeout=10)

    stored = env.cloud.oss.objects(BUCKET)["incoming/manifest.txt"]
    assert response.status_code == 200
    assert (stored.data, stored.content_type) == (b"job-9\n", "text/plain")


def test_a_presigned_url_expires_on_the_clouds_clock(env: Running, signer: Signer) -> None:
    url = signer(env, "GET", "清单/jobs 1.txt", {})
    assert requests.get(url, timeout=10).status_code == 200
    env.cloud.clock.advance(601)

    response = requests.get(url, timeout=10)

    error = _error(response)
    assert (response.status_code, error["Code"], error["Message"]) == (403, "AccessDenied", "Request has expired.")
    assert response.headers["x-oss-ec"] == "0002-00000069"
    assert error["Expires"] < error["ServerTime"]  # both ISO 8601 UTC, as OSS writes them


def test_a_presigned_url_only_opens_what_was_signed(env: Running, signer: Signer) -> None:
    url = signer(env, "GET", "清单/jobs 1.txt", {})
    other_key = url.replace("jobs%201.txt", "jobs%202.txt", 1)
    assert other_key != url

    as_put = requests.put(url, data=b"overwrite", timeout=10)
    elsewhere = requests.get(other_key, timeout=10)

    assert (as_put.status_code, _error(as_put)["Code"]) == (403, "SignatureDoesNotMatch")
    assert (elsewhere.status_code, _error(elsewhere)["Code"]) == (403, "SignatureDoesNotMatch")
    assert env.cloud.oss.get_object(BUCKET, "清单/jobs 1.txt") == b"job-1\njob-2\n"


def test_a_presigned_put_without_the_signed_content_type_is_refused(env: Running) -> None:
    url = SIGNERS["oss2-v1"](env, "PUT", "incoming/x.txt", {"Content-Type": "text/plain"})

    response = requests.put(url, data=b"x", headers={"Content-Type": "application/json"}, timeout=10)

    assert (response.status_code, _error(response)["Code"]) == (403, "SignatureDoesNotMatch")
    assert "incoming/x.txt" not in env.cloud.oss.objects(BUCKET)


def test_a_v1_url_with_a_non_numeric_expiry_is_refused(env: Running) -> None:
    url = oss2_bucket(env.oss_url, BUCKET).sign_url("GET", "清单/jobs 1.txt", 600)
    expires = url.split("Expires=", 1)[1].split("&", 1)[0]

    response = requests.get(url.replace(f"Expires={expires}", "Expires=soon"), timeout=10)

    assert (response.status_code, _error(response)["Code"]) == (403, "AccessDenied")


def test_a_presigned_url_for_a_missing_bucket_is_no_such_bucket(env: Running) -> None:
    url = oss2_bucket(env.oss_url, "no-such-bucket").sign_url("GET", "k", 600)

    response = requests.get(url, timeout=10)

    assert (response.status_code, _error(response)["Code"]) == (404, "NoSuchBucket")
