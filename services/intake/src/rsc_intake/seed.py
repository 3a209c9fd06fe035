"""Demo data: a funding programme with an open call and the two applicant organisations whose
ids match the `organisation_id` of the demo applicants in the Keycloak realm. Idempotent."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from rsc_common.contracts.proposal import OrganisationRiskProfile
from rsc_common.db.types import utcnow
from rsc_intake.calls import service as calls
from rsc_intake.calls.models import Call, FundingProgramme
from rsc_intake.calls.schemas import CallCreate, ProgrammeCreate
from rsc_intake.organisations.models import ApplicantOrganisation, OrganisationType
from rsc_intake.questionnaires import service as questionnaires

# Plain data, not ORM instances: a module-level instance would be bound to the first session.
DEMO_ORGANISATIONS = [
    dict(
        id=uuid.UUID("0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01"),
        legal_name="Demo University of Applied Sciences",
        country_code="NL",
        organisation_type=OrganisationType.higher_education,
        pic="999999901",
        ror="https://ror.org/00demo001",
    ),
    dict(
        id=uuid.UUID("0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a02"),
        legal_name="Demo Photonics SME",
        country_code="FR",
        organisation_type=OrganisationType.company,
        pic="999999902",
    ),
]
# Demo risk profiles: complete, so that the demo applicants can submit straight away.
DEMO_PROFILES = {
    "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01": {
        "identifiers": {"pic": "999999901"},
        "security_contact": {"name": "Research Security Office", "email": "research-security@demo-university.example"},
        "security_policy_in_place": True,
        "security_governance": "Board-level portfolio holder, advisory team and a research-security coordinator.",
        "dual_use_compliance_programme": True,
        "non_eu_funding_share_percent": "4.50",
        "largest_non_eu_funders": [],
        "foreign_ownership": {"owned_or_controlled_from_abroad": False},
    },
    "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a02": {
        "identifiers": {"pic": "999999902"},
        "security_contact": {"name": "Compliance Officer", "email": "compliance@demo-photonics.example"},
        "security_policy_in_place": False,
        "dual_use_compliance_programme": True,
        "non_eu_funding_share_percent": "12.00",
        "largest_non_eu_funders": [],
        "foreign_ownership": {"owned_or_controlled_from_abroad": False},
    },
}
DEMO_PROGRAMME = ProgrammeCreate(
    name="Demo Research Programme",
    funder="Demo National Research Funder",
    description="Collaborative research grants; research security is part of every application.",
)
DEMO_CALL_IDENTIFIER = "DEMO-2027-RIA-01"


def seed(_settings: object, engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        for org in DEMO_ORGANISATIONS:
            profile = OrganisationRiskProfile.model_validate(DEMO_PROFILES[str(org["id"])]).model_dump(mode="json")
            existing = session.get(ApplicantOrganisation, org["id"])
            if existing is None:
                session.add(ApplicantOrganisation(**org, profile=profile))
            elif not existing.profile:  # seeded before profiles existed
                existing.profile = profile
                session.add(existing)
        session.commit()
        programme = session.exec(select(FundingProgramme).where(FundingProgramme.name == DEMO_PROGRAMME.name)).first()
        if programme is None:
            programme = calls.create_programme(session=session, data=DEMO_PROGRAMME)
        call = session.exec(select(Call).where(Call.identifier == DEMO_CALL_IDENTIFIER)).first()
        if call is None:
            now = utcnow().replace(microsecond=0)
            call = calls.create_call(
                session=session,
                data=CallCreate(
                    programme_id=programme.id,
                    identifier=DEMO_CALL_IDENTIFIER,
                    title="Trustworthy and secure advanced materials and photonics",
                    opens_at=now - timedelta(days=7),
                    closes_at=now + timedelta(days=90),
                ),
            )
        questionnaires.ensure_default_questionnaire(session, call.id)
    print("intake demo data ready")
