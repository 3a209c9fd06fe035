from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from rsc_intake.organisations.models import OrganisationType


class OrganisationPublic(BaseModel):
    id: uuid.UUID
    legal_name: str
    country_code: str
    organisation_type: OrganisationType
    pic: str | None
    ror: str | None
    created_at: datetime
