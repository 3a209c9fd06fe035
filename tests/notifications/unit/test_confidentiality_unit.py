"""The confidentiality allow-list, for every event type: whatever an event carries, an applicant (or an
institution's webhook) gets only the listed fields, never a risk level, score, flag, list match, note
or summary; and every applicant message renders in every locale from those fields alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from rsc_common.events import registered
from rsc_notifications.messages.render import LOCALES, catalogue, render
from rsc_notifications.recipients.allowlist import APPLICANT_FIELDS, applicant_view
from rsc_notifications.recipients.rules import APPLICANT, ROUTES, STAFF

SECRET_FIELDS = {
    "level", "score", "flags", "matches", "category_levels", "summary", "note", "notes", "entry_id",
    "entry_caption", "list_key", "screening_id", "safeguards", "input_hash", "actor", "decided_by",
    "assignees", "reason", "severity", "to_role", "auto_clear", "auto_cleared", "organisation_name",
}  # fmt: skip
SHIPPED = sorted(t for (t, _v), m in registered().items() if m.__module__ == "rsc_common.events.types")


def loaded(event_type: str) -> dict:
    """The event's own fields plus every secret field, each with a recognisable value."""
    [model] = [m for (t, _v), m in registered().items() if t == event_type]
    data = {name: f"VALUE-{name}" for name in model.model_fields}
    data.update({name: f"SECRET-{name}" for name in SECRET_FIELDS})
    data["measures"] = [{"title": "Training", "due_at": "2027-05-01T00:00:00+00:00", "score": "SECRET-score",
                         "evidence_required": "a list", "internal_note": "SECRET-note"}]  # fmt: skip
    data["measure"] = data["measures"][0]
    return data


@pytest.mark.parametrize("event_type", SHIPPED)
def test_no_secret_reaches_the_applicant_side(event_type: str) -> None:
    view = applicant_view(event_type, loaded(event_type))
    if view is None:
        assert event_type not in APPLICANT_FIELDS
        assert all(r.audience == STAFF for r in ROUTES.get(event_type, []))
        return
    assert set(view) <= set(APPLICANT_FIELDS[event_type])
    flat = repr(view)
    assert "SECRET" not in flat, flat


def test_every_applicant_route_has_an_allow_list_and_every_locale_renders_it() -> None:
    routes = [(t, r) for t, rs in ROUTES.items() for r in rs if r.audience == APPLICANT]
    assert {t for t, _ in routes} >= {"appraisal.information_requested", "appraisal.status_changed",
                                       "safeguards.proposed", "grant.deadline"}  # fmt: skip
    for event_type, route in routes:
        assert event_type in APPLICANT_FIELDS
        data = loaded(event_type)
        data.update(status="cleared", due_at="2027-05-01T00:00:00+00:00", kind="overdue", version=1)
        data = {**data, **{k: v for k, v in data.items() if not str(v).startswith("SECRET")}}
        fields = applicant_view(event_type, data)
        context = {"f": fields, "proposal": {"acronym": "QSENSE"}, "recipient": {"name": "Ana"}}
        for locale in LOCALES:
            used, message = render(locale, route.message, context, "http://portal/x")
            assert used in (locale, "en")
            for part in (message.subject, message.text, message.html):
                assert "SECRET" not in part, (event_type, locale, part)


def test_every_message_exists_in_english_and_other_locales_fall_back() -> None:
    keys = {r.message for rs in ROUTES.values() for r in rs} | {"digest"}
    for locale in LOCALES:  # English, French and German for every message
        assert keys <= set(catalogue(locale)), (locale, keys - set(catalogue(locale)))
    used, _ = render("es", "case_opened", {"f": {}, "proposal": {}, "recipient": {"name": "x"}}, None)
    assert used == "en"  # a locale RSC does not speak: English
    used, message = render("fr", "information_requested", {
        "f": {"message": "Qui contrôle le partenaire ?", "due_at": datetime(2027, 5, 1, tzinfo=UTC),
              "request_id": str(uuid.uuid4()), "version": 1},
        "proposal": {"acronym": "QSENSE"}, "recipient": {"name": "Ana"}}, "http://portal/p")  # fmt: skip
    assert used == "fr"
    assert message.subject == "Demande d'informations sur la proposition QSENSE"
    assert "2027-05-01" in message.text
    assert "Ouvrir dans le portail: http://portal/p" in message.text
    assert '<html lang="fr">' in message.html
    assert "&lt;" not in message.subject


def test_every_transmission_of_a_notification_has_the_same_message_id() -> None:
    """A resend after a crash (SMTP accepted, the row not yet marked sent) is the same message to mail systems."""
    from rsc_notifications.deliveries.dispatcher import message_id

    key = "3f2c:applicant-sub:email:proposal.received"
    assert message_id(key) == message_id(key)
    assert message_id(key) != message_id(key + "x")
    assert message_id(key).startswith("<")
    assert message_id(key).endswith("@rsc.notifications>")
