"""Storing and activating reference-data versions (policies, country profiles, entity lists).

Parsing and validation belong to the domain packages (`policy`, `countries`,
`watchlists.importers`); this module only stores what they accepted — all or nothing, in one
transaction — records who did it, and publishes `appraisal.reference_changed` through the outbox.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from rsc_appraisal.engine.contracts import ListVersionData
from rsc_appraisal.references.models import (
    DatasetKind,
    DatasetStatus,
    ListEntryRow,
    ReferenceChange,
    ReferenceDataset,
)
from rsc_common.db.types import utcnow
from rsc_common.events.outbox import add_event
from rsc_common.events.types import ReferenceDataChanged
from rsc_common.http.problem import ProblemError

SOURCE = "rsc-appraisal"
DEFAULT_KEY = "default"
ENTRY_BATCH = 5_000


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record(session: Session, dataset: ReferenceDataset, action: str, actor: str, **details: Any) -> None:
    at = utcnow()
    session.add(ReferenceChange(dataset_id=dataset.id, action=action, actor=actor, at=at, details=details))
    add_event(
        session,
        ReferenceDataChanged(
            dataset_id=dataset.id,
            kind=dataset.kind,
            key=dataset.key,
            version_label=dataset.version_label,
            action=action,
            actor=actor,
            at=at,
            sha256=dataset.sha256,
        ),
        subject=f"{dataset.kind}:{dataset.key}",
        source=SOURCE,
    )


def _refuse_duplicate(session: Session, kind: DatasetKind, key: str, version_label: str) -> None:
    exists = session.exec(
        select(ReferenceDataset.id).where(
            ReferenceDataset.kind == kind, ReferenceDataset.key == key, ReferenceDataset.version_label == version_label
        )
    ).first()
    if exists:
        raise ProblemError(
            409,
            "version-exists",
            f"{kind} {key!r} version {version_label!r} was already loaded: versions are never edited in place,"
            " load it under a new version label",
        )


def add_dataset(session: Session, dataset: ReferenceDataset, actor: str, **details: Any) -> ReferenceDataset:
    _refuse_duplicate(session, dataset.kind, dataset.key, dataset.version_label)
    session.add(dataset)
    session.flush()
    _record(session, dataset, "imported", actor, **details)
    return dataset


def add_entity_list(
    session: Session, data: ListVersionData, raw_sha256: str, actor: str, *, file_format: str
) -> ReferenceDataset:
    dataset = ReferenceDataset(
        kind=DatasetKind.entity_list,
        key=data.list_key,
        version_label=data.version_label,
        title=data.title,
        source=data.source,
        retrieved_at=data.retrieved_at,
        sha256=raw_sha256,
        summary={
            "entries": len(data.entries),
            "listed": sum(1 for e in data.entries if e.listed),
            "relations": len(data.relations),
            "format": file_format,
            "list_kind": data.kind,
        },
        document={"kind": data.kind, "relations": [r.model_dump(mode="json") for r in data.relations]},
        imported_by=actor,
    )
    add_dataset(session, dataset, actor, format=file_format, entries=len(data.entries))
    rows = (
        {"dataset_id": dataset.id, "entry_id": e.entry_id, "document": e.model_dump(mode="json")} for e in data.entries
    )
    for batch in _batched(rows, ENTRY_BATCH):
        session.execute(insert(ListEntryRow), batch)
    return dataset


def _batched(rows: Iterable[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def get_dataset(session: Session, dataset_id: uuid.UUID) -> ReferenceDataset:
    dataset = session.get(ReferenceDataset, dataset_id)
    if dataset is None:
        raise ProblemError(404, "not-found", f"no reference dataset {dataset_id}")
    return dataset


def find_version(session: Session, kind: DatasetKind, key: str, version_label: str) -> ReferenceDataset:
    dataset = session.exec(
        select(ReferenceDataset).where(
            ReferenceDataset.kind == kind, ReferenceDataset.key == key, ReferenceDataset.version_label == version_label
        )
    ).first()
    if dataset is None:
        raise ProblemError(404, "not-found", f"no {kind} {key!r} version {version_label!r}")
    return dataset


def activate(session: Session, dataset: ReferenceDataset, actor: str) -> ReferenceDataset:
    """Make `dataset` the active version of its (kind, key); the previous active one is superseded.
    Row-locks the dataset rows of that key so two admins activating at once serialise."""
    rows = session.exec(
        select(ReferenceDataset)
        .where(ReferenceDataset.kind == dataset.kind, ReferenceDataset.key == dataset.key)
        .with_for_update()
    ).all()
    if dataset.status == DatasetStatus.active:
        return dataset
    for previous in rows:
        if previous.status == DatasetStatus.active:
            session.execute(
                update(ReferenceDataset)
                .where(col(ReferenceDataset.id) == previous.id)
                .values(status=DatasetStatus.superseded)
            )
            _record(session, previous, "superseded", actor, by=str(dataset.id))
    session.flush()
    dataset.status = DatasetStatus.active
    dataset.activated_by = actor
    dataset.activated_at = utcnow()
    session.add(dataset)
    session.flush()
    _record(session, dataset, "activated", actor)
    return dataset


def active_datasets(session: Session) -> list[ReferenceDataset]:
    return list(
        session.exec(
            select(ReferenceDataset)
            .where(ReferenceDataset.status == DatasetStatus.active)
            .order_by(col(ReferenceDataset.kind), col(ReferenceDataset.key))
        )
    )


def active_fingerprint(session: Session) -> tuple[str, ...]:
    """Cheap identity of the active reference data, to know when a cached engine must be rebuilt."""
    ids = session.exec(
        select(ReferenceDataset.id)
        .where(ReferenceDataset.status == DatasetStatus.active)
        .order_by(col(ReferenceDataset.id))
    ).all()
    return tuple(str(i) for i in ids)


def list_entries(session: Session, dataset_id: uuid.UUID) -> Iterable[dict[str, Any]]:
    result = session.execute(
        select(ListEntryRow.document).where(ListEntryRow.dataset_id == dataset_id).execution_options(yield_per=10_000)
    )
    for (document,) in result:
        yield document


def list_datasets(session: Session, kind: DatasetKind | None = None) -> list[ReferenceDataset]:
    query = select(ReferenceDataset).order_by(
        col(ReferenceDataset.kind), col(ReferenceDataset.key), col(ReferenceDataset.imported_at)
    )
    if kind is not None:
        query = query.where(ReferenceDataset.kind == kind)
    return list(session.exec(query))
