"""Incident types a grantee, an officer or a confidential tip can report after award.

From shared/reference/domain.md §4a (and the monitoring issue); the incident workflow comes with
the monitoring issue, the catalogue is published now so that the portal can offer it.
"""

from __future__ import annotations

from enum import StrEnum


class IncidentType(StrEnum):
    undisclosed_affiliation_or_funding = "undisclosed_affiliation_or_funding"
    talent_programme_obligations = "talent_programme_obligations"
    partner_ownership_or_control_change = "partner_ownership_or_control_change"
    unauthorised_transfer = "unauthorised_transfer"
    export_control_breach = "export_control_breach"
    cyber_incident_or_data_breach = "cyber_incident_or_data_breach"
    coercion_or_intimidation = "coercion_or_intimidation"
    suspicious_approach = "suspicious_approach"
    ethics_or_dissemination_breach = "ethics_or_dissemination_breach"
    list_hit_on_partner = "list_hit_on_partner"
    other = "other"


DESCRIPTIONS: dict[IncidentType, str] = {
    IncidentType.undisclosed_affiliation_or_funding: "An affiliation, appointment or funding source was not disclosed.",
    IncidentType.talent_programme_obligations: "Obligations from a foreign talent programme conflict with the grant.",
    IncidentType.partner_ownership_or_control_change: "A partner's ownership or control changed after award.",
    IncidentType.unauthorised_transfer: "Controlled technology or know-how was transferred, including intangibly.",
    IncidentType.export_control_breach: "Export-control rules (dual-use licences, sanctions) were breached.",
    IncidentType.cyber_incident_or_data_breach: "A cyber incident or a data breach affected project data or systems.",
    IncidentType.coercion_or_intimidation: "Coercion, intimidation or pressure towards self-censorship.",
    IncidentType.suspicious_approach: "A suspicious approach to project staff (requests for data, access or visits).",
    IncidentType.ethics_or_dissemination_breach: "An ethics requirement or the agreed dissemination level was not met.",
    IncidentType.list_hit_on_partner: "Re-screening found a partner on a sanctions or restricted-party list.",
    IncidentType.other: "Anything else that affects the security of the funded research.",
}
