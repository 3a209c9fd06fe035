"""Controlled vocabularies from the reference texts (shared/reference/domain.md §5, §6, §1)."""

from __future__ import annotations

from enum import StrEnum


class CriticalTechnologyArea(StrEnum):
    """The ten EU critical technology areas of Commission Recommendation C(2023) 6689.

    Areas 1-4 were prioritised for collective risk assessment.
    """

    advanced_semiconductors = "advanced_semiconductors"
    artificial_intelligence = "artificial_intelligence"
    quantum = "quantum"
    biotechnologies = "biotechnologies"
    advanced_connectivity_navigation_digital = "advanced_connectivity_navigation_digital"
    advanced_sensing = "advanced_sensing"
    space_and_propulsion = "space_and_propulsion"
    energy = "energy"
    robotics_and_autonomous_systems = "robotics_and_autonomous_systems"
    advanced_materials_manufacturing_recycling = "advanced_materials_manufacturing_recycling"


PRIORITY_CRITICAL_TECHNOLOGY_AREAS = frozenset(list(CriticalTechnologyArea)[:4])


class DualUseCategory(StrEnum):
    """Annex I categories of the EU dual-use Regulation (EU) 2021/821."""

    cat0_nuclear = "0"
    cat1_special_materials = "1"
    cat2_materials_processing = "2"
    cat3_electronics = "3"
    cat4_computers = "4"
    cat5_telecommunications_information_security = "5"
    cat6_sensors_lasers = "6"
    cat7_navigation_avionics = "7"
    cat8_marine = "8"
    cat9_aerospace_propulsion = "9"


class OrganisationType(StrEnum):
    higher_education = "higher_education"
    public_research = "public_research"
    private_research = "private_research"
    company = "company"
    other = "other"


class PartnerType(StrEnum):
    university = "university"
    research_institute = "research_institute"
    company = "company"
    government_body = "government_body"
    military_or_defence_affiliated = "military_or_defence_affiliated"
    other = "other"


class PartnerRole(StrEnum):
    beneficiary = "beneficiary"
    associated_partner = "associated_partner"
    affiliated_entity = "affiliated_entity"
    subcontractor = "subcontractor"
    third_party_in_kind = "third_party_in_kind"


class SharedResource(StrEnum):
    data = "data"
    samples = "samples"
    software = "software"
    know_how = "know_how"
    facility_access = "facility_access"


class OutsideSupportKind(StrEnum):
    funding = "funding"
    in_kind = "in_kind"
