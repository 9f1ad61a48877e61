"""The RAM policy language as the local cloud evaluates it: a pure function of the document and the request.

Rules from RAM's "Policy structure and syntax", "Policy elements" and "Policy evaluation logic": default deny, an
explicit Deny wins, ``*``/``?`` wildcards, actions case-insensitive; what the local cloud cannot evaluate (a
Condition) is refused, never ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localcloud.auth.ram import Decision, Grant, PolicyError, load_policy, parse_policy, substitute, wildcard_match

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "1234567890123456"
OBJECT = f"acs:oss:cn-shanghai:{ACCOUNT}:vod-cancel-manifests/cancel-requests/a.txt"


def policy(*statements: dict[str, Any]) -> Any:
    return parse_policy({"Version": "1", "Statement": list(statements)}, "test-policy")


def allow(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("*", "anything:at/all", True),
        ("acs:mns:*:*:/topics/*", f"acs:mns:cn-shanghai:{ACCOUNT}:/topics/t/messages", True),  # spans : and /
        ("bucket/cancel-requests/*", "bucket/cancel-requests/", True),  # * may be empty
        ("bucket/cancel-requests/*", "bucket/cancel-requests", False),
        ("bucket/file-?.txt", "bucket/file-1.txt", True),
        ("bucket/file-?.txt", "bucket/file-12.txt", False),  # ? is exactly one character
        ("bucket/a.txt", "bucket/aXtxt", False),  # a dot is a dot, not a regex
        ("bucket/[ab]+.txt", "bucket/[ab]+.txt", True),
        ("bucket/a*", "bucket/a\nb", True),
    ],
)
def test_wildcards(pattern: str, value: str, matches: bool) -> None:
    assert wildcard_match(pattern, value) is matches


def test_default_deny_when_no_statement_matches() -> None:
    evaluation = policy(allow("oss:GetObject", "acs:oss:*:*:other/*")).evaluate("oss:GetObject", OBJECT)
    assert (evaluation.decision, evaluation.grants) == (Decision.IMPLICIT_DENY, ())
    assert evaluation.reason() == f"oss:GetObject on {OBJECT} is not allowed by any statement of test-policy"


def test_an_allow_names_the_grant_that_allowed() -> None:
    evaluation = policy(allow(["vod:*"]), allow("oss:Get*", "acs:oss:*:*:vod-cancel-manifests/*")).evaluate(
        "oss:GetObject", OBJECT
    )
    assert evaluation.allowed
    assert evaluation.grants == (Grant(2, "oss:Get*", "acs:oss:*:*:vod-cancel-manifests/*"),)


@pytest.mark.parametrize("order", ["deny-first", "allow-first"])
def test_an_explicit_deny_wins_over_any_allow(order: str) -> None:
    statements = [allow("oss:*"), deny("oss:GetObject", "acs:oss:*:*:vod-cancel-manifests/cancel-requests/*")]
    evaluation = policy(*(statements[::-1] if order == "deny-first" else statements)).evaluate("oss:GetObject", OBJECT)
    assert evaluation.decision is Decision.EXPLICIT_DENY
    assert "is explicitly denied by statement" in evaluation.reason()


def test_actions_match_case_insensitively_and_resources_case_sensitively() -> None:
    subject = policy(allow("OSS:getobject", "acs:oss:*:*:vod-cancel-manifests/cancel-requests/*"))
    assert subject.evaluate("oss:GetObject", OBJECT).allowed
    assert not subject.evaluate("oss:GetObject", OBJECT.replace("cancel-requests", "Cancel-Requests")).allowed


def test_an_action_matches_only_its_own_service() -> None:
    subject = policy(allow("mns:PublishMessage"))
    assert not subject.evaluate("mns:PublishMessages", "*").allowed
    assert not subject.evaluate("xmns:PublishMessage", "*").allowed


def test_not_action_and_not_resource_subtract_from_everything() -> None:
    subject = policy(
        {"Effect": "Allow", "NotAction": ["oss:Put*", "oss:Delete*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "oss:*", "NotResource": "acs:oss:*:*:vod-cancel-manifests/*"},
    )
    assert subject.evaluate("oss:GetObject", OBJECT).allowed
    assert subject.evaluate("oss:PutObject", OBJECT).decision is Decision.IMPLICIT_DENY
    assert subject.evaluate("oss:GetObject", "acs:oss:*:*:elsewhere/x").decision is Decision.EXPLICIT_DENY
    assert [str(g) for g in subject.grants()] == ["statement 1: NotAction oss:Put*,oss:Delete* on *"]


def test_grants_pair_every_action_with_every_resource_of_allow_statements() -> None:
    subject = policy(allow(["a:X", "a:Y"], ["r1", "r2"]), deny("a:Z"))
    pairs = [("a:X", "r1"), ("a:X", "r2"), ("a:Y", "r1"), ("a:Y", "r2")]
    assert subject.grants() == [Grant(1, action, resource) for action, resource in pairs]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({**allow("oss:GetObject"), "Condition": {"Bool": {"acs:SecureTransport": "true"}}}, "Condition is not"),
        ({**allow("oss:GetObject"), "Principal": {"RAM": ["*"]}}, "Principal not allowed"),
        ({**allow("oss:GetObject"), "Sid": "read"}, "Sid not allowed"),
        ({"Effect": "allow", "Action": "oss:GetObject", "Resource": "*"}, 'Effect must be "Allow" or "Deny"'),
        ({"Effect": "Allow", "Resource": "*"}, "exactly one of Action or NotAction"),
        ({**allow("oss:GetObject"), "NotAction": "oss:PutObject"}, "exactly one of Action or NotAction"),
        ({"Effect": "Allow", "Action": "oss:GetObject"}, "exactly one of Resource or NotResource"),
        (allow("GetObject"), "is not <ram-code>:<action-name>"),
        (allow([]), "non-empty"),
        (allow("oss:GetObject", ["ok", 3]), "non-empty string or a non-empty list of strings"),
        ("not an object", "must be a JSON object"),
    ],
)
def test_what_cannot_be_evaluated_exactly_is_refused_loudly(statement: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as refused:
        policy(statement)
    assert str(refused.value).startswith("test-policy, statement 1:")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"Version": "2", "Statement": [allow("a:B")]}, 'Version must be "1"'),
        ({"Version": "1", "Statement": []}, "non-empty list"),
        ({"Version": "1", "Statement": allow("a:B")}, "non-empty list"),
        ({"Version": "1", "Statement": [allow("a:B")], "Id": "x"}, "unknown top-level element"),
        ([], "must be a JSON object"),
    ],
)
def test_malformed_documents_are_refused(document: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(document, "doc")


def test_placeholders_are_filled_everywhere_and_an_unknown_one_is_an_error() -> None:
    document = {"Statement": [{"Resource": ["acs:mns:${REGION}:${ACCOUNT_ID}:/topics/t", 1]}]}
    filled = substitute(document, {"REGION": "cn-shanghai", "ACCOUNT_ID": ACCOUNT})
    assert filled == {"Statement": [{"Resource": [f"acs:mns:cn-shanghai:{ACCOUNT}:/topics/t", 1]}]}
    with pytest.raises(PolicyError, match=r"unknown placeholder \$\{ACCOUNTID\} \(known: \$\{ACCOUNT_ID\}\)"):
        substitute("${ACCOUNTID}", {"ACCOUNT_ID": ACCOUNT}, "doc")


def test_a_policy_file_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"Version": "1", ', encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken\.json: cannot read the policy"):
        load_policy(path, {})


def test_the_deployed_policy_loads_with_its_placeholders_filled() -> None:
    """deploy/function-policy.json is valid RAM as the local cloud reads it, one grant per line of the table."""
    path = ROOT / "deploy" / "function-policy.json"
    loaded = load_policy(path, {"ACCOUNT_ID": ACCOUNT, "REGION": "cn-shanghai"}, "deploy/function-policy.json")
    assert "${" not in json.dumps([str(g) for g in loaded.grants()])
    assert loaded.evaluate("oss:GetObject", OBJECT).allowed
    results = f"acs:mns:cn-shanghai:{ACCOUNT}:/topics/vod-cancel-results/messages"
    assert loaded.evaluate("mns:PublishMessage", results).allowed
    assert not loaded.evaluate("oss:PutObject", OBJECT).allowed
