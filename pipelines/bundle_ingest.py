"""Ingest a contribution bundle safely: member checks, bounded extraction, checksums, schema, all-or-nothing.

A bundle comes from outside, so nothing in it is trusted: every member name is checked before anything is
read (absolute paths, `..`, backslashes, links and special files, encrypted, oversized, too many, duplicate
or unexpected members are refused), extraction is capped at the declared sizes, and every file must match
SHA256SUMS. The captures then go through the same validation as ingest-tape, and one bad capture means
nothing is ingested.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from noisekit.datadir import DataDir
from noisekit.errors import UnsafePathError
from noisekit.fsutil import check_safe_name, safe_join, sha256_file, staging_dir
from noisekit.pipelines.bundle import (
    CAPTURE_DIR,
    CHECKSUMS,
    CONTRIBUTION_JSON,
    SUMMARY,
    BundleError,
    parse_contribution,
)
from noisekit.pipelines.devices import DeviceError, resolve_device
from noisekit.pipelines.tape import CaptureInput, TapeIngestResult, ingest_captures
from noisekit.pipelines.tape_checks import ClassifierLike

_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
_CAPTURE_NAME = re.compile(rf"^{CAPTURE_DIR}/[A-Za-z0-9][A-Za-z0-9._-]*\.flac$")


@dataclass(frozen=True)
class BundleLimits:
    """How much a bundle may hold: members, bytes per member and in all, bytes of each text member."""

    max_members: int = 512
    max_member_bytes: int = 4 << 30
    max_total_bytes: int = 32 << 30
    max_text_bytes: int = 1 << 20


def check_members(
    zf: zipfile.ZipFile,
    bundle: str | Path,
    limits: BundleLimits = BundleLimits(),
) -> list[zipfile.ZipInfo]:
    """The bundle's file members after every safety check; a BundleError names the first unsafe member."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise BundleError(bundle, f"too many members ({len(infos)}, at most {limits.max_members})")
    files, names, total = [], set(), 0
    for info in infos:
        name = info.filename
        try:
            check_safe_name(name.rstrip("/") if info.is_dir() else name, allow_subdirs=True)
        except UnsafePathError as exc:
            raise BundleError(bundle, f"member {name!r}: unsafe name ({exc.reason})") from None
        mode = info.external_attr >> 16  # Unix mode when made on Unix; no type bits from other systems
        if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
            raise BundleError(bundle, f"member {name!r} is {kind}")
        if info.flag_bits & 0x1:
            raise BundleError(bundle, f"member {name!r} is encrypted")
        if name.lower() in names:
            raise BundleError(bundle, f"member {name!r} appears more than once")
        names.add(name.lower())
        if info.is_dir():
            if name.rstrip("/") != CAPTURE_DIR:
                raise BundleError(bundle, f"unexpected folder {name!r} (only {CAPTURE_DIR}/ is allowed)")
            continue
        text = name in (CHECKSUMS, CONTRIBUTION_JSON, SUMMARY)
        if not text and not _CAPTURE_NAME.match(name):
            raise BundleError(
                bundle,
                f"unexpected member {name!r} (a bundle holds {CHECKSUMS}, "
                f"{CONTRIBUTION_JSON}, {SUMMARY} and {CAPTURE_DIR}/*.flac)",
            )
        cap = limits.max_text_bytes if text else limits.max_member_bytes
        if info.file_size > cap:
            raise BundleError(bundle, f"member {name!r} is oversized ({info.file_size} bytes, at most {cap})")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise BundleError(bundle, f"members exceed {limits.max_total_bytes} bytes in all")
        files.append(info)
    for required in (CHECKSUMS, CONTRIBUTION_JSON):
        if required.lower() not in names:
            raise BundleError(bundle, f"{required} is missing")
    return files


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, root: Path, bundle: str | Path) -> Path:
    """Copy one checked member under root, never writing more than its declared size."""
    target = safe_join(root, *info.filename.split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with zf.open(info) as src, open(target, "xb") as dst:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > info.file_size:
                    raise BundleError(bundle, f"member {info.filename!r} holds more data than it declares")
                dst.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise BundleError(bundle, f"member {info.filename!r} cannot be read: {exc}") from None
    return target


def read_checksums(root: Path, members: list[str], bundle: str | Path) -> dict[str, str]:
    """The digests of SHA256SUMS (already extracted under root), which must list exactly the other members."""
    sums: dict[str, str] = {}
    text = (root / CHECKSUMS).read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if not match:
            raise BundleError(bundle, f"{CHECKSUMS} line {number} is not '<sha256>  <name>'")
        sums[match.group(2)] = match.group(1)
    expected = sorted(m for m in members if m != CHECKSUMS)
    if sorted(sums) != expected:
        missing, extra = sorted(set(expected) - set(sums)), sorted(set(sums) - set(expected))
        raise BundleError(
            bundle, f"{CHECKSUMS} does not match the members (unlisted: {missing}, listed but absent: {extra})"
        )
    return sums


def verify_checksums(root: Path, sums: dict[str, str], bundle: str | Path) -> None:
    """Check each extracted file against its digest."""
    for name, digest in sums.items():
        if sha256_file(root / name) != digest:
            raise BundleError(bundle, f"checksum mismatch for {name}: the file was changed or damaged")


def _device_is_new(name: str, datadir: DataDir, speeds: list[float], new_device: bool, bundle: Path) -> bool:
    try:
        for speed in speeds:
            resolve_device(name, datadir, speed)
        return False
    except DeviceError as exc:
        if new_device:
            return True
        raise BundleError(bundle, f"{exc}; ingest with --new-device to add the bundle's deck") from None


def ingest_bundle(
    datadir: DataDir,
    bundle: str | Path,
    classifier: ClassifierLike | None = None,
    new_device: bool = False,
    limits: BundleLimits = BundleLimits(),
    progress: bool = True,
) -> TapeIngestResult:
    """Verify a contribution bundle and ingest all its captures, or none (CaptureRefused / BundleError)."""
    bundle = Path(bundle)
    datadir.ensure()
    try:
        zf = zipfile.ZipFile(bundle)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(bundle, f"not a readable zip file: {exc}") from None
    with zf, staging_dir(datadir.root, "bundle") as root:  # a killed run's is removed by the next lock holder
        infos = check_members(zf, bundle, limits)
        text = [i for i in infos if i.filename in (CHECKSUMS, CONTRIBUTION_JSON)]
        for info in text:  # the small members first: a bundle whose lists disagree is refused before the audio
            _extract(zf, info, root, bundle)
        sums = read_checksums(root, [i.filename for i in infos], bundle)
        contribution = parse_contribution((root / CONTRIBUTION_JSON).read_text(encoding="utf-8"), bundle)
        listed = [c["file"] for c in contribution.captures]
        flacs = sorted(n for n in sums if n.startswith(f"{CAPTURE_DIR}/"))
        if sorted(listed) != flacs:
            raise BundleError(
                bundle, f"{CONTRIBUTION_JSON} captures {sorted(listed)} do not match the bundle's files {flacs}"
            )
        for info in infos:
            if info not in text:
                _extract(zf, info, root, bundle)
        verify_checksums(root, sums, bundle)
        for cap in contribution.captures:
            if cap["sha256"] != sums[cap["file"]]:
                raise BundleError(bundle, f"{CONTRIBUTION_JSON}: sha256 of {cap['file']} differs from {CHECKSUMS}")
        speeds = sorted({float(c["speed_ips"]) for c in contribution.captures})
        if speeds != sorted(float(s) for s in contribution.speeds_ips):
            raise BundleError(
                bundle,
                f"{CONTRIBUTION_JSON}: speeds_ips {contribution.speeds_ips} do not match the captures' speeds {speeds}",
            )
        is_new = _device_is_new(contribution.device, datadir, speeds, new_device, bundle)
        items = [
            CaptureInput(
                root / c["file"],
                contribution.meta_for(float(c["speed_ips"])),
                c["source"],
                f"{bundle.name}:{c['file']}",
            )
            for c in contribution.captures
        ]
        return ingest_captures(datadir, items, classifier, new_device=is_new, all_or_nothing=True, progress=progress)
