"""RAM identity policies: the documented language, parsed strictly and evaluated as RAM does.

What is evaluated (RAM "Policy structure and syntax", "Policy elements", "Policy evaluation logic"):

- ``Version`` ``"1"`` and a list of ``Statement`` objects, each with ``Effect`` (``Allow``/``Deny``), one of
  ``Action``/``NotAction`` and one of ``Resource``/``NotResource``, each a string or a list of strings;
- ``*`` matches any run of characters (``:`` and ``/`` included), ``?`` exactly one;
- actions (``<ram-code>:<action-name>``) match case-insensitively, as RAM documents; resources match
  case-sensitively (RAM does not say; OSS keys and MNS names are case-sensitive, so a case-blind match would grant
  more than the policy names);
- default deny, and an explicit ``Deny`` wins over any ``Allow``.

What is refused rather than ignored: a ``Condition`` (a statement would otherwise grant more than written),
``Principal`` (resource policies are not identity policies), any other element, and a ``${NAME}`` placeholder left
unsubstituted. Nothing here knows HTTP or the services: it is a pure function of the document and the request.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_STATEMENT_KEYS = frozenset({"Effect", "Action", "NotAction", "Resource", "NotResource"})


class PolicyError(ValueError):
    """A policy document the local cloud cannot evaluate exactly as RAM would."""


class Decision(enum.Enum):
    ALLOW = "Allow"
    IMPLICIT_DENY = "ImplicitDeny"
    """No statement allows the request (RAM's default deny)."""
    EXPLICIT_DENY = "ExplicitDeny"
    """A ``Deny`` statement matches: it wins over every ``Allow``."""


@functools.lru_cache(maxsize=1024)
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """RAM's wildcard match of a whole string: ``*`` is any run of characters, ``?`` exactly one."""
    return _pattern(pattern, ignore_case).fullmatch(value) is not None


@dataclass(frozen=True)
class Grant:
    """One action pattern paired with one resource pattern of an ``Allow`` statement (``index`` from 1)."""

    statement: int
    action: str
    resource: str

    def __str__(self) -> str:
        return f"statement {self.statement}: {self.action} on {self.resource}"


@dataclass(frozen=True)
class Statement:
    index: int
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_action: bool = False
    not_resource: bool = False

    @property
    def action_labels(self) -> tuple[str, ...]:
        """How the statement's actions are named in a :class:`Grant` (a NotAction list is one label)."""
        return ("NotAction " + ",".join(self.actions),) if self.not_action else self.actions

    @property
    def resource_labels(self) -> tuple[str, ...]:
        return ("NotResource " + ",".join(self.resources),) if self.not_resource else self.resources

    def _actions_match(self, action: str) -> tuple[str, ...]:
        hit = tuple(a for a in self.actions if wildcard_match(a, action, ignore_case=True))
        if self.not_action:
            return () if hit else self.action_labels
        return hit

    def _resources_match(self, resource: str) -> tuple[str, ...]:
        hit = tuple(r for r in self.resources if wildcard_match(r, resource))
        if self.not_resource:
            return () if hit else self.resource_labels
        return hit

    def matches(self, action: str, resource: str) -> list[Grant]:
        """The (action pattern, resource pattern) pairs that cover the request; empty when none does."""
        actions = self._actions_match(action)
        resources = self._resources_match(resource) if actions else ()
        return [Grant(self.index, a, r) for a in actions for r in resources]

    def grants(self) -> Iterator[Grant]:
        for action in self.action_labels:
            for resource in self.resource_labels:
                yield Grant(self.index, action, resource)


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one request against one policy, and why."""

    decision: Decision
    action: str
    resource: str
    policy: str
    grants: tuple[Grant, ...] = ()
    """The allowing pairs (ALLOW) or the denying ones (EXPLICIT_DENY)."""

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    def reason(self) -> str:
        """One readable line for error messages and logs: what was asked, and which policy said no."""
        asked = f"{self.action} on {self.resource}"
        if self.decision is Decision.EXPLICIT_DENY:
            return f"{asked} is explicitly denied by {self.grants[0]} of {self.policy}"
        if self.decision is Decision.IMPLICIT_DENY:
            return f"{asked} is not allowed by any statement of {self.policy}"
        return f"{asked} is allowed by {self.grants[0]} of {self.policy}"


@dataclass(frozen=True)
class Policy:
    """A parsed identity policy; ``name`` says where it came from (for messages)."""

    name: str
    statements: tuple[Statement, ...]

    def evaluate(self, action: str, resource: str) -> Evaluation:
        """RAM's decision for ``action`` (``service:Action``) on ``resource`` (an ACS ARN)."""
        denied = [g for s in self.statements if s.effect == "Deny" for g in s.matches(action, resource)]
        if denied:
            return Evaluation(Decision.EXPLICIT_DENY, action, resource, self.name, tuple(denied))
        allowed = [g for s in self.statements if s.effect == "Allow" for g in s.matches(action, resource)]
        if allowed:
            return Evaluation(Decision.ALLOW, action, resource, self.name, tuple(allowed))
        return Evaluation(Decision.IMPLICIT_DENY, action, resource, self.name)

    def grants(self) -> list[Grant]:
        """Every (action, resource) pair the ``Allow`` statements name: what a least-privilege check accounts for."""
        return [g for s in self.statements if s.effect == "Allow" for g in s.grants()]


# -- parsing -----------------------------------------------------------------------------------------------------
def _strings(statement: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = statement[key]
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise PolicyError(f"{where}: {key} must be a non-empty string or a non-empty list of strings")
    return tuple(values)


def _one_of(statement: Mapping[str, Any], names: tuple[str, str], where: str) -> tuple[str, bool]:
    present = [name for name in names if name in statement]
    if len(present) != 1:
        raise PolicyError(f"{where}: exactly one of {names[0]} or {names[1]} is required")
    return present[0], present[0] == names[1]


def _statement(raw: Any, index: int, name: str) -> Statement:
    where = f"{name}, statement {index}"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: a statement must be a JSON object")
    if "Condition" in raw:
        raise PolicyError(
            f"{where}: Condition is not evaluated by the local cloud; it would grant more than written "
            "(remove it, or express the limit in Resource)"
        )
    unknown = sorted(set(raw) - _STATEMENT_KEYS)
    if unknown:
        raise PolicyError(f"{where}: {', '.join(unknown)} not allowed in a RAM identity policy statement")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f'{where}: Effect must be "Allow" or "Deny", not {effect!r}')
    action_key, not_action = _one_of(raw, ("Action", "NotAction"), where)
    resource_key, not_resource = _one_of(raw, ("Resource", "NotResource"), where)
    actions = _strings(raw, action_key, where)
    for action in actions:
        if action != "*" and ":" not in action:
            raise PolicyError(f"{where}: action {action!r} is not <ram-code>:<action-name>")
    return Statement(index, effect, actions, _strings(raw, resource_key, where), not_action, not_resource)


def parse_policy(document: Any, name: str = "policy") -> Policy:
    """Check a policy document (already JSON-decoded) against RAM's grammar; raise :class:`PolicyError`."""
    if not isinstance(document, dict):
        raise PolicyError(f"{name}: a policy must be a JSON object")
    unknown = sorted(set(document) - {"Version", "Statement"})
    if unknown:
        raise PolicyError(f"{name}: unknown top-level element(s) {', '.join(unknown)}")
    if document.get("Version") != "1":
        raise PolicyError(f'{name}: Version must be "1", not {document.get("Version")!r}')
    statements = document.get("Statement")
    if not isinstance(statements, list) or not statements:
        raise PolicyError(f"{name}: Statement must be a non-empty list")
    return Policy(name, tuple(_statement(raw, i, name) for i, raw in enumerate(statements, start=1)))


def substitute(document: Any, values: Mapping[str, str], name: str = "policy") -> Any:
    """Replace ``${NAME}`` in every string of a decoded document; a name not in ``values`` is an error."""
    if isinstance(document, dict):
        return {key: substitute(value, values, name) for key, value in document.items()}
    if isinstance(document, list):
        return [substitute(value, values, name) for value in document]
    if not isinstance(document, str):
        return document

    def replace(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            known = ", ".join(f"${{{key}}}" for key in sorted(values))
            raise PolicyError(f"{name}: unknown placeholder {match.group(0)} (known: {known})")
        return values[match.group(1)]

    return _PLACEHOLDER.sub(replace, document)


def load_policy(path: Path, values: Mapping[str, str], name: str | None = None) -> Policy:
    """Read a policy file, fill in its ``${...}`` placeholders from ``values`` and parse it."""
    label = name or str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PolicyError(f"{label}: cannot read the policy: {exc}") from None
    return parse_policy(substitute(document, values, label), label)
