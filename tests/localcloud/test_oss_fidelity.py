"""OSS answers as the real service does where official clients look: conditional ETags, UTF-8 metadata, the order
of bucket and AccessKey checks, part checksums, bucket re-creation and listing, GZIP, signing regions, and the
storage class / encryption / tagging headers of a write."""

from __future__ import annotations

import base64
import hashlib
import json

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
from svc_helpers import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, Running, oss2_bucket, oss_v2_client, oss_v2_error

BUCKET = "fidelity"
TEXT = b"https://example.com/video.mp4\n" * 100  # 3 KB of text/plain: above OSS's 1 KB GZIP threshold


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    services.cloud.oss.create_bucket(BUCKET)
    return services


def _oss2_v4(env: Running, region: str = REGION) -> oss2.Bucket:
    return oss2.Bucket(oss2.make_auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "v4"), env.oss_url, BUCKET, region=region)


# -- conditional requests --------------------------------------------------------------------------------------
def test_if_match_and_if_none_match_accept_an_unquoted_etag(env: Running) -> None:
    """oss2's resumable download sends ``If-Match: <etag>`` without quotes; OSS compares the tag itself."""
    stored = env.cloud.oss.put_object(BUCKET, "m.txt", b"manifest")
    bucket = oss2_bucket(env.oss_url, BUCKET)

    matched = bucket.get_object("m.txt", headers={"If-Match": stored.etag})
    head = bucket.head_object("m.txt", headers={"If-Match": stored.etag})
    with pytest.raises(oss2.exceptions.NotModified) as current:
        bucket.get_object("m.txt", headers={"If-None-Match": stored.etag})
    with pytest.raises(oss2.exceptions.PreconditionFailed) as failed:
        bucket.get_object("m.txt", headers={"If-Match": "0" * 32})

    assert (matched.status, matched.read(), head.status) == (200, b"manifest", 200)
    assert current.value.status == 304
    assert (failed.value.status, failed.value.code) == (412, "PreconditionFailed")


# -- UTF-8 metadata --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["v1", "v4"])
def test_utf8_bytes_in_user_metadata_are_signed_and_returned_as_sent(env: Running, version: str) -> None:
    """oss2 sends (and signs) the UTF-8 bytes it is given; they come back byte for byte (oss2's own
    ``test_put_object_with_unicode_header`` against OSS)."""
    bucket = oss2.Bucket(oss2.make_auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET, version), env.oss_url, BUCKET, region=REGION)

    put = bucket.put_object("meta.txt", b"x", headers={"x-oss-meta-unicode": "测试 ünï".encode()})
    returned = bucket.head_object("meta.txt").headers["x-oss-meta-unicode"]

    assert put.status == 200
    assert returned.encode("iso-8859-1").decode("utf-8") == "测试 ünï"


def test_utf8_metadata_reaches_an_oss_trigger_as_text(env: Running) -> None:
    function = f"acs:fc:{REGION}:1234567890123456:functions/listener"
    env.cloud.oss.add_notification(BUCKET, function)

    oss2_bucket(env.oss_url, BUCKET).put_object("m.txt", b"x", headers={"x-oss-meta-batch": "批次 7".encode()})

    (delivered,) = env.cloud.fc.wait_for(1)
    assert json.loads(delivered.event)["events"][0]["oss"]["object"]["objectMeta"]["userMeta"] == {"batch": "批次 7"}


def test_response_override_with_utf8_is_returned_as_utf8_bytes(env: Running) -> None:
    env.cloud.oss.put_object(BUCKET, "report.csv", b"a,b\n")
    disposition = 'attachment; filename="报告.csv"'

    got = oss2_bucket(env.oss_url, BUCKET).get_object(
        "report.csv", params={"response-content-disposition": disposition}
    )

    assert got.headers["Content-Disposition"].encode("iso-8859-1").decode("utf-8") == disposition


