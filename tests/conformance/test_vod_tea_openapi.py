"""VOD driven by the current official client, alibabacloud-vod20170321 on tea-openapi, with both signatures it
offers: ACS3-HMAC-SHA256 (its default: ``x-acs-*`` headers, ``accept: application/json``, no ``Format``) and the
legacy v2 (``signature_algorithm='v2'``: HMAC-SHA1 in the query, ``Format=json``)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config
from alibabacloud_vod20170321 import models as vod_models
from alibabacloud_vod20170321.client import Client

from localcloud.cloud import LocalCloud

URL = "https://media.example.com/clip one.mp4"


def client(cloud: LocalCloud, *, v2: bool, sts: bool, secret: str | None = None) -> Client:
    key_id, key_secret, token = cloud.access_key_id, cloud.access_key_secret, None
    if sts:
        credential = cloud.credentials.issue_sts_token()
        key_id, key_secret, token = credential.access_key_id, credential.access_key_secret, credential.security_token
    config = Config(
        access_key_id=key_id,
        access_key_secret=secret or key_secret,
        security_token=token,
        endpoint=cloud.url("vod").split("://", 1)[1],
        protocol="http",
        region_id=cloud.region,
    )
    if v2:
        config.signature_algorithm = "v2"
    return Client(config)


@pytest.mark.parametrize("sts", [False, True], ids=["static", "sts"])
@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_upload_read_cancel_flow(localcloud: LocalCloud, v2: bool, sts: bool) -> None:
    vod = client(localcloud, v2=v2, sts=sts)
    uploaded = vod.upload_media_by_url(vod_models.UploadMediaByURLRequest(upload_urls=quote(URL, safe="")))
    [job] = uploaded.body.upload_jobs

    infos = vod.get_urlupload_infos(vod_models.GetURLUploadInfosRequest(upload_urls=quote(URL, safe="")))
    assert [(i.job_id, i.status) for i in infos.body.urlupload_info_list] == [(job.job_id, "PENDING")]

    both = vod_models.CancelUrlUploadJobsRequest(job_ids=f"{job.job_id},gone", upload_urls="ignored")
    canceled = vod.cancel_url_upload_jobs(both).body
    assert (canceled.canceled_jobs, canceled.non_exists) == ([job.job_id], ["gone"])
    assert localcloud.vod.job(job.job_id).status == "CANCELED"  # type: ignore[union-attr]


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_wrong_secret(localcloud: LocalCloud, v2: bool) -> None:
    with pytest.raises(ClientException) as caught:
        client(localcloud, v2=v2, sts=False, secret="wrong").get_urlupload_infos(
            vod_models.GetURLUploadInfosRequest(job_ids="j")
        )
    assert (caught.value.code, caught.value.status_code) == ("SignatureDoesNotMatch", 400)
    assert "server string to sign is:" in caught.value.data["Message"]
