"""Parse untrusted Internet Archive item metadata (the `/metadata/<identifier>` JSON shape) into checked
records: identifiers and file names that pass the safety checks, typed title/creator/year/label, and the
licence and rights exactly as the item states them (`licenseurl`, `rights`), for provenance."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from noisekit.errors import NoisekitError, UnsafePathError
from noisekit.fsutil import check_safe_name

# The archive's own rule for identifiers: letters, digits, '_', '-', '.'; starting with a letter or digit.
_IDENTIFIER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")
_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_MD5_RE = re.compile(r"[0-9a-f]{32}")


class MetadataError(NoisekitError):
    """Item metadata that cannot be used: not JSON, wrong shape, missing fields, unsafe names."""

    def __init__(self, identifier: str, reason: str) -> None:
        self.identifier = identifier
        self.reason = reason
        super().__init__(f"item {identifier!r}: {reason}")


@dataclass(frozen=True)
class ArchiveFileInfo:
    """One file of an item as the metadata describes it (sizes and lengths already parsed)."""

    name: str
    source: str
    format: str
    md5: str | None
    size: int | None
    length_s: float | None
    original: str | None = None
    private: bool = False


@dataclass(frozen=True)
class ItemInfo:
    """An item's descriptive fields and its files, every name checked safe."""

    identifier: str
    title: str | None
    creator: str | None
    year: int | None
    label: str | None
    collections: tuple[str, ...]
    files: tuple[ArchiveFileInfo, ...] = field(default_factory=tuple)
    license_url: str | None = None  # metadata `licenseurl`
    rights: str | None = None  # metadata `rights` (free text; several values joined with '; ')


def check_identifier(identifier: Any) -> str:
    """Return `identifier` if it is a safe archive identifier, else raise UnsafePathError."""
    if not isinstance(identifier, str):
        raise UnsafePathError(repr(identifier), "identifier is not a string")
    check_safe_name(identifier)  # no separators, '..', NUL or control characters
    if not _IDENTIFIER_RE.fullmatch(identifier):
        raise UnsafePathError(identifier, "not a valid archive identifier (letters, digits, '_', '-', '.')")
    return identifier


def first_text(value: Any) -> str | None:
    """The first non-empty string of a metadata value that may be a string or a list of strings."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def all_texts(value: Any) -> tuple[str, ...]:
    """Every string of a metadata value that may be a string or a list of strings."""
    values = value if isinstance(value, list) else [value]
    return tuple(v.strip() for v in values if isinstance(v, str) and v.strip())


def parse_year(year: Any, date: Any) -> int | None:
    """The metadata `year`, else the first four digits of `date`, else None."""
    for value in (year, date):
        text = first_text(value)
        match = _YEAR_RE.search(text) if text else None
        if match:
            return int(match.group(1))
    return None


def parse_length(value: Any) -> float | None:
    """A metadata `length`: seconds ('185.3') or clock form ('mm:ss', 'h:mm:ss'); None when unparseable."""
    text = first_text(value)
    if text is None:
        return None
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        return None
    if len(parts) > 3 or any(p < 0 for p in parts):
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def parse_size(value: Any) -> int | None:
    """A metadata `size` (a string of digits) as int; None when absent or malformed."""
    text = first_text(value)
    return int(text) if text is not None and text.isdigit() else None


def _parse_file(identifier: str, entry: Any) -> ArchiveFileInfo:
    if not isinstance(entry, dict):
        raise MetadataError(identifier, f"a files entry is not an object: {entry!r:.80}")
    name = entry.get("name")
    if not isinstance(name, str):
        raise MetadataError(identifier, f"a files entry has no string name: {entry!r:.80}")
    check_safe_name(name, allow_subdirs=True)
    md5 = first_text(entry.get("md5"))
    if md5 is not None:
        md5 = md5.lower()
        if not _MD5_RE.fullmatch(md5):
            raise MetadataError(identifier, f"file {name!r} has a malformed md5 {md5!r:.40}")
    original = first_text(entry.get("original"))
    return ArchiveFileInfo(
        name=name,
        source=first_text(entry.get("source")) or "",
        format=first_text(entry.get("format")) or "",
        md5=md5,
        size=parse_size(entry.get("size")),
        length_s=parse_length(entry.get("length")),
        original=original,
        private=str(entry.get("private", "")).lower() == "true",
    )


def parse_item_metadata(identifier: str, data: Any) -> ItemInfo:
    """Check and parse the metadata of `identifier`; raises MetadataError or UnsafePathError."""
    check_identifier(identifier)
    if not isinstance(data, dict):
        raise MetadataError(identifier, f"metadata is a {type(data).__name__}, not a JSON object")
    if not data:
        raise MetadataError(identifier, "item does not exist (empty metadata)")
    meta = data.get("metadata")
    files = data.get("files")
    if not isinstance(meta, dict):
        raise MetadataError(identifier, "metadata has no 'metadata' object")
    if not isinstance(files, list):
        raise MetadataError(identifier, "metadata has no 'files' list")
    stated = first_text(meta.get("identifier"))
    if stated != identifier:
        raise MetadataError(identifier, f"metadata names another identifier {stated!r:.80}")
    parsed = tuple(_parse_file(identifier, entry) for entry in files)
    names = [f.name for f in parsed]
    if len(set(names)) != len(names):
        raise MetadataError(identifier, "metadata lists a file name twice")
    return ItemInfo(
        identifier=identifier,
        title=first_text(meta.get("title")),
        creator=first_text(meta.get("creator")),
        year=parse_year(meta.get("year"), meta.get("date")),
        label=first_text(meta.get("publisher")),
        collections=all_texts(meta.get("collection")),
        files=parsed,
        license_url=first_text(meta.get("licenseurl")),
        rights="; ".join(all_texts(meta.get("rights"))) or None,
    )


NOT_RECORDED = "not recorded at harvest: check the terms on the item page before reuse"
NONE_STATED = "none stated in the item metadata"


def licence_statement(license_url: str | None, rights: str | None) -> str:
    """An item's licence in one line for noise rows and dataset cards, from the recordings columns `license`
    and `rights`: '' means the metadata stated none, None (both) that harvest did not record it."""
    if license_url is None and rights is None:
        return NOT_RECORDED
    parts = [f"licenseurl {license_url}" if license_url else "", f"rights: {rights}" if rights else ""]
    return "; ".join(p for p in parts if p) or NONE_STATED
