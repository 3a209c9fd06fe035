"""From a domain event to deliveries, in the consumer's transaction: the routing read models first,
then for each route and recipient an inbox item and (unless switched off) an e-mail, and a webhook
delivery for each matching subscription. Every row has a dedupe key (event x recipient x channel, or
event x subscription) with a unique index, so a redelivered or replayed event adds nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from rsc_common.db.types import utcnow
from rsc_common.db.upsert import insert as pg_insert
from rsc_common.db.upsert import upsert_statement
from rsc_common.events import EventEnvelope
from rsc_notifications.deliveries.models import CaseAssignment, Notification, ParkedEvent, ProposalContact
from rsc_notifications.inbox.models import InboxItem
from rsc_notifications.messages.render import render
from rsc_notifications.preferences.models import Preference
from rsc_notifications.recipients.allowlist import APPLICANT_FIELDS, applicant_view
from rsc_notifications.recipients.directory import Contact, Directory
from rsc_notifications.recipients.rules import APPLICANT, MANDATORY, ROUTES, Route, Routing
from rsc_notifications.webhooks.models import WebhookDelivery, WebhookSubscription

DIGEST_HOUR_UTC = 7


def next_digest(now: datetime) -> datetime:
    today = datetime.combine(now.date(), time(DIGEST_HOUR_UTC), UTC)
    return today if now < today else today + timedelta(days=1)


def fold(session: Session, envelope: EventEnvelope) -> None:
    """The read models routing needs: who submitted a proposal, who is assigned to a case."""
    d = envelope.data
    if envelope.type in ("proposal.submitted", "proposal.resubmitted"):
        details = d["content"].get("details", {})
        values = {
            "submitted_by": d["submitted_by"],
            "organisation_id": d["organisation_id"],
            "acronym": details.get("acronym"),
            "title": details.get("title"),
            "call_identifier": d["call_identifier"],
        }
        statement = upsert_statement(ProposalContact.__table__, ("proposal_id",), tuple(values))
        session.execute(statement, {"proposal_id": d["proposal_id"], **values})
    elif envelope.type == "appraisal.case_changed":
        values = {"case_id": d["case_id"], "assignees": d.get("assignees", []), "updated_at": utcnow()}
        statement = upsert_statement(CaseAssignment.__table__, ("proposal_id", "version"), tuple(values))
        session.execute(statement, {"proposal_id": d["proposal_id"], "version": d["version"], **values})


def mode_for(session: Session, subject: str, category: str) -> str:
    if category in MANDATORY:
        return "immediate"
    preference = session.get(Preference, (subject, category))
    return preference.mode if preference else "immediate"


def notify(
    session: Session, directory: Directory, envelope: EventEnvelope, portal_url: str, max_age: timedelta | None = None
) -> int:
    """Create the event's deliveries; returns how many recipients it reached (0 for a stale event)."""
    fold(session, envelope)
    age = utcnow() - envelope.time
    if max_age is not None and age > max_age:
        return 0
    if _park_until_contact(session, envelope, age):
        return 0
    routing = Routing(session, directory)
    reached = 0
    if envelope.type in ("proposal.submitted", "proposal.resubmitted"):
        reached += release_parked(session, directory, envelope.data["proposal_id"], portal_url)
    for route in ROUTES.get(envelope.type, []):
        if not route.when(envelope.data):
            continue
        for contact in route.recipients(routing, envelope.data):
            reached += _deliver(session, envelope, route, contact, portal_url)
    _webhooks(session, envelope)
    return reached


# Topics are consumed in parallel, so an appraisal event can overtake the submission that names the
# applicant. A young event whose applicant is not known yet is parked and routed when the submission
# is folded (`release_parked`); blocking the consumer instead would also stop it reading that very
# submission. An old event whose submission never came is routed to whom it can be.
CONTACT_WAIT = timedelta(minutes=10)


