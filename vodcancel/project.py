"""The names vodcancel needs, read from the project's ``s.yaml`` (the file ``s deploy`` reads).

The first ``fc3`` resource gives the region, the function, the request topic (its ``mns_topic`` trigger), the
results topic (``NOTIFY_TOPIC``), and the manifest bucket with the OSS trigger's key filter. Only ``${vars.X}``
is substituted: the names never depend on ``s config`` or the environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vodcancel.errors import CliError

_VAR = re.compile(r"\$\{\s*vars\.([A-Za-z0-9_]+)\s*\}")


@dataclass(frozen=True)
class ProjectNames:
    region: str
    function_name: str
    request_topic: str
    request_notify_format: str  # JSON: the function keys a message by its MessageId; STREAM: by a body hash
    results_topic: str
    manifest_bucket: str
    manifest_prefix: str
    manifest_suffix: str


def _substitute(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: str(variables.get(m[1], m[0])), value)
    if isinstance(value, list):
        return [_substitute(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, variables) for key, item in value.items()}
    return value


def _fc3_props(document: Any, path: Path) -> dict[str, Any]:
    resources = document.get("resources") if isinstance(document, dict) else None
    for resource in (resources or {}).values():
        if (
            isinstance(resource, dict)
            and resource.get("component") == "fc3"
            and isinstance(resource.get("props"), dict)
        ):
            variables = document.get("vars") or {}
            return _substitute(resource["props"], variables if isinstance(variables, dict) else {})
    raise CliError(f"{path} declares no fc3 resource", "point --project at the canceller's directory")


def _trigger(props: dict[str, Any], kind: str, path: Path) -> dict[str, Any]:
    for trigger in props.get("triggers") or []:
        if isinstance(trigger, dict) and trigger.get("triggerType") == kind:
            return trigger
    raise CliError(f"{path} has no {kind} trigger", "restore the trigger in s.yaml, or use another --via")


def load_project(project_dir: Path) -> ProjectNames:
    """The names in ``project_dir/s.yaml``; a clear error when the file is missing or lacks one of them."""
    path = project_dir / "s.yaml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(
            f"no s.yaml in {project_dir}", "run vodcancel in the project directory or pass --project"
        ) from None
    except (OSError, yaml.YAMLError) as exc:
        raise CliError(f"cannot read {path}: {exc}", "fix the file (it is the one `s deploy` reads)") from None
    props = _fc3_props(document, path)
    oss = _trigger(props, "oss", path)
    topic = _trigger(props, "mns_topic", path)
    key_filter = ((oss.get("triggerConfig") or {}).get("filter") or {}).get("key") or {}
    results_topic = (props.get("environmentVariables") or {}).get("NOTIFY_TOPIC")
    if not results_topic:
        raise CliError(f"{path} sets no NOTIFY_TOPIC", "the function publishes results there: set it in s.yaml")
    return ProjectNames(
        region=str(props.get("region", "")),
        function_name=str(props.get("functionName", "")),
        request_topic=str(topic.get("sourceArn", "")).rsplit("/", 1)[-1],
        request_notify_format=str((topic.get("triggerConfig") or {}).get("notifyContentFormat") or "STREAM").upper(),
        results_topic=str(results_topic),
        manifest_bucket=str(oss.get("sourceArn", "")).rsplit(":", 1)[-1],
        manifest_prefix=str(key_filter.get("prefix") or ""),
        manifest_suffix=str(key_filter.get("suffix") or ""),
    )
