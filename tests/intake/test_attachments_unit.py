"""Attachments without servers: content sniffing, filesystem storage, size limit, file names."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from starlette.requests import Request

from rsc_common.http import ProblemError
from rsc_intake.attachments import sniffing, upload
from rsc_intake.attachments.service import content_disposition, download_filename, sanitize_filename
from rsc_intake.attachments.storage import FilesystemStorage, InvalidStorageKeyError, storage_key

# --- sample files, built here --------------------------------------------------------------------


def make_pdf() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte + one red pixel
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


def make_jpeg() -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def make_zip(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(entries):
            compress = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compress)
    return buffer.getvalue()


def content_types(main: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main}"/>'
        "</Types>"
    ).encode()


def make_docx() -> bytes:
    return make_zip(
        [
            ("[Content_Types].xml", content_types(sniffing.DOCX + ".main+xml")),
            ("_rels/.rels", b"<Relationships/>"),
            ("word/document.xml", b"<w:document><w:body><w:p/></w:body></w:document>"),
        ]
    )


def make_odt() -> bytes:
    return make_zip(
        [("mimetype", sniffing.ODT.encode()), ("content.xml", b"<office:document-content/>")], stored_first=True
    )


def sniff(data: bytes) -> str:
    return sniffing.sniff(io.BytesIO(data))


# --- sniffing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (make_pdf(), sniffing.PDF),
        (make_png(), sniffing.PNG),
        (make_jpeg(), sniffing.JPEG),
        (make_docx(), sniffing.DOCX),
        (make_odt(), sniffing.ODT),
        (
            make_zip(
                [
                    (
                        "[Content_Types].xml",
                        content_types("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
                    ),
                    ("xl/workbook.xml", b"<workbook/>"),
                ]
            ),
            sniffing.XLSX,
        ),
        ("Zoë Ångström — partner letter\nline two\n".encode(), sniffing.TEXT),
    ],
    ids=["pdf", "png", "jpeg", "docx", "odt", "xlsx", "utf8-text"],
)
def test_accepted_content_is_recognised_from_its_bytes(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, id="windows-exe"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56, id="elf"),
        pytest.param(make_zip([("payload.exe", b"MZ..."), ("readme.txt", b"hi")]), id="plain-zip"),
        pytest.param(make_zip([("mimetype", b"application/epub+zip"), ("x", b"")], stored_first=True), id="epub"),
        pytest.param(
            make_zip(
                [
                    ("[Content_Types].xml", content_types("application/vnd.ms-word.document.macroEnabled.main+xml")),
                    ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0"),
                ]
            ),
            id="docm-macros",
        ),
        pytest.param(b"PK\x03\x04 truncated and not really a zip", id="broken-zip"),
        pytest.param(b"plain text\x00with a NUL", id="text-with-nul"),
        pytest.param(b"caf\xe9 latin-1, not UTF-8", id="invalid-utf8"),
        pytest.param(b"GIF89a\x01\x00\x01\x00", id="gif"),
    ],
)
def test_anything_else_is_unsupported(data: bytes) -> None:
    with pytest.raises(ProblemError) as info:
        sniff(data)
    assert (info.value.status, info.value.slug) == (415, "unsupported-media-type")


def test_a_renamed_executable_declared_as_pdf_is_still_refused() -> None:
    # Neither the name nor the declared type matter: only the bytes.
    with pytest.raises(ProblemError) as info:
        sniff(b"MZ\x90\x00" + b"\x00" * 60)
    assert info.value.status == 415


@pytest.mark.parametrize(
    ("sniffed", "declared"),
    [
        (sniffing.PDF, None),
        (sniffing.PDF, "application/octet-stream"),
        (sniffing.PDF, "application/pdf"),
        (sniffing.PDF, "Application/PDF; name=x.pdf"),
        (sniffing.JPEG, "image/jpg"),
        (sniffing.TEXT, "text/csv"),
        (sniffing.DOCX, "application/zip"),
    ],
)
def test_consistent_declared_types_pass(sniffed: str, declared: str | None) -> None:
    sniffing.check_declared(sniffed, declared)


def test_a_contradicting_declared_type_is_a_415_mismatch() -> None:
    with pytest.raises(ProblemError) as info:
        sniffing.check_declared(sniffing.TEXT, "application/pdf")
    assert (info.value.status, info.value.slug) == (415, "media-type-mismatch")
    assert "application/pdf" in info.value.detail
    assert "text/plain" in info.value.detail


# --- filesystem storage ------------------------------------------------------------------------


def test_storage_round_trip_and_delete(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path)
    key = "abc/def"
    storage.put(key, io.BytesIO(b"x" * 3_000_000))
    assert storage.exists(key)
    with storage.open(key) as stream:
        assert stream.read() == b"x" * 3_000_000
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # already gone: no error


class _FailingStream(io.RawIOBase):
    """Yields some data, then fails, like a client that disconnects mid-upload."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 2:
            raise ConnectionResetError("client went away")
        return b"y" * 1024


def test_a_failed_write_leaves_neither_object_nor_temp_file(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path)
    with pytest.raises(ConnectionResetError):
        storage.put("p/a", _FailingStream())  # type: ignore[arg-type]
    assert not storage.exists("p/a")
    assert list((tmp_path / "p").iterdir()) == []


