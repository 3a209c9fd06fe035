"""Canonical organisations on the real PostgreSQL: one record per organisation whatever identifiers each
declaration carries (found by any identifier, then by the normalised name key), different organisations
sharing a name kept apart by conflicting identifiers, concurrent first sightings serialised, and migration
0005 giving the existing records all their keys."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, func, text
from sqlmodel import Session, create_engine, select

from rsc_appraisal.app import MIGRATIONS
from rsc_appraisal.engine.contracts import OrganisationQuery
from rsc_appraisal.organisations import service
from rsc_appraisal.organisations.models import Organisation, OrganisationIdentifier, OrganisationNameKey
from rsc_common.db.schema import alembic_config
from tests.support.databases import migrated_engine, temporary_database

LEI = "529900T8BM49AURSDO55"  # a LEI with valid check digits (normalised as for matching)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with migrated_engine(MIGRATIONS) as engine:
        yield engine


def q(name: str, country: str | None = "DE", ref: str | None = None, **identifiers: str) -> OrganisationQuery:
    return OrganisationQuery(
        ref=ref or f"partner:{uuid.uuid4()}",
        pointer="/content/partners/0",
        name=name,
        identifiers=identifiers,
        countries=(country,) if country else (),
    )


def resolve(engine: Engine, *queries: OrganisationQuery) -> list[uuid.UUID]:
    with Session(engine) as session:
        resolved = service.resolve_many(session, queries)
        session.commit()
    return [resolved[query.ref] for query in queries]


def unique_name(stem: str) -> str:
    """Names of their own per test (the database is shared by the module)."""
    return f"{stem} {uuid.uuid4().hex[:8]}"


def keys_of(engine: Engine, organisation_id: uuid.UUID) -> tuple[list[str], list[str]]:
    with Session(engine) as session:
        identifiers = session.exec(
            select(OrganisationIdentifier.key).where(OrganisationIdentifier.organisation_id == organisation_id)
        ).all()
        names = session.exec(
            select(OrganisationNameKey.key).where(OrganisationNameKey.organisation_id == organisation_id)
        ).all()
    return sorted(identifiers), sorted(names)


def count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Organisation)).one()


def test_declared_with_and_without_a_lei_is_one_organisation(engine: Engine) -> None:
    name = unique_name("Acme Photonics")
    [with_lei] = resolve(engine, q(f"{name} GmbH", lei=LEI))
    [without] = resolve(engine, q(name))
    assert without == with_lei
    # and the other way round: first without identifiers, then with one
    other = unique_name("Borealis Optics")
    [first] = resolve(engine, q(other))
    [later] = resolve(engine, q(f"{other} GmbH", pic="912345678"))
    assert later == first
    assert keys_of(engine, first)[0] == ["pic:912345678"], "the newly seen identifier is attached to the record"


def test_declared_with_a_pic_once_and_a_ror_another_time_is_one_organisation(engine: Engine) -> None:
    name = unique_name("Institute of Applied Cryogenics")
    [by_pic] = resolve(engine, q(name, pic="912340001"))
    [by_ror] = resolve(engine, q(name, ror="https://ror.org/05abc1234"))
    assert by_ror == by_pic
    identifiers, names = keys_of(engine, by_pic)
    assert identifiers == ["pic:912340001", "ror:05abc1234"]
    # each identifier now finds it on its own, even under another name or without a country
    [renamed] = resolve(engine, q("Cryogenics Institute Renamed", country=None, ror="05abc1234"))
    [by_pic_again] = resolve(engine, q("ICAC", country="FR", pic="912340001"))
    assert renamed == by_pic_again == by_pic
    # and the names it was declared under find it without identifiers
    assert keys_of(engine, by_pic)[1] == sorted({*names, "-:cryogenics institute renamed", "FR:icac"})
    [by_new_name] = resolve(engine, q("Cryogenics Institute Renamed", country=None))
    assert by_new_name == by_pic


def test_every_identifier_is_looked_up_before_a_record_is_made(engine: Engine) -> None:
    name = unique_name("Helix Quantum Devices")
    [by_pic] = resolve(engine, q(name, pic="912340002"))
    # a declaration with a LEI (unknown) and the PIC (known), under another name: the PIC finds it, the LEI is
    # attached; before, the LEI alone made the key and a second record
    lei = "5493001KJTIIGC8Y1R12"
    [both] = resolve(engine, q("Helix QD Ltd", country="GB", lei=lei, pic="912340002"))
    assert both == by_pic
    assert keys_of(engine, by_pic)[0] == [f"lei:{lei}", "pic:912340002"]
    [by_lei] = resolve(engine, q("Something else entirely", lei=lei))
    assert by_lei == by_pic


def test_the_same_name_with_conflicting_identifiers_of_one_scheme_is_two_organisations(engine: Engine) -> None:
    name = unique_name("Northfield Institute of Technology")
    before = count(engine)
    [first, second] = resolve(engine, q(name, pic="912340003"), q(name, pic="912340004"))
    assert first != second
    [first_again, second_again] = resolve(engine, q(name, pic="912340003"), q(name, pic="912340004"))
    assert (first_again, second_again) == (first, second)
    # a conflicting LEI on a record found by name: not merged either
    other = unique_name("Southfield Robotics")
    [lei_a] = resolve(engine, q(other, lei="529900HNOAA1KXQJUQ27"))
    [lei_b] = resolve(engine, q(f"{other} GmbH", lei="549300MLUDYVRQOOXS22"))
    assert lei_a != lei_b
    assert count(engine) == before + 4
    # a declaration both are compatible with (no identifier, or a scheme neither has) goes to the first one
    # declared under that name: deterministic, and never a new record
    [plain] = resolve(engine, q(name))
    [with_vat] = resolve(engine, q(name, vat="DE123456789"))
    assert plain == with_vat == first
    assert count(engine) == before + 4
    # a second PIC is never attached to a record that has one: the conflicting one keeps its own
    assert keys_of(engine, first)[0] == ["pic:912340003", "vat:DE123456789"]
    assert keys_of(engine, second)[0] == ["pic:912340004"]


def test_different_spellings_in_one_batch_resolve_together(engine: Engine) -> None:
    name = unique_name("Kestrel Photonics Laboratory")
    ids = resolve(
        engine,
        q(name, ref="partner:a", lei="529900W18LQJJN6SJ336"),
        q(name.upper(), ref="partner:b", pic="912340005"),
        q(f"{name} GmbH", ref="partner:c"),
        q("Kestrel PL", ref="partner:d", pic="912340005"),
    )
    assert len(set(ids)) == 1
    identifiers, names = keys_of(engine, ids[0])
    assert identifiers == ["lei:529900W18LQJJN6SJ336", "pic:912340005"]
    assert len(names) == 2  # the full name (three spellings, one key) and "Kestrel PL"
    with Session(engine) as session:
        [organisation] = session.exec(select(Organisation).where(Organisation.id == ids[0])).all()
    assert (organisation.key_kind, organisation.key) == ("identifier", "lei:529900W18LQJJN6SJ336")


def test_concurrent_first_sightings_by_different_identifiers_make_one_record(engine: Engine) -> None:
    name = unique_name("Marlow Coastal Ecology Station")
    results: dict[str, uuid.UUID] = {}
    started = threading.Event()

    def second() -> None:
        with Session(engine) as session:
            started.set()
            results["second"] = service.resolve(session, q(name, ror="03xyz9876"))
            session.commit()

    with Session(engine) as session:
        results["first"] = service.resolve(session, q(name, pic="912340006"))  # holds the keys' locks
        thread = threading.Thread(target=second)
        thread.start()
        assert started.wait(10)
        thread.join(1.0)
        assert thread.is_alive(), "the second resolution waits for the first transaction"
        session.commit()
    thread.join(10)
    assert not thread.is_alive()
    assert results["second"] == results["first"]
    assert keys_of(engine, results["first"])[0] == ["pic:912340006", "ror:03xyz9876"]


def test_known_organisations_are_resolved_without_writes_or_locks(engine: Engine) -> None:
    name = unique_name("Tessaline Optics")
    [known] = resolve(engine, q(name, pic="912340007"))
    with Session(engine) as session:
        assert service.resolve(session, q(name, pic="912340007")) == known
        locks = session.exec(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        ).one()
        assert locks == (0,)
        assert not session.new
        assert not session.dirty
        session.rollback()


def test_migration_0005_gives_existing_records_all_their_keys() -> None:
    with temporary_database() as url:
        command.upgrade(alembic_config(MIGRATIONS, url), "0004")
        engine = create_engine(url)
        by_pic, by_name = uuid.uuid4(), uuid.uuid4()
        now = datetime.now(UTC)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organisation (id, key_kind, key, name, country, created_at) VALUES "
                    "(:a, 'identifier', 'pic:912340008', 'Valdoria Institute of Physics', 'DE', :now), "
                    "(:b, 'name', 'DE:acme', 'Acme GmbH', 'DE', :now)"
                ),
                {"a": by_pic, "b": by_name, "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO organisation_occurrence (id, organisation_id, proposal_id, version, ref, pointer, "
                    "declared_name, created_at) VALUES (:id, :a, :p, 1, 'partner:x', '/content/partners/0', "
                    "'Institute of Physics of Valdoria (VIP)', :now)"
                ),
                {"id": uuid.uuid4(), "a": by_pic, "p": uuid.uuid4(), "now": now},
            )
        command.upgrade(alembic_config(MIGRATIONS, url), "head")
        try:
            assert keys_of(engine, by_pic) == (["pic:912340008"], ["DE:institute physics valdoria"])
            assert keys_of(engine, by_name) == ([], ["DE:acme"])
            # a declaration without the PIC now finds the record made with it, and one with a LEI the name-keyed one
            [found, acme] = resolve(engine, q("Valdoria Institute of Physics"), q("ACME", lei=LEI))
            assert (found, acme) == (by_pic, by_name)
            assert keys_of(engine, by_name)[0] == [f"lei:{LEI}"]
        finally:
            engine.dispose()
