"""The engine's working set in one process: active policy, country profiles, classifier and the
entity-matching index, rebuilt when the active reference data changes.

Services stay stateless: every replica builds the same context from the database (identical
inputs ⇒ identical index), and checks one cheap query (the ids of the active datasets) before
each screening to notice a newly activated version.

The index matches down to the policy's threshold (`matcher_settings`): the lowest score a rule of the
policy acts on (`Policy.lowest_match_score`), where that is below the matcher's own cut-off
(`MatcherSettings.threshold`, 0.82, chosen on the labelled benchmark data). The default policy's
`match_threshold` is that same 0.82, the matcher's calibrated operating point, so it screens exactly as before
the index honoured the policy; a policy version with a lower threshold gets the candidates down to it. A policy
cannot raise the cut-off: a candidate at or above 0.82 is always returned and recorded with the screening (for the
officer to see) even when that policy's rules do not flag it. The index structures depend on the entity
lists only, so a context for another policy (`EngineContext.for_policy`, e.g. a draft being previewed) or a
newly activated policy shares them (`EntityIndex.with_settings`): nothing is rebuilt or copied.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace

from sqlmodel import Session

from rsc_appraisal.classification import Classifier
from rsc_appraisal.engine.contracts import CountryProfileSet, ListEntry, ListVersionData, Relation
from rsc_appraisal.matching import EntityIndex, MatcherSettings
from rsc_appraisal.policy import Policy
from rsc_appraisal.references import service as references
from rsc_appraisal.references.models import DatasetKind, ReferenceDataset
from rsc_common.events.consumer import TransientError

log = logging.getLogger(__name__)


# A policy threshold of 0 would mean "every candidate"; the matcher needs a positive cut-off.
MIN_MATCH_THRESHOLD = 0.01


def matcher_settings(policy: Policy, base: MatcherSettings | None = None) -> MatcherSettings:
    """The settings to match with when screening under `policy`: `base` (default `MatcherSettings()`) with its
    threshold lowered to the lowest score the policy's rules act on, so that a "possible match" at the policy's
    `match_threshold` (or a rule's lower `min_score`) gets its candidates; never raised above `base`."""
    base = base or MatcherSettings()
    threshold = max(min(base.threshold, policy.lowest_match_score()), MIN_MATCH_THRESHOLD)
    return base if threshold == base.threshold else replace(base, threshold=threshold)


@dataclass(frozen=True)
class EngineContext:
    fingerprint: tuple[str, ...]
    policy: Policy
    # the stored active policy the context was built with; None in a context derived with `for_policy`
    policy_dataset: ReferenceDataset | None
    countries: CountryProfileSet
    classifier: Classifier
    # matches with `matcher_settings(policy, matcher_base)`
    index: EntityIndex
    list_versions: dict[str, str]
    matcher_base: MatcherSettings = field(default_factory=MatcherSettings)
    # the ids of the entity-list datasets the index was built from (the index depends on nothing else)
    list_fingerprint: tuple[str, ...] = ()

    def for_policy(self, policy: Policy) -> EngineContext:
        """This context screening under another (e.g. draft) policy: the same index, nothing rebuilt or copied,
        matching down to that policy's thresholds."""
        if policy == self.policy:
            return self
        settings = matcher_settings(policy, self.matcher_base)
        index = self.index if settings == self.index.settings else self.index.with_settings(settings)
        return replace(self, policy=policy, policy_dataset=None, index=index)


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


def build_context(
    session: Session,
    fingerprint: tuple[str, ...] | None = None,
    *,
    previous: EngineContext | None = None,
    matcher_base: MatcherSettings | None = None,
) -> EngineContext:
    """The context of the active reference data. The index of `previous` is reused (with the new policy's
    thresholds) when it was built from the same entity-list versions: activating a policy rebuilds no index."""
    started = time.monotonic()
    active = references.active_datasets(session)
    policies = [d for d in active if d.kind == DatasetKind.policy]
    if not policies:
        raise NoActivePolicy("no active screening policy: load and activate one (the seed activates the default)")
    countries = [d for d in active if d.kind == DatasetKind.country_profiles]
    if not countries:
        raise NoActivePolicy("no active country-profile set: import and activate one")
    policy = Policy.model_validate(policies[0].document)
    base = matcher_base or MatcherSettings()
    settings = matcher_settings(policy, base)
    list_datasets = [d for d in active if d.kind == DatasetKind.entity_list]
    list_fingerprint = tuple(sorted(str(d.id) for d in list_datasets))
    if previous is not None and previous.list_fingerprint == list_fingerprint and previous.matcher_base == base:
        index = previous.index if previous.index.settings == settings else previous.index.with_settings(settings)
        list_versions = previous.list_versions
        entries = None
    else:
        lists = [_list_version(session, d) for d in list_datasets]
        index = EntityIndex.build(lists, settings)
        list_versions = {f"list:{v.list_key}": v.version_label for v in lists}
        entries = sum(len(v.entries) for v in lists)
    context = EngineContext(
        fingerprint=fingerprint or references.active_fingerprint(session),
        policy=policy,
        policy_dataset=policies[0],
        countries=CountryProfileSet.model_validate(countries[0].document),
        classifier=previous.classifier if previous is not None else Classifier(),
        index=index,
        list_versions=list_versions,
        matcher_base=base,
        list_fingerprint=list_fingerprint,
    )
    log.info(
        "screening context built",
        extra={
            "lists": len(list_datasets),
            "entries": entries,  # None: the index of the previous context was kept
            "match_threshold": settings.threshold,
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
                self._context = build_context(session, fingerprint, previous=self._context)
            return self._context

    def clear(self) -> None:
        self._context = None


CONTEXT = ContextCache()
