"""Where attachment bytes live.

`AttachmentStorage` is the interface the service uses; `FilesystemStorage` keeps objects as files
under one root directory (a mounted volume in production). An object-storage implementation
(S3-compatible, say) can be added later behind the same four methods; nothing else in the
service touches paths.

Keys are made by the service from server-generated ids (`storage_key`), never from anything the
client sent (file names, types); `FilesystemStorage` still validates every key and refuses any
that could leave its root.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

CHUNK_SIZE = 1024 * 1024

# Slash-separated segments of letters, digits, '-' and '_' (no dots: no '.', '..' or hidden names).
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,128}(/[A-Za-z0-9_-]{1,128}){0,7}$")


class InvalidStorageKeyError(ValueError):
    pass


def storage_key(proposal_id: uuid.UUID, attachment_id: uuid.UUID) -> str:
    """The key of an attachment's bytes: only server-generated ids, never user input."""
    return f"{proposal_id.hex}/{attachment_id.hex}"


@runtime_checkable
class AttachmentStorage(Protocol):
    def put(self, key: str, stream: BinaryIO) -> None:
        """Store everything readable from `stream` under `key`, all or nothing."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A binary stream of the object (the caller closes it); FileNotFoundError if absent."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""
        ...

    def exists(self, key: str) -> bool: ...


class FilesystemStorage:
    """Objects as files under `root`; writes are atomic and durable.

    `put` streams into a temporary file in the target's own directory, fsyncs it, renames it
    into place (atomic on POSIX) and fsyncs the directory: readers see either no object or the
    whole object, never a half-written one, even after a crash. A failed write leaves nothing.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def path_for(self, key: str) -> Path:
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise InvalidStorageKeyError(f"invalid storage key {key!r}")
        path = (self.root / key).resolve()
        # Belt and braces: the pattern already excludes '..', absolute paths and backslashes.
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidStorageKeyError(f"storage key {key!r} leaves the storage root")
        return path

    def put(self, key: str, stream: BinaryIO) -> None:
        target = self.path_for(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK_SIZE):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        _fsync_dir(target.parent)

    def open(self, key: str) -> BinaryIO:
        return self.path_for(key).open("rb")

    def delete(self, key: str) -> None:
        path = self.path_for(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(path.parent)

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
