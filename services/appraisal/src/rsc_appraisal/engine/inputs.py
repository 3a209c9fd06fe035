"""From a proposal snapshot to what the engine may read, and the organisations to screen.

`from_snapshot` keeps organisation and project attributes and the affiliation and funding facts of key
researchers; it drops researchers' names and ORCID iDs and replaces the applicant's security contact by a
placeholder (only that one exists matters), so personal data does not enter the engine or its input hash.

Pointers are JSON pointers into the snapshot (the document `ProposalSnapshot.model_dump(mode="json")`):
the applicant is `/organisation`, partners `/content/partners/<i>`, researchers `/content/researchers/<i>`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rsc_appraisal.engine.contracts import OrganisationQuery, ResearcherFacts, ScreeningInput
from rsc_common.contracts.proposal import Identifiers, SecurityContact
from rsc_common.events.types import ProposalSnapshot

# The engine needs to know that a contact exists, not who it is.
REDACTED_SECURITY_CONTACT = SecurityContact(name="security contact on file", email="contact@redacted.invalid")

# Top-level fields of ScreeningInput -> where they are in the snapshot.
SNAPSHOT_ROOTS: dict[str, str] = {
    "proposal_id": "/proposal_id",
    "version": "/version",
    "call_identifier": "/call_identifier",
    "applicant": "/organisation",
    "details": "/content/details",
    "partners": "/content/partners",
    "researchers": "/content/researchers",
    "self_assessment_answers": "/content/self_assessment/answers",
}

APPLICANT_REF = "applicant"


def escape(segment: str | int) -> str:
    return str(segment).replace("~", "~0").replace("/", "~1")


def pointer(*segments: str | int) -> str:
    """A JSON pointer into the snapshot for a path of ScreeningInput segments (the first one is mapped)."""
    if not segments:
        return ""
    head, *rest = segments
    base = SNAPSHOT_ROOTS.get(str(head), "/" + escape(head))
    return base + "".join("/" + escape(s) for s in rest)


def from_snapshot(snapshot: ProposalSnapshot) -> ScreeningInput:
    content = snapshot.content
    applicant = snapshot.organisation
    if applicant.security_contact is not None:
        applicant = applicant.model_copy(update={"security_contact": REDACTED_SECURITY_CONTACT})
    researchers = tuple(
        ResearcherFacts(
            researcher_id=r.researcher_id,
            role_in_project=r.role_in_project,
            current_appointments=tuple(r.current_appointments),
            talent_programmes=tuple(r.talent_programmes),
            outside_support=tuple(r.outside_support),
        )
        for r in content.researchers
    )
    return ScreeningInput(
        proposal_id=snapshot.proposal_id,
        version=snapshot.version,
        call_identifier=snapshot.call_identifier,
        applicant=applicant,
        details=content.details,
        partners=tuple(content.partners),
        researchers=researchers,
        self_assessment_answers=dict(content.self_assessment.answers) if content.self_assessment else {},
    )


def _identifiers(identifiers: Identifiers) -> dict[str, str]:
    return {scheme: value for scheme, value in identifiers.model_dump().items() if value}


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# Query kinds (the `subjects` of list_match rules), derived from the query ref.
def partner_ref(partner_id: object) -> str:
    return f"partner:{partner_id}"


def controller_ref(partner_id: object, index: int) -> str:
    return f"partner:{partner_id}/owner:{index}"


def funder_ref(index: int) -> str:
    return f"{APPLICANT_REF}/funder:{index}"


FACT_FIELDS: dict[str, str] = {
    "appointment": "current_appointments",
    "talent_programme": "talent_programmes",
    "outside_support": "outside_support",
}
FACT_QUERY_KIND: dict[str, str] = {
    "appointment": "researcher_appointment",
    "talent_programme": "talent_programme_sponsor",
    "outside_support": "outside_support_source",
}


def researcher_fact_ref(researcher_id: object, fact: str, index: int) -> str:
    return f"researcher:{researcher_id}/{fact}:{index}"


@dataclass(frozen=True)
class ScreenedOrganisation:
    kind: str  # a QueryKind of the policy schema
    query: OrganisationQuery


def screened_organisations(screening_input: ScreeningInput) -> list[ScreenedOrganisation]:
    """Every organisation to screen, with its kind, in a fixed order: the applicant, its main non-EU
    funders, each partner followed by its declared owners and controllers, then per key researcher the
    organisations of current appointments, talent-programme sponsors and outside-support sources."""
    out: list[ScreenedOrganisation] = []
    applicant = screening_input.applicant
    out.append(
        ScreenedOrganisation(
            "applicant",
            OrganisationQuery(
                ref=APPLICANT_REF,
                pointer=pointer("applicant"),
                name=applicant.legal_name,
                identifiers=_identifiers(applicant.identifiers),
                countries=(applicant.country,),
            ),
        )
    )
    for index, funder in enumerate(applicant.largest_non_eu_funders):
        out.append(
            ScreenedOrganisation(
                "non_eu_funder",
                OrganisationQuery(
                    ref=funder_ref(index),
                    pointer=pointer("applicant", "largest_non_eu_funders", index),
                    name=funder.name,
                    countries=(funder.country,),
                ),
            )
        )
    for p_index, partner in enumerate(screening_input.partners):
        out.append(
            ScreenedOrganisation(
                "partner",
                OrganisationQuery(
                    ref=partner_ref(partner.partner_id),
                    pointer=pointer("partners", p_index),
                    name=partner.name,
                    aliases=_unique(a for a in partner.aliases if a != partner.name),
                    identifiers=_identifiers(partner.identifiers),
                    countries=_unique([partner.country, *partner.ownership_control_countries]),
                ),
            )
        )
        for c_index, controller in enumerate(partner.owners_and_controllers):
            out.append(
                ScreenedOrganisation(
                    "partner_controller",
                    OrganisationQuery(
                        ref=controller_ref(partner.partner_id, c_index),
                        pointer=pointer("partners", p_index, "owners_and_controllers", c_index),
                        name=controller.name,
                        identifiers=_identifiers(controller.identifiers),
                        countries=(controller.country,),
                    ),
                )
            )
    for r_index, researcher in enumerate(screening_input.researchers):
        for fact, field in FACT_FIELDS.items():
            for f_index, item in enumerate(getattr(researcher, field)):
                if fact == "appointment":
                    name, country = item.organisation, item.country
                elif fact == "talent_programme":
                    name, country = item.sponsor, item.sponsor_country
                else:
                    name, country = item.source, item.country
                out.append(
                    ScreenedOrganisation(
                        FACT_QUERY_KIND[fact],
                        OrganisationQuery(
                            ref=researcher_fact_ref(researcher.researcher_id, fact, f_index),
                            pointer=pointer("researchers", r_index, field, f_index),
                            name=name,
                            countries=(country,),
                        ),
                    )
                )
    return out


def queries(screening_input: ScreeningInput) -> list[OrganisationQuery]:
    """The organisations to match against entity lists (see `screened_organisations` for the order)."""
    return [o.query for o in screened_organisations(screening_input)]
