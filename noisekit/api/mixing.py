"""Training mixtures X = β(Y + αN) from any clean-audio dataset and a noise set, made as `noisekit train` makes them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from noisekit.denoiser.data import MIX_PRESETS, DatasetItems, MixConfig, MixDataset
from noisekit.errors import ConfigError


def mix_config(config: str | MixConfig = "gramophone", **changes: Any) -> MixConfig:
    """A :class:`MixConfig` from a preset name ('gramophone': the paper's SNR 2-20 dB and gain -6..4 dB;
    'tape') or as given, with field changes (crop_s, snr_db, gain_db, sample_rate)."""
    if isinstance(config, str):
        if config not in MIX_PRESETS:
            raise ConfigError(f"unknown mix preset {config!r}; choose from {', '.join(MIX_PRESETS)}")
        config = MIX_PRESETS[config]
    return replace(config, **changes) if changes else config


class Mixer(MixDataset):
    """A ``Dataset`` of (noisy, clean) float32 tensors of ``crop_s`` seconds: example ``i`` is X = β(Y + αN)
    with Y a crop of ``clean`` (items weighted by length), N a circular crop of a ``noise`` loop, α from the
    drawn SNR and β the drawn gain, a pure function of (seed, split, i) — the code of `noisekit train`.

    ``clean``: a :class:`~noisekit.CleanSet`, or any dataset whose items are audio arrays or tensors at the
    mix rate ((samples,), (channels, samples), or a tuple starting with one); ``lengths`` (samples per item)
    spares the pass that measures them. ``noise``: a :class:`~noisekit.NoiseSet` or such a dataset.
    ``config``: a preset name or a MixConfig; keyword changes such as ``crop_s=2.0`` apply to it.
    ``length``: examples per epoch (default: one per clean item). ``split`` only keys the random draws
    (`noisekit train` uses the split's name).
    """

    def __init__(
        self,
        clean: Any,
        noise: Any,
        config: str | MixConfig = "gramophone",
        *,
        seed: int = 0,
        split: str = "train",
        length: int | None = None,
        lengths: Any = None,
        **changes: Any,
    ) -> None:
        cfg = mix_config(config, **changes)
        if lengths is not None:
            clean = DatasetItems(clean, lengths)
        super().__init__(clean, noise, cfg, seed, split, len(clean) if length is None else length)
