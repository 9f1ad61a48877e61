"""Read the function, its async config and triggers from a Serverless Devs ``s.yaml`` (edition 3.0.0, fc3).

The local cloud deploys nothing: it reads the same file ``s deploy`` would, so what runs locally is what the
project declares. Only the parts FC needs at invocation time are kept.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_TIMEOUT_S = 3.0
"""fc3's default function timeout when ``timeout`` is absent."""
DEFAULT_MEMORY_MB = 512
"""fc3's default ``memorySize`` (devsapp/fc3 ``FUNCTION_DEFAULT_CONFIG``)."""
DEFAULT_ASYNC_EVENT_AGE_S = 86400
"""FC: ``maxAsyncEventAgeInSeconds`` "Default value: 86400" (PutAsyncInvokeConfigInput)."""
DEFAULT_ASYNC_RETRIES = 3
"""FC: "If you do not configure this parameter, the default number of retries is 3"."""

_EXPR = re.compile(r"\$\{\s*(.*?)\s*\}")
_CALL = re.compile(r"""^(config|env)\(\s*(['"])(.*?)\2\s*(?:,\s*(['"])(.*?)\4\s*)?\)$""")


class ProjectConfigError(ValueError):
    """``s.yaml`` is missing, unreadable, or declares something the local cloud cannot run."""


@dataclass(frozen=True)
class Destination:
    """An async-invocation destination ARN, split into what the local cloud can act on."""

    arn: str
    kind: str  # "mns_topic" | "mns_queue" | "fc_function" | "unsupported"
    name: str = ""


@dataclass(frozen=True)
class AsyncInvokeConfig:
    max_retry_attempts: int = DEFAULT_ASYNC_RETRIES
    max_event_age_s: int | None = None
    on_success: Destination | None = None
    on_failure: Destination | None = None
    declared: bool = False
    """Whether s.yaml has an ``asyncInvokeConfig`` (FC answers GetAsyncInvokeConfig only then)."""
    async_task: bool = False


@dataclass(frozen=True)
class OssTrigger:
    name: str
    bucket: str
    events: tuple[str, ...]
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class MnsTopicTrigger:
    name: str
    topic: str
    notify_content_format: str = "STREAM"
    notify_strategy: str = "BACKOFF_RETRY"
    filter_tag: str | None = None


@dataclass(frozen=True)
class HttpTrigger:
    name: str
    auth_type: str = "anonymous"
    methods: tuple[str, ...] = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS")


Trigger = OssTrigger | MnsTopicTrigger | HttpTrigger


@dataclass(frozen=True)
class DeclaredTrigger:
    """A trigger exactly as s.yaml declares it, whatever its type (timer and log triggers included): what FC's
    ListTriggers and GetTrigger report. :class:`Trigger` is the part the local cloud acts on."""

    name: str
    type: str
    config: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    source_arn: str = ""
    invocation_role: str = ""
    qualifier: str = "LATEST"


@dataclass(frozen=True)
class FunctionConfig:
    """One fc3 function as the local cloud runs it."""

    project_name: str
    function_name: str
    handler: str
    runtime: str
    code_dir: Path
    region: str
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    environment: dict[str, str] = field(default_factory=dict)
    async_config: AsyncInvokeConfig = field(default_factory=AsyncInvokeConfig)
    triggers: tuple[Trigger, ...] = ()
    role: str = ""
    log_project: str = ""
    log_store: str = ""
    declared_triggers: tuple[DeclaredTrigger, ...] = ()
    props: Mapping[str, Any] = field(default_factory=dict)
    """The resolved fc3 ``props`` (what GetFunction reports of the function's own settings)."""

    @property
    def http_trigger(self) -> HttpTrigger | None:
        return next((t for t in self.triggers if isinstance(t, HttpTrigger)), None)

    @property
    def oss_triggers(self) -> list[OssTrigger]:
        return [t for t in self.triggers if isinstance(t, OssTrigger)]

    @property
    def mns_triggers(self) -> list[MnsTopicTrigger]:
        return [t for t in self.triggers if isinstance(t, MnsTopicTrigger)]


# -- variables -----------------------------------------------------------------------------------------------
def _resolve_expr(expr: str, variables: Mapping[str, Any], config: Mapping[str, str], env: Mapping[str, str]) -> Any:
    if expr.startswith("vars."):
        name = expr[len("vars.") :]
        if name not in variables:
            raise ProjectConfigError(f"s.yaml uses ${{{expr}}} but vars.{name} is not defined")
        return variables[name]
    if expr.startswith("env."):
        name = expr[len("env.") :]
        if name not in env:
            raise ProjectConfigError(f"s.yaml uses ${{{expr}}} but the environment variable {name} is not set")
        return env[name]
    call = _CALL.match(expr)
    if call:
        kind, name, default = call.group(1), call.group(3), call.group(5)
        source = config if kind == "config" else env
        if name in source:
            return source[name]
        if default is not None:
            return default
        what = "config value" if kind == "config" else "environment variable"
        raise ProjectConfigError(f"s.yaml uses ${{{expr}}} but the {what} {name} is not available")
    raise ProjectConfigError(f"s.yaml expression ${{{expr}}} is not supported by the local cloud")


