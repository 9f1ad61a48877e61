"""oss2's high-level helpers against the local OSS: resumable upload and download (with their checkpoint stores
and a resume after a failed part), the object, bucket, part and upload iterators, the multipart helpers, append
with CRC chaining, and ``sign_url`` links used by a plain HTTP client."""

from __future__ import annotations

import os
from pathlib import Path

import oss2
import pytest
import requests

from localcloud.cloud import LocalCloud


def _file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def test_resumable_upload_goes_multipart_and_verifies_the_crc(
    cloud: LocalCloud, bucket: oss2.Bucket, tmp_path: Path, part: int
) -> None:
    data = _file(tmp_path / "video.bin", 3 * part + 123)
    store = oss2.ResumableStore(root=str(tmp_path / "checkpoints"))

    result = oss2.resumable_upload(
        bucket,
        "uploads/video.bin",
        str(tmp_path / "video.bin"),
        store=store,
        multipart_threshold=part,
        part_size=part,
        num_threads=2,
    )

    stored = cloud.oss.objects(bucket.bucket_name)["uploads/video.bin"]
    assert (stored.data, stored.object_type, result.crc) == (data, "Multipart", stored.crc64)
    assert list(store.dir and Path(store.dir).iterdir()) == []  # the checkpoint is removed once complete


def test_resumable_upload_resumes_the_same_upload_after_a_failed_part(
    cloud: LocalCloud, bucket: oss2.Bucket, tmp_path: Path, part: int
) -> None:
    """The first run fails on one part; the second finds its checkpoint, checks the upload with ListParts and
    uploads only what is missing, completing the same upload."""
    data = _file(tmp_path / "big.bin", 4 * part)
    store = oss2.ResumableStore(root=str(tmp_path / "checkpoints"))
    options = {"store": store, "multipart_threshold": part, "part_size": part, "num_threads": 1}
    cloud.faults.add(service="oss", operation="UploadPart", error_code="InternalError", count=1)

    with pytest.raises(oss2.exceptions.ServerError):
        oss2.resumable_upload(bucket, "big.bin", str(tmp_path / "big.bin"), **options)
    (pending,) = bucket.list_multipart_uploads().upload_list
    oss2.resumable_upload(bucket, "big.bin", str(tmp_path / "big.bin"), **options)

    assert cloud.oss.get_object(bucket.bucket_name, "big.bin") == data
    assert bucket.list_multipart_uploads().upload_list == []
    assert pending.key == "big.bin"


def test_resumable_download_in_ranges_with_if_match(
    cloud: LocalCloud, bucket: oss2.Bucket, tmp_path: Path, part: int
) -> None:
    """Each range GET carries ``If-Match: <ETag without quotes>`` and If-Unmodified-Since, as oss2 sends them."""
    data = os.urandom(3 * part + 7)
    cloud.oss.put_object(bucket.bucket_name, "downloads/video.bin", data)
    target = tmp_path / "out" / "video.bin"
    target.parent.mkdir()

    oss2.resumable_download(
        bucket,
        "downloads/video.bin",
        str(target),
        multiget_threshold=part,
        part_size=part,
        num_threads=2,
        store=oss2.ResumableDownloadStore(root=str(tmp_path / "checkpoints")),
    )

    assert target.read_bytes() == data


def test_object_iterators_list_everything_page_by_page(cloud: LocalCloud, bucket: oss2.Bucket) -> None:
    keys = ["a/1.txt", "a/2.txt", "a/b/3.txt", "c.txt", "空 格/4+5%.txt"]
    for key in keys:
        cloud.oss.put_object(bucket.bucket_name, key, b"x")

    v1 = [o.key for o in oss2.ObjectIterator(bucket, max_keys=2)]
    v2 = [o.key for o in oss2.ObjectIteratorV2(bucket, max_keys=2)]
    top = [o.key for o in oss2.ObjectIteratorV2(bucket, delimiter="/", max_keys=1)]
    under_a = [o.key for o in oss2.ObjectIterator(bucket, prefix="a/", delimiter="/")]

    assert v1 == v2 == keys
    assert top == ["a/", "c.txt", "空 格/"]
    assert under_a == ["a/1.txt", "a/2.txt", "a/b/"]


