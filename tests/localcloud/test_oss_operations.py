"""The OSS operations common clients rely on beyond get/put, through oss2 and alibabacloud_oss_v2: ListParts,
ListMultipartUploads, DeleteMultipleObjects, CopyObject / UploadPartCopy, object ACLs, AppendObject, object
tagging and symlinks."""

from __future__ import annotations

import hashlib
import json

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
from svc_helpers import ACCOUNT_ID, REGION, Running, oss2_bucket, oss_v2_client, oss_v2_error

from localcloud.oss.records import crc64

BUCKET = "operations"
FUNCTION = f"acs:fc:{REGION}:{ACCOUNT_ID}:functions/listener"


@pytest.fixture
def env(services: Running) -> Running:
    services.cloud.reset()
    services.cloud.oss.create_bucket(BUCKET)
    return services


@pytest.fixture
def bucket(env: Running) -> oss2.Bucket:
    return oss2_bucket(env.oss_url, BUCKET)


@pytest.fixture
def client(env: Running) -> oss_v2.Client:
    return oss_v2_client(env.oss_url)


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest().upper()


def _part(number: int) -> tuple[int, str, str]:
    """(number, quoted ETag, CRC-64) of the part of ``number * 10`` bytes of value ``number``."""
    data = bytes([number]) * (number * 10)
    return number, f'"{_md5(data)}"', str(crc64(data))


# -- ListParts / ListMultipartUploads --------------------------------------------------------------------------
def test_list_parts_pages_in_part_number_order(bucket: oss2.Bucket, client: oss_v2.Client) -> None:
    upload_id = bucket.init_multipart_upload("video.bin").upload_id
    for number in (3, 1, 2):
        bucket.upload_part("video.bin", upload_id, number, bytes([number]) * (number * 10))

    first = bucket.list_parts("video.bin", upload_id, max_parts=2)
    every = [(p.part_number, p.size) for p in oss2.PartIterator(bucket, "video.bin", upload_id, max_parts=2)]
    pages = client.list_parts_paginator(limit=2).iter_page(
        oss_v2.ListPartsRequest(bucket=BUCKET, key="video.bin", upload_id=upload_id)
    )

    assert ([p.part_number for p in first.parts], first.is_truncated, first.next_marker) == ([1, 2], True, "2")
    assert every == [(1, 10), (2, 20), (3, 30)]
    listed = [[(p.part_number, p.etag, p.hash_crc64) for p in page.parts] for page in pages]
    assert listed == [[_part(1), _part(2)], [_part(3)]]
    error = oss_v2_error(
        lambda: client.list_parts(oss_v2.ListPartsRequest(bucket=BUCKET, key="other.bin", upload_id=upload_id))
    )
    assert (error.status_code, error.code) == (404, "NoSuchUpload")


def test_list_multipart_uploads_by_key_then_initiation_with_prefixes(
    bucket: oss2.Bucket, client: oss_v2.Client
) -> None:
    ids = [bucket.init_multipart_upload(key).upload_id for key in ("b.bin", "a.bin", "a.bin", "dir/c.bin")]

    listed = [(u.key, u.upload_id) for u in oss2.MultipartUploadIterator(bucket, max_uploads=2)]
    rolled = bucket.list_multipart_uploads(delimiter="/")
    after_first = bucket.list_multipart_uploads(key_marker="a.bin", upload_id_marker=ids[1])
    pages = client.list_multipart_uploads_paginator(limit=3).iter_page(
        oss_v2.ListMultipartUploadsRequest(bucket=BUCKET)
    )

    assert listed == [("a.bin", ids[1]), ("a.bin", ids[2]), ("b.bin", ids[0]), ("dir/c.bin", ids[3])]
    assert [u.key for u in rolled.upload_list] == ["a.bin", "a.bin", "b.bin"]
    assert rolled.prefix_list == ["dir/"]
    assert [u.upload_id for u in after_first.upload_list] == [ids[2], ids[0], ids[3]]
    assert [[u.key for u in page.uploads] for page in pages] == [["a.bin", "a.bin", "b.bin"], ["dir/c.bin"]]


