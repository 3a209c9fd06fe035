"""Loading policy (and safeguard-catalogue) documents from YAML or JSON, with clear errors.

Every problem is reported with its location in the document (e.g. `rules[12].when.all[0].field`) and,
for YAML, its line, so that a policy author can fix the file without reading a stack trace. Duplicate
keys are an error (YAML would otherwise keep the last one silently).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from rsc_appraisal.policy.checks import PolicyIssue, consistency_issues, reference_issues
from rsc_appraisal.policy.schema import Policy

if TYPE_CHECKING:
    from rsc_appraisal.countries.indicators import IndicatorSet
    from rsc_appraisal.policy.safeguards import SafeguardCatalogue

DEFAULT_POLICY_PATH = Path(__file__).parent / "data" / "default-policy.yaml"

Format = Literal["yaml", "json"]
M = TypeVar("M", bound=BaseModel)


class PolicyError(ValueError):
    """A policy (or catalogue) document is invalid; `issues` has every problem with its location."""

    def __init__(self, name: str, issues: list[PolicyIssue]) -> None:
        self.name = name
        self.issues = issues
        listed = "\n".join(f"  - {issue}" for issue in issues[:50])
        more = f"\n  ... and {len(issues) - 50} more" if len(issues) > 50 else ""
        super().__init__(f"{name}: {len(issues)} problem(s)\n{listed}{more}")


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _mapping_without_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _line_of(root: yaml.Node | None, location: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the deepest node on `location` (segments not in the document are skipped:
    pydantic adds union tags such as the rule type to its locations)."""
    node, line = root, None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in location:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part) or (part == "not_" and key_node.value == "not"):
                    node, line = value_node, key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line


def _clean_location(data: Any, location: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Drop segments that are not in the document (pydantic's union tags), keep the rest."""
    out: list[str | int] = []
    node = data
    for index, part in enumerate(location):
        following = location[index + 1] if index + 1 < len(location) else None
        if isinstance(node, dict) and part in node and following in node and not _contains(node[part], following):
            continue  # a union tag that happens to equal a key (e.g. the 'field' of a condition)
        if isinstance(node, dict) and part in node:
            node = node[part]
            out.append(part)
        elif isinstance(node, dict) and part == "not_" and "not" in node:
            node = node["not"]
            out.append("not")
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            out.append(part)
        elif index == len(location) - 1 and isinstance(node, dict):
            out.append(part)  # a missing key ("Field required")
    return tuple(out)


def _contains(node: Any, part: str | int | None) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _parse(text: str, fmt: Format, name: str) -> tuple[Any, yaml.Node | None]:
    try:
        # _UniqueKeyLoader is a SafeLoader subclass: no arbitrary objects
        data = json.loads(text) if fmt == "json" else yaml.load(text, Loader=_UniqueKeyLoader)
    except json.JSONDecodeError as exc:
        raise PolicyError(name, [PolicyIssue((), f"not valid JSON: {exc.msg}", exc.lineno)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(
            name, [PolicyIssue((), f"not valid YAML: {problem}", mark.line + 1 if mark else None)]
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)  # JSON is YAML too: used only for line numbers
    except yaml.YAMLError:
        root = None
    if not isinstance(data, dict):
        raise PolicyError(name, [PolicyIssue((), "the document must be a mapping (key: value pairs) at the top")])
    return data, root


def _issues_from(exc: ValidationError, data: Any, root: yaml.Node | None) -> list[PolicyIssue]:
    issues = []
    for error in exc.errors(include_url=False):
        location = _clean_location(data, tuple(error["loc"]))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown key {location[-1]!r}" if location else message
        issues.append(PolicyIssue(location, message, _line_of(root, location)))
    return issues


def _format_of(name: str, fmt: Format | None) -> Format:
    if fmt is not None:
        return fmt
    return "json" if name.lower().endswith(".json") else "yaml"


def parse_document(text: str, model: type[M], *, name: str = "document", fmt: Format | None = None) -> M:
    """Parse and validate any of the policy package's documents (e.g. the safeguard catalogue)."""
    data, root = _parse(text, _format_of(name, fmt), name)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(name, _issues_from(exc, data, root)) from None


def load_document(path: Path, model: type[M]) -> M:
    return parse_document(path.read_text(encoding="utf-8"), model, name=path.name)


def parse_policy(
    text: str,
    *,
    name: str = "policy",
    fmt: Format | None = None,
    indicators: IndicatorSet | None = None,
    catalogue: SafeguardCatalogue | None = None,
) -> Policy:
    """Parse and check a policy document. With `indicators` (an IndicatorSet) and/or `catalogue` (a
    SafeguardCatalogue), the rules are also checked against them. Raises `PolicyError`."""
    data, root = _parse(text, _format_of(name, fmt), name)
    try:
        policy = Policy.model_validate(data, context={"defer_consistency": True})
    except ValidationError as exc:
        raise PolicyError(name, _issues_from(exc, data, root)) from None
    issues = consistency_issues(policy) + reference_issues(policy, indicators=indicators, catalogue=catalogue)
    if issues:
        located = []
        for issue in issues:
            location = _clean_location(data, issue.location)
            located.append(PolicyIssue(location, issue.message, _line_of(root, location)))
        raise PolicyError(name, located)
    return policy


def load_policy(
    path: Path, *, indicators: IndicatorSet | None = None, catalogue: SafeguardCatalogue | None = None
) -> Policy:
    return parse_policy(path.read_text(encoding="utf-8"), name=path.name, indicators=indicators, catalogue=catalogue)


@cache
def default_policy() -> Policy:
    """The shipped example policy, checked against the shipped indicator set and safeguard catalogue."""
    from rsc_appraisal.countries.indicators import default_indicator_set
    from rsc_appraisal.policy.safeguards import default_safeguard_catalogue

    return load_policy(DEFAULT_POLICY_PATH, indicators=default_indicator_set(), catalogue=default_safeguard_catalogue())


def policy_document(policy: Policy) -> dict[str, Any]:
    """The policy as a JSON-ready document that `Policy.model_validate` / `parse_policy` read back."""
    return policy.model_dump(mode="json", by_alias=True, exclude_defaults=False)
