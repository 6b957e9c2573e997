"""Which files of a Great 78 item to harvest: the main-track lossless original(s) by default, the extra
stylus transfers on request, or the MP3 derivatives instead."""

from __future__ import annotations

import re

from noisekit.archive.metadata import ArchiveFileInfo, ItemInfo
from noisekit.errors import ConfigError

FILE_CHOICES = ("main", "all-transfers")
FORMAT_CHOICES = ("lossless", "mp3")

# Lossless audio formats as the archive names them in `format`.
LOSSLESS_FORMATS = frozenset({"flac", "24bit flac", "wave", "aiff", "apple lossless audio"})
# Stylus transfers of a side: `_78_<slug>_gbia0001837b_01_2.3_CT_EQ.flac` (side, stylus mil, tip, EQ).
_TRANSFER_RE = re.compile(r"(^|/)_78_.*_\d{2}_\d+(\.\d+)?_[A-Za-z]+(_[A-Za-z]+)*\.[A-Za-z0-9]+$")


def is_stylus_transfer(name: str) -> bool:
    """True for the extra per-stylus transfer files Great 78 items carry beside the main track."""
    return bool(_TRANSFER_RE.search(name))


def is_lossless_original(info: ArchiveFileInfo) -> bool:
    """True for an original (uploaded, not derived) file in a lossless audio format."""
    return info.source == "original" and info.format.strip().lower() in LOSSLESS_FORMATS


def is_mp3(info: ArchiveFileInfo) -> bool:
    """True for an MP3 file (the archive's 'VBR MP3', '128Kbps MP3', ...)."""
    return "mp3" in info.format.lower() or info.name.lower().endswith(".mp3")


def choose_files(item: ItemInfo, files: str = "main", fmt: str = "lossless") -> list[ArchiveFileInfo]:
    """The files of `item` to harvest, in metadata order.

    files='main': the lossless originals that are not stylus transfers (the main track or tracks);
    files='all-transfers': those plus the stylus transfers. fmt='mp3' takes, for each chosen original,
    its MP3 derivative instead (originals without one are left out).
    """
    if files not in FILE_CHOICES:
        raise ConfigError(f"files must be one of {FILE_CHOICES}, not {files!r}")
    if fmt not in FORMAT_CHOICES:
        raise ConfigError(f"format must be one of {FORMAT_CHOICES}, not {fmt!r}")
    originals = [
        f
        for f in item.files
        if is_lossless_original(f) and (files == "all-transfers" or not is_stylus_transfer(f.name))
    ]
    if fmt == "lossless":
        return originals
    chosen = {f.name for f in originals}
    return [f for f in item.files if f.source == "derivative" and is_mp3(f) and f.original in chosen]
