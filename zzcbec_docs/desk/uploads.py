"""Uploaded files: limits, the type told by the content (never by the name), names never used as paths."""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass

from zzcbec_docs.errors import ZzcbecError

MAX_FILE = 10 * 1024 * 1024  # one attachment
MAX_FILES = 20  # attachments to one application
MAX_BUNDLE = 1024 * 1024  # a bundle file, as on the command line

KINDS = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class UploadRefused(ZzcbecError):
    """An uploaded file is too large, of a type not taken, or one too many (HTTP 422 / 413)."""


@dataclass(frozen=True)
class Upload:
    ext: str
    media_type: str
    sha256: str
    size: int
    display_name: str


def sniff(data: bytes) -> str | None:
    """The file's type from its first bytes (and, for Office files, the parts inside the zip)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
    return None


def display_name(name: str | None) -> str:
    """The original name, for showing only: no folders, no control characters, at most 120 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:120] or "未命名 unnamed"


def accept(data: bytes, name: str | None, already: int = 0) -> Upload:
    shown = display_name(name)
    if already >= MAX_FILES:
        raise UploadRefused(f"附件最多 {MAX_FILES} 个", f"at most {MAX_FILES} attachments", file=shown)
    if len(data) > MAX_FILE:
        raise UploadRefused(
            f"附件超过 {MAX_FILE // (1024 * 1024)} MiB 上限",
            f"an attachment is larger than {MAX_FILE // (1024 * 1024)} MiB",
            file=shown,
        )
    if not data:
        raise UploadRefused("附件是空文件", "the attachment is empty", file=shown)
    ext = sniff(data)
    if ext is None:
        raise UploadRefused(
            "附件只接受 PDF、PNG、JPEG、DOCX、XLSX（按文件内容判断，不看扩展名）",
            "attachments are PDF, PNG, JPEG, DOCX or XLSX (told by the content, not the name)",
            file=shown,
        )
    return Upload(ext, KINDS[ext], hashlib.sha256(data).hexdigest(), len(data), shown)


def stored_name(sha256: str, ext: str) -> str:
    """The name an attachment has inside the bundle: made from its hash, never from what the user sent."""
    return f"attachments/{sha256[:16]}.{ext}"
