from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from rsc_intake.attachments.models import AttachmentKind


class AttachmentPublic(BaseModel):
    id: uuid.UUID
    proposal_id: uuid.UUID
    kind: AttachmentKind
    filename: str = Field(description="Sanitised file name as uploaded.")
    media_type: str = Field(description="The type detected from the content (the client's claim is not used).")
    size_bytes: int
    sha256: str = Field(description="Hex SHA-256 of the content; also the download's ETag.")
    uploaded_by: str = Field(description="Keycloak subject of the uploader.")
    uploaded_at: datetime
    frozen_in_version: int | None = Field(
        description="The submitted version that first included it; frozen attachments cannot be deleted."
    )
