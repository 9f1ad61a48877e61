"""Official SDK clients for a target: VOD (alibabacloud-vod20170321), MNS (aliyun-mns-sdk), OSS
(alibabacloud-oss-v2). Imported lazily: ``vodcancel --help`` needs none of them."""

from __future__ import annotations

from typing import Any

from vodcancel.target import Target


def vod(target: Target) -> Any:
    from alibabacloud_tea_openapi.models import Config
    from alibabacloud_vod20170321.client import Client

    endpoint = target.vod_endpoint
    protocol = "http" if endpoint.startswith("http://") else "https"
    credential = target.credential
    config = Config(
        access_key_id=credential.access_key_id,
        access_key_secret=credential.access_key_secret,
        security_token=credential.security_token or None,
        endpoint=endpoint.split("://", 1)[-1].rstrip("/"),
        protocol=protocol,
        region_id=target.region,
    )
    return Client(config)


def mns(target: Target) -> Any:
    from mns.account import Account

    credential = target.credential
    return Account(
        target.require("mns"), credential.access_key_id, credential.access_key_secret, credential.security_token
    )


def oss(target: Target) -> Any:
    import alibabacloud_oss_v2 as oss_sdk

    credential = target.credential
    config = oss_sdk.config.load_default()
    config.credentials_provider = oss_sdk.credentials.StaticCredentialsProvider(
        credential.access_key_id, credential.access_key_secret, credential.security_token or None
    )
    config.region = target.region
    if target.oss_endpoint:
        config.endpoint = target.oss_endpoint  # the SDK addresses an IP endpoint (the local cloud) path-style
    return oss_sdk.Client(config)
