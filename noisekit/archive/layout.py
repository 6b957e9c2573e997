"""Archive items as data: the JSON the metadata API returns, and the on-disk layout `ia download` leaves
(`<identifier>/<identifier>_meta.xml`, `<identifier>_files.xml` and the files).

`great78_item` and `write_archive_dir` build a miniature Great-78-like archive from given audio files;
the offline demo harvests it with `--source-dir`, and the loopback test archive serves the same items.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from noisekit.archive.metadata import MetadataError, check_identifier
from noisekit.fsutil import atomic_write, safe_join

MTIME = "1600000000"  # a fixed upload time keeps generated archives byte-for-byte reproducible


@dataclass
class LayoutFile:
    """One file of an item: its bytes (given, or read from `path`) and what the metadata says of it.

    `stated_md5` overrides the md5 written into the metadata (to build a file that never verifies).
    """

    name: str
    data: bytes | None = None
    path: Path | None = None
    source: str = "original"
    format: str = "Flac"
    original: str | None = None
    length: str | None = None
    stated_md5: str | None = None
    private: bool = False

    @cached_property
    def content(self) -> bytes:
        """The file's bytes."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError(f"file {self.name!r} has neither data nor path")
        return Path(self.path).read_bytes()

    def entry(self) -> dict[str, str]:
        """The file's entry in the metadata API's `files` list (every value a string, as the archive's)."""
        body = self.content
        out = {
            "name": self.name,
            "source": self.source,
            "format": self.format,
            "mtime": MTIME,
            "size": str(len(body)),
            "md5": self.stated_md5 or hashlib.md5(body).hexdigest(),
            "crc32": f"{zlib.crc32(body):08x}",
            "sha1": hashlib.sha1(body).hexdigest(),
        }
        if self.original:
            out["original"] = self.original
        if self.length:
            out["length"] = self.length
        if self.private:
            out["private"] = "true"
        return out


@dataclass
class LayoutItem:
    """An item: its identifier, its descriptive metadata (strings or lists of strings) and its files."""

    identifier: str
    metadata: dict[str, Any]
    files: list[LayoutFile] = field(default_factory=list)

    def metadata_json(self, server: str = "ia800000.us.archive.org") -> dict[str, Any]:
        """The item in the shape `/metadata/<identifier>` answers."""
        entries = [f.entry() for f in self.files]
        return {
            "created": int(MTIME),
            "d1": server,
            "d2": server.replace("ia8", "ia6"),
            "dir": f"/0/items/{self.identifier}",
            "files": entries,
            "files_count": len(entries),
            "item_last_updated": int(MTIME),
            "item_size": sum(int(e["size"]) for e in entries),
            "metadata": {"identifier": self.identifier, **self.metadata},
            "server": server,
            "uniq": 1,
            "workable_servers": [server],
        }


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes:02d}:{secs:02d}"


def great78_item(
    identifier: str,
    audio: Path | bytes,
    *,
    name: str,
    title: str,
    creator: str | list[str],
    date: str | None = None,
    year: str | None = None,
    label: str | None = None,
    length_s: float | None = None,
    transfers: Iterable[tuple[str, Path | bytes]] = (),
    mp3: Path | bytes | None = None,
    collections: tuple[str, ...] = ("georgeblood", "78rpm"),
    extra_files: bool = True,
) -> LayoutItem:
    """A Great 78 item: the main track `name` (FLAC), optional stylus transfers and MP3 derivative,
    and (with `extra_files`) the label image, spectrogram and item image real items carry."""

    def file(fname: str, src: Path | bytes, **kw: Any) -> LayoutFile:
        return LayoutFile(
            fname,
            data=src if isinstance(src, bytes) else None,
            path=None if isinstance(src, bytes) else Path(src),
            **kw,
        )

    length = f"{length_s:.2f}" if length_s is not None else None
    files = [file(name, audio, format="Flac", length=length)]
    files += [file(tname, tsrc, format="Flac", length=length) for tname, tsrc in transfers]
    if mp3 is not None:
        files.append(
            file(
                name.rsplit(".", 1)[0] + ".mp3",
                mp3,
                source="derivative",
                format="VBR MP3",
                original=name,
                length=_clock(length_s) if length_s is not None else None,
            )
        )
    if extra_files:
        files.append(LayoutFile(f"{identifier}_itemimage.jpg", data=b"\xff\xd8\xff fake jpeg", format="JPEG"))
        files.append(
            LayoutFile(
                name.rsplit(".", 1)[0] + "_spectrogram.png",
                data=b"\x89PNG fake",
                source="derivative",
                format="PNG",
                original=name,
            )
        )
    meta: dict[str, Any] = {"mediatype": "audio", "collection": list(collections), "title": title, "creator": creator}
    for key, value in (("date", date), ("year", year), ("publisher", label)):
        if value is not None:
            meta[key] = value
    return LayoutItem(identifier, meta, files)


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def write_item_dir(root: Path, item: LayoutItem) -> Path:
    """Write `item` under `root` as `ia download` leaves it; returns the item's folder."""
    folder = safe_join(root, check_identifier(item.identifier))
    meta = ET.Element("metadata")
    for key, value in {"identifier": item.identifier, **item.metadata}.items():
        for text in value if isinstance(value, list) else [value]:
            ET.SubElement(meta, key).text = str(text)
    files = ET.Element("files")
    for layout_file in item.files:
        entry = layout_file.entry()
        node = ET.SubElement(files, "file", name=entry.pop("name"), source=entry.pop("source"))
        for key, value in entry.items():
            ET.SubElement(node, key).text = value
        with atomic_write(safe_join(folder, layout_file.name, allow_subdirs=True)) as out:
            out.write(layout_file.content)
    with atomic_write(folder / f"{item.identifier}_meta.xml") as out:
        out.write(_xml_bytes(meta))
    with atomic_write(folder / f"{item.identifier}_files.xml") as out:
        out.write(_xml_bytes(files))
    return folder


def write_archive_dir(root: Path, items: Iterable[LayoutItem]) -> list[Path]:
    """Write a miniature archive (one folder per item) under `root`; returns the item folders."""
    Path(root).mkdir(parents=True, exist_ok=True)
    return [write_item_dir(Path(root), item) for item in items]


def _parse_xml(path: Path, identifier: str) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise MetadataError(identifier, f"cannot read {path}: {exc}") from exc


def read_item_dir(root: Path, identifier: str) -> dict[str, Any]:
    """The metadata of an item in an `ia download` folder, in the metadata API's JSON shape."""
    folder = safe_join(root, check_identifier(identifier))
    meta_root = _parse_xml(folder / f"{identifier}_meta.xml", identifier)
    files_root = _parse_xml(folder / f"{identifier}_files.xml", identifier)
    metadata: dict[str, Any] = {}
    for node in meta_root:
        text = (node.text or "").strip()
        if node.tag in metadata:
            previous = metadata[node.tag]
            metadata[node.tag] = (previous if isinstance(previous, list) else [previous]) + [text]
        else:
            metadata[node.tag] = text
    files = []
    for node in files_root.iter("file"):
        entry = {key: (child.text or "").strip() for child in node for key in [child.tag]}
        entry.update({k: v for k, v in node.attrib.items() if k in ("name", "source")})
        files.append(entry)
    return {"metadata": metadata, "files": files}


def list_item_dirs(root: Path) -> list[str]:
    """Identifiers of the item folders under `root` (folders holding `<identifier>_meta.xml`), sorted."""
    found = []
    for child in sorted(Path(root).iterdir()):
        if child.is_dir() and (child / f"{child.name}_meta.xml").is_file():
            found.append(child.name)
    return found