# -- DeleteMultipleObjects -------------------------------------------------------------------------------------
def test_delete_multiple_objects_removes_each_key_and_reports_it(
    env: Running, bucket: oss2.Bucket, client: oss_v2.Client
) -> None:
    keys = ["a.txt", "中文 名.txt", "<odd>&'.txt", "never-existed.txt"]
    for key in [*keys[:3], "kept.txt"]:
        env.cloud.oss.put_object(BUCKET, key, b"x")
    env.cloud.oss.add_notification(BUCKET, FUNCTION, ["oss:ObjectRemoved:DeleteObjects"])

    legacy = bucket.batch_delete_objects(keys[:2])
    env.cloud.oss.put_object(BUCKET, "again.txt", b"x")
    v2 = client.delete_multiple_objects(
        oss_v2.DeleteMultipleObjectsRequest(
            bucket=BUCKET,
            encoding_type="url",
            objects=[oss_v2.DeleteObject(key=k) for k in [*keys[2:], "again.txt"]],
        )
    )
    quiet = client.delete_multiple_objects(
        oss_v2.DeleteMultipleObjectsRequest(bucket=BUCKET, objects=[oss_v2.DeleteObject(key="x")], quiet=True)
    )

    assert legacy.deleted_keys == keys[:2]
    assert [d.key for d in v2.deleted_objects] == [*keys[2:], "again.txt"]
    assert not quiet.deleted_objects
    assert list(env.cloud.oss.objects(BUCKET)) == ["kept.txt"]
    events = [json.loads(e.event)["events"][0] for e in env.cloud.fc.wait_for(4)]
    assert sorted(e["oss"]["object"]["key"] for e in events) == sorted([*keys[:3], "again.txt"])
    assert {e["eventName"] for e in events} == {"ObjectRemoved:DeleteObjects"}


# -- CopyObject / UploadPartCopy -------------------------------------------------------------------------------
def test_copy_object_copies_bytes_and_metadata_or_replaces_it(
    env: Running, bucket: oss2.Bucket, client: oss_v2.Client
) -> None:
    env.cloud.oss.create_bucket("archive")
    bucket.put_object("src.txt", b"source", headers={"Content-Type": "text/plain", "x-oss-meta-origin": "vod"})

    copied = bucket.copy_object(BUCKET, "src.txt", "same-meta.txt")
    replaced = bucket.copy_object(
        BUCKET, "src.txt", "new-meta.txt", headers={"x-oss-metadata-directive": "REPLACE", "x-oss-meta-origin": "x"}
    )
    across = client.copy_object(
        oss_v2.CopyObjectRequest(bucket="archive", key="中文.txt", source_bucket=BUCKET, source_key="src.txt")
    )

    same, new = bucket.head_object("same-meta.txt").headers, bucket.head_object("new-meta.txt").headers
    assert (copied.status, replaced.status, copied.crc) == (200, 200, crc64(b"source"))
    assert (same["Content-Type"], same["x-oss-meta-origin"]) == ("text/plain", "vod")
    assert new["x-oss-meta-origin"] == "x"
    assert (across.etag, across.hash_crc64) == (f'"{_md5(b"source")}"', str(crc64(b"source")))
    assert env.cloud.oss.get_object("archive", "中文.txt") == b"source"


