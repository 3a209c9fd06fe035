"""Attachment settings, embedded in the service settings as `attachments`.

With ``attachments: AttachmentSettings = AttachmentSettings()`` in `IntakeSettings`, the
environment sets them as ``RSC_INTAKE_ATTACHMENTS__DIR``, ``RSC_INTAKE_ATTACHMENTS__MAX_BYTES``, ...
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

MIB = 1024 * 1024


class AttachmentSettings(BaseModel):
    # Root of the filesystem storage (a mounted volume in production).
    dir: Path = Path(".local/data/attachments")
    # Where uploads are spooled while being received and checked; None: the system temp dir.
    spool_dir: Path | None = None
    max_bytes: int = Field(default=25 * MIB, ge=1)
    max_per_proposal: int = Field(default=50, ge=1)
