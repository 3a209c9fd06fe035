"""Attachment operations: store, list, read, delete, and freeze into a submitted version.

Access goes through `proposals.access` (need-to-know: another organisation's proposal is a 404).
Uploads and deletions need an editable proposal (draft, or an information request open) and hold
the proposal's row lock, so they serialise with submission: an attachment is either in a version
(and frozen) or was added after it.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO
from urllib.parse import quote

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, func, select

from rsc_common.auth import Principal
from rsc_common.db.types import utcnow
from rsc_common.http import ProblemError
from rsc_intake.attachments import sniffing
from rsc_intake.attachments.models import Attachment, AttachmentKind
from rsc_intake.attachments.settings import AttachmentSettings
from rsc_intake.attachments.storage import CHUNK_SIZE, AttachmentStorage, storage_key
from rsc_intake.attachments.upload import Spool
from rsc_intake.proposals.access import load_for_read, load_for_write
from rsc_intake.proposals.models import Proposal, ProposalStatus

log = logging.getLogger(__name__)

EDITABLE = frozenset({ProposalStatus.draft, ProposalStatus.information_requested})
MAX_FILENAME_LENGTH = 200
DEFAULT_FILENAME = "attachment"
# Control, format (bidi overrides, zero-width), surrogate, private-use and unassigned characters.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


# --- file names -------------------------------------------------------------------------------


def sanitize_filename(raw: str | None) -> str:
    """A display name safe to store and to offer for download.

    NFC-normalised; any path (``/`` or ``\\``) dropped; white space of any kind turned into
    single spaces; control and format characters (bidi overrides) removed; no leading dots; at most
    `MAX_FILENAME_LENGTH` characters, keeping the extension.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if c.isspace() else c for c in name if c.isspace() or unicodedata.category(c) not in _DROPPED_CATEGORIES
    )
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            name = stem[: MAX_FILENAME_LENGTH - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_FILENAME_LENGTH].rstrip()
    return name or DEFAULT_FILENAME


def download_filename(filename: str, media_type: str) -> str:
    """The stored name, with the content's own extension appended if its extension does not fit.

    `report.html` holding plain text is offered as `report.html.txt`: a saved download is never
    opened by something the content is not.
    """
    extensions = sniffing.EXTENSIONS.get(media_type, ())
    if not extensions or filename.lower().endswith(extensions):
        return filename
    return filename + extensions[0]


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / RFC 8187)."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\%;' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# --- upload -----------------------------------------------------------------------------------


def editable_or_409(proposal: Proposal) -> None:
    if proposal.status not in EDITABLE:
        raise ProblemError(
            409,
            "proposal-not-editable",
            f"attachments can be changed only while the proposal is a draft or an information request is open "
            f"(it is {proposal.status})",
            proposal_status=str(proposal.status),
        )


def check_can_upload(session: Session, principal: Principal, proposal_id: uuid.UUID) -> None:
    """Refuse early (before the body is read) who may not upload here; holds no lock afterwards."""
    try:
        editable_or_409(load_for_write(session, principal, proposal_id, lock=False))
    finally:
        session.rollback()


def parse_kind(raw: str | None) -> AttachmentKind:
    try:
        return AttachmentKind((raw or "").strip())
    except ValueError:
        allowed = ", ".join(k.value for k in AttachmentKind)
        raise ProblemError(
            422,
            "validation",
            f"kind: must be one of {allowed}",
            title="Invalid request",
            errors=[{"pointer": "/kind", "location": ["body", "kind"], "message": f"must be one of {allowed}"}],
        ) from None


def store_upload(
    session: Session,
    principal: Principal,
    proposal_id: uuid.UUID,
    *,
    kind: AttachmentKind,
    filename: str | None,
    declared_type: str | None,
    spool: Spool,
    storage: AttachmentStorage,
    settings: AttachmentSettings,
) -> Attachment:
    """Check the received bytes, store them, record the attachment, commit."""
    if spool.size == 0:
        raise ProblemError(422, "empty-attachment", "the uploaded file is empty")
    media_type = sniffing.sniff(spool.rewind())
    sniffing.check_declared(media_type, declared_type)

    proposal = load_for_write(session, principal, proposal_id)  # row lock until commit
    editable_or_409(proposal)
    count = session.exec(select(func.count()).select_from(Attachment).where(Attachment.proposal_id == proposal.id))
    if count.one() >= settings.max_per_proposal:
        raise ProblemError(
            422,
            "too-many-attachments",
            f"a proposal can have at most {settings.max_per_proposal} attachments",
            max_per_proposal=settings.max_per_proposal,
        )
    attachment_id = uuid.uuid4()
    attachment = Attachment(
        id=attachment_id,
        proposal_id=proposal.id,
        kind=kind,
        filename=sanitize_filename(filename),
        media_type=media_type,
        size_bytes=spool.size,
        sha256=spool.sha256,
        storage_key=storage_key(proposal.id, attachment_id),
        uploaded_by=principal.subject,
        uploaded_at=utcnow(),
    )
    storage.put(attachment.storage_key, spool.rewind())
    try:
        session.add(attachment)
        session.commit()
    except BaseException:
        session.rollback()
        _delete_quietly(storage, attachment.storage_key)
        raise
    log.info(
        "attachment stored",
        extra={"proposal_id": str(proposal.id), "attachment_id": str(attachment.id), "size_bytes": spool.size},
    )
    return attachment