def test_copy_object_conditions_and_errors(env: Running, bucket: oss2.Bucket) -> None:
    env.cloud.oss.create_bucket("not-mine", owner="9999999999999999")
    bucket.put_object("src.txt", b"source")

    with pytest.raises(oss2.exceptions.PreconditionFailed):
        bucket.copy_object(BUCKET, "src.txt", "c1.txt", headers={"x-oss-copy-source-if-match": "0" * 32})
    with pytest.raises(oss2.exceptions.NotModified):
        bucket.copy_object(BUCKET, "src.txt", "c2.txt", headers={"x-oss-copy-source-if-none-match": _md5(b"source")})
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.copy_object(BUCKET, "missing.txt", "c3.txt")
    with pytest.raises(oss2.exceptions.AccessDenied):
        bucket.copy_object("not-mine", "src.txt", "c4.txt")

    assert list(env.cloud.oss.objects(BUCKET)) == ["src.txt"]


def test_upload_part_copy_and_the_v2_copier(env: Running, bucket: oss2.Bucket, client: oss_v2.Client) -> None:
    data = bytes(range(256)) * 1000  # 256,000 bytes
    bucket.put_object("src.bin", data)
    upload_id = bucket.init_multipart_upload("dst.bin").upload_id

    first = bucket.upload_part_copy(BUCKET, "src.bin", (0, 199_999), "dst.bin", upload_id, 1)
    second = bucket.upload_part_copy(BUCKET, "src.bin", (200_000, 255_999), "dst.bin", upload_id, 2)
    bucket.complete_multipart_upload(
        "dst.bin", upload_id, [oss2.models.PartInfo(1, first.etag), oss2.models.PartInfo(2, second.etag)]
    )
    copier = client.copier(part_size=100 * 1024, multipart_copy_threshold=100 * 1024, disable_shallow_copy=True)
    copier.copy(oss_v2.CopyObjectRequest(bucket=BUCKET, key="copier.bin", source_bucket=BUCKET, source_key="src.bin"))

    assert env.cloud.oss.get_object(BUCKET, "dst.bin") == data
    assert env.cloud.oss.get_object(BUCKET, "copier.bin") == data
    assert env.cloud.oss.objects(BUCKET)["copier.bin"].object_type == "Multipart"


# -- ACL -------------------------------------------------------------------------------------------------------
def test_object_acl_is_set_read_back_and_opens_anonymous_reads(
    env: Running, bucket: oss2.Bucket, client: oss_v2.Client
) -> None:
    anonymous = oss2_bucket(env.oss_url, BUCKET, oss2.AnonymousAuth())
    bucket.put_object("public.txt", b"for all", headers={"x-oss-object-acl": "public-read"})
    bucket.put_object("private.txt", b"mine")

    default = bucket.get_object_acl("private.txt").acl
    bucket.put_object_acl("private.txt", oss2.OBJECT_ACL_PRIVATE)
    v2 = client.get_object_acl(oss_v2.GetObjectAclRequest(bucket=BUCKET, key="public.txt"))
    with pytest.raises(oss2.exceptions.AccessDenied):
        anonymous.get_object("private.txt")
    with pytest.raises(oss2.exceptions.AccessDenied):
        anonymous.put_object("public.txt", b"vandalised")
    with pytest.raises(oss2.exceptions.InvalidArgument):
        bucket.put_object_acl("private.txt", "everyone")

    assert (default, bucket.get_object_acl("private.txt").acl, v2.acl) == ("default", "private", "public-read")
    assert anonymous.get_object("public.txt").read() == b"for all"
    assert env.cloud.oss.get_object(BUCKET, "public.txt") == b"for all"


# -- AppendObject ----------------------------------------------------------------------------------------------
def test_append_object_grows_the_object_and_checks_the_position(
    env: Running, bucket: oss2.Bucket, client: oss_v2.Client
) -> None:
    first = bucket.append_object("log.txt", 0, b"line 1\n", init_crc=0)
    second = bucket.append_object("log.txt", first.next_position, b"line 2\n", init_crc=first.crc)
    third = client.append_object(
        oss_v2.AppendObjectRequest(bucket=BUCKET, key="log.txt", position=second.next_position, body=b"line 3\n")
    )
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as wrong:
        bucket.append_object("log.txt", 3, b"late")
    env.cloud.oss.put_object(BUCKET, "normal.txt", b"x")
    with pytest.raises(oss2.exceptions.ObjectNotAppendable):
        bucket.append_object("normal.txt", 1, b"y")

    content = b"line 1\nline 2\nline 3\n"
    head = bucket.head_object("log.txt")
    assert (first.next_position, second.next_position, third.next_position) == (7, 14, 21)
    assert (wrong.value.status, wrong.value.next_position) == (409, 21)
    assert (head.object_type, head.headers["x-oss-next-append-position"]) == ("Appendable", "21")
    assert (bucket.get_object("log.txt").read(), third.hash_crc64) == (content, str(crc64(content)))


