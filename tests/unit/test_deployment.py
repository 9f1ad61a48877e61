"""The deployment files: s.yaml against the fc3 component's own schema, the package contents, the settings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from localcloud.auth.ram import parse_policy
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


def test_the_function_policy_names_only_s_yamls_resources() -> None:
    """deploy/function-policy.json grants on what s.yaml declares: its topics, its manifest bucket under a prefix,
    its function, its log store; ``*`` only where the service has no resource-level authorization (VOD).

    Whether each grant is needed, and none is missing, is what the suites prove under the enforced policy
    (tests/e2e/test_e2e_least_privilege.py); this pins every resource to a name in s.yaml.
    """
    # GIVEN the policy (as RAM's grammar reads it) and the resources s.yaml declares
    policy = parse_policy(_policy("function-policy.json"), "function-policy.json")
    assert set(re.findall(r"\$\{(\w+)\}", json.dumps(_policy("function-policy.json")))) == {"ACCOUNT_ID", "REGION"}
    props = _props()
    failures = props["asyncInvokeConfig"]["destinationConfig"]["onFailure"]["destination"].split("/topics/")[1]
    topics = {props["environmentVariables"]["NOTIFY_TOPIC"], failures.removesuffix("/messages")}
    (oss,) = [t for t in props["triggers"] if t["triggerType"] == "oss"]
    bucket = oss["sourceArn"].rsplit(":", 1)[1]
    allowed = {
        "mns": [f"acs:mns:${{REGION}}:${{ACCOUNT_ID}}:/topics/{topic}/messages" for topic in topics],
        "oss": [rf"acs:oss:\*:\$\{{ACCOUNT_ID\}}:{re.escape(bucket)}/[^*]+\*?"],
        "fc": [f"acs:fc:${{REGION}}:${{ACCOUNT_ID}}:functions/{props['functionName']}"],
        "log": ["acs:log:${REGION}:${ACCOUNT_ID}:project/serverless-${REGION}-*/logstore/default-logs"],
        "vod": ["*"],  # VOD authorizes per operation only ("All Resources"): there is no VOD resource ARN
    }
    # WHEN each grant is read  THEN it is an Allow on one of those resources
    assert all(statement.effect == "Allow" for statement in policy.statements)
    for grant in policy.grants():
        service = grant.action.split(":")[0]
        patterns = allowed.get(service, [])
        exact = grant.resource in patterns
        assert exact or (service == "oss" and re.fullmatch(patterns[0], grant.resource)), f"{grant} is not in s.yaml"
    # AND both topics the function and FC publish to are granted
    granted = {grant.resource for grant in policy.grants() if grant.action == "mns:PublishMessage"}
    assert granted == set(allowed["mns"])


def test_the_role_trusts_function_compute_only() -> None:
    (statement,) = _policy("trust-policy.json")["Statement"]
    assert statement == {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["fc.aliyuncs.com"]}}


def test_the_role_may_keep_checkpoints_outside_the_trigger_prefix_and_invoke_only_itself() -> None:
    """The grants a manifest request that continues needs, exactly: read and write its checkpoints under
    CHECKPOINT_PREFIX (outside the OSS trigger's prefix, so a checkpoint never invokes the function), and invoke the
    function itself."""
    from lib import limits

    # GIVEN the policy and s.yaml's bucket, trigger prefix, function name and checkpoint prefix
    policy = parse_policy(_policy("function-policy.json"), "function-policy.json")
    props = _props()
    (oss,) = [t for t in props["triggers"] if t["triggerType"] == "oss"]
    bucket = oss["sourceArn"].rsplit(":", 1)[1]
    prefix = props["environmentVariables"].get("CHECKPOINT_PREFIX", limits.CHECKPOINT_PREFIX)
    # WHEN the grants on checkpoints and on FC are read
    checkpoints = f"acs:oss:*:${{ACCOUNT_ID}}:{bucket}/{prefix}*"
    on_checkpoints = {grant.action for grant in policy.grants() if grant.resource == checkpoints}
    on_fc = {(grant.action, grant.resource) for grant in policy.grants() if grant.action.startswith("fc:")}
    # THEN they are exactly these, and the checkpoints are not where the trigger fires
    assert on_checkpoints == {"oss:GetObject", "oss:PutObject"}
    assert on_fc == {("fc:InvokeFunction", f"acs:fc:${{REGION}}:${{ACCOUNT_ID}}:functions/{props['functionName']}")}
    trigger_prefix = oss["triggerConfig"]["filter"]["key"]["prefix"]
    assert not prefix.startswith(trigger_prefix) and not trigger_prefix.startswith(prefix)
