"""``--via oss``: the manifest becomes an object in the manifest bucket, under the OSS trigger's prefix and with
its suffix, so the trigger fires; the function keys the results ``oss:<bucket>/<key>@<eTag>``.

The function reads an object as a manifest only when its key ends in ``.txt`` or ``.json`` (README, "Sending a
cancel request"); with no suffix in the trigger's filter, the key keeps the file's own suffix when it is one of
those, and ``.txt`` otherwise (a JSON manifest is recognised by its content, not its name)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any

from vodcancel import clients
from vodcancel.errors import CliError, describe_sdk_error
from vodcancel.project import ProjectNames
from vodcancel.transports import Submission

MANIFEST_SUFFIXES = (".txt", ".json")


def _suffix(names: ProjectNames, source_name: str) -> str:
    if names.manifest_suffix:
        return names.manifest_suffix
    own = PurePosixPath(source_name).suffix.lower()
    return own if own in MANIFEST_SUFFIXES else ".txt"


def _matches_filter(names: ProjectNames, key: str) -> bool:
    suffix_ok = key.endswith(names.manifest_suffix) and key.lower().endswith(MANIFEST_SUFFIXES)
    return key.startswith(names.manifest_prefix) and suffix_ok


def object_key(names: ProjectNames, source_name: str, key: str | None = None) -> str:
    """``<prefix><UTC time>-<file stem><suffix>``: a new object per submission, matching the trigger's filter.
    An explicit ``key`` is used as given, once checked against the filter."""
    if key is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        stem = PurePosixPath(source_name).stem or "manifest"
        return f"{names.manifest_prefix}{stamp}-{stem}{_suffix(names, source_name)}"
    if not _matches_filter(names, key):
        raise CliError(
            f"key {key!r} is outside the OSS trigger's filter (prefix {names.manifest_prefix!r}, suffix "
            f"{names.manifest_suffix!r}) or not a manifest's name (.txt or .json): the function would never read it",
            "choose a key that matches, or leave --key out",
        )
    return key


def submit(target: Any, payload: bytes, source_name: str, key: str | None = None, **_: Any) -> Submission:
    import alibabacloud_oss_v2 as oss_sdk

    names = target.names
    object_name = object_key(names, source_name, key)
    request = oss_sdk.PutObjectRequest(bucket=names.manifest_bucket, key=object_name, body=payload)
    try:
        result = clients.oss(target).put_object(request)
    except Exception as exc:
        raise CliError(
            f"OSS PutObject oss://{names.manifest_bucket}/{object_name} failed ({describe_sdk_error(exc)})",
            f"check that the bucket exists in {target.region} and that your credentials may write to it",
        ) from None
    etag = (result.etag or "").strip('"')
    return Submission(
        via="oss",
        dedupe_key=f"oss:{names.manifest_bucket}/{object_name}@{etag}",
        reference=f"oss://{names.manifest_bucket}/{object_name}",
    )
