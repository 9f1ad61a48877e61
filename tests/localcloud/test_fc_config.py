"""s.yaml is read the way Serverless Devs resolves it: vars, config("AccountID"), env('X') / env.X."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.fc.config import (
    FunctionConfig,
    HttpTrigger,
    MnsTopicTrigger,
    OssTrigger,
    ProjectConfigError,
    load_function_config,
    parse_destination,
)

REPO = Path(__file__).resolve().parents[2]

S_YAML = """\
edition: 3.0.0
name: demo
vars:
  region: cn-hangzhou
  fn: ${vars.base}-fn
  base: demo
  timeout: 7
resources:
  f:
    component: fc3
    props:
      region: ${vars.region}
      functionName: ${vars.fn}
      runtime: python3.10
      handler: app.main
      timeout: ${vars.timeout}
      environmentVariables:
        ACCOUNT: ${config("AccountID")}
        FROM_ENV: ${env('LOCALCLOUD_TEST_VAR')}
        DOTTED: x-${env.LOCALCLOUD_TEST_VAR}
        DEFAULTED: ${env('LOCALCLOUD_UNSET_VAR', 'fallback')}
        FLAG: true
"""


def load(tmp_path: Path, text: str, **env: str) -> FunctionConfig:
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    return load_function_config(tmp_path, region="cn-shanghai", config_values={"AccountID": "42"}, env=env)


def test_variables_config_and_env_are_substituted(tmp_path: Path) -> None:
    config = load(tmp_path, S_YAML, LOCALCLOUD_TEST_VAR="v")
    assert (config.function_name, config.region, config.timeout_s, config.handler) == (
        "demo-fn", "cn-hangzhou", 7.0, "app.main",
    )  # fmt: skip
    assert config.environment == {
        "ACCOUNT": "42", "FROM_ENV": "v", "DOTTED": "x-v", "DEFAULTED": "fallback", "FLAG": "true",
    }  # fmt: skip
    assert config.code_dir == tmp_path.resolve()


def test_a_missing_environment_variable_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectConfigError, match="LOCALCLOUD_TEST_VAR"):
        load(tmp_path, S_YAML)


def test_non_python_runtimes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProjectConfigError, match="python"):
        load(tmp_path, S_YAML.replace("python3.10", "nodejs18"), LOCALCLOUD_TEST_VAR="v")


def test_the_project_s_yaml_is_understood() -> None:
    config = load_function_config(REPO, region="cn-shanghai", config_values={"AccountID": "1"})
    kinds = {type(t) for t in config.triggers}
    assert kinds == {OssTrigger, MnsTopicTrigger, HttpTrigger}
    assert config.async_config.on_failure is not None and config.async_config.on_failure.kind == "mns_topic"


@pytest.mark.parametrize(
    ("arn", "kind", "name"),
    [
        ("acs:mns:cn-shanghai::/topics/t1/messages", "mns_topic", "t1"),
        ("acs:mns:::/queues/q1/messages", "mns_queue", "q1"),
        ("acs:fc:cn-shanghai:123:functions/f1", "fc_function", "f1"),
        ("acs:fc:cn-shanghai:123:services/s.LATEST/functions/f2", "fc_function", "f2"),
        ("acs:eventbridge:cn-shanghai:123:eventbus/default", "unsupported", ""),
    ],
)
def test_destination_arns(arn: str, kind: str, name: str) -> None:
    destination = parse_destination(arn)
    assert (destination.kind, destination.name) == (kind, name)
