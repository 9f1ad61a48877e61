"""The 2023-03-30 API's documents for the function s.yaml declares: its ``Function``, its ``Trigger``s and its
``AsyncConfig``, as GetFunction, ListFunctions, ListTriggers, GetTrigger and GetAsyncInvokeConfig answer them.

The local cloud deploys nothing: these describe the function as ``s deploy`` (fc3) would have created it from the
same s.yaml — fc3's defaults where s.yaml is silent (devsapp/fc3 ``src/default/config.ts``), ``logConfig: auto`` as
fc3 expands it — plus what only the deployment knows (ARN, times, code checksum). Field names are the API's (the
``alibabacloud-fc20230330`` models and the API reference samples). Pure functions of a :class:`Deployment`.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from localcloud.fc.config import DEFAULT_ASYNC_EVENT_AGE_S, DeclaredTrigger, Destination, FunctionConfig
from localcloud.fc.trigger_gate import trigger_domain

_DECLARED_AS_IS = (
    "cpu",
    "customContainerConfig",
    "customDNS",
    "customRuntimeConfig",
    "disableOndemand",
    "gpuConfig",
    "idleTimeout",
    "instanceIsolationMode",
    "instanceLifecycleConfig",
    "nasConfig",
    "ossMountConfig",
    "resourceGroupId",
    "sessionAffinity",
    "tags",
    "tracingConfig",
    "vpcConfig",
)
"""Function settings reported exactly as s.yaml declares them, and only when it does."""
_FC3_DEFAULTS: Mapping[str, Any] = {
    "description": "",
    "internetAccess": True,
    "diskSize": 512,
    "instanceConcurrency": 1,
}
"""fc3's defaults for settings s.yaml may leave out (``FUNCTION_DEFAULT_CONFIG``; diskSize: FC's smaller size)."""
_EMPTY_LOG_CONFIG: Mapping[str, Any] = {
    "enableInstanceMetrics": False,
    "enableRequestMetrics": False,
    "logBeginRule": "None",
    "logstore": "",
    "project": "",
}
"""What fc3 deploys for a function without ``logConfig`` (``FC_RESOURCES_EMPTY_CONFIG``)."""
LIST_OMITS = (
    "state",
    "stateReason",
    "stateReasonCode",
    "lastUpdateStatus",
    "lastUpdateStatusReason",
    "lastUpdateStatusReasonCode",
)
"""Fields GetFunction has and ListFunctions leaves out (the ListFunctions reference says so)."""


@dataclass(frozen=True)
class Deployment:
    """The function as deployed: its s.yaml settings and what the local FC fixed when it read them."""

    config: FunctionConfig
    account_id: str
    region: str
    environment: Mapping[str, str]
    """The variables the function runs with (s.yaml's, the local endpoints, test overrides)."""
    timeout_s: float
    deployed_at: float
    code_checksum: str | None = None
    """CRC-64 (ECMA) of the code package, decimal, as FC reports it; None when running the source tree."""
    code_size: int | None = None

    @property
    def function_arn(self) -> str:
        return f"acs:fc:{self.region}:{self.account_id}:functions/{self.config.function_name}"


def iso_time(moment: float) -> str:
    """``2023-04-01T08:15:27Z``, the API's time format."""
    return datetime.fromtimestamp(moment, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stable_id(name: str) -> str:
    """An ID that stays the same for the same resource (FC's IDs are opaque UUID-like strings)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _log_config(deployment: Deployment) -> Mapping[str, Any]:
    declared = deployment.config.props.get("logConfig")
    if declared == "auto":  # fc3 creates the project and store and enables the metrics
        return {
            "enableInstanceMetrics": True,
            "enableRequestMetrics": True,
            "logBeginRule": "DefaultRegex",
            "logstore": deployment.config.log_store,
            "project": deployment.config.log_project,
        }
    if isinstance(declared, dict):
        return {**_EMPTY_LOG_CONFIG, **declared}
    return dict(_EMPTY_LOG_CONFIG)


def function_document(deployment: Deployment) -> dict[str, Any]:
    """GetFunction's ``Function``."""
    config, props = deployment.config, deployment.config.props
    moment = iso_time(deployment.deployed_at)
    document: dict[str, Any] = {
        "functionName": config.function_name,
        "functionArn": deployment.function_arn,
        "functionId": _stable_id(deployment.function_arn),
        "runtime": config.runtime,
        "handler": config.handler,
        "timeout": math.ceil(deployment.timeout_s),
        "memorySize": config.memory_mb,
        **{key: props.get(key, default) for key, default in _FC3_DEFAULTS.items()},
        "environmentVariables": dict(deployment.environment),
        "role": config.role,
        "logConfig": _log_config(deployment),
        "layers": [{"arn": str(arn)} for arn in props.get("layers") or ()],
        "createdTime": moment,
        "lastModifiedTime": moment,
        "state": "Active",
        "stateReason": "",
        "stateReasonCode": "",
        "lastUpdateStatus": "Successful",
        "lastUpdateStatusReason": "",
        "lastUpdateStatusReasonCode": "",
    }
    document.update({key: props[key] for key in _DECLARED_AS_IS if key in props})
    if deployment.code_checksum is not None:
        document["codeChecksum"] = deployment.code_checksum
    if deployment.code_size is not None:
        document["codeSize"] = deployment.code_size
    return document


def listed_function(deployment: Deployment) -> dict[str, Any]:
    """ListFunctions' entry: the ``Function`` without the state fields."""
    return {key: value for key, value in function_document(deployment).items() if key not in LIST_OMITS}


def trigger_document(deployment: Deployment, trigger: DeclaredTrigger) -> dict[str, Any]:
    """GetTrigger's ``Trigger``; ``triggerConfig`` is a JSON string, as the API carries it."""
    config = deployment.config
    moment = iso_time(deployment.deployed_at)
    document: dict[str, Any] = {
        "triggerName": trigger.name,
        "triggerType": trigger.type,
        "triggerId": _stable_id(f"{deployment.function_arn}/triggers/{trigger.name}"),
        "description": trigger.description,
        "qualifier": trigger.qualifier,
        "sourceArn": trigger.source_arn,
        "invocationRole": trigger.invocation_role,
        "targetArn": deployment.function_arn,
        "triggerConfig": json.dumps(trigger.config, ensure_ascii=False),
        "createdTime": moment,
        "lastModifiedTime": moment,
    }
    if trigger.type == "http":
        domain = trigger_domain(deployment.account_id, deployment.region, config.function_name)
        internal = domain.replace(f".{deployment.region}.", f".{deployment.region}-vpc.", 1)
        document["httpTrigger"] = {"urlInternet": f"https://{domain}", "urlIntranet": f"https://{internal}"}
    return document


def _destination(destination: Destination | None) -> dict[str, str] | None:
    return None if destination is None else {"destination": destination.arn}


def async_config_document(deployment: Deployment) -> dict[str, Any]:
    """GetAsyncInvokeConfig's ``AsyncConfig`` (s.yaml's ``asyncInvokeConfig`` with FC's defaults)."""
    declared = deployment.config.async_config
    destinations = {
        key: value
        for key, value in (
            ("onSuccess", _destination(declared.on_success)),
            ("onFailure", _destination(declared.on_failure)),
        )
        if value is not None
    }
    moment = iso_time(deployment.deployed_at)
    age = declared.max_event_age_s
    return {
        "functionArn": deployment.function_arn,
        "maxAsyncRetryAttempts": declared.max_retry_attempts,
        "maxAsyncEventAgeInSeconds": DEFAULT_ASYNC_EVENT_AGE_S if age is None else age,
        "destinationConfig": destinations,
        "asyncTask": declared.async_task,
        "createdTime": moment,
        "lastModifiedTime": moment,
    }
