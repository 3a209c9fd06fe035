"""Admin API for reference data: load a policy, country profiles or an entity-list version
(validated, stored as a new draft version, audited), activate a version, list and inspect them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from rsc_appraisal.permissions import ReferenceAdmin, ScreeningReader
from rsc_appraisal.references import parsers
from rsc_appraisal.references import service as references
from rsc_appraisal.references.models import DatasetKind, ReferenceDataset
from rsc_appraisal.references.schemas import ReferenceDatasetDetail, ReferenceDatasetPublic
from rsc_appraisal.screenings.context import CONTEXT
from rsc_common.http import SessionDep
from rsc_common.http.problem import ProblemError

router = APIRouter(prefix="/v1", tags=["reference data"])

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
ListFormat = Literal["eu-fsf-xml", "ftm-jsonl", "watchlist-csv"]


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise ProblemError(413, "too-large", f"uploads are limited to {MAX_UPLOAD_BYTES // 2**20} MiB")
    body = await request.body()
    if len(body) > MAX_UPLOAD_BYTES:
        raise ProblemError(413, "too-large", f"uploads are limited to {MAX_UPLOAD_BYTES // 2**20} MiB")
    if not body:
        raise ProblemError(422, "empty-upload", "the request body is empty: send the file as the body")
    return body


def public(dataset: ReferenceDataset, today: date | None = None) -> ReferenceDatasetPublic:
    today = today or datetime.now(UTC).date()
    return ReferenceDatasetPublic(
        **dataset.model_dump(exclude={"document"}),
        review_overdue=bool(dataset.review_by and dataset.review_by < today),
    )


def detail(dataset: ReferenceDataset) -> ReferenceDatasetDetail:
    base = public(dataset)
    warnings = []
    if base.review_overdue:
        warnings.append(f"{dataset.kind} {dataset.version_label} is past its review date {dataset.review_by}")
    if dataset.example_data:
        warnings.append(f"{dataset.kind} {dataset.version_label} is example data, not for real decisions")
    return ReferenceDatasetDetail(**base.model_dump(), document=dataset.document, warnings=warnings)


@router.get("/reference-datasets", response_model=list[ReferenceDatasetPublic], summary="Reference-data versions")
def list_datasets(session: SessionDep, _: ScreeningReader, kind: DatasetKind | None = None) -> list:
    return [public(d) for d in references.list_datasets(session, kind)]


@router.get("/reference-datasets/{dataset_id}", response_model=ReferenceDatasetDetail)
def get_dataset(dataset_id: uuid.UUID, session: SessionDep, _: ScreeningReader) -> ReferenceDatasetDetail:
    return detail(references.get_dataset(session, dataset_id))


@router.post(
    "/reference-datasets/{dataset_id}/activate",
    response_model=ReferenceDatasetPublic,
    summary="Make this version the active one (the previous active version is superseded)",
)
def activate_dataset(dataset_id: uuid.UUID, session: SessionDep, principal: ReferenceAdmin) -> ReferenceDatasetPublic:
    dataset = references.activate(session, references.get_dataset(session, dataset_id), principal.subject)
    session.commit()
    CONTEXT.clear()
    return public(dataset)


@router.post(
    "/policies",
    status_code=201,
    response_model=ReferenceDatasetDetail,
    summary="Load a new policy version (YAML or JSON body); stored as a draft until activated",
    openapi_extra={"requestBody": {"content": {"application/yaml": {}, "application/json": {}}, "required": True}},
)
async def load_policy(request: Request, session: SessionDep, principal: ReferenceAdmin) -> ReferenceDatasetDetail:
    body = await _body(request)
    dataset = parsers.policy_dataset(body, request.headers.get("content-type", ""), principal.subject)
    references.add_dataset(session, dataset, principal.subject)
    session.commit()
    return detail(dataset)


@router.get("/policies/schema", summary="JSON Schema of policy documents")
def policy_schema(_: ScreeningReader) -> dict:
    return parsers.policy_json_schema_document()


@router.post(
    "/country-profiles",
    status_code=201,
    response_model=ReferenceDatasetDetail,
    summary="Import a country-profile set (CSV body); stored as a draft until activated",
    openapi_extra={"requestBody": {"content": {"text/csv": {}}, "required": True}},
)
async def import_country_profiles(
    request: Request,
    session: SessionDep,
    principal: ReferenceAdmin,
    version_label: Annotated[str, Query(min_length=1, max_length=100)],
    source: Annotated[str, Query(min_length=1, max_length=500)],
    example_data: bool = False,
) -> ReferenceDatasetDetail:
    body = await _body(request)
    dataset = parsers.country_profiles_dataset(body, version_label, source, example_data, principal.subject)
    references.add_dataset(session, dataset, principal.subject)
    session.commit()
    return detail(dataset)


@router.post(
    "/entity-lists/{list_key}/versions",
    status_code=201,
    response_model=ReferenceDatasetPublic,
    summary="Import a new version of an entity list (EU FSF XML, FollowTheMoney JSON lines or watch-list CSV)",
    description="Stored in one transaction (all entries or none). Activated at once unless `activate=false`;"
    " activation re-screens the partners of all open cases and funded grants in the worker and emits"
    " `appraisal.new_list_hit` for every new match.",
    openapi_extra={
        "requestBody": {
            "content": {"application/xml": {}, "application/x-ndjson": {}, "text/csv": {}},
            "required": True,
        }
    },
)
async def import_entity_list(
    list_key: Annotated[str, parsers.LIST_KEY],
    request: Request,
    session: SessionDep,
    principal: ReferenceAdmin,
    file_format: Annotated[ListFormat, Query(alias="format")],
    version_label: Annotated[str, Query(min_length=1, max_length=100)],
    title: Annotated[str, Query(min_length=1, max_length=200)],
    source: Annotated[str, Query(min_length=1, max_length=500)],
    kind: parsers.ListKindQuery = None,
    retrieved_at: datetime | None = None,
    activate: Annotated[bool, Query(description="Activate at once (re-screens open cases and grants)")] = True,
) -> ReferenceDatasetPublic:
    body = await _body(request)
    data = parsers.entity_list(
        body,
        file_format,
        list_key=list_key,
        title=title,
        kind=kind,
        version_label=version_label,
        source=source,
        retrieved_at=retrieved_at or datetime.now(UTC),
    )
    dataset = references.add_entity_list(
        session, data, references.sha256(body), principal.subject, file_format=file_format
    )
    if activate:  # the worker re-screens on the `activated` event, not this request
        references.activate(session, dataset, principal.subject)
    session.commit()
    return public(dataset)