# -- bucket before AccessKey -----------------------------------------------------------------------------------
def test_a_missing_bucket_is_no_such_bucket_whatever_the_access_key(env: Running) -> None:
    stranger = oss_v2_client(env.oss_url, access_key_id="LTAI5tNobody")
    owner = oss_v2_client(env.oss_url)

    missing = oss_v2_error(lambda: stranger.get_object(oss_v2.GetObjectRequest(bucket="no-such-bucket", key="k")))
    with pytest.raises(oss2.exceptions.NoSuchBucket) as legacy:
        oss2_bucket(env.oss_url, "no-such-bucket", oss2.AnonymousAuth()).get_object("k")
    existing = oss_v2_error(lambda: stranger.get_object(oss_v2.GetObjectRequest(bucket=BUCKET, key="k")))

    assert (missing.status_code, missing.code) == (404, "NoSuchBucket")
    assert legacy.value.status == 404
    assert (existing.status_code, existing.code) == (403, "InvalidAccessKeyId")
    assert stranger.is_bucket_exist("no-such-bucket") is False
    assert (owner.is_bucket_exist(BUCKET), owner.is_bucket_exist("no-such-bucket")) == (True, False)


# -- multipart -------------------------------------------------------------------------------------------------
def test_upload_part_answers_with_the_part_content_md5(env: Running) -> None:
    data = b"part-one" * 1000
    expected = base64.b64encode(hashlib.md5(data).digest()).decode()
    bucket = oss2_bucket(env.oss_url, BUCKET)
    client = oss_v2_client(env.oss_url)

    upload_id = bucket.init_multipart_upload("big.bin").upload_id
    legacy = bucket.upload_part("big.bin", upload_id, 1, data)
    v2 = client.upload_part(
        oss_v2.UploadPartRequest(bucket=BUCKET, key="big.bin", upload_id=upload_id, part_number=2, body=data)
    )

    assert legacy.headers["Content-MD5"] == expected
    assert v2.content_md5 == expected


# -- buckets ---------------------------------------------------------------------------------------------------
def test_creating_a_bucket_you_own_succeeds_and_one_owned_elsewhere_is_taken(env: Running) -> None:
    env.cloud.oss.create_bucket("someone-elses", owner="9999999999999999")
    bucket = oss2_bucket(env.oss_url, BUCKET)
    bucket.put_object("kept.txt", b"still here")

    again = bucket.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ)
    with pytest.raises(oss2.exceptions.ServerError) as taken:
        oss2_bucket(env.oss_url, "someone-elses").create_bucket()
    with pytest.raises(oss2.exceptions.AccessDenied) as foreign:
        oss2_bucket(env.oss_url, "someone-elses").list_objects()

    assert again.status == 200
    assert bucket.get_bucket_acl().acl == "public-read"  # a later PutBucket modifies the bucket's metadata
    assert bucket.get_object("kept.txt").read() == b"still here"
    assert (taken.value.status, taken.value.code) == (409, "BucketAlreadyExists")
    assert foreign.value.status == 403


def test_list_buckets_honours_prefix_marker_and_max_keys(env: Running) -> None:
    for name in ["logs-a", "logs-b", "logs-c", "media-a"]:
        env.cloud.oss.create_bucket(name)
    env.cloud.oss.create_bucket("logs-foreign", owner="9999999999999999")
    service = oss2.Service(oss2.Auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET), env.oss_url)
    client = oss_v2_client(env.oss_url)

    first = service.list_buckets(prefix="logs-", max_keys=2)
    rest = service.list_buckets(prefix="logs-", marker=first.next_marker, max_keys=2)
    every = [b.name for b in oss2.BucketIterator(service, max_keys=2)]
    pages = [
        [b.name for b in p.buckets]
        for p in client.list_buckets_paginator(limit=3).iter_page(oss_v2.ListBucketsRequest(prefix="logs-"))
    ]

    assert ([b.name for b in first.buckets], first.is_truncated, first.next_marker) == (
        ["logs-a", "logs-b"],
        True,
        "logs-b",
    )
    assert ([b.name for b in rest.buckets], rest.is_truncated) == (["logs-c"], False)
    assert every == [BUCKET, "logs-a", "logs-b", "logs-c", "media-a"]
    assert pages == [["logs-a", "logs-b", "logs-c"]]


