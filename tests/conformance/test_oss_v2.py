"""alibabacloud_oss_v2's high-level helpers against the local OSS: the paginators, the uploader (with a
checkpoint and a resumed upload), the downloader, the copier (shallow and multipart), ``is_*_exist``, presigned
URLs, and the file-like objects (``open_file`` range reads, ``append_file`` appends)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
import requests

from localcloud.cloud import LocalCloud
from localcloud.testing import oss_v2_client


def test_list_objects_v2_paginator(cloud: LocalCloud, client: oss_v2.Client, bucket_name: str) -> None:
    keys = [f"manifests/{i:02d}.txt" for i in range(7)] + ["other.txt"]
    for key in keys:
        cloud.oss.put_object(bucket_name, key, b"x")

    pages = list(
        client.list_objects_v2_paginator(limit=3).iter_page(
            oss_v2.ListObjectsV2Request(bucket=bucket_name, prefix="manifests/")
        )
    )
    rolled = next(
        client.list_objects_v2_paginator().iter_page(oss_v2.ListObjectsV2Request(bucket=bucket_name, delimiter="/"))
    )

    assert [[o.key for o in p.contents] for p in pages] == [keys[0:3], keys[3:6], keys[6:7]]
    assert ([o.key for o in rolled.contents], [p.prefix for p in rolled.common_prefixes]) == (
        ["other.txt"],
        ["manifests/"],
    )


def test_list_buckets_paginator(cloud: LocalCloud, client: oss_v2.Client, bucket_name: str) -> None:
    for name in ("conformance-a", "conformance-b"):
        cloud.oss.create_bucket(name)

    pages = client.list_buckets_paginator(limit=2).iter_page(oss_v2.ListBucketsRequest(prefix="conformance"))

    assert [[b.name for b in p.buckets] for p in pages] == [[bucket_name, "conformance-a"], ["conformance-b"]]


def test_list_parts_and_uploads_paginators(client: oss_v2.Client, bucket_name: str, part: int) -> None:
    uploads = [
        client.initiate_multipart_upload(oss_v2.InitiateMultipartUploadRequest(bucket=bucket_name, key=key)).upload_id
        for key in ("a.bin", "b.bin", "c.bin")
    ]
    for number in range(1, 6):
        client.upload_part(
            oss_v2.UploadPartRequest(
                bucket=bucket_name, key="a.bin", upload_id=uploads[0], part_number=number, body=b"p" * number
            )
        )

    part_pages = client.list_parts_paginator(limit=2).iter_page(
        oss_v2.ListPartsRequest(bucket=bucket_name, key="a.bin", upload_id=uploads[0])
    )
    upload_pages = client.list_multipart_uploads_paginator(limit=2).iter_page(
        oss_v2.ListMultipartUploadsRequest(bucket=bucket_name)
    )

    assert [[(p.part_number, p.size) for p in page.parts] for page in part_pages] == [
        [(1, 1), (2, 2)],
        [(3, 3), (4, 4)],
        [(5, 5)],
    ]
    assert [[u.upload_id for u in page.uploads] for page in upload_pages] == [uploads[:2], uploads[2:]]


def test_uploader_and_downloader_with_small_parts(
    cloud: LocalCloud, client: oss_v2.Client, bucket_name: str, part: int, tmp_path: Path
) -> None:
    data = os.urandom(3 * part + 17)
    (tmp_path / "in.bin").write_bytes(data)

    uploaded = client.uploader(part_size=part, parallel_num=2).upload_file(
        oss_v2.PutObjectRequest(bucket=bucket_name, key="video.bin"), str(tmp_path / "in.bin")
    )
    downloaded = client.downloader(part_size=part, parallel_num=2).download_file(
        oss_v2.GetObjectRequest(bucket=bucket_name, key="video.bin"), str(tmp_path / "out.bin")
    )

    stored = cloud.oss.objects(bucket_name)["video.bin"]
    assert (stored.data, stored.object_type, uploaded.hash_crc64) == (data, "Multipart", str(stored.crc64))
    assert (tmp_path / "out.bin").read_bytes() == data
    assert downloaded.written == len(data)


def test_uploader_resumes_from_its_checkpoint_after_a_failed_part(
    cloud: LocalCloud, client: oss_v2.Client, bucket_name: str, part: int, tmp_path: Path
) -> None:
    """The second part fails; the next run finds the checkpoint, reads the uploaded part back with ListParts and
    completes the same upload."""
    data = os.urandom(4 * part)
    (tmp_path / "in.bin").write_bytes(data)
    (tmp_path / "checkpoints").mkdir()
    options = {
        "part_size": part,
        "parallel_num": 1,
        "enable_checkpoint": True,
        "checkpoint_dir": f"{tmp_path / 'checkpoints'}{os.sep}",  # the SDK takes the directory of this path
    }
    armed: list[bool] = []

    def fail_the_next_part(increment: int, transferred: int, total: int) -> None:
        if transferred >= part and not armed:
            armed.append(True)
            cloud.faults.add(service="oss", operation="UploadPart", error_code="InternalError", count=1)

    request = oss_v2.PutObjectRequest(bucket=bucket_name, key="resumed.bin", progress_fn=fail_the_next_part)
    with pytest.raises(oss_v2.uploader.UploadError) as failed:
        client.uploader(**options).upload_file(request, str(tmp_path / "in.bin"))
    checkpoints = list((tmp_path / "checkpoints").iterdir())
    resumed = client.uploader(**options).upload_file(
        oss_v2.PutObjectRequest(bucket=bucket_name, key="resumed.bin"), str(tmp_path / "in.bin")
    )

    assert len(checkpoints) == 1
    assert resumed.upload_id == failed.value.upload_id
    assert cloud.oss.get_object(bucket_name, "resumed.bin") == data
    assert list((tmp_path / "checkpoints").iterdir()) == []


def test_copier_shallow_and_multipart(cloud: LocalCloud, client: oss_v2.Client, bucket_name: str, part: int) -> None:
    data = os.urandom(2 * part + 1)
    cloud.oss.create_bucket("conformance-copies")
    cloud.oss.put_object(bucket_name, "src.bin", data)
    copier = client.copier(part_size=part, multipart_copy_threshold=part)

    copier.copy(oss_v2.CopyObjectRequest(bucket=bucket_name, key="same.bin", source_key="src.bin"))
    copier.copy(
        oss_v2.CopyObjectRequest(
            bucket="conformance-copies", key="across.bin", source_bucket=bucket_name, source_key="src.bin"
        )
    )

    assert cloud.oss.get_object(bucket_name, "same.bin") == data  # same bucket: one CopyObject
    across = cloud.oss.objects("conformance-copies")["across.bin"]  # another bucket: UploadPartCopy parts
    assert (across.data, across.object_type) == (data, "Multipart")


def test_is_object_and_bucket_exist(cloud: LocalCloud, client: oss_v2.Client, bucket_name: str) -> None:
    cloud.oss.put_object(bucket_name, "here.txt", b"x")
    stranger = oss_v2_client(cloud, access_key=("LTAI5tUnknownToTheCloud", "whatever"))

    assert client.is_object_exist(bucket_name, "here.txt") is True
    assert client.is_object_exist(bucket_name, "absent.txt") is False
    assert client.is_bucket_exist(bucket_name) is True
    assert client.is_bucket_exist("conformance-absent") is False
    assert stranger.is_bucket_exist("conformance-absent") is False  # NoSuchBucket comes before the AccessKey


def test_presign_get_and_put(cloud: LocalCloud, client: oss_v2.Client, bucket_name: str) -> None:
    put = client.presign(oss_v2.PutObjectRequest(bucket=bucket_name, key="in.txt", content_type="text/plain"))
    uploaded = requests.put(put.url, data=b"hello", headers=put.signed_headers, timeout=10)
    get = client.presign(oss_v2.GetObjectRequest(bucket=bucket_name, key="in.txt"))

    assert uploaded.status_code == 200
    assert requests.get(get.url, timeout=10).content == b"hello"
    assert cloud.oss.objects(bucket_name)["in.txt"].content_type == "text/plain"


def test_open_file_reads_ranges_and_append_file_appends(
    cloud: LocalCloud, client: oss_v2.Client, bucket_name: str
) -> None:
    data = bytes(range(256)) * 40
    cloud.oss.put_object(bucket_name, "data.bin", data)

    with client.open_file(bucket_name, "data.bin") as readable:
        readable.seek(1000)
        middle = readable.read(24)
        readable.seek(-10, io.SEEK_END)
        tail = readable.read()
    with client.append_file(bucket_name, "log.txt") as appendable:
        appendable.write(b"one\n")
        appendable.write(b"two\n")
    with client.append_file(bucket_name, "log.txt") as appendable:  # reopened: continues at the object's length
        appendable.write(b"three\n")

    assert (middle, tail) == (data[1000:1024], data[-10:])
    log = cloud.oss.objects(bucket_name)["log.txt"]
    assert (log.data, log.object_type) == (b"one\ntwo\nthree\n", "Appendable")


def test_objects_written_by_one_sdk_read_by_the_other(
    cloud: LocalCloud, client: oss_v2.Client, bucket: oss2.Bucket, bucket_name: str
) -> None:
    client.put_object(
        oss_v2.PutObjectRequest(bucket=bucket_name, key="v2.txt", body=b"from v2", metadata={"origin": "v2"})
    )
    bucket.put_object("oss2.txt", b"from oss2", headers={"x-oss-meta-origin": "oss2"})

    from_v2 = bucket.get_object("v2.txt")
    from_oss2 = client.get_object(oss_v2.GetObjectRequest(bucket=bucket_name, key="oss2.txt"))

    assert (from_v2.read(), from_v2.headers["x-oss-meta-origin"]) == (b"from v2", "v2")
    assert (from_oss2.body.read(), from_oss2.metadata) == (b"from oss2", {"origin": "oss2"})
