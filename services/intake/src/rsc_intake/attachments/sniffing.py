"""What an uploaded file really is, decided from its bytes alone.

The client's Content-Type and the file name's extension are never trusted. Accepted:

- PDF (``%PDF-``), PNG, JPEG;
- office documents in ZIP containers, told apart by the package's own declaration: OOXML
  (docx, xlsx, pptx) by the main part's type in ``[Content_Types].xml``, ODF (odt, ods, odp)
  by the ``mimetype`` entry; macro-enabled packages and any other ZIP are refused;
- plain text: valid UTF-8 without NUL bytes.

Everything else is a 415 problem ``unsupported-media-type``. A declared type that contradicts
the content is a 415 ``media-type-mismatch``.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from typing import BinaryIO

from rsc_common.http import ProblemError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain; charset=utf-8"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"

# The main part's content type in [Content_Types].xml → the package's media type.
_OOXML_MAIN = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
_ODF = {ODT.encode(), ODS.encode(), ODP.encode()}

# File-name extensions that fit each type (the first is appended to a download name that fits none).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    TEXT: (".txt", ".text", ".csv", ".md", ".asc"),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    PPTX: (".pptx",),
    ODT: (".odt",),
    ODS: (".ods",),
    ODP: (".odp",),
}
ACCEPTED = tuple(EXTENSIONS)

# Declared types that say nothing about the content.
_GENERIC = {"", "application/octet-stream", "binary/octet-stream", "application/unknown", "application/binary"}
# Other names clients use for the same content.
_ALIASES: dict[str, set[str]] = {
    PDF: {"application/x-pdf", "application/acrobat"},
    JPEG: {"image/jpg", "image/pjpeg"},
    PNG: {"image/x-png"},
}
_ZIP_DECLARED = {"application/zip", "application/x-zip-compressed", "application/x-zip"}

_ZIP_MAX_ENTRIES = 10_000
_ZIP_MAX_UNCOMPRESSED = 1024 * 1024 * 1024
_MANIFEST_MAX = 1024 * 1024
_CONTENT_TYPE_ATTR = re.compile(rb"""ContentType\s*=\s*["']([^"']{1,255})["']""")
_MACROS = re.compile(rb"macroEnabled|vbaProject|vbaData", re.IGNORECASE)


def unsupported(detail: str) -> ProblemError:
    return ProblemError(
        415,
        "unsupported-media-type",
        detail + " Accepted: PDF, PNG, JPEG, Word/Excel/PowerPoint (OOXML), OpenDocument, plain UTF-8 text.",
        title="Unsupported Media Type",
    )


def sniff(stream: BinaryIO) -> str:
    """The media type of a complete, seekable upload; raises a 415 problem for anything else."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(stream)
    if _is_utf8_text(stream):
        return TEXT
    raise unsupported("The file's content is not of an accepted type.")


def _sniff_zip(stream: BinaryIO) -> str:
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            if len(infos) > _ZIP_MAX_ENTRIES or sum(i.file_size for i in infos) > _ZIP_MAX_UNCOMPRESSED:
                raise unsupported("The archive is too large when unpacked.")
            names = {i.filename for i in infos}
            if any(_MACROS.search(n.encode()) for n in names):
                raise unsupported("Macro-enabled documents are not accepted.")
            if "[Content_Types].xml" in names:
                return _ooxml_type(_read_bounded(archive, "[Content_Types].xml"))
            if infos and infos[0].filename == "mimetype":
                declared = _read_bounded(archive, "mimetype").strip()
                if declared in _ODF:
                    return declared.decode()
                raise unsupported("This OpenDocument type is not accepted.")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise unsupported("The file looks like a ZIP archive but cannot be read.") from exc
    finally:
        stream.seek(0)
    raise unsupported("ZIP archives are accepted only as Office or OpenDocument files.")


def _read_bounded(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        data = member.read(_MANIFEST_MAX + 1)
    if len(data) > _MANIFEST_MAX:
        raise unsupported(f"The document's {name} is implausibly large.")
    return data


def _ooxml_type(manifest: bytes) -> str:
    # A regex, not an XML parser: no entity expansion or other parser tricks on untrusted XML.
    types = set(_CONTENT_TYPE_ATTR.findall(manifest))
    if any(_MACROS.search(t) for t in types):
        raise unsupported("Macro-enabled documents are not accepted.")
    found = {_OOXML_MAIN[t] for t in types if t in _OOXML_MAIN}
    if len(found) != 1:
        raise unsupported("This Office document type is not accepted.")
    return found.pop()


def _is_utf8_text(stream: BinaryIO) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        while chunk := stream.read(64 * 1024):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        stream.seek(0)
    return True


def base_type(media_type: str | None) -> str:
    return (media_type or "").split(";", 1)[0].strip().lower()


def check_declared(sniffed: str, declared: str | None) -> None:
    """A 415 `media-type-mismatch` when the client declared a specific, different type."""
    claimed = base_type(declared)
    actual = base_type(sniffed)
    if claimed in _GENERIC or claimed == actual or claimed in _ALIASES.get(actual, set()):
        return
    if actual == "text/plain" and claimed.startswith("text/"):
        return  # csv, markdown, ...: all stored and served as plain text
    if (sniffed in _OOXML_MAIN.values() or sniffed.encode() in _ODF) and claimed in _ZIP_DECLARED:
        return
    raise ProblemError(
        415,
        "media-type-mismatch",
        f"The file was declared as {claimed} but its content is {actual}.",
        title="Unsupported Media Type",
        declared=claimed,
        detected=actual,
    )