# -- GZIP ------------------------------------------------------------------------------------------------------
def test_accept_encoding_gzip_compresses_text_of_at_least_1kb(env: Running) -> None:
    bucket = oss2_bucket(env.oss_url, BUCKET)
    bucket.put_object("big.txt", TEXT, headers={"Content-Type": "text/plain"})
    bucket.put_object("small.txt", b"tiny", headers={"Content-Type": "text/plain"})
    bucket.put_object("big.bin", TEXT, headers={"Content-Type": "application/octet-stream"})
    gz = {"Accept-Encoding": "gzip"}

    compressed = bucket.get_object("big.txt", headers=gz)
    small = bucket.get_object("small.txt", headers=gz)
    binary = bucket.get_object("big.bin", headers=gz)
    ranged = bucket.get_object("big.txt", byte_range=(0, 9), headers=gz)
    plain = bucket.get_object("big.txt")
    refused = bucket.get_object("big.txt", headers={"Accept-Encoding": "gzip;q=0, identity"})
    v2 = oss_v2_client(env.oss_url).get_object(
        oss_v2.GetObjectRequest(bucket=BUCKET, key="big.txt", accept_encoding="gzip")
    )

    assert compressed.headers["Content-Encoding"] == "gzip"
    assert {"ETag", "Content-Length", "Accept-Ranges"}.isdisjoint(compressed.headers)
    assert compressed.read() == TEXT  # the transport decompresses; the CRC is the stored object's
    assert (v2.content_encoding, v2.body.read()) == ("gzip", TEXT)
    for uncompressed in (small, binary, ranged, plain, refused):
        assert "Content-Encoding" not in uncompressed.headers
    assert ranged.read() == TEXT[:10]


# -- signing region --------------------------------------------------------------------------------------------
def test_v4_scope_with_another_region_is_oss_invalid_signing_region(env: Running) -> None:
    env.cloud.oss.put_object(BUCKET, "m.txt", b"x")

    with pytest.raises(oss2.exceptions.InvalidArgument) as caught:
        _oss2_v4(env, region="cn-beijing").get_object("m.txt")

    assert (caught.value.status, caught.value.code, caught.value.ec) == (400, "InvalidArgument", "0002-00000226")
    assert caught.value.message == "Invalid signing region in Authorization header."


# -- storage class, encryption, tagging ------------------------------------------------------------------------
def test_storage_class_is_stored_returned_and_cold_objects_need_a_restore(env: Running) -> None:
    bucket = oss2_bucket(env.oss_url, BUCKET)

    bucket.put_object("ia.txt", b"x", headers={"x-oss-storage-class": "IA"})
    bucket.put_object("cold.txt", b"x", headers={"x-oss-storage-class": "Archive"})
    listed = {o.key: o.storage_class for o in bucket.list_objects().object_list}
    with pytest.raises(oss2.exceptions.ServerError) as frozen:
        bucket.get_object("cold.txt")
    with pytest.raises(oss2.exceptions.InvalidArgument):
        bucket.put_object("hot.txt", b"x", headers={"x-oss-storage-class": "Hot"})

    assert bucket.head_object("ia.txt").headers["x-oss-storage-class"] == "IA"
    assert bucket.head_object("cold.txt").headers["x-oss-storage-class"] == "Archive"
    assert listed == {"ia.txt": "IA", "cold.txt": "Archive"}
    assert (frozen.value.status, frozen.value.code) == (403, "InvalidObjectState")
    assert "hot.txt" not in env.cloud.oss.objects(BUCKET)


