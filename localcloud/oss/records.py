"""OSS records: buckets, objects, parts and uploads as plain frozen values, and the checks on what a write sets.

Every value here is what the OSS API documents for it (PutObject, InitiateMultipartUpload, PutObjectTagging,
PutObjectAcl, "Server-side encryption" pages): storage classes, ACLs, server-side encryption algorithms and the
tag limits. A write naming anything else is refused with the documented error, never stored half-understood.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import crcmod

from localcloud.oss import errors as e

# CRC-64/ECMA-182 as OSS computes it (oss2.utils.Crc64 / alibabacloud_oss_v2.crc: reflected, xorout all ones).
_crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_TAG_TEXT = re.compile(r"^[A-Za-z0-9 +\-=._:/]*$")
MAX_KEY_BYTES = 1023
MAX_TAGS = 10
DEFAULT_CONTENT_TYPE = "application/octet-stream"

STORAGE_CLASSES = ("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive")
COLD_CLASSES = frozenset({"Archive", "ColdArchive", "DeepColdArchive"})
"""Objects of these classes must be restored (RestoreObject, not emulated) before they can be read."""
OBJECT_ACLS = ("default", "private", "public-read", "public-read-write")
BUCKET_ACLS = ("private", "public-read", "public-read-write")
SSE_ALGORITHMS = ("AES256", "KMS", "SM4")


def crc64(data: bytes) -> int:
    return int(_crc64(data))


def md5_parts(data: bytes) -> tuple[str, str]:
    """(upper-case hex, base64) MD5 of ``data``."""
    digest = hashlib.md5(data).digest()
    return digest.hex().upper(), base64.b64encode(digest).decode("ascii")


def check_bucket_name(name: str) -> None:
    if not _BUCKET_NAME.match(name):
        raise e.InvalidBucketName(BucketName=name)


def check_key(key: str) -> None:
    size = len(key.encode("utf-8"))
    if size == 0 or size > MAX_KEY_BYTES or key.startswith(("/", "\\")):
        raise e.InvalidObjectName(Key=key)


def check_storage_class(value: str) -> str:
    if value not in STORAGE_CLASSES:
        raise e.InvalidArgument(f"Invalid storage class {value!r}.", ArgumentName="x-oss-storage-class")
    return value


def check_object_acl(value: str) -> str:
    if value not in OBJECT_ACLS:
        raise e.InvalidArgument("no such object access control exists", ArgumentName="x-oss-object-acl")
    return value


def check_bucket_acl(value: str) -> str:
    if value not in BUCKET_ACLS:
        raise e.InvalidArgument("no such bucket access control exists", ArgumentName="x-oss-acl")
    return value


def check_tags(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The PutObjectTagging limits: at most 10 tags, unique keys of ≤ 128 and values of ≤ 256 characters, drawn
    from letters, digits, space and ``+ - = . _ : /``."""
    keys = [k for k, _ in pairs]
    if len(pairs) > MAX_TAGS or len(set(keys)) != len(keys):
        raise e.InvalidTag()
    for key, value in pairs:
        if not key or len(key) > 128 or len(value) > 256 or not _TAG_TEXT.match(key + value):
            raise e.InvalidTag()
    return tuple(pairs)


def parse_tagging_header(value: str) -> tuple[tuple[str, str], ...]:
    """``x-oss-tagging: k1=v1&k2=v2`` (URL-encoded keys and values); ``aa=bb=cc`` is malformed (EC 0010-00000219)."""
    pairs: list[tuple[str, str]] = []
    for item in value.split("&"):
        if item.count("=") > 1:
            raise e.InvalidTag("The tagging header is not in key or key=value format.")
        pairs.extend(parse_qsl(item, keep_blank_values=True))
    return check_tags(pairs)


@dataclass(frozen=True)
class Encryption:
    """Server-side encryption of one object: the algorithm, and for KMS the key and the data algorithm."""

    algorithm: str
    key_id: str | None = None
    data_algorithm: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"x-oss-server-side-encryption": self.algorithm}
        if self.key_id:
            headers["x-oss-server-side-encryption-key-id"] = self.key_id
        if self.data_algorithm:
            headers["x-oss-server-side-data-encryption"] = self.data_algorithm
        return headers


def encryption(algorithm: str, key_id: str, data_algorithm: str, account_id: str) -> Encryption | None:
    """What a write's SSE headers ask for. KMS without a key uses the account's default OSS key (real OSS returns
    its id, so one is made up here); the key id and the data algorithm only count with KMS."""
    if not algorithm:
        return None
    if algorithm not in SSE_ALGORITHMS:
        raise e.InvalidEncryptionAlgorithmError()
    if algorithm != "KMS":
        return Encryption(algorithm)
    default_key = hashlib.sha1(f"oss-default-cmk:{account_id}".encode()).hexdigest()
    default_id = f"{default_key[:8]}-{default_key[8:12]}-{default_key[12:16]}-{default_key[16:20]}-{default_key[20:32]}"
    return Encryption("KMS", key_id or default_id, data_algorithm or None)


@dataclass(frozen=True)
class ObjectInput:
    """What a write carries besides the bytes: content type, ``x-oss-meta-*``, the stored HTTP headers, and the
    storage class, ACL, tags and server-side encryption OSS keeps with the object."""

    content_type: str | None = None
    user_meta: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    content_md5: str | None = None
    storage_class: str = "Standard"
    acl: str = "default"
    tags: tuple[tuple[str, str], ...] = ()
    encryption: Encryption | None = None


PLAIN = ObjectInput()
"""A write that sets nothing but the bytes."""


@dataclass(frozen=True)
class StoredObject:
    """One object version. ``etag`` is upper-case hex without quotes (``-N`` suffix for multipart).

    A symlink (``object_type`` ``Symlink``) has no bytes of its own: ``symlink_target`` names the object it
    stands for.
    """

    bucket: str
    key: str
    data: bytes
    etag: str
    crc64: int
    content_type: str
    last_modified: float
    content_md5: str | None = None
    object_type: str = "Normal"
    user_meta: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    storage_class: str = "Standard"
    acl: str = "default"
    tags: tuple[tuple[str, str], ...] = ()
    encryption: Encryption | None = None
    symlink_target: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view without the bytes."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "crc64": str(self.crc64),
            "content_type": self.content_type,
            "last_modified": self.last_modified,
            "object_type": self.object_type,
            "user_meta": dict(self.user_meta),
            "storage_class": self.storage_class,
            "acl": self.acl,
            "tags": dict(self.tags),
        }


@dataclass(frozen=True)
class Part:
    number: int
    data: bytes
    etag: str
    crc64: int
    last_modified: float

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Upload:
    """A multipart upload in progress; ``meta`` is what its InitiateMultipartUpload set for the final object."""

    upload_id: str
    key: str
    initiated: float
    meta: ObjectInput
    parts: dict[int, Part] = field(default_factory=dict)


@dataclass
class Bucket:
    name: str
    create_time: float
    owner: str
    acl: str = "private"
    storage_class: str = "Standard"
    objects: dict[str, StoredObject] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingNotification:
    """An FC delivery to make once the triggering response has been sent."""

    function_arn: str
    event: bytes


@dataclass(frozen=True)
class Listing:
    contents: list[StoredObject]
    common_prefixes: list[str]
    truncated: bool
    next_marker: str


@dataclass(frozen=True)
class Page:
    """One page of a listing that is not of objects (buckets, uploads, parts): the items and where to go on."""

    items: list[Any]
    truncated: bool
    next_marker: str = ""
    next_id_marker: str = ""
    common_prefixes: list[str] = field(default_factory=list)
