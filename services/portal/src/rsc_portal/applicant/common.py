"""What the applicant pages share: API look-ups, the status an applicant may see, option lists.

Applicant pages call intake and monitoring only, never appraisal: intake already limits what an
applicant sees (tests/portal/unit/test_applicant_pages.py checks that no page calls appraisal).
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

import pycountry
from fastapi import Request

from rsc_common.contracts.proposal import ControllerKind
from rsc_common.contracts.vocabulary import (
    CriticalTechnologyArea,
    OutsideSupportKind,
    PartnerRole,
    PartnerType,
    SharedResource,
)
from rsc_portal.backend import ApiError, Backend
from rsc_portal.i18n import catalogue, translate
from rsc_portal.security.session import PortalSession

STEPS = ("project", "partners", "researchers", "self-assessment", "attachments")
EDITABLE = frozenset({"draft", "information_requested", "information_provided"})
# Before and after appraisal has a say, the proposal's own status is what the applicant needs; while
# appraisal works (and once it decided), its applicant-facing label (never a level, score or match).
OWN_STATUS = frozenset({"draft", "submitted", "information_requested", "information_provided", "withdrawn"})
ATTACHMENT_KINDS = (
    "partnership_agreement", "memorandum_of_understanding", "ethics_approval", "partner_assurance",
    "export_licence", "other",
)  # fmt: skip
CHANGE_KINDS = ("affiliations", "funding", "partner_ownership_or_control", "new_partner")
SEVERITIES = ("low", "medium", "high", "critical")


def backend(request: Request) -> Backend:
    return request.app.state.backend


def applicant_status(proposal: dict[str, Any]) -> str:
    status = str(proposal.get("status") or "draft")
    if status in OWN_STATUS:
        return status
    return str(proposal.get("public_status") or status)


def new_key() -> str:
    """An Idempotency-Key, rendered into a form so that a resent form repeats the same request."""
    return str(uuid.uuid4())


def idempotency_key(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    return text if 0 < len(text) <= 200 and text.isprintable() else new_key()


async def load_proposal(request: Request, session: PortalSession, proposal_id: uuid.UUID) -> tuple[dict[str, Any], str]:
    """The proposal and its ETag (for If-Match on the next save)."""
    response = await backend(request).request(session, "intake", "GET", f"/v1/proposals/{proposal_id}")
    return response.json(), response.headers.get("etag", "")


async def load_questionnaire(
    request: Request, session: PortalSession, proposal: dict[str, Any]
) -> dict[str, Any] | None:
    """The questionnaire version the draft answers, or the call's latest for a first answer."""
    assessment = (proposal.get("content") or {}).get("self_assessment")
    call_id = proposal["call_id"]
    path = (
        f"/v1/calls/{call_id}/questionnaires/{assessment['questionnaire_version']}"
        if assessment
        else f"/v1/calls/{call_id}/questionnaire"
    )
    try:
        return await backend(request).get(session, "intake", path)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


async def load_attachments(request: Request, session: PortalSession, proposal_id: Any) -> list[dict[str, Any]]:
    try:
        return await backend(request).get(session, "intake", f"/v1/proposals/{proposal_id}/attachments")
    except ApiError as exc:
        if exc.status in (403, 404):
            return []
        raise


@functools.cache
def countries() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda pair: pair[1])


def country_name(code: Any) -> str:
    country = pycountry.countries.get(alpha_2=str(code)) if code else None
    return f"{country.name} ({code})" if country else str(code or "")


def choices(lang: str, group: str, values: Any) -> list[tuple[str, str]]:
    """(value, translated label) for a vocabulary; the value itself where no label exists."""
    table = catalogue(lang)
    english = catalogue("en")
    out = []
    for value in values:
        v = value.value if hasattr(value, "value") else str(value)
        key = f"applicant.{group}.{v}"
        out.append((v, table.get(key) or english.get(key) or v.replace("_", " ")))
    return out


def vocabularies(lang: str) -> dict[str, list[tuple[str, str]]]:
    return {
        "areas": choices(lang, "area", CriticalTechnologyArea),
        "partner_types": choices(lang, "partner_type", PartnerType),
        "partner_roles": choices(lang, "partner_role", PartnerRole),
        "shares": choices(lang, "share", SharedResource),
        "controller_kinds": choices(lang, "controller_kind", ControllerKind),
        "support_kinds": choices(lang, "support_kind", OutsideSupportKind),
        "attachment_kinds": choices(lang, "attachment_kind", ATTACHMENT_KINDS),
        "change_kinds": choices(lang, "change_kind", CHANGE_KINDS),
        "severities": choices(lang, "severity", SEVERITIES),
        "countries": countries(),
    }


def state_label(lang: str, value: Any) -> str:
    """A status as the applicant reads it (proposal, appraisal label, measure, obligation, grant, incident)."""
    key = f"applicant.state.{value}"
    return catalogue(lang).get(key) or catalogue("en").get(key) or str(value or "").replace("_", " ")


def field_label(lang: str, pointer: str) -> str:
    """`/partners/0/country` → "Partners > 1 > Country" (translated), for error summaries and differences."""
    table, english = catalogue(lang), catalogue("en")
    out = []
    for part in pointer.strip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if part.isdigit():
            out.append(str(int(part) + 1))
        else:
            key = f"applicant.field.{part}"
            out.append(table.get(key) or english.get(key) or part.replace("_", " "))
    return " \u203a ".join(out) if out else "/"


def page_context(request: Request, **extra: Any) -> dict[str, Any]:
    """What every applicant template uses besides the base context."""
    lang = getattr(request.state, "locale", "en")
    return {
        "state": lambda value: state_label(lang, value),
        "field_label": lambda pointer: field_label(lang, pointer),
        "applicant_status": applicant_status,
        "country_name": country_name,
        "steps": STEPS,
        "vocab": vocabularies(lang),
        "msg": lambda message: translate(lang, message) if str(message or "").startswith("applicant.") else message,
        **extra,
    }
