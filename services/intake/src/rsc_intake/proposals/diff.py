"""Differences between two submitted versions, as a list of JSON-pointer changes.

Lists of partners and researchers are matched by their ids, so inserting a partner shows as one
added partner, not as every later partner changed.
"""

from __future__ import annotations

from typing import Any

ID_KEYS = ("partner_id", "researcher_id")


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    for id_key in ID_KEYS:
        if items and all(isinstance(i, dict) and id_key in i for i in items):
            return {str(i[id_key]): i for i in items}
    return None


def diff(before: Any, after: Any, pointer: str = "") -> list[dict[str, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[dict[str, Any]] = []
        for key in sorted(set(before) | set(after)):
            path = f"{pointer}/{_escape(key)}"
            if key not in before:
                changes.append({"pointer": path, "op": "added", "after": after[key]})
            elif key not in after:
                changes.append({"pointer": path, "op": "removed", "before": before[key]})
            else:
                changes.extend(diff(before[key], after[key], path))
        return changes
    if isinstance(before, list) and isinstance(after, list):
        kb, ka = _keyed(before), _keyed(after)
        if kb is not None and ka is not None:
            return diff(kb, ka, pointer)
        changes = []
        for i in range(max(len(before), len(after))):
            path = f"{pointer}/{i}"
            if i >= len(before):
                changes.append({"pointer": path, "op": "added", "after": after[i]})
            elif i >= len(after):
                changes.append({"pointer": path, "op": "removed", "before": before[i]})
            else:
                changes.extend(diff(before[i], after[i], path))
        return changes
    if before != after:
        return [{"pointer": pointer or "/", "op": "changed", "before": before, "after": after}]
    return []
