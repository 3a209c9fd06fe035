from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from rsc_common.auth import CurrentPrincipal
from rsc_common.http import PROBLEM_JSON, Problem, SessionDep
from rsc_intake.attachments import service, upload
from rsc_intake.attachments.models import Attachment, AttachmentKind
from rsc_intake.attachments.schemas import AttachmentPublic
from rsc_intake.attachments.settings import AttachmentSettings
from rsc_intake.attachments.sniffing import ACCEPTED
from rsc_intake.attachments.storage import AttachmentStorage, FilesystemStorage

router = APIRouter(prefix="/v1/proposals/{proposal_id}/attachments", tags=["attachments"])

_DEFAULTS = AttachmentSettings()


def attachment_settings(request: Request) -> AttachmentSettings:
    """`settings.attachments` of the service, or the defaults if the service has none."""
    configured = getattr(getattr(request.app.state, "settings", None), "attachments", None)
    return configured if isinstance(configured, AttachmentSettings) else _DEFAULTS


def attachment_storage(request: Request) -> AttachmentStorage:
    """`app.state.attachment_storage` if set (another backend, tests), else filesystem storage."""
    storage = getattr(request.app.state, "attachment_storage", None)
    if storage is None:
        storage = FilesystemStorage(attachment_settings(request).dir)
        request.app.state.attachment_storage = storage
    return storage


SettingsDep = Annotated[AttachmentSettings, Depends(attachment_settings)]
StorageDep = Annotated[AttachmentStorage, Depends(attachment_storage)]

_PROBLEM = {"model": Problem, "content": {PROBLEM_JSON: {}}}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "file"],
                    "properties": {
                        "kind": {"type": "string", "enum": [k.value for k in AttachmentKind]},
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The document. Its type is detected from its content: "
                            + ", ".join(ACCEPTED),
                        },
                    },
                }
            }
        },
    }
}


def public(attachment: Attachment) -> AttachmentPublic:
    return AttachmentPublic.model_validate(attachment, from_attributes=True)


@router.post(
    "",
    response_model=AttachmentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a document (multipart/form-data: `kind`, `file`)",
    openapi_extra=_UPLOAD_BODY,
    responses={400: _PROBLEM, 413: _PROBLEM, 415: _PROBLEM},
)
async def upload_attachment(
    proposal_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    storage: StorageDep,
) -> AttachmentPublic:
    # Who may not upload here is refused before a byte of the body is read.
    await run_in_threadpool(service.check_can_upload, session, principal, proposal_id)
    received = await upload.receive(request, max_bytes=settings.max_bytes, spool_dir=settings.spool_dir)
    try:
        kind = service.parse_kind(received.fields.get("kind"))
        if not received.has_file:
            raise upload.invalid("file: a file is required", pointer="/file")
        attachment = await run_in_threadpool(
            service.store_upload,
            session,
            principal,
            proposal_id,
            kind=kind,
            filename=received.filename,
            declared_type=received.declared_type,
            spool=received.spool,
            storage=storage,
            settings=settings,
        )
    finally:
        await run_in_threadpool(received.spool.close)
    response.headers["Location"] = f"{router.prefix.format(proposal_id=proposal_id)}/{attachment.id}"
    return public(attachment)


@router.get("", response_model=list[AttachmentPublic], summary="The proposal's attachments")
def list_attachments(
    proposal_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[AttachmentPublic]:
    return [public(a) for a in service.list_attachments(session, principal, proposal_id)]


@router.get("/{attachment_id}", response_model=AttachmentPublic, summary="One attachment's metadata")
def get_attachment(
    proposal_id: uuid.UUID, attachment_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> AttachmentPublic:
    return public(service.get_attachment(session, principal, proposal_id, attachment_id))


@router.get(
    "/{attachment_id}/content",
    summary="Download an attachment",
    response_class=StreamingResponse,
    responses={200: {"content": {t: {} for t in ACCEPTED}, "description": "The document's bytes."}},
)
def download_attachment(
    proposal_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    storage: StorageDep,
) -> StreamingResponse:
    attachment = service.get_attachment(session, principal, proposal_id, attachment_id)
    stream = service.open_content(storage, attachment)
    headers = {
        "Content-Disposition": service.content_disposition(
            service.download_filename(attachment.filename, attachment.media_type)
        ),
        "Content-Length": str(attachment.size_bytes),
        "ETag": f'"{attachment.sha256}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        # Should a browser render it anyway: no scripts, no requests, no same-origin access.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return StreamingResponse(service.iter_content(stream), media_type=attachment.media_type, headers=headers)


@router.delete(
    "/{attachment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an attachment (not once it is part of a submitted version)",
)
def delete_attachment(
    proposal_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    storage: StorageDep,
) -> Response:
    service.delete_attachment(session, principal, proposal_id, attachment_id, storage=storage)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
