"""Debian packages as a source of real audio: fetch a .deb by name, unpack it, read its licence.

Packages come from the machine's configured apt sources (`apt-get download`, no root install, nothing
run from the package) or from a local folder of .deb files, so a recipe can be replayed offline. The
licence is read from the package's machine-readable copyright file (DEP-5): the paragraph whose `Files:`
patterns match the member, else the `Files: *` paragraph.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from noisekit.errors import NoisekitError, UnsafePathError
from noisekit.fsutil import safe_join

_PACKAGE_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]+")


@dataclass(frozen=True)
class Licence:
    """A member's licence as the package's copyright file states it."""

    name: str  # the short name of the `License:` field, e.g. 'GPL-2+' or 'CC-BY-SA-3.0'
    copyright: str  # the first line of the matching paragraph's `Copyright:` field ('' if none)


def check_package_name(name: str) -> str:
    """Return `name` if it is a valid Debian package name (so it can never be read as an option or a path)."""
    if not isinstance(name, str) or not _PACKAGE_NAME.fullmatch(name):
        raise NoisekitError(f"{name!r}: not a Debian package name")
    return name


def obtain_deb(package: str, cache: Path, timeout_s: float = 1800.0) -> Path:
    """The .deb of `package`: from `cache` if a `<package>_*.deb` is there, else `apt-get download` into it."""
    check_package_name(package)
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"{package}_*.deb"))
    if found:
        return found[-1]
    if shutil.which("apt-get") is None:
        raise NoisekitError(f"{package}: not in {cache} and apt-get is not available to download it")
    staging = cache / f".download-{package}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        done = subprocess.run(
            ["apt-get", "download", "-q", package], cwd=staging, capture_output=True, text=True, timeout=timeout_s
        )
        debs = sorted(staging.glob(f"{package}_*.deb"))
        if done.returncode != 0 or not debs:
            reason = (done.stderr.strip().splitlines() or ["no .deb written"])[-1]
            raise NoisekitError(f"{package}: apt-get download failed: {reason} (run 'apt-get update' first?)")
        target = cache / debs[0].name
        debs[0].replace(target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def unpack_deb(deb: Path, dest: Path) -> Path:
    """Unpack the files of `deb` (not its scripts) into `dest` with dpkg-deb, and return `dest`."""
    if shutil.which("dpkg-deb") is None:
        raise NoisekitError(f"{deb}: dpkg-deb is needed to unpack Debian packages (apt-get install dpkg)")
    dest.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], capture_output=True, text=True)
    if done.returncode != 0:
        raise NoisekitError(f"{deb}: not a readable Debian package: {done.stderr.strip()}")
    return dest


CONTAINERS = ("*.pk3", "*.zip")  # zip archives that games ship their sounds in
MAX_MEMBER_BYTES = 1 << 30  # a member that claims more is refused unread (a zip bomb, not a sound)


def matches(rel: str, include: tuple[str, ...]) -> bool:
    """Whether a member path (relative to the unpacked package) matches any pattern, by its name or whole path."""
    return any(fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], p) or fnmatch.fnmatchcase(rel, p) for p in include)


def expand_containers(root: Path, include: tuple[str, ...]) -> Path:
    """Unpack, beside each zip container in `root` (a `.pk3` of a game, say), its members matching `include`,
    into `<container>.d/`; returns `root`. Unsafe member names and oversized members are skipped."""
    for container in sorted(p for p in root.rglob("*") if p.is_file() and any(p.match(c) for c in CONTAINERS)):
        try:
            archive = zipfile.ZipFile(container)
        except zipfile.BadZipFile as exc:
            raise NoisekitError(f"{container.relative_to(root)}: not a readable zip container: {exc}") from None
        with archive:
            for info in archive.infolist():
                name = info.filename
                rel = f"{container.relative_to(root).as_posix()}.d/{name}"
                if info.is_dir() or not matches(rel, include):
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    continue
                try:
                    target = safe_join(container.with_name(container.name + ".d"), name, allow_subdirs=True)
                except UnsafePathError:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    return root


def _paragraphs(text: str) -> list[dict[str, str]]:
    """The DEP-5 paragraphs of a copyright file as field -> value (continuation lines joined)."""
    out: list[dict[str, str]] = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        last = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and last:
                fields[last] += "\n" + line.strip()
            elif ":" in line:
                last, _, value = line.partition(":")
                last = last.strip().lower()
                fields[last] = value.strip()
        if fields:
            out.append(fields)
    return out


def _matches(patterns: str, member: str) -> bool:
    """Whether a DEP-5 `Files:` pattern list matches the installed member path (patterns name source paths,
    so a pattern matches when it matches any tail of the installed path)."""
    parts = member.split("/")
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    return any(fnmatch.fnmatchcase(tail, pattern) for pattern in patterns.split() for tail in tails)


_FREE_TEXT = [  # (pattern over the lower-cased text with whitespace squeezed, short name); first match wins
    (r"lesser general public license,? (?:as published by .*?)?version 2\.1", "LGPL-2.1"),
    (
        r"general public license,? (?:as published by .*?)?(?:either )?version (\d)(?:[^.]*?or (?:\(at your option\) )?"
        r"(?:any )?later)?",
        "GPL-{0}",
    ),
    (r"creative commons attribution[- ]share ?alike (\d\.\d)", "CC-BY-SA-{0}"),
    (r"creative commons attribution (\d\.\d)", "CC-BY-{0}"),
    (r"public domain", "public-domain"),
]


def _free_text_licence(text: str) -> Licence:
    """A licence named in the prose of an old, non-DEP-5 copyright file, marked as read from prose."""
    flat = re.sub(r"\s+", " ", text.lower())
    holder = re.search(r"copyright (?:\(c\) )?(\d{4}[^.\n]*)", re.sub(r"[ \t]+", " ", text), re.IGNORECASE)
    for pattern, name in _FREE_TEXT:
        found = re.search(pattern, flat)
        if found:
            short = name.format(*found.groups())
            if short.startswith("GPL-") and "later" in found.group(0):
                short += "+"
            return Licence(f"{short} (from the copyright text)", holder.group(1).strip() if holder else "")
    return Licence("unknown (copyright file names no licence noisekit recognises)", "")


def read_licence(root: Path, package: str, member: str) -> Licence:
    """The licence of `member` (a path inside the unpacked package) from usr/share/doc/<package>/copyright."""
    path = root / "usr" / "share" / "doc" / package / "copyright"
    if not path.is_file():
        return Licence("unknown (no copyright file in the package)", "")
    text = path.read_text(encoding="utf-8", errors="replace")
    paragraphs = _paragraphs(text)
    with_files = [p for p in paragraphs if "files" in p and "license" in p]
    specific = [p for p in with_files if p["files"].strip() != "*" and _matches(p["files"], member)]
    generic = [p for p in with_files if p["files"].strip() == "*"]
    header = [p for p in paragraphs if "license" in p]
    if specific:
        chosen = specific[-1]  # DEP-5: the last matching paragraph wins
    elif generic or header:
        chosen = (generic or header)[0]
    else:
        return _free_text_licence(text)
    name = chosen["license"].splitlines()[0].strip() or "unknown (empty License field)"
    holder = chosen.get("copyright", "").splitlines()
    return Licence(name, holder[0].strip() if holder else "")
