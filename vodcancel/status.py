"""``vodcancel status``: what VOD says of jobs, by job ID or upload URL (``GetURLUploadInfos``, ≤ 10 a call)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from vodcancel import clients
from vodcancel.errors import CliError, describe_sdk_error
from vodcancel.target import Target

BATCH = 10


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    url: str
    status: str  # VOD's status, or "NotFound"
    created: str = ""


def is_url(item: str) -> bool:
    return item.startswith(("http://", "https://"))


def _batches(items: list[str]) -> list[list[str]]:
    return [items[start : start + BATCH] for start in range(0, len(items), BATCH)]


def lookup(target: Target, items: list[str]) -> list[JobStatus]:
    """Every job of every item (a URL may have several), then the items VOD does not know."""
    from alibabacloud_vod20170321 import models

    client = clients.vod(target)
    rows: list[JobStatus] = []
    job_ids = [item for item in dict.fromkeys(items) if not is_url(item)]
    urls = [item for item in dict.fromkeys(items) if is_url(item)]
    requests = [models.GetURLUploadInfosRequest(job_ids=",".join(batch)) for batch in _batches(job_ids)]
    requests += [
        models.GetURLUploadInfosRequest(upload_urls=",".join(quote(url) for url in batch)) for batch in _batches(urls)
    ]
    as_given = {quote(url): url for url in urls}  # VOD may echo a missing URL as it was sent: encoded
    for request in requests:
        try:
            body = client.get_urlupload_infos(request).body
        except Exception as exc:
            raise CliError(f"VOD GetURLUploadInfos failed ({describe_sdk_error(exc)})", _hint(target)) from None
        for info in body.urlupload_info_list or []:
            rows.append(
                JobStatus(info.job_id or "", info.upload_url or "", info.status or "", info.creation_time or "")
            )
        for missing in body.non_exists or []:
            item = as_given.get(missing, missing)
            rows.append(JobStatus("", item, "NotFound") if is_url(item) else JobStatus(item, "", "NotFound"))
    return rows


def _hint(target: Target) -> str:
    if target.kind == "local":
        return "is `make up` running?"
    return "check --region and that your credentials may call vod:GetURLUploadInfos"