def test_a_failed_rewrite_keeps_the_previous_object_whole(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path)
    storage.put("p/a", io.BytesIO(b"complete"))
    with pytest.raises(ConnectionResetError):
        storage.put("p/a", _FailingStream())  # type: ignore[arg-type]
    with storage.open("p/a") as stream:
        assert stream.read() == b"complete"
    assert [p.name for p in (tmp_path / "p").iterdir()] == ["a"]


@pytest.mark.parametrize(
    "key",
    [
        "../escape",
        "a/../../escape",
        "/etc/passwd",
        "a\\b",
        ".hidden",
        "a/.",
        "a/..",
        "",
        "a//b",
        "a/b/",
        "ä",
        "x" * 200,
    ],
)
def test_storage_refuses_keys_that_could_leave_its_root(tmp_path: Path, key: str) -> None:
    storage = FilesystemStorage(tmp_path / "root")
    with pytest.raises(InvalidStorageKeyError):
        storage.put(key, io.BytesIO(b"x"))
    with pytest.raises(InvalidStorageKeyError):
        storage.open(key)
    assert not (tmp_path / "escape").exists()


def test_storage_refuses_a_symlink_out_of_its_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "link")
    with pytest.raises(InvalidStorageKeyError):
        FilesystemStorage(root).put("link/file", io.BytesIO(b"x"))
    assert list(outside.iterdir()) == []


def test_storage_keys_are_made_of_server_ids_only() -> None:
    import uuid

    proposal_id, attachment_id = uuid.uuid4(), uuid.uuid4()
    assert storage_key(proposal_id, attachment_id) == f"{proposal_id.hex}/{attachment_id.hex}"


# --- size limit --------------------------------------------------------------------------------


def test_spool_hashes_counts_and_accepts_up_to_the_limit(tmp_path: Path) -> None:
    import hashlib

    with upload.Spool(10, tmp_path) as spool:
        spool.write(b"12345")
        spool.write(b"67890")
        assert spool.size == 10
        assert spool.sha256 == hashlib.sha256(b"1234567890").hexdigest()
        assert spool.rewind().read() == b"1234567890"


def test_spool_refuses_one_byte_more_and_removes_its_file(tmp_path: Path) -> None:
    spool = upload.Spool(10, tmp_path)
    spool.write(b"1234567890")
    with pytest.raises(ProblemError) as info:
        spool.write(b"x")
    assert (info.value.status, info.value.slug) == (413, "attachment-too-large")
    assert spool.file.closed
    assert list(tmp_path.iterdir()) == []


def _request(body: bytes, content_type: str, chunk: int = 1000) -> Request:
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive() -> dict:
        return messages.pop(0)

    headers = [(b"content-type", content_type.encode())]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers}, receive)


def _multipart(kind: str, filename: str, data: bytes, file_type: str = "application/pdf") -> tuple[bytes, str]:
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {file_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


async def test_receive_streams_the_file_part_into_the_spool(tmp_path: Path) -> None:
    pdf = make_pdf()
    body, content_type = _multipart("ethics_approval", "Zoë's approval.pdf", pdf)
    received = await upload.receive(_request(body, content_type), max_bytes=10_000, spool_dir=tmp_path)
    with received.spool:
        assert received.fields == {"kind": "ethics_approval"}
        assert received.filename == "Zoë's approval.pdf"
        assert received.declared_type == "application/pdf"
        assert received.spool.rewind().read() == pdf


async def test_receive_stops_at_the_size_limit(tmp_path: Path) -> None:
    body, content_type = _multipart("other", "big.pdf", b"%PDF-" + b"x" * 5_000)
    with pytest.raises(ProblemError) as info:
        await upload.receive(_request(body, content_type), max_bytes=1_000, spool_dir=tmp_path)
    assert info.value.status == 413
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 - a test's tmp dir


async def test_receive_refuses_a_truncated_body(tmp_path: Path) -> None:
    body, content_type = _multipart("other", "a.pdf", make_pdf())
    with pytest.raises(ProblemError) as info:
        await upload.receive(_request(body[:-20], content_type), max_bytes=10_000, spool_dir=tmp_path)
    assert (info.value.status, info.value.slug) == (400, "malformed-multipart")


async def test_receive_wants_multipart(tmp_path: Path) -> None:
    with pytest.raises(ProblemError) as info:
        await upload.receive(_request(b"{}", "application/json"), max_bytes=10, spool_dir=tmp_path)
    assert info.value.status == 415


# --- file names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\zoe\\Desktop\\MoU.docx", "MoU.docx"),
        ("Zoe\u0308.pdf", "Zoë.pdf"),  # NFD → NFC
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("..hidden.txt", "hidden.txt"),
        ("", "attachment"),
        (None, "attachment"),
        ("/", "attachment"),
    ],
)
def test_filenames_are_sanitised(raw: str | None, expected: str) -> None:
    assert sanitize_filename(raw) == expected


def test_long_filenames_are_bounded_keeping_the_extension() -> None:
    name = sanitize_filename("a" * 500 + ".pdf")
    assert len(name) == 200
    assert name.endswith(".pdf")


def test_download_names_fit_the_content_and_are_encoded() -> None:
    assert download_filename("agreement.PDF", sniffing.PDF) == "agreement.PDF"
    assert download_filename("page.html", sniffing.TEXT) == "page.html.txt"
    header = content_disposition('Zoë "quoted".pdf')
    assert header.startswith('attachment; filename="Zo_ _quoted_.pdf"')
    assert "filename*=UTF-8''Zo%C3%AB%20%22quoted%22.pdf" in header
