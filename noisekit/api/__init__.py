"""The public Python API, imported from the top package (``import noisekit``); see docs/api.md.

``PUBLIC`` maps each public name to the module that defines it, so that ``import noisekit`` stays light:
a name's module (and torch) is imported on first use.
"""

from __future__ import annotations

PUBLIC = {
    "NoiseSet": "noisekit.api.datasets",
    "CleanSet": "noisekit.api.datasets",
    "Mixer": "noisekit.api.mixing",
    "mix_config": "noisekit.api.mixing",
    "MixConfig": "noisekit.denoiser.data",
    "load_denoiser": "noisekit.api.denoise",
    "Denoiser": "noisekit.api.denoise",
    "load_classifier": "noisekit.api.classify",
    "NoiseFinder": "noisekit.api.classify",
    "find_noise": "noisekit.api.classify",
    "restore": "noisekit.api.restore",
    "RestoreOptions": "noisekit.pipelines.restore",
    "NoisekitError": "noisekit.errors",
}