def test_server_side_encryption_is_stored_and_returned(env: Running) -> None:
    bucket = oss2_bucket(env.oss_url, BUCKET)
    sse = "x-oss-server-side-encryption"

    aes = bucket.put_object("aes.txt", b"x", headers={sse: "AES256"})
    kms = bucket.put_object("kms.txt", b"x", headers={sse: "KMS", "x-oss-server-side-data-encryption": "SM4"})
    with pytest.raises(oss2.exceptions.ServerError) as invalid:
        bucket.put_object("des.txt", b"x", headers={sse: "DES"})

    assert (aes.headers[sse], "x-oss-server-side-encryption-key-id" in aes.headers) == ("AES256", False)
    assert (kms.headers[sse], kms.headers["x-oss-server-side-data-encryption"]) == ("KMS", "SM4")
    assert kms.headers["x-oss-server-side-encryption-key-id"]
    head = bucket.head_object("kms.txt").headers
    assert head["x-oss-server-side-encryption-key-id"] == kms.headers["x-oss-server-side-encryption-key-id"]
    assert (invalid.value.status, invalid.value.code) == (400, "InvalidEncryptionAlgorithmError")


def test_multipart_encryption_is_set_by_initiate_and_refused_on_parts(env: Running) -> None:
    """oss2's SSE tests: parts and the completed object carry the upload's SSE; an SSE header on UploadPart
    or CompleteMultipartUpload is InvalidArgument."""
    bucket = oss2_bucket(env.oss_url, BUCKET)
    sse = {"x-oss-server-side-encryption": "KMS"}

    init = bucket.init_multipart_upload("enc.bin", headers=sse)
    with pytest.raises(oss2.exceptions.InvalidArgument):
        bucket.upload_part("enc.bin", init.upload_id, 1, b"x", headers=sse)
    part = bucket.upload_part("enc.bin", init.upload_id, 1, b"x")
    parts = [oss2.models.PartInfo(1, part.etag)]
    with pytest.raises(oss2.exceptions.InvalidArgument):
        bucket.complete_multipart_upload("enc.bin", init.upload_id, parts, headers=sse)
    done = bucket.complete_multipart_upload("enc.bin", init.upload_id, parts)

    key_id = init.headers["x-oss-server-side-encryption-key-id"]
    assert part.headers["x-oss-server-side-encryption-key-id"] == key_id
    assert (done.headers["x-oss-server-side-encryption"], env.cloud.oss.get_object(BUCKET, "enc.bin")) == ("KMS", b"x")


def test_tagging_header_is_stored_and_read_back_by_get_object_tagging(env: Running) -> None:
    bucket = oss2_bucket(env.oss_url, BUCKET)
    client = oss_v2_client(env.oss_url)

    bucket.put_object("t.txt", b"x", headers={"x-oss-tagging": "team=media&note=a%20b"})
    client.put_object(oss_v2.PutObjectRequest(bucket=BUCKET, key="v2.txt", body=b"x", tagging="k=v"))
    with pytest.raises(oss2.exceptions.ServerError) as malformed:
        bucket.put_object("bad.txt", b"x", headers={"x-oss-tagging": "aa=bb=cc"})
    with pytest.raises(oss2.exceptions.ServerError) as too_many:
        bucket.put_object("many.txt", b"x", headers={"x-oss-tagging": "&".join(f"k{i}=v" for i in range(11))})

    assert bucket.get_object_tagging("t.txt").tag_set.tagging_rule == {"team": "media", "note": "a b"}
    assert bucket.head_object("t.txt").headers["x-oss-tagging-count"] == "2"
    v2_tags = client.get_object_tagging(oss_v2.GetObjectTaggingRequest(bucket=BUCKET, key="v2.txt")).tag_set
    assert [(t.key, t.value) for t in v2_tags.tags] == [("k", "v")]
    assert (malformed.value.status, malformed.value.code) == (400, "InvalidTag")
    assert too_many.value.code == "InvalidTag"
    assert sorted(env.cloud.oss.objects(BUCKET)) == ["t.txt", "v2.txt"]
