"""Admin pages: funding programmes and calls, questionnaire versions (intake); reference-data versions,
policy uploads, country-profile and entity-list imports (appraisal). Every form posts, then redirects
(303) on success or shows the page again with the API's validation errors (JSON pointers)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from rsc_portal.backend import ApiError
from rsc_portal.security.deps import Admin
from rsc_portal.security.session import PortalSession
from rsc_portal.templating import render

router = APIRouter()

INTAKE = "intake"
APPRAISAL = "appraisal"
LIST_FORMATS: dict[str, str] = {
    "eu-fsf-xml": "application/xml",
    "ftm-jsonl": "application/x-ndjson",
    "watchlist-csv": "text/csv",
}
LIST_KINDS = ("sanctions", "export_control", "watchlist", "other")
LIST_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
DATASET_KINDS = ("policy", "country_profiles", "entity_list")
DONE_MESSAGES = frozenset(
    {"programme", "call", "questionnaire", "policy", "country_profiles", "entity_list", "activated"}
)


# ------------------------------------------------------------------------------------------ helpers


def problems(exc: ApiError) -> dict[str, str]:
    """Every error of a problem+json answer, keyed by where it is: a JSON pointer, else the location
    (and line) a parser reported, else its position in the list."""
    out: dict[str, str] = {}
    for i, err in enumerate(exc.errors):
        where = err.get("pointer") or err.get("field")
        if not where and err.get("location") is not None:
            loc = err["location"]
            where = ".".join(map(str, loc)) if isinstance(loc, list) else str(loc)
        if err.get("line") is not None:
            where = f"{where or ''} (line {err['line']})".strip()
        message = err.get("message") or err.get("detail") or err.get("msg") or json.dumps(err, ensure_ascii=False)
        key = str(where or f"#{i + 1}")
        out[key] = f"{out[key]}; {message}" if key in out else str(message)
    return out


def _text(form: FormData, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def _upload(request: Request, form: FormData, file_field: str, text_field: str | None = None) -> bytes:
    """The uploaded file's bytes, else the pasted text; ValueError when too large."""
    limit = request.app.state.settings.max_upload_bytes
    item = form.get(file_field)
    if isinstance(item, UploadFile) and item.filename:
        body = await item.read(limit + 1)
        if len(body) > limit:
            raise ValueError("admin.error_too_large")
        if body:
            return body
    if text_field:
        text = form.get(text_field)
        if isinstance(text, str) and text.strip():
            body = text.encode()
            if len(body) > limit:
                raise ValueError("admin.error_too_large")
            return body
    return b""


def _filename(form: FormData, field: str) -> str:
    item = form.get(field)
    return item.filename or "" if isinstance(item, UploadFile) else ""


def _done(request: Request) -> str | None:
    done = request.query_params.get("done")
    return done if done in DONE_MESSAGES else None


