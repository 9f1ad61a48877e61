"""What FC hands a function: the instance environment, the ``context`` object, and trigger events in FC's shapes.

Stdlib only and tiny: it is imported by the processes that are measured, so it must cost next to nothing.
"""

from __future__ import annotations

import json
import os
from typing import Any

_PASSTHROUGH_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT")


class _Attrs:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class Credentials(_Attrs):
    """``context.credentials`` in both spellings FC's python runtime offers."""

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str) -> None:
        super().__init__(
            access_key_id=access_key_id,
            accessKeyId=access_key_id,
            access_key_secret=access_key_secret,
            accessKeySecret=access_key_secret,
            security_token=security_token,
            securityToken=security_token,
        )

    def __repr__(self) -> str:
        return f"Credentials({self.access_key_id!r}, ***)"


class Context:
    """An FC 3.0 python ``context``: request id, credentials, function meta, service, region, account."""

    def __init__(self, spec: dict[str, Any], request_id: str) -> None:
        self.request_id = request_id
        self.credentials = Credentials(**spec["credentials"])
        self.function = _Attrs(
            name=spec.get("function_name", "vod-cancel-url-uploads"),
            handler="handler.handler",
            memory=spec.get("memory_mb", 128),
            timeout=spec.get("timeout_s", 120),
        )
        self.service = _Attrs(name="bench", log_project="", log_store="", qualifier="LATEST", version_id="")
        self.region = spec.get("region", "cn-shanghai")
        self.account_id = spec.get("account_id", "")
        self.tracing = _Attrs(span_context="", jaeger_endpoint="", span_baggages="", parent_span_id="")


def _instance_home() -> str:
    import tempfile  # here, not at the top: the measured process loads this module too

    home = os.path.join(tempfile.gettempdir(), "bench-fc-home")
    os.makedirs(home, exist_ok=True)
    return home


def function_env(setup: dict[str, Any], endpoints: dict[str, Any], **overrides: str) -> dict[str, str]:
    """The instance environment FC would set: runtime basics, s.yaml variables, local endpoints, credentials."""
    env = {key: os.environ[key] for key in _PASSTHROUGH_ENV if key in os.environ}
    creds = setup["credentials"]
    env.update(
        FC_REGION=endpoints["region"],
        FC_ACCOUNT_ID=endpoints["account_id"],
        FC_FUNCTION_NAME=endpoints.get("fc_function", "vod-cancel-url-uploads"),
        FC_FUNCTION_HANDLER="handler.handler",
        FC_FUNCTION_MEMORY_SIZE=str(setup.get("memory_mb", 128)),
        FC_TIMEOUT=f"{setup.get('timeout_s', 120):g}",
        ALIBABA_CLOUD_ACCESS_KEY_ID=creds["access_key_id"],
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=creds["access_key_secret"],
        ALIBABA_CLOUD_SECURITY_TOKEN=creds["security_token"],
        PYTHONUNBUFFERED="1",
        HOME=_instance_home(),  # FC gives every instance a HOME (the local FC a temporary one): without it, requests
        #                         looks the user up (getpwuid) on every call to find ~/.netrc
    )
    env.update(setup["env"])
    env.update(overrides)
    return env


def context_spec(setup: dict[str, Any], endpoints: dict[str, Any]) -> dict[str, Any]:
    """What :class:`Context` is built from (JSON, so it can be handed to another process)."""
    return {
        "credentials": setup["credentials"],
        "timeout_s": setup.get("timeout_s", 120),
        "memory_mb": setup.get("memory_mb", 128),
        "region": endpoints["region"],
        "account_id": endpoints["account_id"],
        "function_name": endpoints.get("fc_function", "vod-cancel-url-uploads"),
    }


# -- events in FC's shapes -------------------------------------------------------------------------------------
def oss_event(bucket: str, key: str, size: int, etag: str, region: str = "cn-shanghai", account: str = "") -> str:
    """An OSS ObjectCreated:PutObject trigger event for one object."""
    record = {
        "eventName": "ObjectCreated:PutObject",
        "eventSource": "acs:oss",
        "eventTime": "2026-11-27T09:30:00.000Z",
        "eventVersion": "1.0",
        "oss": {
            "bucket": {"arn": f"acs:oss:{region}:{account}:{bucket}", "name": bucket, "ownerIdentity": account},
            "object": {"deltaSize": size, "eTag": etag, "key": key, "size": size},
            "ossSchemaVersion": "1.0",
            "ruleId": "bench",
        },
        "region": region,
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"requestId": "bench"},
        "userIdentity": {"principalId": account},
    }
    return json.dumps({"events": [record]})


def mns_event(message: str, message_id: str, topic: str = "vod-cancel-requests", account: str = "") -> str:
    """An MNS topic trigger event in the JSON notify format (the request is the ``Message``)."""
    return json.dumps(
        {
            "TopicOwner": account,
            "Message": message,
            "Subscriber": account,
            "PublishTime": 1795772400000,
            "SubscriptionName": "fc-vod-cancel-url-uploads",
            "MessageMD5": "0" * 32,
            "TopicName": topic,
            "MessageId": message_id,
        }
    )


def http_event(body: str, method: str = "POST") -> str:
    """An FC 3.0 HTTP trigger event."""
    return json.dumps(
        {
            "version": "v1",
            "rawPath": "/cancel",
            "headers": {"Content-Type": "application/json"},
            "queryParameters": {},
            "body": body,
            "isBase64Encoded": False,
            "requestContext": {
                "accountId": "",
                "domainName": "bench.fcapp.run",
                "domainPrefix": "bench",
                "http": {"method": method, "path": "/cancel", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                "requestId": "bench-http",
                "time": "2026-11-27T09:30:00Z",
                "timeEpoch": "1795772400000",
            },
        }
    )
