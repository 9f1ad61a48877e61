"""The deployment files: s.yaml against the fc3 component's own schema, the package contents, the settings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from localcloud.fc.config import resolve_variables
from localcloud.fc.package import package_entries

ROOT = Path(__file__).resolve().parents[2]
FC3_SCHEMA = ROOT.parent / "shared" / "reference" / "fc3-schema.json"


def _props() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "s.yaml").read_text(encoding="utf-8"))
    resolved = resolve_variables(document, {"AccountID": "1234567890123456"}, env={})
    (resource,) = resolved["resources"].values()
    assert resource["component"] == "fc3"
    return resource["props"]


def test_s_yaml_is_valid_for_the_fc3_component() -> None:
    """s.yaml's function props (variables resolved) satisfy the schema `s deploy` checks them against."""
    if not FC3_SCHEMA.exists():
        pytest.skip(f"fc3 schema not found at {FC3_SCHEMA}")
    jsonschema = pytest.importorskip("jsonschema")
    # GIVEN the fc3 component's schema / WHEN s.yaml's props are validated / THEN there is no error
    schema = json.loads(FC3_SCHEMA.read_text(encoding="utf-8"))
    errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(_props())]
    assert errors == []


def test_s_yaml_declares_what_the_function_needs() -> None:
    """One python3.10 function on handler.handler with the three triggers, a role, async config and logs."""
    # GIVEN s.yaml / WHEN read / THEN it has what the README's deploy section promises
    props = _props()
    assert (props["runtime"], props["handler"], props["logConfig"]) == ("python3.10", "handler.handler", "auto")
    assert props["role"].startswith("acs:ram::1234567890123456:role/")
    triggers = {t["triggerType"]: t for t in props["triggers"]}
    assert set(triggers) == {"oss", "mns_topic", "http"}
    assert triggers["http"]["triggerConfig"]["authType"] == "function"
    assert triggers["mns_topic"]["triggerConfig"]["notifyContentFormat"] == "JSON"
    assert set(triggers["oss"]["triggerConfig"]["filter"]["key"]) == {"prefix", "suffix"}
    assert props["asyncInvokeConfig"]["destinationConfig"]["onFailure"]["destination"].startswith("acs:mns:")
    env = props["environmentVariables"]
    assert env["NOTIFY_TOPIC"] != env["TRIGGER_TOPIC"]
    assert triggers["mns_topic"]["sourceArn"].endswith(f"/topics/{env['TRIGGER_TOPIC']}")


def test_the_package_holds_the_handler_lib_and_dependencies_and_nothing_else() -> None:
    """What `s deploy` would zip from this checkout (.fcignore applied as fc3 does): nothing unexpected at the top.

    A new top-level file or directory fails here until .fcignore leaves it out (or this list says it is deployed);
    a stray local file (an endpoints file, a coverage report) fails too: it would be uploaded.
    """
    # GIVEN the code directory and .fcignore / WHEN the package's entries are listed / THEN only these tops appear
    tops = {entry.path.split("/")[0] for entry in package_entries(ROOT)}
    assert {"handler.py", "lib"} <= tops <= {"handler.py", "lib", "python"}


def test_every_function_variable_in_s_yaml_is_read_and_documented() -> None:
    """No dead settings: each variable s.yaml sets is read by the function and has a row in the README's table."""
    # GIVEN s.yaml's environmentVariables / WHEN looked up in lib/ and the README / THEN each is read and documented
    env = _props()["environmentVariables"]
    assert env["PYTHONPATH"] == "/code/python"  # FC imports the vendored SDKs from there only
    sources = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "lib").glob("*.py"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in env:
        assert name == "PYTHONPATH" or f'"{name}"' in sources, f"{name} is set in s.yaml but read by nothing in lib/"
        assert f"| `{name}`" in readme, f"{name} is not in the README's configuration table"


def test_runtime_requirements_are_only_the_official_sdks() -> None:
    """requirements.txt (what is vendored into the package) holds the official runtime SDKs and nothing else."""
    # GIVEN requirements.txt / WHEN its package names are read / THEN they are the five official SDKs
    names = {
        line.split(">")[0].split("=")[0].split("<")[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert names == {
        "alibabacloud-vod20170321",
        "alibabacloud-tea-openapi",
        "aliyun-mns-sdk",
        "alibabacloud-oss-v2",
        "alibabacloud-fc20230330",  # only to continue a manifest request in a new invocation
    }


def _policy(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "deploy" / name).read_text(encoding="utf-8"))


def test_the_function_policy_grants_exactly_what_the_function_calls_on_s_yamls_resources() -> None:
    """deploy/function-policy.json names s.yaml's topics, bucket and prefix; only the account and region vary."""
    # GIVEN the policy and s.yaml / WHEN each statement's resources are read
    policy = _policy("function-policy.json")
    text = json.dumps(policy)
    assert set(re.findall(r"\$\{(\w+)\}", text)) == {"ACCOUNT_ID", "REGION"}
    grants = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow" and "Condition" not in statement
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            grants[action] = resources
    props = _props()
    failures = props["asyncInvokeConfig"]["destinationConfig"]["onFailure"]["destination"].split("/topics/")[1]
    (oss,) = [t for t in props["triggers"] if t["triggerType"] == "oss"]
    bucket = oss["sourceArn"].rsplit(":", 1)[1]
    prefix = oss["triggerConfig"]["filter"]["key"]["prefix"]
    # THEN each action is limited to what the function touches: its two topics, its manifests, its log store
    topic = "acs:mns:${REGION}:${ACCOUNT_ID}:/topics/"
    assert grants == {
        "vod:CancelUrlUploadJobs": ["*"],  # VOD authorizes per operation only: no resource ARN exists
        "vod:GetURLUploadInfos": ["*"],
        "mns:PublishMessage": [
            f"{topic}{props['environmentVariables']['NOTIFY_TOPIC']}/messages",
            f"{topic}{failures.removesuffix('/messages')}/messages",
        ],
        "oss:GetObject": [f"acs:oss:*:${{ACCOUNT_ID}}:{bucket}/{prefix}*"],
        "log:PostLogStoreLogs": [
            "acs:log:${REGION}:${ACCOUNT_ID}:project/serverless-${REGION}-*/logstore/default-logs"
        ],
    }


def test_the_role_trusts_function_compute_only() -> None:
    (statement,) = _policy("trust-policy.json")["Statement"]
    assert statement == {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["fc.aliyuncs.com"]}}
