"""The restoration chain from Python (gate, declick, denoise, inpaint): what `noisekit restore` runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from noisekit.api.denoise import Denoiser
from noisekit.api.inputs import check_array, is_path
from noisekit.audio import load_audio
from noisekit.errors import ConfigError
from noisekit.outputs import output_stems
from noisekit.pipelines.restore import (
    STEPS,
    DenoiseFn,
    RestoreOptions,
    RestoreResult,
    pick_denoiser,
    restore_array,
    restore_file,
    restore_files,
)


def chain_denoiser(denoiser: Any = "auto") -> tuple[DenoiseFn, str]:
    """The denoise step and its name: 'auto' (the shipped model, else the classical LSA), 'model', 'lsa', a
    checkpoint path, a :class:`~noisekit.Denoiser`, or any callable (audio (channels, n), sr) -> audio."""
    if isinstance(denoiser, Denoiser):
        return denoiser.denoise, f"two-stage U-Net ({denoiser.name})"
    if callable(denoiser):
        return denoiser, getattr(denoiser, "__name__", "callable")
    if denoiser in ("auto", "model", "lsa"):
        return pick_denoiser(None, denoiser)
    if is_path(denoiser):
        return pick_denoiser(denoiser, "model")
    raise ConfigError(f"denoiser {denoiser!r}: use auto, model, lsa, a checkpoint path, a Denoiser or a callable")


def _options(steps: Sequence[str], options: RestoreOptions | None, name: str) -> RestoreOptions:
    """The chain's options: ``options`` (default RestoreOptions()) with these steps, in chain order."""
    steps = (steps,) if isinstance(steps, str) else tuple(steps)
    unknown = [s for s in steps if s not in STEPS]
    if unknown or not steps:
        raise ConfigError(f"unknown restore step(s) {unknown or list(steps)}; choose from {', '.join(STEPS)}")
    return replace(options or RestoreOptions(), steps=tuple(s for s in STEPS if s in steps), denoiser_name=name)


def restore(
    array_or_path: Any,
    steps: Sequence[str] = STEPS,
    *,
    sample_rate: int | None = None,
    denoiser: Any = "auto",
    options: RestoreOptions | None = None,
    out_dir: str | Path | None = None,
) -> RestoreResult:
    """Restore a file or an array ((samples,) or (channels, samples) at ``sample_rate``) with the given steps,
    run in the order gate, declick, denoise, inpaint. The result holds the restored audio, the residual, the
    click map and the report; with ``out_dir`` a file's four outputs are also written, as the command writes
    them (<stem>_restored.wav, _residual.wav, _clicks.csv, _restore.json)."""
    fn, name = chain_denoiser(denoiser) if "denoise" in steps else (None, "")
    opts = _options(steps, options, name)
    if is_path(array_or_path):
        if out_dir is not None:
            return restore_file(array_or_path, out_dir, fn, opts)
        audio, sr = load_audio(array_or_path)
    else:
        if out_dir is not None:
            raise ConfigError("out_dir is for a file; an array's result is returned, not written")
        audio, sr = check_array(array_or_path, sample_rate)
    return restore_array(audio, sr, fn, opts)


def restore_many(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    steps: Sequence[str] = STEPS,
    *,
    denoiser: Any = "auto",
    options: RestoreOptions | None = None,
) -> tuple[list[RestoreResult], dict[str, str], str]:
    """Restore files and folders (every audio file inside) into ``out_dir``: (results, failures by path, the
    denoiser's name). A bad file is a failure and the others go on."""
    fn, name = chain_denoiser(denoiser) if "denoise" in steps else (None, "")
    opts = _options(steps, options, name)
    stems = output_stems(inputs, Path(out_dir))  # one name per input; an out_dir inside an input folder is refused
    results, failed = restore_files(list(stems), Path(out_dir), fn, opts, stems)
    return results, failed, name