# -- tagging ---------------------------------------------------------------------------------------------------
def test_object_tagging_put_get_delete(env: Running, bucket: oss2.Bucket, client: oss_v2.Client) -> None:
    env.cloud.oss.put_object(BUCKET, "m.txt", b"x")
    before = env.cloud.oss.head(BUCKET, "m.txt").last_modified
    rule = oss2.models.TaggingRule()
    rule.add("team", "media")
    rule.add("stage", "raw")

    bucket.put_object_tagging("m.txt", oss2.models.Tagging(rule))
    legacy = bucket.get_object_tagging("m.txt").tag_set.tagging_rule
    client.put_object_tagging(
        oss_v2.PutObjectTaggingRequest(
            bucket=BUCKET,
            key="m.txt",
            tagging=oss_v2.Tagging(tag_set=oss_v2.TagSet(tags=[oss_v2.Tag(key="only", value="one")])),
        )
    )
    replaced = client.get_object_tagging(oss_v2.GetObjectTaggingRequest(bucket=BUCKET, key="m.txt"))
    bucket.delete_object_tagging("m.txt")
    eleven = oss_v2.Tagging(tag_set=oss_v2.TagSet(tags=[oss_v2.Tag(key=f"k{i}", value="v") for i in range(11)]))
    too_many = oss_v2_error(
        lambda: client.put_object_tagging(oss_v2.PutObjectTaggingRequest(bucket=BUCKET, key="m.txt", tagging=eleven))
    )

    assert legacy == {"team": "media", "stage": "raw"}
    assert [(t.key, t.value) for t in replaced.tag_set.tags] == [("only", "one")]
    assert bucket.get_object_tagging("m.txt").tag_set.tagging_rule == {}
    assert (too_many.status_code, too_many.code) == (400, "InvalidTag")
    assert env.cloud.oss.head(BUCKET, "m.txt").last_modified == before


# -- symlinks --------------------------------------------------------------------------------------------------
def test_symlink_is_read_through_and_reports_its_target(
    env: Running, bucket: oss2.Bucket, client: oss_v2.Client
) -> None:
    bucket.put_object("目标 file.txt", b"target bytes", headers={"Content-Type": "text/plain"})

    bucket.put_symlink("目标 file.txt", "link", headers={"x-oss-meta-role": "alias"})
    client.put_symlink(oss_v2.PutSymlinkRequest(bucket=BUCKET, key="dangling", target="gone.txt"))

    head = bucket.head_object("link")
    assert bucket.get_symlink("link").target_key == "目标 file.txt"
    assert bucket.get_object("link").read() == b"target bytes"
    assert (head.content_length, head.etag, head.object_type) == (12, _md5(b"target bytes"), "Symlink")
    assert head.headers["x-oss-meta-role"] == "alias"
    with pytest.raises(oss2.exceptions.NoSuchKey) as dangling:
        bucket.get_object("dangling")
    assert dangling.value.ec == "0026-00000012"
    with pytest.raises(oss2.exceptions.ServerError) as not_a_link:
        bucket.get_symlink("目标 file.txt")
    assert not_a_link.value.status == 400
    bucket.delete_object("link")
    assert env.cloud.oss.get_object(BUCKET, "目标 file.txt") == b"target bytes"