def _park_until_contact(session: Session, envelope: EventEnvelope, age: timedelta) -> bool:
    proposal_id = envelope.data.get("proposal_id")
    if proposal_id is None or age > CONTACT_WAIT or envelope.type in ("proposal.submitted", "proposal.resubmitted"):
        return False
    needs_contact = any(r.audience == APPLICANT for r in ROUTES.get(envelope.type, [])) or envelope.type in (
        APPLICANT_FIELDS
    )
    if not needs_contact or session.get(ProposalContact, proposal_id) is not None:
        return False
    session.execute(
        pg_insert(ParkedEvent.__table__)
        .values(
            event_id=envelope.id, proposal_id=proposal_id, envelope=envelope.model_dump(mode="json"), parked_at=utcnow()
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    return True


def release_parked(session: Session, directory: Directory, proposal_id: uuid.UUID, portal_url: str) -> int:
    parked = session.exec(
        select(ParkedEvent).where(ParkedEvent.proposal_id == proposal_id).order_by(col(ParkedEvent.parked_at))
    ).all()
    for row in parked:
        notify(session, directory, EventEnvelope.model_validate(row.envelope), portal_url)
        session.delete(row)
    return len(parked)


def _context(session: Session, envelope: EventEnvelope, route: Route, contact: Contact) -> dict[str, Any] | None:
    if route.audience == APPLICANT:
        fields = applicant_view(envelope.type, envelope.data)
        if fields is None:
            return None
        proposal = session.get(ProposalContact, envelope.data.get("proposal_id"))
        about = {"acronym": proposal.acronym, "title": proposal.title} if proposal else {}
    else:
        fields, about = dict(envelope.data), {}
    return {"f": fields, "proposal": about, "recipient": {"name": contact.name}}


def _deliver(session: Session, envelope: EventEnvelope, route: Route, contact: Contact, portal_url: str) -> int:
    context = _context(session, envelope, route, contact)
    if context is None:
        return 0
    link = portal_url.rstrip("/") + route.link(envelope.data)
    locale, message = render(contact.locale, route.message, context, link)
    now = utcnow()
    session.execute(
        pg_insert(InboxItem.__table__)
        .values(
            id=uuid.uuid4(),
            dedupe_key=f"{envelope.id}:{contact.subject}:inbox:{route.message}",
            recipient_subject=contact.subject,
            category=route.category,
            title=message.subject,
            body=message.text,
            link=link,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    mode = mode_for(session, contact.subject, route.category)
    if contact.email and mode != "off":
        digest = mode == "digest"
        session.execute(
            pg_insert(Notification.__table__)
            .values(
                id=uuid.uuid4(),
                dedupe_key=f"{envelope.id}:{contact.subject}:email:{route.message}",
                event_id=envelope.id,
                event_type=envelope.type,
                category=route.category,
                recipient_subject=contact.subject,
                recipient_email=contact.email,
                locale=locale,
                subject=message.subject,
                body_text=message.text,
                body_html=message.html,
                link=link,
                status="digest" if digest else "pending",
                attempts=0,
                next_attempt_at=next_digest(now) if digest else now,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    return 1


def _organisation_of(session: Session, data: dict[str, Any]) -> str | None:
    if data.get("organisation_id"):
        return str(data["organisation_id"])
    contact = session.get(ProposalContact, data.get("proposal_id")) if data.get("proposal_id") else None
    return str(contact.organisation_id) if contact else None


_SUBSCRIPTION = WebhookSubscription.__table__
_ACTIVE_WEBHOOKS = sa_select(_SUBSCRIPTION.c.id, _SUBSCRIPTION.c.event_types, _SUBSCRIPTION.c.organisation_id).where(
    _SUBSCRIPTION.c.active
)


def _webhooks(session: Session, envelope: EventEnvelope) -> None:
    subscriptions = session.execute(_ACTIVE_WEBHOOKS).all()  # every event asks: a prebuilt Core query
    organisation = None
    for subscription in subscriptions:
        if envelope.type not in subscription.event_types and "*" not in subscription.event_types:
            continue
        if subscription.organisation_id is None:
            data = envelope.data  # the funder's own systems
        else:
            organisation = organisation or _organisation_of(session, envelope.data)
            if organisation != str(subscription.organisation_id):
                continue
            data = applicant_view(envelope.type, envelope.data)  # an institution: applicant-safe only
            if data is None:
                continue
        payload = {"id": str(envelope.id), "type": envelope.type, "time": envelope.time.isoformat(), "data": data}
        session.execute(
            pg_insert(WebhookDelivery.__table__)
            .values(
                id=uuid.uuid4(),
                dedupe_key=f"{envelope.id}:{subscription.id}",
                subscription_id=subscription.id,
                event_id=envelope.id,
                event_type=envelope.type,
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=utcnow(),
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