def _substitute(value: Any, variables: Mapping[str, Any], config: Mapping[str, str], env: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, variables, config, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, variables, config, env) for v in value]
    if not isinstance(value, str):
        return value
    whole = _EXPR.fullmatch(value)
    if whole:  # keep the referenced value's type (e.g. an int var used as ``timeout``)
        return _resolve_expr(whole.group(1), variables, config, env)
    return _EXPR.sub(lambda m: str(_resolve_expr(m.group(1), variables, config, env)), value)


def resolve_variables(
    document: dict[str, Any], config: Mapping[str, str], env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Substitute ``${vars.X}``, ``${config("X")}``, ``${env('X')}`` / ``${env.X}`` everywhere."""
    env = os.environ if env is None else env
    raw_vars = dict(document.get("vars") or {})
    variables: dict[str, Any] = {}
    for _ in range(len(raw_vars) + 1):  # vars may reference vars; a fixed point is reached quickly
        variables = {k: _substitute(v, raw_vars, config, env) for k, v in raw_vars.items()}
        if variables == raw_vars:
            break
        raw_vars = variables
    else:
        raise ProjectConfigError("s.yaml vars reference each other in a cycle")
    resolved = {k: v for k, v in document.items() if k != "vars"}
    return {"vars": variables, **_substitute(resolved, variables, config, env)}


# -- ARNs ----------------------------------------------------------------------------------------------------
def parse_destination(arn: str) -> Destination:
    """``acs:mns:<region>::/topics/<t>/messages``, ``.../queues/<q>/messages`` or an ``acs:fc`` ARN."""
    match = re.fullmatch(r"acs:mns:[^:]*:[^:]*:/(topics|queues)/([^/]+)/messages", arn)
    if match:
        return Destination(arn, "mns_topic" if match.group(1) == "topics" else "mns_queue", match.group(2))
    match = re.fullmatch(r"acs:fc:[^:]*:[^:]*:(?:services/[^/]+/)?functions/([^/]+)", arn)
    if match:
        return Destination(arn, "fc_function", match.group(1))
    return Destination(arn, "unsupported")


def function_name_from_arn(arn: str) -> str | None:
    """The function name in ``acs:fc:<region>:<account>:[services/<s>.<q>/]functions/<name>``, else None."""
    destination = parse_destination(arn)
    return destination.name if destination.kind == "fc_function" else None


def _bucket_from_arn(arn: str) -> str:
    match = re.fullmatch(r"acs:oss:[^:]*:[^:]*:([^/]+)(?:/.*)?", arn)
    if not match:
        raise ProjectConfigError(f"oss trigger sourceArn {arn!r} is not acs:oss:<region>:<account>:<bucket>")
    return match.group(1)


def _topic_from_arn(arn: str) -> str:
    match = re.fullmatch(r"acs:mns:[^:]*:[^:]*:/topics/([^/]+)", arn)
    if not match:
        raise ProjectConfigError(f"mns_topic trigger sourceArn {arn!r} is not acs:mns:<region>:<account>:/topics/<t>")
    return match.group(1)


# -- props ---------------------------------------------------------------------------------------------------
def _trigger(raw: dict[str, Any]) -> Trigger | None:
    kind = str(raw.get("triggerType", ""))
    name = str(raw.get("triggerName", kind))
    cfg = raw.get("triggerConfig") or {}
    if kind == "oss":
        key_filter = (cfg.get("filter") or {}).get("key") or {}
        return OssTrigger(
            name=name,
            bucket=_bucket_from_arn(str(raw.get("sourceArn", ""))),
            events=tuple(str(e) for e in cfg.get("events") or ()),
            prefix=str(key_filter.get("prefix") or ""),
            suffix=str(key_filter.get("suffix") or ""),
        )
    if kind == "mns_topic":
        return MnsTopicTrigger(
            name=name,
            topic=_topic_from_arn(str(raw.get("sourceArn", ""))),
            notify_content_format=str(cfg.get("notifyContentFormat") or "STREAM").upper(),
            notify_strategy=str(cfg.get("notifyStrategy") or "BACKOFF_RETRY").upper(),
            filter_tag=cfg.get("filterTag") or None,
        )
    if kind == "http":
        methods = tuple(str(m).upper() for m in cfg.get("methods") or ()) or HttpTrigger.methods
        return HttpTrigger(name=name, auth_type=str(cfg.get("authType") or "anonymous").lower(), methods=methods)
    return None  # timer, log, ... : not emulated


def _declared_trigger(raw: dict[str, Any]) -> DeclaredTrigger:
    kind = str(raw.get("triggerType", ""))
    return DeclaredTrigger(
        name=str(raw.get("triggerName", kind)),
        type=kind,
        config=dict(raw.get("triggerConfig") or {}),
        description=str(raw.get("description") or ""),
        source_arn=str(raw.get("sourceArn") or ""),
        invocation_role=str(raw.get("invocationRole") or ""),
        qualifier=str(raw.get("qualifier") or "LATEST"),
    )


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _async_config(declared: dict[str, Any] | None) -> AsyncInvokeConfig:
    raw = declared or {}
    destinations = raw.get("destinationConfig") or {}

    def destination(key: str) -> Destination | None:
        arn = (destinations.get(key) or {}).get("destination")
        return parse_destination(str(arn)) if arn else None

    retries = raw.get("maxAsyncRetryAttempts")
    age = raw.get("maxAsyncEventAgeInSeconds")
    return AsyncInvokeConfig(
        max_retry_attempts=DEFAULT_ASYNC_RETRIES if retries is None else int(retries),
        max_event_age_s=None if age is None else int(age),
        on_success=destination("onSuccess"),
        on_failure=destination("onFailure"),
        declared=declared is not None,
        async_task=bool(raw.get("asyncTask")),
    )


def _log_target(log_config: Any, account_id: str, region: str) -> tuple[str, str]:
    """fc3's ``s deploy`` with ``logConfig: auto`` creates project ``serverless-<region>-<uuid of the account>`` and
    store ``default-logs`` (devsapp/fc3 ``src/resources/sls``); the id here is a name-based UUID of the account ID,
    not byte-identical to the ``uuid-by-string`` fc3 uses."""
    if log_config == "auto":
        return f"serverless-{region}-{uuid.uuid5(uuid.NAMESPACE_OID, account_id)}"[:63], "default-logs"
    if isinstance(log_config, dict):
        return str(log_config.get("project") or ""), str(log_config.get("logstore") or "")
    return "", ""


def function_from_props(
    project_name: str, props: dict[str, Any], project_dir: Path, region: str, account_id: str = ""
) -> FunctionConfig:
    """Build a :class:`FunctionConfig` from one resolved fc3 ``props`` mapping."""
    name = props.get("functionName")
    handler = str(props.get("handler") or "")
    runtime = str(props.get("runtime") or "")
    if not name:
        raise ProjectConfigError("fc3 props.functionName is required")
    if "." not in handler:
        raise ProjectConfigError(f"handler {handler!r} must look like module.function")
    if not runtime.startswith("python"):
        raise ProjectConfigError(f"runtime {runtime!r}: the local cloud only runs python runtimes")
    code = props.get("code") or "./"
    if not isinstance(code, str):
        raise ProjectConfigError("props.code must be a local directory for the local cloud")
    raw_triggers = [raw for raw in props.get("triggers") or () if isinstance(raw, dict)]
    triggers = tuple(t for t in (_trigger(raw) for raw in raw_triggers) if t is not None)
    region = str(props.get("region") or region)
    log_project, log_store = _log_target(props.get("logConfig"), account_id, region)
    return FunctionConfig(
        project_name=project_name,
        function_name=str(name),
        handler=handler,
        runtime=runtime,
        code_dir=(project_dir / code).resolve(),
        region=region,
        timeout_s=float(props.get("timeout") or DEFAULT_TIMEOUT_S),
        memory_mb=int(props.get("memorySize") or DEFAULT_MEMORY_MB),
        environment={str(k): _env_value(v) for k, v in (props.get("environmentVariables") or {}).items()},
        async_config=_async_config(props.get("asyncInvokeConfig")),
        triggers=triggers,
        role=str(props.get("role") or ""),
        log_project=log_project,
        log_store=log_store,
        declared_triggers=tuple(_declared_trigger(raw) for raw in raw_triggers),
        props=props,
    )


def load_function_config(
    project_dir: str | Path,
    *,
    region: str,
    config_values: Mapping[str, str],
    env: Mapping[str, str] | None = None,
    filename: str = "s.yaml",
) -> FunctionConfig:
    """Load the first ``fc3`` resource of ``<project_dir>/s.yaml`` (``s.yml`` also accepted)."""
    project_dir = Path(project_dir).resolve()
    path = project_dir / filename
    if not path.exists() and (project_dir / "s.yml").exists():
        path = project_dir / "s.yml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ProjectConfigError(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ProjectConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ProjectConfigError(f"{path} must be a mapping")
    resolved = resolve_variables(document, config_values, env)
    for resource in (resolved.get("resources") or {}).values():
        if isinstance(resource, dict) and str(resource.get("component", "")).split("@")[0] == "fc3":
            return function_from_props(
                str(resolved.get("name") or project_dir.name),
                resource.get("props") or {},
                project_dir,
                region,
                str(config_values.get("AccountID", "")),
            )
    raise ProjectConfigError(f"{path} declares no fc3 resource")
