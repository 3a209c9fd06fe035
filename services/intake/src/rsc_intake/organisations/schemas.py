from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from rsc_common.contracts.vocabulary import OrganisationType


class OrganisationPublic(BaseModel):
    id: uuid.UUID
    legal_name: str
    country_code: str
    organisation_type: OrganisationType
    pic: str | None
    ror: str | None
    profile: dict[str, Any]
    row_version: int
    created_at: datetime
    updated_at: datetime | None
