from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from rsc_appraisal.references.models import DatasetKind, DatasetStatus


class ReferenceDatasetPublic(BaseModel):
    id: uuid.UUID
    kind: DatasetKind
    key: str
    version_label: str
    status: DatasetStatus
    title: str
    source: str
    retrieved_at: datetime | None
    review_by: date | None
    review_overdue: bool
    example_data: bool
    sha256: str
    summary: dict[str, Any]
    imported_by: str
    imported_at: datetime
    activated_by: str | None
    activated_at: datetime | None


class ReferenceDatasetDetail(ReferenceDatasetPublic):
    document: dict[str, Any]
    warnings: list[str]