def _utc(value: str) -> str | None:
    """A `datetime-local` value (taken as UTC) as an ISO timestamp with offset; None if unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (
        parsed.replace(tzinfo=None).isoformat(timespec="seconds") + "Z" if parsed.tzinfo is None else parsed.isoformat()
    )


async def _get(request: Request, session: PortalSession, service: str, path: str, **params: Any) -> Any:
    return await request.app.state.backend.get(session, service, path, **params)


# ------------------------------------------------------------------------------------------ overview


@router.get("/admin")
async def admin_home(request: Request, session: Admin) -> Response:
    return render(request, "admin/index.html")


# ---------------------------------------------------------------------------------------- programmes


async def _programmes_page(
    request: Request, session: PortalSession, *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, detail: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    programmes = await _get(request, session, INTAKE, "/v1/programmes")
    context = {
        "programmes": programmes,
        "values": values or {},
        "errors": errors or {},
        "detail": detail,
        "done": _done(request),
    }
    return render(request, "admin/programmes.html", context, status_code=status_code)


@router.get("/admin/programmes")
async def programmes(request: Request, session: Admin) -> Response:
    return await _programmes_page(request, session)


@router.post("/admin/programmes")
async def create_programme(request: Request, session: Admin) -> Response:
    form = await request.form()
    values = {"name": _text(form, "name", 200), "funder": _text(form, "funder", 200)}
    values["description"] = _text(form, "description", 5000)
    try:
        await request.app.state.backend.post(session, INTAKE, "/v1/programmes", values)
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        return await _programmes_page(
            request, session, values=values, errors=problems(exc), detail=exc.detail or exc.title, status_code=422
        )
    return RedirectResponse("/admin/programmes?done=programme", status_code=303)


# --------------------------------------------------------------------------------------------- calls


async def _calls_page(
    request: Request, session: PortalSession, *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, detail: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    calls = await _get(request, session, INTAKE, "/v1/calls", open="false")
    programme_list = await _get(request, session, INTAKE, "/v1/programmes")
    names = {p["id"]: p["name"] for p in programme_list}
    context = {
        "calls": sorted(calls, key=lambda c: c.get("opens_at") or "", reverse=True),
        "programmes": programme_list,
        "programme_names": names,
        "values": values or {},
        "errors": errors or {},
        "detail": detail,
        "done": _done(request),
    }
    return render(request, "admin/calls.html", context, status_code=status_code)


@router.get("/admin/calls")
async def calls(request: Request, session: Admin) -> Response:
    return await _calls_page(request, session)


@router.post("/admin/calls")
async def create_call(request: Request, session: Admin) -> Response:
    form = await request.form()
    values = {name: _text(form, name, 500) for name in ("programme_id", "identifier", "title", "opens_at", "closes_at")}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {k: values[k] for k in ("programme_id", "identifier", "title")}
    for name in ("opens_at", "closes_at"):
        stamp = _utc(values[name])
        if stamp is None:
            errors[f"/{name}"] = "admin.error_datetime"
        body[name] = stamp
    if errors:
        return await _calls_page(request, session, values=values, errors=errors, status_code=422)
    try:
        created = await request.app.state.backend.post(session, INTAKE, "/v1/calls", body)
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        return await _calls_page(
            request, session, values=values, errors=problems(exc), detail=exc.detail or exc.title, status_code=422
        )
    return RedirectResponse(f"/admin/calls/{created['id']}?done=call", status_code=303)


# ------------------------------------------------------------------------------------ questionnaires


async def _call_page(
    request: Request, session: PortalSession, call_id: uuid.UUID, *, text: str = "",
    errors: dict[str, str] | None = None, detail: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    call = await _get(request, session, INTAKE, f"/v1/calls/{call_id}")
    try:
        questionnaire = await _get(request, session, INTAKE, f"/v1/calls/{call_id}/questionnaire")
    except ApiError as exc:
        if exc.status != 404:
            raise
        questionnaire = None
    programme = None
    for p in await _get(request, session, INTAKE, "/v1/programmes"):
        if p["id"] == call.get("programme_id"):
            programme = p
    latest = int(questionnaire["version"]) if questionnaire else 0
    context = {
        "call": call,
        "programme": programme,
        "questionnaire": questionnaire,
        "versions": list(range(latest, 0, -1)),
        "text": text,
        "errors": errors or {},
        "detail": detail,
        "done": _done(request),
    }
    return render(request, "admin/call.html", context, status_code=status_code)


@router.get("/admin/calls/{call_id}")
async def call_detail(request: Request, session: Admin, call_id: uuid.UUID) -> Response:
    return await _call_page(request, session, call_id)


def parse_definition(raw: bytes, filename: str = "") -> dict[str, Any]:
    """A questionnaire definition from JSON or YAML; `{"definition": ...}` is accepted as well.
    ValueError (catalogue key, message) when it cannot be read."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("admin.error_encoding", str(exc)) from None
    try:
        if filename.lower().endswith(".json") or text.lstrip().startswith(("{", "[")):
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValueError("admin.error_parse", str(exc)[:500]) from None
    if not isinstance(data, dict):
        raise ValueError("admin.error_not_object", "")
    if set(data) == {"definition"}:
        return data
    return {"definition": data}