# --- reads ------------------------------------------------------------------------------------


def list_attachments(session: Session, principal: Principal, proposal_id: uuid.UUID) -> list[Attachment]:
    proposal = load_for_read(session, principal, proposal_id)
    return _attachments_of(session, proposal.id)


def get_attachment(
    session: Session, principal: Principal, proposal_id: uuid.UUID, attachment_id: uuid.UUID
) -> Attachment:
    proposal = load_for_read(session, principal, proposal_id)
    return _attachment_of(session, proposal.id, attachment_id)


def open_content(storage: AttachmentStorage, attachment: Attachment) -> BinaryIO:
    try:
        return storage.open(attachment.storage_key)
    except FileNotFoundError:
        log.error("attachment content missing from storage", extra={"attachment_id": str(attachment.id)})
        raise ProblemError(
            500, "attachment-content-missing", "the attachment's content is not available; this has been logged"
        ) from None


def iter_content(stream: BinaryIO) -> Iterator[bytes]:
    """The stream in chunks, closed at the end (or when the client goes away)."""
    with stream:
        while chunk := stream.read(CHUNK_SIZE):
            yield chunk


# --- delete -----------------------------------------------------------------------------------


def delete_attachment(
    session: Session,
    principal: Principal,
    proposal_id: uuid.UUID,
    attachment_id: uuid.UUID,
    *,
    storage: AttachmentStorage,
) -> None:
    proposal = load_for_write(session, principal, proposal_id)
    attachment = _attachment_of(session, proposal.id, attachment_id)
    editable_or_409(proposal)
    if attachment.frozen_in_version is not None:
        raise ProblemError(
            409,
            "attachment-frozen",
            f"attachment {attachment.id} is part of submitted version {attachment.frozen_in_version} "
            "and cannot be deleted",
            frozen_in_version=attachment.frozen_in_version,
        )
    key = attachment.storage_key
    session.delete(attachment)
    session.commit()
    # After the commit: a failed delete leaves an orphaned object, never a row without content.
    _delete_quietly(storage, key)


# --- submission -------------------------------------------------------------------------------


_attachment = Attachment.__table__
_REFS = (
    select(
        _attachment.c.id,
        _attachment.c.kind,
        _attachment.c.filename,
        _attachment.c.media_type,
        _attachment.c.size_bytes,
        _attachment.c.sha256,
    )
    .where(_attachment.c.proposal_id == bindparam("proposal_id"))
    .order_by(_attachment.c.uploaded_at, _attachment.c.id)
)
# Bind parameters `freeze_proposal_id` and `freeze_version`.
FREEZE = (
    update(_attachment)
    .where(_attachment.c.proposal_id == bindparam("freeze_proposal_id"), _attachment.c.frozen_in_version.is_(None))
    .values(frozen_in_version=bindparam("freeze_version"))
)


def attachment_refs(session: Session, proposal_id: uuid.UUID) -> list[dict[str, Any]]:
    """The proposal's attachments as JSON-ready references for a version snapshot (one Core query,
    built once: submission is a hot path, and no ORM object is needed for six columns)."""
    return [
        {
            "attachment_id": str(r.id),
            "kind": str(r.kind),
            "filename": r.filename,
            "media_type": r.media_type,
            "size_bytes": r.size_bytes,
            "sha256": r.sha256,
        }
        for r in session.connection().execute(_REFS, {"proposal_id": proposal_id})
    ]


def freeze(session: Session, proposal_id: uuid.UUID, version: int) -> None:
    """Mark the not-yet-frozen attachments as part of `version`. Part of the caller's transaction:
    it does not commit (the caller holds the proposal's row lock)."""
    session.connection().execute(FREEZE, {"freeze_proposal_id": proposal_id, "freeze_version": version})


# --- helpers ----------------------------------------------------------------------------------


def _attachments_of(session: Session, proposal_id: uuid.UUID) -> list[Attachment]:
    query = (
        select(Attachment)
        .where(Attachment.proposal_id == proposal_id)
        .order_by(col(Attachment.uploaded_at), col(Attachment.id))
    )
    return list(session.exec(query))


def _attachment_of(session: Session, proposal_id: uuid.UUID, attachment_id: uuid.UUID) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.proposal_id != proposal_id:
        raise ProblemError(404, "not-found", f"attachment {attachment_id} not found")
    return attachment


def _delete_quietly(storage: AttachmentStorage, key: str) -> None:
    try:
        storage.delete(key)
    except Exception:
        log.warning("could not delete attachment content; it is orphaned", extra={"storage_key": key}, exc_info=True)
