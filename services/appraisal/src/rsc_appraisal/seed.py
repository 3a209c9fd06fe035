"""`rsc-appraisal seed`: the reference data a fresh installation screens with (idempotent).

- the default screening policy shipped in `policy/data/` (activated if no policy is active),
- the shipped example country-profile set (activated if none is active; it is marked as example
  data, so every screening made with it carries a warning until real profiles are imported),
- the fictitious demo entity lists of `watchlists/data/` (only with `--demo`, the default of
  `make up`; activated if that list has no active version),
- with `--demo` also the demo variant of the default policy ("2026.1-demo": auto-clearance allowed on
  the example country data), activated when no policy or the shipped default is active, so that the
  local demo clears low-risk proposals automatically. Production (`seed_demo_lists=false`) never loads it.
A version that exists already is left alone: versions are never edited in place.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from rsc_appraisal.references import parsers
from rsc_appraisal.references import service as references
from rsc_appraisal.references.models import DatasetKind, DatasetStatus, ReferenceDataset
from rsc_appraisal.settings import AppraisalSettings

SEED_ACTOR = "rsc-appraisal-seed"


def _has_active(session: Session, kind: DatasetKind, key: str) -> bool:
    return (
        session.exec(
            select(ReferenceDataset.id).where(
                ReferenceDataset.kind == kind,
                ReferenceDataset.key == key,
                ReferenceDataset.status == DatasetStatus.active,
            )
        ).first()
        is not None
    )


def _exists(session: Session, kind: DatasetKind, key: str, version_label: str) -> ReferenceDataset | None:
    return session.exec(
        select(ReferenceDataset).where(
            ReferenceDataset.kind == kind, ReferenceDataset.key == key, ReferenceDataset.version_label == version_label
        )
    ).first()


def seed_references(session: Session, *, demo_lists: bool = True, demo_policy: bool = False) -> list[str]:
    done = []
    for dataset in (parsers.default_policy_dataset(SEED_ACTOR), parsers.example_country_dataset(SEED_ACTOR)):
        stored = _exists(session, dataset.kind, dataset.key, dataset.version_label)
        if stored is None:
            stored = references.add_dataset(session, dataset, SEED_ACTOR)
            done.append(f"loaded {dataset.kind} {dataset.version_label}")
        if not _has_active(session, dataset.kind, dataset.key):
            references.activate(session, stored, SEED_ACTOR)
            done.append(f"activated {dataset.kind} {dataset.version_label}")
    if demo_policy:
        done += _seed_demo_policy(session)
    if demo_lists:
        for data, raw_sha, file_format in parsers.demo_lists():
            stored = _exists(session, DatasetKind.entity_list, data.list_key, data.version_label)
            if stored is None:
                stored = references.add_entity_list(session, data, raw_sha, SEED_ACTOR, file_format=file_format)
                done.append(f"loaded list {data.list_key} {data.version_label}")
            if not _has_active(session, DatasetKind.entity_list, data.list_key):
                references.activate(session, stored, SEED_ACTOR)
                done.append(f"activated list {data.list_key} {data.version_label}")
    session.commit()
    return done


def _seed_demo_policy(session: Session) -> list[str]:
    done = []
    demo = parsers.demo_policy_dataset(SEED_ACTOR)
    stored = _exists(session, demo.kind, demo.key, demo.version_label)
    if stored is None:
        stored = references.add_dataset(session, demo, SEED_ACTOR)
        done.append(f"loaded {demo.kind} {demo.version_label}")
    active = session.exec(
        select(ReferenceDataset).where(
            ReferenceDataset.kind == demo.kind,
            ReferenceDataset.key == demo.key,
            ReferenceDataset.status == DatasetStatus.active,
        )
    ).first()
    shipped = parsers.default_policy_dataset(SEED_ACTOR).version_label
    if active is None or (active.version_label == shipped and active.imported_by == SEED_ACTOR):
        references.activate(session, stored, SEED_ACTOR)
        done.append(f"activated {demo.kind} {demo.version_label}")
    return done


def seed(settings: AppraisalSettings, engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        for line in seed_references(session, demo_lists=settings.seed_demo_lists, demo_policy=settings.seed_demo_lists):
            print(line)
    print("appraisal reference data ready")