@router.post("/admin/calls/{call_id}/questionnaires")
async def publish_questionnaire(request: Request, session: Admin, call_id: uuid.UUID) -> Response:
    form = await request.form()
    text = form.get("definition_text") if isinstance(form.get("definition_text"), str) else ""
    try:
        raw = await _upload(request, form, "definition_file", "definition_text")
        if not raw:
            raise ValueError("admin.error_no_definition", "")
        body = parse_definition(raw, _filename(form, "definition_file"))
    except ValueError as exc:
        key, *rest = exc.args
        errors = {"definition": key}
        return await _call_page(
            request, session, call_id, text=str(text), errors=errors, detail=rest[0] if rest else None, status_code=422
        )
    try:
        created = await request.app.state.backend.post(session, INTAKE, f"/v1/calls/{call_id}/questionnaires", body)
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        return await _call_page(
            request, session, call_id, text=str(text), errors=problems(exc), detail=exc.detail or exc.title,
            status_code=422,
        )  # fmt: skip
    return RedirectResponse(
        f"/admin/calls/{call_id}/questionnaires/{created['version']}?done=questionnaire", status_code=303
    )


@router.get("/admin/calls/{call_id}/questionnaires/{version}")
async def questionnaire_version(
    request: Request, session: Admin, call_id: uuid.UUID, version: Annotated[int, Path(ge=1, le=1_000_000)]
) -> Response:
    call = await _get(request, session, INTAKE, f"/v1/calls/{call_id}")
    questionnaire = await _get(request, session, INTAKE, f"/v1/calls/{call_id}/questionnaires/{version}")
    context = {
        "call": call,
        "questionnaire": questionnaire,
        "definition_json": json.dumps(questionnaire.get("definition"), indent=2, ensure_ascii=False),
        "done": _done(request),
    }
    return render(request, "admin/questionnaire.html", context)


# ------------------------------------------------------------------------------------ reference data


