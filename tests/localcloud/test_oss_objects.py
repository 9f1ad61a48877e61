"""OSS buckets and objects through oss2 and alibabacloud_oss_v2, path style and virtual-host style."""

from __future__ import annotations

import base64
import hashlib
import io

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
from svc_helpers import ACCESS_KEY_ID, ACCESS_KEY_SECRET, Running, oss2_bucket, oss_v2_client, oss_v2_error

from localcloud.oss.models import crc64

KEYS = ["plain.txt", "dir/sub/a b.txt", "plus+sign.txt", "percent%41.txt", "中文/键 名.txt", "tilde~!*'();:@&=$,[].txt"]


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    services.cloud.oss.create_bucket("manifests")
    return services


@pytest.mark.parametrize("key", KEYS)
def test_oss2_put_get_head_delete_round_trip(env: Running, key: str) -> None:
    bucket = oss2_bucket(env.oss_url, "manifests")
    data = f"job-{key}\n".encode() * 50

    put = bucket.put_object(key, data, headers={"Content-Type": "text/plain", "x-oss-meta-Origin": "test"})

    md5 = hashlib.md5(data).hexdigest().upper()
    assert (put.status, put.etag, put.crc) == (200, md5, crc64(data))
    assert len(put.request_id) == 24
    got = bucket.get_object(key)
    assert got.read() == data
    assert got.headers["Content-Type"] == "text/plain"
    assert got.headers["x-oss-meta-origin"] == "test"
    assert got.headers["Content-MD5"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    head = bucket.head_object(key)
    assert (head.content_length, head.etag, head.object_type) == (len(data), md5, "Normal")
    assert env.cloud.oss.get_object("manifests", key) == data
    bucket.delete_object(key)
    assert key not in env.cloud.oss.objects("manifests")


@pytest.mark.parametrize("key", KEYS)
def test_oss_v2_path_style_round_trip(env: Running, key: str) -> None:
    client = oss_v2_client(env.oss_url)
    data = ("中文 line\n" * 100).encode()

    put = client.put_object(oss_v2.PutObjectRequest(bucket="manifests", key=key, body=data))
    got = client.get_object(oss_v2.GetObjectRequest(bucket="manifests", key=key))

    assert put.etag == f'"{hashlib.md5(data).hexdigest().upper()}"'
    assert put.hash_crc64 == str(crc64(data))
    assert got.body.read() == data
    assert got.content_length == len(data)
    assert client.is_object_exist("manifests", key)


def test_both_sdks_work_virtual_host_style_through_a_proxy(env: Running) -> None:
    """Host ``<bucket>.oss-cn-shanghai.aliyuncs.com``: the server routes on the Host header."""
    env.cloud.oss.create_bucket("vhost")
    legacy = oss2_bucket("http://oss-cn-shanghai.aliyuncs.com", "vhost", proxies={"http": env.oss_url})
    client = oss_v2_client(env.oss_url, virtual_host_via_proxy=True)

    legacy.put_object("a b/+.txt", b"from oss2")
    client.put_object(oss_v2.PutObjectRequest(bucket="vhost", key="中文.txt", body=b"from v2"))

    got = client.get_object(oss_v2.GetObjectRequest(bucket="vhost", key="a b/+.txt"))
    assert got.body.read() == b"from oss2"
    assert legacy.get_object("中文.txt").read() == b"from v2"
    assert sorted(env.cloud.oss.objects("vhost")) == ["a b/+.txt", "中文.txt"]


def test_range_reads_return_206_with_content_range(env: Running) -> None:
    data = bytes(range(256)) * 4
    env.cloud.oss.put_object("manifests", "r.bin", data)
    bucket = oss2_bucket(env.oss_url, "manifests")
    client = oss_v2_client(env.oss_url)

    first = bucket.get_object("r.bin", byte_range=(0, 9))
    clipped = bucket.get_object("r.bin", byte_range=(1000, 5000))
    suffix = client.get_object(oss_v2.GetObjectRequest(bucket="manifests", key="r.bin", range_header="bytes=-4"))

    assert (first.status, first.read(), first.headers["Content-Range"]) == (206, data[:10], "bytes 0-9/1024")
    assert (clipped.read(), clipped.headers["Content-Range"]) == (data[1000:], "bytes 1000-1023/1024")
    assert (suffix.status_code, suffix.body.read(), suffix.content_range) == (206, data[-4:], "bytes 1020-1023/1024")


def test_range_past_the_end_is_invalid_range_416_and_malformed_range_is_ignored(env: Running) -> None:
    env.cloud.oss.put_object("manifests", "r.bin", b"0123456789")
    client = oss_v2_client(env.oss_url)

    error = oss_v2_error(
        lambda: client.get_object(oss_v2.GetObjectRequest(bucket="manifests", key="r.bin", range_header="bytes=10-"))
    )
    whole = client.get_object(oss_v2.GetObjectRequest(bucket="manifests", key="r.bin", range_header="bytes=5-2"))

    assert (error.code, error.status_code) == ("InvalidRange", 416)
    assert (whole.status_code, whole.body.read()) == (200, b"0123456789")


def test_large_manifest_streams_and_checks_crc(env: Running, tmp_path: object) -> None:
    data = b"".join(f"https://example.com/videos/{i:06d}.mp4\n".encode() for i in range(100_000))
    client = oss_v2_client(env.oss_url)
    client.put_object(oss_v2.PutObjectRequest(bucket="manifests", key="big.txt", body=data))

    streamed = client.get_object(oss_v2.GetObjectRequest(bucket="manifests", key="big.txt"))
    chunks = list(streamed.body.iter_bytes())
    target = f"{tmp_path}/big.txt"
    oss2_bucket(env.oss_url, "manifests").get_object_to_file("big.txt", target)  # verifies the CRC

    assert len(data) == 3_800_000
    assert b"".join(chunks) == data
    with open(target, "rb") as fh:
        assert fh.read() == data


def test_multipart_upload_via_the_v2_uploader(env: Running) -> None:
    data = b"x" * (6 * 1024 * 1024 + 123)
    client = oss_v2_client(env.oss_url)

    result = client.uploader(part_size=1024 * 1024).upload_from(
        oss_v2.PutObjectRequest(bucket="manifests", key="multi.bin"), io.BytesIO(data)
    )

    stored = env.cloud.oss.objects("manifests")["multi.bin"]
    assert stored.data == data
    assert stored.object_type == "Multipart"
    assert result.etag == f'"{stored.etag}"' and stored.etag.endswith("-7")
    assert result.hash_crc64 == str(crc64(data))


def test_list_objects_v1_and_v2_with_prefix_delimiter_and_paging(env: Running) -> None:
    for key in ["a/1.txt", "a/2.txt", "a/sub/3.txt", "b.txt", "中文/4.txt"]:
        env.cloud.oss.put_object("manifests", key, b"x")
    bucket = oss2_bucket(env.oss_url, "manifests")
    client = oss_v2_client(env.oss_url)

    everything = [o.key for o in oss2.ObjectIterator(bucket, max_keys=2)]
    rolled = bucket.list_objects(prefix="a/", delimiter="/")
    pages = list(
        client.list_objects_v2_paginator().iter_page(oss_v2.ListObjectsV2Request(bucket="manifests", max_keys=2))
    )

    assert everything == ["a/1.txt", "a/2.txt", "a/sub/3.txt", "b.txt", "中文/4.txt"]
    assert ([o.key for o in rolled.object_list], rolled.prefix_list) == (["a/1.txt", "a/2.txt"], ["a/sub/"])
    assert [[o.key for o in p.contents] for p in pages] == [
        ["a/1.txt", "a/2.txt"],
        ["a/sub/3.txt", "b.txt"],
        ["中文/4.txt"],
    ]


def test_list_buckets_and_bucket_lifecycle(env: Running) -> None:
    service = oss2.Service(oss2.Auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET), env.oss_url)
    bucket = oss2_bucket(env.oss_url, "fresh-bucket")

    bucket.create_bucket()
    assert [b.name for b in service.list_buckets().buckets] == ["fresh-bucket", "manifests"]
    bucket.put_object("k", b"v")
    with pytest.raises(oss2.exceptions.ServerError) as not_empty:
        bucket.delete_bucket()
    bucket.delete_object("k")
    bucket.delete_bucket()

    assert (not_empty.value.status, not_empty.value.code) == (409, "BucketNotEmpty")
    assert not env.cloud.oss.bucket_exists("fresh-bucket")


