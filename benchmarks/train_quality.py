"""Validation ΔSNR of a trained checkpoint against noisereduce's spectral gating on the same mixtures.

    python benchmarks/train_quality.py --data D --checkpoint RUN/last.pt [--examples 32]

The validation mixtures are the run's own fixed set (its seed, crop and SNR/gain ranges, the valid split
of D). noisereduce runs blind (stationary and non-stationary, default settings, noise estimated from the
mixture itself) and, as a stronger reference, stationary with the true added noise as its noise profile.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from noisekit.denoiser.checkpoint import load_checkpoint, load_model  # noqa: E402
from noisekit.denoiser.data import open_split  # noqa: E402
from noisekit.denoiser.train import TrainConfig  # noqa: E402
from noisekit.denoiser.validation import delta_snr, fixed_set, validate_model, validate_noisereduce  # noqa: E402


def noisereduce_with_profile(vs, sr: int) -> float:
    """Stationary noisereduce given the exact added noise as its noise clip (an oracle profile)."""
    import noisereduce

    deltas = []
    for x, y in zip(vs.noisy.numpy(), vs.clean.numpy(), strict=True):
        out = noisereduce.reduce_noise(y=x, sr=sr, stationary=True, y_noise=x - y)
        deltas.append(delta_snr(y, x, np.asarray(out, dtype=np.float32)[: len(x)]))
    return float(np.mean(deltas))


def main() -> None:
    """Build the run's validation set, score the model and noisereduce, print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--examples", type=int, help="validation examples (default: the run's)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    state = load_checkpoint(args.checkpoint)
    cfg = TrainConfig.from_dict(state["train_config"])
    count = args.examples or cfg.val_examples
    ds = open_split(args.data, "valid", cfg.mix_config(validation=True), cfg.seed, cfg.kinds, cfg.devices)
    vs = fixed_set(ds, count)
    sr = cfg.mix_config().sample_rate
    loaded = load_model(args.checkpoint)
    t0 = time.perf_counter()
    model = validate_model(loaded.model, vs, batch_size=4)
    rows = [("two-stage U-Net `" + cfg.preset + f"` (step {state['step']})", model["val_dsnr"])]
    rows.append(("noisereduce, stationary (blind)", validate_noisereduce(vs, sr, stationary=True)))
    rows.append(("noisereduce, non-stationary (blind)", validate_noisereduce(vs, sr, stationary=False)))
    rows.append(("noisereduce, stationary, true noise as profile", noisereduce_with_profile(vs, sr)))
    in_snr = np.mean(
        [
            10 * np.log10(np.sum(y.numpy() ** 2) / np.sum((x - y).numpy() ** 2))
            for x, y in zip(vs.noisy, vs.clean, strict=True)
        ]
    )
    print(
        f"{count} validation mixtures of {cfg.val_crop_s} s, SNR drawn in {list(cfg.mix_config().snr_db)} dB "
        f"(mean input SNR {in_snr:.2f} dB); {time.perf_counter() - t0:.0f} s"
    )
    print("| method | validation ΔSNR (dB) |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:+.2f} |")


if __name__ == "__main__":
    main()