async def _reference_page(
    request: Request, session: PortalSession, *, form_name: str | None = None, values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None, detail: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    datasets = await _get(request, session, APPRAISAL, "/v1/reference-datasets")
    groups = {kind: [d for d in datasets if d.get("kind") == kind] for kind in DATASET_KINDS}
    for items in groups.values():
        items.sort(key=lambda d: (d.get("key") or "", d.get("imported_at") or ""), reverse=True)
    context = {
        "groups": groups,
        "form_name": form_name,
        "values": values or {},
        "errors": errors or {},
        "detail": detail,
        "done": _done(request),
        "version": (request.query_params.get("version") or "")[:100],
        "list_formats": list(LIST_FORMATS),
        "list_kinds": LIST_KINDS,
    }
    return render(request, "admin/reference_data.html", context, status_code=status_code)


@router.get("/admin/reference-data")
async def reference_data(request: Request, session: Admin) -> Response:
    return await _reference_page(request, session)


@router.post("/admin/reference-data/{dataset_id}/activate")
async def activate_dataset(request: Request, session: Admin, dataset_id: uuid.UUID) -> Response:
    try:
        dataset = await request.app.state.backend.post(
            session, APPRAISAL, f"/v1/reference-datasets/{dataset_id}/activate"
        )
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        return await _reference_page(
            request, session, form_name="activate", errors=problems(exc), detail=exc.detail or exc.title,
            status_code=422,
        )  # fmt: skip
    label = (dataset or {}).get("version_label", "")
    return RedirectResponse(f"/admin/reference-data?done=activated&version={label}", status_code=303)


async def _send_file(
    request: Request, session: PortalSession, path: str, body: bytes, content_type: str, params: dict[str, Any]
) -> dict[str, Any]:
    response = await request.app.state.backend.request(
        session, APPRAISAL, "POST", path, params=params, content=body, headers={"Content-Type": content_type}
    )
    return response.json() if response.content else {}


async def _import(
    request: Request, session: PortalSession, form_name: str, values: dict[str, Any], path: str,
    body: bytes, content_type: str, params: dict[str, Any], local_errors: dict[str, str],
) -> Response:  # fmt: skip
    if not body:
        local_errors.setdefault("file", "admin.error_no_file")
    if local_errors:
        return await _reference_page(
            request, session, form_name=form_name, values=values, errors=local_errors, status_code=422
        )
    try:
        dataset = await _send_file(request, session, path, body, content_type, params)
    except ApiError as exc:
        if exc.status not in (400, 409, 413, 415, 422):
            raise
        return await _reference_page(
            request, session, form_name=form_name, values=values, errors=problems(exc),
            detail=exc.detail or exc.title, status_code=422,
        )  # fmt: skip
    label = dataset.get("version_label", "")
    return RedirectResponse(f"/admin/reference-data?done={form_name}&version={label}", status_code=303)


@router.post("/admin/policies")
async def upload_policy(request: Request, session: Admin) -> Response:
    form = await request.form()
    values = {"policy_format": _text(form, "policy_format", 10), "policy_text": form.get("policy_text") or ""}
    errors: dict[str, str] = {}
    try:
        body = await _upload(request, form, "policy_file", "policy_text")
    except ValueError as exc:
        body, errors["file"] = b"", exc.args[0]
    name = _filename(form, "policy_file").lower()
    fmt = values["policy_format"]
    if fmt not in ("yaml", "json"):
        fmt = "json" if name.endswith(".json") or body.lstrip().startswith(b"{") else "yaml"
    content_type = "application/json" if fmt == "json" else "application/yaml"
    return await _import(request, session, "policy", values, "/v1/policies", body, content_type, {}, errors)


@router.post("/admin/country-profiles")
async def import_country_profiles(request: Request, session: Admin) -> Response:
    form = await request.form()
    values = {
        "version_label": _text(form, "version_label", 100),
        "source": _text(form, "source", 500),
        "example_data": form.get("example_data") == "true",
    }
    errors: dict[str, str] = {}
    for name in ("version_label", "source"):
        if not values[name]:
            errors[name] = "admin.error_required"
    try:
        body = await _upload(request, form, "profiles_file")
    except ValueError as exc:
        body, errors["file"] = b"", exc.args[0]
    params = {**values, "example_data": "true" if values["example_data"] else "false"}
    return await _import(
        request, session, "country_profiles", values, "/v1/country-profiles", body, "text/csv", params, errors
    )


@router.post("/admin/entity-lists")
async def import_entity_list(request: Request, session: Admin) -> Response:
    form = await request.form()
    values = {
        "list_key": _text(form, "list_key", 64),
        "list_format": _text(form, "list_format", 20),
        "version_label": _text(form, "version_label", 100),
        "title": _text(form, "title", 200),
        "source": _text(form, "source", 500),
        "list_kind": _text(form, "list_kind", 20),
        "activate": form.get("activate") == "true",
    }
    errors: dict[str, str] = {}
    if not LIST_KEY.fullmatch(values["list_key"]):
        errors["list_key"] = "admin.error_list_key"
    if values["list_format"] not in LIST_FORMATS:
        errors["list_format"] = "admin.error_required"
    for name in ("version_label", "title", "source"):
        if not values[name]:
            errors[name] = "admin.error_required"
    if values["list_kind"] and values["list_kind"] not in LIST_KINDS:
        errors["list_kind"] = "admin.error_required"
    try:
        body = await _upload(request, form, "list_file")
    except ValueError as exc:
        body, errors["file"] = b"", exc.args[0]
    params = {
        "format": values["list_format"],
        "version_label": values["version_label"],
        "title": values["title"],
        "source": values["source"],
        "kind": values["list_kind"] or None,
        "activate": "true" if values["activate"] else "false",
    }
    path = f"/v1/entity-lists/{values['list_key']}/versions"
    content_type = LIST_FORMATS.get(values["list_format"], "application/octet-stream")
    return await _import(request, session, "entity_list", values, path, body, content_type, params, errors)


@router.get("/admin/policies/schema")
async def policy_schema(request: Request, session: Admin) -> Response:
    schema = await _get(request, session, APPRAISAL, "/v1/policies/schema")
    context = {"schema_json": json.dumps(schema, indent=2, ensure_ascii=False)}
    return render(request, "admin/policy_schema.html", context)