def test_bucket_iterator_pages_through_the_accounts_buckets(cloud: LocalCloud, bucket_name: str) -> None:
    for name in ("conformance-a", "conformance-b", "other"):
        cloud.oss.create_bucket(name)
    service = oss2.Service(oss2.Auth(cloud.access_key_id, cloud.access_key_secret), cloud.url("oss"))

    names = [b.name for b in oss2.BucketIterator(service, prefix="conformance", max_keys=1)]

    assert names == [bucket_name, "conformance-a", "conformance-b"]


def test_multipart_helpers_and_iterators(cloud: LocalCloud, bucket: oss2.Bucket, tmp_path: Path, part: int) -> None:
    """The SDK's documented multipart recipe: determine_part_size, SizedFileAdapter, PartIterator to collect the
    parts, MultipartUploadIterator to find unfinished uploads."""
    data = _file(tmp_path / "f.bin", 2 * part + 10)
    part_size = oss2.determine_part_size(len(data), preferred_size=part)
    forgotten = bucket.init_multipart_upload("forgotten.bin").upload_id
    upload_id = bucket.init_multipart_upload("f.bin").upload_id
    with open(tmp_path / "f.bin", "rb") as source:
        for number, offset in enumerate(range(0, len(data), part_size), start=1):
            chunk = oss2.SizedFileAdapter(source, min(part_size, len(data) - offset))
            bucket.upload_part("f.bin", upload_id, number, chunk)

    unfinished = {u.key: u.upload_id for u in oss2.MultipartUploadIterator(bucket)}
    parts = [oss2.models.PartInfo(p.part_number, p.etag) for p in oss2.PartIterator(bucket, "f.bin", upload_id)]
    bucket.complete_multipart_upload("f.bin", upload_id, parts)
    bucket.abort_multipart_upload("forgotten.bin", forgotten)

    assert unfinished == {"f.bin": upload_id, "forgotten.bin": forgotten}
    assert [p.part_number for p in parts] == [1, 2, 3]
    assert bucket.get_object("f.bin").read() == data
    assert list(oss2.MultipartUploadIterator(bucket)) == []


def test_append_with_crc_chaining_then_download_to_file(cloud: LocalCloud, bucket: oss2.Bucket, tmp_path: Path) -> None:
    position, crc = 0, 0
    for line in (b"first\n", b"second\n", "第三\n".encode()):
        result = bucket.append_object("log.txt", position, line, init_crc=crc)  # oss2 checks the chained CRC
        position, crc = result.next_position, result.crc

    bucket.get_object_to_file("log.txt", str(tmp_path / "log.txt"))  # checks the object's CRC

    assert (tmp_path / "log.txt").read_bytes() == "first\nsecond\n第三\n".encode()


def test_batch_delete_everything_an_iterator_lists(cloud: LocalCloud, bucket: oss2.Bucket) -> None:
    for i in range(25):
        cloud.oss.put_object(bucket.bucket_name, f"tmp/{i:02d}.txt", b"x")
    cloud.oss.put_object(bucket.bucket_name, "keep.txt", b"x")

    keys = [o.key for o in oss2.ObjectIterator(bucket, prefix="tmp/", max_keys=10)]
    for start in range(0, len(keys), 10):
        bucket.batch_delete_objects(keys[start : start + 10])

    assert list(cloud.oss.objects(bucket.bucket_name)) == ["keep.txt"]


def test_sign_url_links_for_a_partner(cloud: LocalCloud, bucket: oss2.Bucket) -> None:
    """A manifest-upload link and a download link handed to someone without credentials."""
    upload = bucket.sign_url("PUT", "partner/manifest.txt", 300, headers={"Content-Type": "text/plain"})
    download = bucket.sign_url("GET", "partner/manifest.txt", 300)

    put = requests.put(upload, data=b"job-1\n", headers={"Content-Type": "text/plain"}, timeout=10)
    got = requests.get(download, timeout=10)
    cloud.clock.advance(301)
    expired = requests.get(download, timeout=10)

    assert (put.status_code, got.status_code, got.content) == (200, 200, b"job-1\n")
    assert expired.status_code == 403
