"""Settings from the environment, read once per instance; credentials read per invocation.

FC injects credentials as env vars and (up to python3.10) as ``context.credentials``; the context wins because FC
refreshes it when it rotates the role's STS token, while env vars are fixed at instance start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lib import limits
from lib.errors import ConfigurationError

__all__ = ["Credentials", "Settings", "credentials_from", "load_settings", "settings"]


@dataclass(frozen=True)
class Credentials:
    """An access key (and STS token). ``__repr__`` hides the secret so it can never reach a log by accident."""

    access_key_id: str
    access_key_secret: str
    security_token: str = ""

    def __repr__(self) -> str:
        return f"Credentials(access_key_id={self.access_key_id!r}, secret=<hidden>, token=<hidden>)"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """Everything the function needs besides credentials; see the README's configuration table."""

    region: str
    account_id: str
    vod_endpoint: str
    oss_endpoint: str
    mns_endpoint: str
    notify_topic: str
    trigger_topic: str
    cancel_qps: float
    info_qps: float
    vod_concurrency: int
    connect_timeout_ms: int
    read_timeout_ms: int
    deadline_margin_s: float
    max_request_items: int
    max_request_bytes: int
    max_manifest_bytes: int
    max_message_bytes: int
    fc_endpoint: str
    checkpoint_prefix: str
    checkpoint_interval_s: float
    continuation_margin_s: float
    max_continuations: int


def _number(env: Mapping[str, str], name: str, *, minimum: float = 0) -> float:
    """The number in env var ``name``; unset or blank means its default, the constant of that name in lib.limits."""
    raw = env.get(name, "").strip()
    if not raw:
        return float(getattr(limits, name))
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError("InvalidSetting", f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError("InvalidSetting", f"{name} must be >= {minimum}, got {raw!r}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build and validate :class:`Settings`; raises ConfigurationError naming the variable at fault."""
    env = os.environ if env is None else env
    region = env.get("FC_REGION", "").strip() or limits.FC_REGION
    account_id = env.get("FC_ACCOUNT_ID", "").strip()
    notify_topic = env.get("NOTIFY_TOPIC", "").strip()
    trigger_topic = env.get("TRIGGER_TOPIC", "").strip()
    if not notify_topic:
        raise ConfigurationError("MissingSetting", "NOTIFY_TOPIC (the results topic) is not set")
    if trigger_topic and trigger_topic == notify_topic:
        raise ConfigurationError(
            "NotifyTopicIsTriggerTopic",
            f"NOTIFY_TOPIC {notify_topic!r} is the topic that triggers this function: "
            "publishing results there would invoke it again forever",
        )
    mns_endpoint = env.get("MNS_ENDPOINT", "").strip()
    if not mns_endpoint:
        if not account_id:
            raise ConfigurationError("MissingSetting", "MNS_ENDPOINT is not set and FC_ACCOUNT_ID is unknown")
        mns_endpoint = f"https://{account_id}.mns.{region}.aliyuncs.com"
    return Settings(
        region=region,
        account_id=account_id,
        vod_endpoint=env.get("VOD_ENDPOINT", "").strip() or f"vod.{region}.aliyuncs.com",
        oss_endpoint=env.get("OSS_ENDPOINT", "").strip() or f"https://oss-{region}-internal.aliyuncs.com",
        mns_endpoint=mns_endpoint,
        notify_topic=notify_topic,
        trigger_topic=trigger_topic,
        cancel_qps=_number(env, "VOD_CANCEL_QPS", minimum=0.1),
        info_qps=_number(env, "VOD_INFO_QPS", minimum=0.1),
        vod_concurrency=int(_number(env, "VOD_CONCURRENCY", minimum=1)),
        connect_timeout_ms=int(_number(env, "VOD_CONNECT_TIMEOUT_MS", minimum=1)),
        read_timeout_ms=int(_number(env, "VOD_READ_TIMEOUT_MS", minimum=1)),
        deadline_margin_s=_number(env, "DEADLINE_MARGIN_S"),
        max_request_items=int(_number(env, "MAX_REQUEST_ITEMS", minimum=1)),
        max_request_bytes=int(_number(env, "MAX_REQUEST_BYTES", minimum=1)),
        max_manifest_bytes=int(_number(env, "MAX_MANIFEST_BYTES", minimum=1)),
        max_message_bytes=int(_number(env, "NOTIFY_MAX_MESSAGE_BYTES", minimum=limits.MIN_NOTIFY_MESSAGE_BYTES)),
        fc_endpoint=env.get("FC_ENDPOINT", "").strip() or (account_id and f"{account_id}.{region}.fc.aliyuncs.com"),
        checkpoint_prefix=_checkpoint_prefix(env),
        checkpoint_interval_s=_number(env, "CHECKPOINT_INTERVAL_S", minimum=0.1),
        continuation_margin_s=_number(env, "CONTINUATION_MARGIN_S"),
        max_continuations=int(_number(env, "MAX_CONTINUATIONS")),
    )


def _checkpoint_prefix(env: Mapping[str, str]) -> str:
    """CHECKPOINT_PREFIX: a folder (ends in ``/``), never the bucket's root."""
    prefix = env.get("CHECKPOINT_PREFIX", "").strip() or limits.CHECKPOINT_PREFIX
    prefix = prefix.lstrip("/")
    if not prefix or prefix == "/":
        raise ConfigurationError("InvalidSetting", "CHECKPOINT_PREFIX must name a folder, e.g. cancel-checkpoints/")
    return prefix if prefix.endswith("/") else prefix + "/"


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The instance's settings, read once (FC fixes env vars for the life of an instance)."""
    return load_settings()


def credentials_from(context: Any, env: Mapping[str, str] | None = None) -> Credentials:
    """The invocation's credentials: ``context.credentials`` (snake or camel case) first, then env vars."""
    env = os.environ if env is None else env
    creds = getattr(context, "credentials", None)
    if creds is not None:
        key_id = getattr(creds, "access_key_id", None) or getattr(creds, "accessKeyId", None)
        secret = getattr(creds, "access_key_secret", None) or getattr(creds, "accessKeySecret", None)
        token = getattr(creds, "security_token", None) or getattr(creds, "securityToken", None)
        if key_id and secret:
            return Credentials(str(key_id), str(secret), str(token or ""))
    key_id = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
    secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
    if not key_id or not secret:
        raise ConfigurationError(
            "MissingCredentials",
            "no credentials: give the function a role (s.yaml `role`) so FC injects "
            "ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET/SECURITY_TOKEN",
        )
    return Credentials(key_id, secret, env.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""))