def test_missing_key_and_bucket_errors_for_get_and_head(env: Running) -> None:
    bucket = oss2_bucket(env.oss_url, "manifests")
    client = oss_v2_client(env.oss_url)

    with pytest.raises(oss2.exceptions.NoSuchKey) as no_key:
        bucket.get_object("missing.txt")
    with pytest.raises(oss2.exceptions.NotFound) as head_missing:
        bucket.head_object("missing.txt")  # error travels base64-encoded in x-oss-err
    with pytest.raises(oss2.exceptions.NoSuchBucket) as no_bucket:
        oss2_bucket(env.oss_url, "no-such-bucket").get_object("k")
    v2_head = oss_v2_error(lambda: client.head_object(oss_v2.HeadObjectRequest(bucket="manifests", key="missing.txt")))

    assert (no_key.value.status, no_key.value.code, no_key.value.details["Key"]) == (404, "NoSuchKey", "missing.txt")
    assert no_key.value.details["EC"] == "0026-00000001"
    assert (head_missing.value.status, head_missing.value.code) == (404, "NoSuchKey")
    assert (no_bucket.value.status, no_bucket.value.code) == (404, "NoSuchBucket")
    assert (v2_head.code, v2_head.status_code, v2_head.ec) == ("NoSuchKey", 404, "0026-00000001")


