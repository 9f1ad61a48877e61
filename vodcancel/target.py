"""Where requests go: the local cloud (its endpoints file, written by ``make up``) or a real account.

``--target auto`` (the default) picks the local cloud when the endpoints file exists. A real account's endpoints
follow the region (VOD ``vod.<region>.aliyuncs.com``, MNS ``https://<account>.mns.<region>.aliyuncs.com``, OSS
the SDK's default for the region); ``VOD_ENDPOINT``, ``MNS_ENDPOINT``, ``OSS_ENDPOINT`` override them (the same
variables the function reads), and the HTTP trigger's URL comes from ``--trigger-url`` /
``VOD_CANCEL_TRIGGER_URL`` (``s info`` prints it after ``s deploy``).
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

from vodcancel.credentials import Credential, from_default_chain
from vodcancel.errors import CliError
from vodcancel.project import ProjectNames, load_project

ENDPOINTS_FILE = ".localcloud.json"


@dataclass(frozen=True)
class Options:
    """The options every command shares."""

    project: Path
    target: str = "auto"  # auto | local | cloud
    endpoints_file: Path | None = None
    region: str | None = None
    account_id: str | None = None
    profile: str | None = None
    trigger_url: str | None = None


@dataclass(frozen=True)
class Target:
    kind: str  # "local" | "cloud"
    names: ProjectNames
    credential: Credential
    region: str
    account_id: str  # "" when unknown (a real account without --account-id)
    vod_endpoint: str  # host[:port] or a URL; http:// means plain HTTP
    mns_endpoint: str  # URL, or "" when the account id is unknown
    oss_endpoint: str  # URL, or "" for the SDK's default in the region
    trigger_url: str  # "" when unknown

    def require(self, what: str) -> str:
        """The endpoint named ``what``, or an error saying how to provide it."""
        value = {"mns": self.mns_endpoint, "http": self.trigger_url}.get(what, "x")
        if value:
            return value
        if what == "mns":
            raise CliError(
                "the MNS endpoint needs your account ID",
                "pass --account-id (or set ALIBABA_CLOUD_ACCOUNT_ID), or set MNS_ENDPOINT",
            )
        raise CliError(
            "the HTTP trigger's URL is unknown",
            "pass --trigger-url https://<function>-<suffix>.<region>.fcapp.run (`s info` shows it) "
            "or set VOD_CANCEL_TRIGGER_URL",
        )


def _answers(control_url: str) -> bool:
    """The local cloud is up when its control API answers (a port alone may have been reused since)."""
    try:
        with urllib.request.urlopen(control_url.rstrip("/") + "/state", timeout=5):
            return True
    except (OSError, ValueError):
        return False


def _local(names: ProjectNames, path: Path, trigger_url: str | None) -> Target:
    try:
        endpoints = json.loads(path.read_text(encoding="utf-8"))
        credential = Credential(endpoints["access_key_id"], endpoints["access_key_secret"])
        target = Target(
            kind="local",
            names=replace(names, region=endpoints["region"]),
            credential=credential,
            region=endpoints["region"],
            account_id=endpoints["account_id"],
            vod_endpoint=endpoints["vod"],
            mns_endpoint=endpoints["mns"],
            oss_endpoint=endpoints["oss"],
            trigger_url=trigger_url or endpoints["http_trigger"].rstrip("/") + "/cancel",
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CliError(f"cannot read the local cloud's endpoints file {path}: {exc}", "restart `make up`") from None
    if not _answers(endpoints.get("control", "")):
        raise CliError(
            f"the local cloud in {path} does not answer",
            "start it with `make up`, or use --target cloud for a real account",
        )
    return target


def _cloud(names: ProjectNames, options: Options) -> Target:
    region = options.region or os.environ.get("ALIBABA_CLOUD_REGION_ID") or names.region
    if not region:
        raise CliError("no region", "pass --region or set vars.region in s.yaml")
    account_id = options.account_id or os.environ.get("ALIBABA_CLOUD_ACCOUNT_ID", "")
    mns = os.environ.get("MNS_ENDPOINT") or (f"https://{account_id}.mns.{region}.aliyuncs.com" if account_id else "")
    return Target(
        kind="cloud",
        names=replace(names, region=region),
        credential=from_default_chain(options.profile),
        region=region,
        account_id=account_id,
        vod_endpoint=os.environ.get("VOD_ENDPOINT") or f"vod.{region}.aliyuncs.com",
        mns_endpoint=mns,
        oss_endpoint=os.environ.get("OSS_ENDPOINT", ""),
        trigger_url=options.trigger_url or os.environ.get("VOD_CANCEL_TRIGGER_URL", ""),
    )


def resolve(options: Options) -> Target:
    """The target the options name; ``auto`` is the local cloud when its endpoints file exists."""
    names = load_project(options.project)
    path = options.endpoints_file or options.project / ENDPOINTS_FILE
    if options.target == "local" or (options.target == "auto" and path.exists()):
        if not path.exists():
            raise CliError(f"no local cloud: {path} does not exist", "start it with `make up` (it writes that file)")
        return _local(names, path, options.trigger_url)
    return _cloud(names, options)
