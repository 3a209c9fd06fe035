"""The engine's working set in one process: active policy, country profiles, classifier and the
entity-matching index, rebuilt when the active reference data changes.

Services stay stateless: every replica builds the same context from the database (identical
inputs ⇒ identical index), and checks one cheap query (the ids of the active datasets) before
each screening to notice a newly activated version.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlmodel import Session

from rsc_appraisal.classification import Classifier
from rsc_appraisal.engine.contracts import CountryProfileSet, ListEntry, ListVersionData, Relation
from rsc_appraisal.matching import EntityIndex
from rsc_appraisal.policy import Policy
from rsc_appraisal.references import service as references
from rsc_appraisal.references.models import DatasetKind, ReferenceDataset
from rsc_common.events.consumer import TransientError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineContext:
    fingerprint: tuple[str, ...]
    policy: Policy
    policy_dataset: ReferenceDataset
    countries: CountryProfileSet
    classifier: Classifier
    index: EntityIndex
    list_versions: dict[str, str]


class NoActivePolicy(TransientError):
    """No policy is active yet (the seed activates the default one): retried, never a wrong result."""


def _list_version(session: Session, dataset: ReferenceDataset) -> ListVersionData:
    entries = tuple(ListEntry.model_validate(doc) for doc in references.list_entries(session, dataset.id))
    return ListVersionData(
        list_key=dataset.key,
        title=dataset.title,
        kind=dataset.document.get("kind", dataset.summary.get("list_kind", "other")),
        version_label=dataset.version_label,
        source=dataset.source,
        retrieved_at=dataset.retrieved_at or dataset.imported_at,
        entries=entries,
        relations=tuple(Relation.model_validate(r) for r in dataset.document.get("relations", [])),
    )


def build_context(session: Session, fingerprint: tuple[str, ...] | None = None) -> EngineContext:
    started = time.monotonic()
    active = references.active_datasets(session)
    policies = [d for d in active if d.kind == DatasetKind.policy]
    if not policies:
        raise NoActivePolicy("no active screening policy: load and activate one (the seed activates the default)")
    countries = [d for d in active if d.kind == DatasetKind.country_profiles]
    if not countries:
        raise NoActivePolicy("no active country-profile set: import and activate one")
    lists = [_list_version(session, d) for d in active if d.kind == DatasetKind.entity_list]
    context = EngineContext(
        fingerprint=fingerprint or references.active_fingerprint(session),
        policy=Policy.model_validate(policies[0].document),
        policy_dataset=policies[0],
        countries=CountryProfileSet.model_validate(countries[0].document),
        classifier=Classifier(),
        index=EntityIndex.build(lists),
        list_versions={f"list:{v.list_key}": v.version_label for v in lists},
    )
    log.info(
        "screening context built",
        extra={
            "lists": len(lists),
            "entries": sum(len(v.entries) for v in lists),
            "seconds": time.monotonic() - started,
        },
    )
    return context


class ContextCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context: EngineContext | None = None

    def get(self, session: Session) -> EngineContext:
        fingerprint = references.active_fingerprint(session)
        context = self._context
        if context is not None and context.fingerprint == fingerprint:
            return context
        with self._lock:
            if self._context is None or self._context.fingerprint != fingerprint:
                self._context = build_context(session, fingerprint)
            return self._context

    def clear(self) -> None:
        self._context = None


CONTEXT = ContextCache()
