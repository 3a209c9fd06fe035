"""Ownership and control chains (precomputed when the index is built).

Control rule (one edge `controller -> controlled`):

- `ownership`: control when `share_percent` > `control_share_percent` (50 by default: majority ownership), or
  `decisive_influence` is true. A minority share without decisive influence is not control; an ownership with
  no known share is control only when `unknown_share_is_control` is set (default off, so it needs
  `decisive_influence`).
- `subsidiary` (parent -> subsidiary): control, unless `decisive_influence` is explicitly false.
- `directorship`: control only when `decisive_influence` is true (e.g. a sole director or the power to
  appoint the management body); sitting on a board alone is not control.

An entry that is not itself listed (`listed=False`) is reported when it is matched and some listed entry
controls it at any depth; the chain is the shortest one (breadth-first from all listed entries at once, ties
broken by entry id), from the listed controller down to the entry. Persons and other unlisted entries count
as links of a chain. Cycles are harmless: every entry is visited once.
"""

from __future__ import annotations

from collections import deque

from rsc_appraisal.engine.contracts import ListEntry, ListVersionData, OwnershipLink, Relation, RelationKind
from rsc_appraisal.matching.settings import MatcherSettings

__all__ = ["ControlInfo", "control_chains", "is_control"]

ControlInfo = tuple[tuple[OwnershipLink, ...], str]  # (chain from listed controller down, listed controller id)


def is_control(relation: Relation, settings: MatcherSettings | None = None) -> bool:
    settings = settings or MatcherSettings()
    if relation.controller_id == relation.controlled_id:
        return False
    if relation.decisive_influence:
        return True
    if relation.kind == RelationKind.subsidiary:
        return relation.decisive_influence is not False
    if relation.kind == RelationKind.ownership:
        if relation.share_percent is None:
            return settings.unknown_share_is_control
        return relation.share_percent > settings.control_share_percent
    return False  # directorship without decisive influence


def _caption(entry: ListEntry | None, entry_id: str) -> str:
    return entry.names[0] if entry is not None else entry_id


def control_chains(data: ListVersionData, settings: MatcherSettings | None = None) -> dict[str, ControlInfo]:
    """entry_id -> (chain, listed controller id) for every unlisted entry a listed entry controls."""
    settings = settings or MatcherSettings()
    if not data.relations:
        return {}
    entries: dict[str, ListEntry] = {}
    for entry in data.entries:
        entries.setdefault(entry.entry_id, entry)
    edges: dict[str, list[Relation]] = {}
    for relation in data.relations:
        if is_control(relation, settings):
            edges.setdefault(relation.controller_id, []).append(relation)
    if not edges:
        return {}
    for out in edges.values():
        out.sort(key=lambda r: (r.controlled_id, r.kind.value, -(r.share_percent or 0.0)))
    sources = sorted(eid for eid, e in entries.items() if e.listed and eid in edges)
    # parent[x] = (relation into x, origin listed controller); listed entries are their own origin.
    parent: dict[str, Relation | None] = {s: None for s in sources}
    origin: dict[str, str] = {s: s for s in sources}
    queue = deque(sources)
    while queue:
        node = queue.popleft()
        for relation in edges.get(node, ()):
            child = relation.controlled_id
            if child in parent:
                continue
            target = entries.get(child)
            if target is not None and target.listed:
                continue  # a listed entry is a source of its own (reached in its own right)
            parent[child] = relation
            origin[child] = origin[node]
            queue.append(child)
    out: dict[str, ControlInfo] = {}
    for node, relation in parent.items():
        if relation is None:
            continue
        chain: list[OwnershipLink] = []
        current: str = node
        link = relation
        while link is not None:
            chain.append(
                OwnershipLink(
                    controller_id=link.controller_id,
                    controller_name=_caption(entries.get(link.controller_id), link.controller_id),
                    controlled_id=link.controlled_id,
                    controlled_name=_caption(entries.get(link.controlled_id), link.controlled_id),
                    kind=link.kind,
                    share_percent=link.share_percent,
                )
            )
            current = link.controller_id
            link = parent.get(current)
        chain.reverse()
        out[node] = (tuple(chain), origin[node])
    return out
