"""Receiving a multipart/form-data upload as a stream.

The request body is parsed chunk by chunk (python-multipart's streaming parser) straight into a
`Spool`, which hashes and counts the bytes as they arrive and stops at the size limit: an
oversized upload is refused after at most `max_bytes` bytes, not after buffering all of it (as
FastAPI's `UploadFile` would), and its temporary file is removed.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from rsc_common.http import ProblemError

# Bytes a multipart envelope may add around the file (boundaries, part headers, the `kind` field).
ENVELOPE_ALLOWANCE = 64 * 1024
MAX_FIELD_BYTES = 1024
MAX_PARTS = 8


def too_large(max_bytes: int) -> ProblemError:
    return ProblemError(
        413,
        "attachment-too-large",
        f"attachments may be at most {max_bytes} bytes ({max_bytes / 1024 / 1024:.0f} MiB)",
        title="Content Too Large",
        max_bytes=max_bytes,
    )


def invalid(detail: str, *, pointer: str | None = None) -> ProblemError:
    errors = [{"pointer": pointer, "location": ["body", pointer.strip("/")], "message": detail}] if pointer else None
    extra = {"errors": errors} if errors else {}
    return ProblemError(422, "validation", detail, title="Invalid request", **extra)


class Spool:
    """A temporary file that hashes (SHA-256) and counts what is written, up to `max_bytes`.

    The file is anonymous (removed by the OS when closed, even if the process dies).
    """

    def __init__(self, max_bytes: int, directory: Path | None = None) -> None:
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - closed by close()
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.max_bytes:
            self.close()
            raise too_large(self.max_bytes)
        self.file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def rewind(self) -> IO[bytes]:
        self.file.flush()
        self.file.seek(0)
        return self.file

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class ReceivedUpload:
    spool: Spool
    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    declared_type: str | None = None
    has_file: bool = False
    complete: bool = False


class _Collector:
    """python-multipart callbacks: one `file` part into the spool, small text fields into `fields`."""

    def __init__(self, upload: ReceivedUpload) -> None:
        self.upload = upload
        self.parts = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._is_file = False
        self._value = bytearray()

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }

    def on_end(self) -> None:
        self.upload.complete = True

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise invalid(f"at most {MAX_PARTS} form parts are accepted")
        self._headers = {}
        self._name = None
        self._is_file = False
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise invalid("a form part has no name")
        self._name = name.decode("utf-8", "replace")
        self._is_file = self._name == "file"
        if self._is_file:
            if self.upload.has_file:
                raise invalid("only one file may be uploaded at a time", pointer="/file")
            self.upload.has_file = True
            raw = options.get(b"filename")
            # python-multipart reads header bytes as latin-1; browsers send UTF-8 file names.
            self.upload.filename = _utf8(raw) if raw is not None else None
            declared = self._headers.get(b"content-type")
            self.upload.declared_type = declared.decode("latin-1").strip() if declared else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.upload.spool.write(data[start:end])
            return
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD_BYTES:
            raise invalid(f"form field {self._name!r} is too long", pointer=f"/{self._name}")

    def on_part_end(self) -> None:
        if not self._is_file and self._name is not None:
            try:
                self.upload.fields[self._name] = bytes(self._value).decode("utf-8")
            except UnicodeDecodeError:
                raise invalid(f"form field {self._name!r} is not UTF-8", pointer=f"/{self._name}") from None


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


async def receive(request: Request, *, max_bytes: int, spool_dir: Path | None) -> ReceivedUpload:
    """Parse the request's multipart body into a `ReceivedUpload` (the caller closes its spool)."""
    content_type = request.headers.get("content-type", "")
    try:
        from python_multipart.exceptions import FormParserError
        from python_multipart.multipart import MultipartParser, parse_options_header
    except ImportError as exc:  # pragma: no cover - a deployment error, not a client's
        raise RuntimeError("attachment uploads need the python-multipart package") from exc

    media_type, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise ProblemError(
            415,
            "multipart-required",
            "upload the file as multipart/form-data with the fields `kind` and `file`",
            title="Unsupported Media Type",
        )
    declared_length = request.headers.get("content-length")
    if declared_length and declared_length.isdigit() and int(declared_length) > max_bytes + ENVELOPE_ALLOWANCE:
        raise too_large(max_bytes)

    spool = await run_in_threadpool(Spool, max_bytes, spool_dir)
    upload = ReceivedUpload(spool=spool)
    collector = _Collector(upload)
    received = 0
    try:
        parser = MultipartParser(boundary, collector.callbacks())
        async for chunk in request.stream():
            if not chunk:
                continue
            received += len(chunk)
            if received > max_bytes + ENVELOPE_ALLOWANCE:
                raise too_large(max_bytes)
            # The callbacks write to disk: keep that off the event loop.
            await run_in_threadpool(parser.write, chunk)
        if not upload.complete:
            raise ProblemError(400, "malformed-multipart", "the multipart body ended before its closing boundary")
    except ProblemError:
        spool.close()
        raise
    except FormParserError as exc:
        spool.close()
        raise ProblemError(400, "malformed-multipart", f"the multipart body cannot be parsed: {exc}") from None
    except BaseException:
        spool.close()
        raise
    return upload
