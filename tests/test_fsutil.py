"""Safe names from untrusted input, atomic writes, checksums, data directory paths and seeding."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

from noisekit.datadir import DataDir
from noisekit.errors import UnsafePathError
from noisekit.fsutil import atomic_path, atomic_write, check_safe_name, md5_file, safe_join, sha256_file
from noisekit.seeding import rng_for, stable_hash, unit_interval

HOSTILE = [
    "..",
    "../etc/passwd",
    "a/../../b",
    "/etc/passwd",
    "C:\\x",
    "a\\b",
    "a\x00b",
    "bell\x07",
    "",
    ".",
    "a//b",
    "x" * 300,
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused(name):
    with pytest.raises(UnsafePathError):
        check_safe_name(name, allow_subdirs=True)


@pytest.mark.parametrize("name", ["78_song name (take 2), 'live'? #1 % ! é.flac", "a.b.c", "ü"])
def test_real_archive_names_are_accepted(name):
    assert check_safe_name(name) == name


def test_subdirectories_only_when_allowed(tmp_path):
    with pytest.raises(UnsafePathError):
        check_safe_name("disc/side.flac")
    assert safe_join(tmp_path, "disc/side.flac", allow_subdirs=True) == tmp_path.resolve() / "disc" / "side.flac"


def test_safe_join_refuses_symlink_escape(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "link")
    with pytest.raises(UnsafePathError, match="outside"):
        safe_join(root, "link", "x.flac", allow_subdirs=False)


def test_atomic_write_replaces_or_keeps(tmp_path):
    path = tmp_path / "f.txt"
    with atomic_write(path, "w") as handle:
        handle.write("one")
    with pytest.raises(RuntimeError), atomic_write(path, "w") as handle:
        handle.write("tw")
        raise RuntimeError("crash")
    assert path.read_text() == "one"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_checksums_match_hashlib(tmp_path):
    path = tmp_path / "blob"
    data = os.urandom(3 << 20)
    path.write_bytes(data)
    assert md5_file(path) == hashlib.md5(data).hexdigest()
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_datadir_relative_and_resolve(tmp_path):
    data = DataDir(tmp_path).ensure()
    target = data.recordings / "id" / "f.flac"
    assert data.relative(target) == "recordings/id/f.flac"
    assert data.resolve("recordings/id/f.flac") == target
    for bad in ("../x", "/etc/passwd", "recordings/../../x"):
        with pytest.raises(UnsafePathError):
            data.resolve(bad)
    with pytest.raises(UnsafePathError):
        data.relative(tmp_path.parent / "elsewhere")


def test_seeding_is_stable_and_item_independent():
    assert stable_hash("side", 1) == stable_hash("side", 1) != stable_hash("side", 2)
    assert stable_hash("noisekit") == 15956016230302026389  # must never change between versions
    a = rng_for(7, "side", 3).standard_normal(4)
    np.testing.assert_array_equal(a, rng_for(7, "side", 3).standard_normal(4))
    assert not np.allclose(a, rng_for(8, "side", 3).standard_normal(4))
    values = [unit_interval("id", i) for i in range(2000)]
    assert min(values) >= 0.0 and max(values) < 1.0 and abs(np.mean(values) - 0.5) < 0.03


def test_atomic_files_get_the_usual_permissions(tmp_path):
    path = tmp_path / "shared.txt"
    with atomic_write(path, "w") as handle:
        handle.write("x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    # a writer that makes the temporary anew with its own mode (safetensors does, 0600) does not change that
    weights = tmp_path / "w.safetensors"
    with atomic_path(weights) as tmp:
        tmp.unlink()
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600))
    assert weights.stat().st_mode & 0o777 == 0o666 & ~umask


def test_temporaries_of_killed_writers_are_found_and_removed(tmp_path):
    from noisekit.fsutil import atomic_path, remove_temporaries

    with atomic_path(tmp_path / "noise.parquet") as tmp:
        (tmp_path / tmp.name.replace(".noise.", ".noise.killed")).write_text("what a SIGKILL leaves")
        tmp.write_text("done")
    (tmp_path / ".recordings.ab12.tmp.parquet").write_text("killed")
    assert remove_temporaries(tmp_path, "noise") == 1
    assert remove_temporaries(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noise.parquet"]
