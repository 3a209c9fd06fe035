"""Per-category delivery choices: immediate, daily digest, or off (mandatory categories stay immediate).
The inbox records every notification whatever the choice; the choice is about e-mail."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlmodel import select

from rsc_common.auth import CurrentPrincipal
from rsc_common.db.upsert import insert as pg_insert
from rsc_common.http import SessionDep
from rsc_common.http.problem import ProblemError
from rsc_notifications.preferences.models import Preference
from rsc_notifications.recipients.rules import CATEGORIES, MANDATORY

router = APIRouter(prefix="/v1/preferences", tags=["preferences"])
Mode = Literal["immediate", "digest", "off"]


class PreferencePublic(BaseModel):
    category: str
    mode: Mode
    mandatory: bool


class PreferenceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Mode


@router.get("", response_model=list[PreferencePublic], summary="The caller's choice per category")
def list_preferences(principal: CurrentPrincipal, session: SessionDep) -> list[PreferencePublic]:
    chosen = {
        p.category: p.mode for p in session.exec(select(Preference).where(Preference.subject == principal.subject))
    }
    return [
        PreferencePublic(
            category=c, mode="immediate" if c in MANDATORY else chosen.get(c, "immediate"), mandatory=c in MANDATORY
        )
        for c in CATEGORIES
    ]


@router.put("/{category}", response_model=PreferencePublic, summary="Choose immediate, digest or off")
def set_preference(
    category: str, data: PreferenceUpdate, principal: CurrentPrincipal, session: SessionDep
) -> PreferencePublic:
    if category not in CATEGORIES:
        raise ProblemError(404, "unknown-category", f"There is no category {category}.")
    if category in MANDATORY and data.mode != "immediate":
        raise ProblemError(
            422, "mandatory-category", f"{category} notices are mandatory: they cannot be delayed or off."
        )
    values = {"mode": data.mode}
    statement = pg_insert(Preference.__table__).values(subject=principal.subject, category=category, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["subject", "category"], set_=values))
    session.commit()
    return PreferencePublic(category=category, mode=data.mode, mandatory=False)
