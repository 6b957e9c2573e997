"""A full disk, a read-only folder or a refused permission is one line naming the path and the cause."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from noisekit.audio import write_audio
from noisekit.cli import main
from noisekit.errors import AudioError, NoisekitError, StorageError
from noisekit.fsutil import atomic_write

TONE = (0.1 * np.sin(np.linspace(0, 200 * np.pi, 4410))).astype(np.float32)


def _disk_full_on_replace(monkeypatch):
    real = os.replace

    def replace(src, dst):
        if ".tmp" in str(src):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(src))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def test_disk_full_names_the_file_keeps_the_old_one_and_leaves_no_temporary(tmp_path: Path, monkeypatch):
    target = tmp_path / "table.parquet"
    target.write_bytes(b"old")
    _disk_full_on_replace(monkeypatch)
    with pytest.raises(StorageError) as caught, atomic_write(target) as handle:
        handle.write(b"new")
    assert str(caught.value) == f"{target}: cannot write: no space left on device"
    assert caught.value.errno == errno.ENOSPC and isinstance(caught.value, OSError)
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["table.parquet"]


def test_a_write_error_inside_the_block_names_the_target(tmp_path: Path):
    target = tmp_path / "x.bin"
    with pytest.raises(StorageError, match=r"x\.bin: cannot write: read-only file system"), atomic_write(target):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))


def test_an_error_about_another_file_is_left_as_it_is(tmp_path: Path):
    with pytest.raises(FileNotFoundError), atomic_write(tmp_path / "out.bin") as handle:
        handle.write((tmp_path / "missing.bin").read_bytes())


def test_a_folder_that_cannot_be_made_is_named(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError) as caught:
        write_audio(blocker / "sub" / "a.wav", TONE, 44100)
    assert str(caught.value) == f"{blocker / 'sub'}: cannot create the folder: not a directory"


@pytest.fixture
def libsndfile_system_error(monkeypatch):
    """soundfile failing as it does on a full disk: 'System error.', naming neither file nor cause."""

    def write(*args, **kwargs):
        raise sf.LibsndfileError(2)

    monkeypatch.setattr(sf, "write", write)


def _statvfs(free_blocks: int, flags: int = 0):
    return lambda folder: SimpleNamespace(f_flag=flags, f_bavail=free_blocks, f_frsize=4096)


@pytest.mark.parametrize(
    ("free_blocks", "flags", "cause"),
    [(0, 0, "no space left on device (0 bytes free)"), (10**6, os.ST_RDONLY, "read-only file system")],
)
def test_libsndfiles_system_error_gets_its_cause(
    tmp_path: Path, monkeypatch, libsndfile_system_error, free_blocks, flags, cause
):
    monkeypatch.setattr(os, "statvfs", _statvfs(free_blocks, flags))
    with pytest.raises(StorageError) as caught:
        write_audio(tmp_path / "a.flac", TONE, 44100)
    assert str(caught.value) == f"{tmp_path / 'a.flac'}: cannot write: {cause}"
    assert list(tmp_path.iterdir()) == []


def test_libsndfile_failing_with_room_to_spare_is_an_audio_error(tmp_path: Path, libsndfile_system_error):
    with pytest.raises(AudioError, match=r"a\.wav: cannot write: libsndfile: System error"):
        write_audio(tmp_path / "a.wav", TONE, 44100)


def _music(tmp_path: Path) -> Path:
    folder = tmp_path / "music"
    folder.mkdir()
    sf.write(folder / "a.wav", TONE, 44100)
    return folder


def test_a_command_on_a_full_disk_exits_2_with_one_line(tmp_path: Path, monkeypatch):
    music = _music(tmp_path)
    _disk_full_on_replace(monkeypatch)
    result = CliRunner().invoke(main, ["manifest", "clean", str(music), "--data", str(tmp_path / "d")])
    assert result.exit_code == 2, result.output
    assert "cannot write: no space left on device" in result.output and str(tmp_path / "d") in result.output
    assert "Traceback" not in result.output


def test_a_bare_permission_error_from_a_command_is_one_line_too(tmp_path: Path, monkeypatch):
    import noisekit.pipelines.clean as clean  # noqa: PLC0415

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/archive/locked.wav")

    monkeypatch.setattr(clean, "build_clean_manifest", refuse)
    result = CliRunner().invoke(main, ["manifest", "clean", str(_music(tmp_path)), "--data", str(tmp_path / "d")])
    assert result.exit_code == 2 and "error: /archive/locked.wav: permission denied" in result.output


def test_a_per_file_write_failure_is_a_failed_item_naming_path_and_cause(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    sf.write(tmp_path / "a.wav", np.tile(TONE, 10), 44100)
    result = CliRunner().invoke(
        main, ["restore", str(tmp_path / "a.wav"), "--out", str(blocker / "out"), "--steps", "declick"]
    )
    assert result.exit_code == 1, result.output
    assert f"failed: {blocker / 'out'}: cannot create the folder: not a directory" in result.output
    assert issubclass(StorageError, NoisekitError)