def test_content_md5_mismatch_is_invalid_digest(env: Running) -> None:
    bucket = oss2_bucket(env.oss_url, "manifests")
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()

    with pytest.raises(oss2.exceptions.InvalidDigest) as caught:
        bucket.put_object("k", b"data", headers={"Content-MD5": wrong})

    assert (caught.value.status, caught.value.code) == (400, "InvalidDigest")


def test_forbid_overwrite_is_file_already_exists(env: Running) -> None:
    env.cloud.oss.put_object("manifests", "once.txt", b"1")
    client = oss_v2_client(env.oss_url)

    error = oss_v2_error(
        lambda: client.put_object(
            oss_v2.PutObjectRequest(bucket="manifests", key="once.txt", body=b"2", forbid_overwrite=True)
        )
    )

    assert (error.code, error.status_code) == ("FileAlreadyExists", 409)
    assert env.cloud.oss.get_object("manifests", "once.txt") == b"1"


def test_conditional_get(env: Running) -> None:
    stored = env.cloud.oss.put_object("manifests", "c.txt", b"cached")
    bucket = oss2_bucket(env.oss_url, "manifests")

    with pytest.raises(oss2.exceptions.ServerError) as failed:
        bucket.get_object("c.txt", headers={"If-Match": '"0000"'})
    with pytest.raises(oss2.exceptions.NotModified) as not_modified:
        bucket.get_object("c.txt", headers={"If-None-Match": f'"{stored.etag}"'})

    assert (failed.value.status, failed.value.code) == (412, "PreconditionFailed")
    assert not_modified.value.status == 304


def test_unimplemented_sub_resources_answer_not_implemented(env: Running) -> None:
    env.cloud.oss.put_object("manifests", "k", b"v")

    with pytest.raises(oss2.exceptions.NotImplemented) as caught:
        oss2_bucket(env.oss_url, "manifests").restore_object("k")

    assert (caught.value.status, caught.value.code) == (400, "NotImplemented")
