"""A fixed-budget training run for a lent accelerator: pack data here, train there, bring the weights back.

    # here: a data directory packed into <= 56 MiB (mono 16-bit FLAC), inside the checkout, git-ignored
    python benchmarks/gpu_train.py pack --data /data/nk --out gpu-pack
    # there (the device machine's command; carry gpu-pack): 7 minutes of the paper preset's design
    python benchmarks/gpu_train.py train --pack gpu-pack --out $OUT --minutes 7
    # here again: join the returned shards into NAME.safetensors + NAME.json for --checkpoint
    python benchmarks/gpu_train.py join --shards FILES_AT --out runs/gpu/paper-half

A device machine takes a working tree of at most 64 MiB and returns at most 8 files of 16 MiB (64 MiB in
all), so ``train`` refuses, before any step, a model whose weights would not come back: ``paper`` itself
(71 M parameters, 143 MB even in bf16) does not fit; the default is the paper's depth and design at half
its widths (17.9 M parameters, 36 MB in bf16 shards). It runs on a CPU too
(``--device cpu --minutes 0.2 --crop 0.2 --batch-size 1 --val-examples 2 --workers 0``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

from noisekit.datadir import DataDir  # noqa: E402
from noisekit.denoiser.checkpoint import export_weights, load_checkpoint  # noqa: E402
from noisekit.denoiser.data import usable  # noqa: E402
from noisekit.denoiser.model import TwoStageUNet  # noqa: E402
from noisekit.denoiser.train import train, train_config  # noqa: E402
from noisekit.manifests import read_manifest, write_manifest  # noqa: E402

HALF_PAPER = (16, 32, 32, 64, 64, 128, 256)
RETURN_FILES, RETURN_FILE_MIB = 7, 15.0  # one more file (the .json) and some room under the 16 MiB limit
RETURN_TOTAL_MIB = 56.0  # under the 64 MiB limit, with room for uneven shards
SPLIT_SHARE = {"train": 0.85, "valid": 0.15}


def _write_mono(src: Path, dst: Path, max_s: float | None) -> tuple[int, int]:
    """Channel 0 of ``src`` (its middle ``max_s`` seconds) as 16-bit FLAC; returns (bytes, frames)."""
    with sf.SoundFile(str(src)) as handle:
        sr, frames = handle.samplerate, handle.frames
        n = frames if max_s is None else min(frames, int(max_s * sr))
        handle.seek((frames - n) // 2)
        audio = handle.read(n, dtype="float32", always_2d=True)[:, 0]
    dst.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(dst), np.clip(audio, -1.0, 1.0), sr, format="FLAC", subtype="PCM_16")
    return dst.stat().st_size, n


def pack(data: Path, out: Path, max_mib: float = 56.0, music_s: float = 20.0, seed: int = 0) -> dict:
    """Copy a spread of noise segments (1/3 of the budget) and music excerpts (2/3) of the train and valid splits."""
    src, dst = DataDir(data), DataDir(out).ensure()
    rng = random.Random(seed)
    sizes: dict[str, float] = {}
    tables = {"noise": 1 / 3, "tape": 0.0, "clean": 2 / 3}
    tape_rows = [r for r in read_manifest(src, "tape").to_pylist() if usable(r)]
    if tape_rows:  # tape shares the noise budget
        tables.update(noise=1 / 6, tape=1 / 6)
    for table, share in tables.items():
        rows = [r for r in read_manifest(src, table).to_pylist() if usable(r) and r.get("split") in SPLIT_SHARE]
        rng.shuffle(rows)
        kept, used = [], dict.fromkeys(SPLIT_SHARE, 0)
        for i, row in enumerate(rows):
            budget = share * SPLIT_SHARE[row["split"]] * max_mib * 2**20
            if used[row["split"]] >= budget:
                continue
            rel = f"{'music' if table == 'clean' else 'noise/' + table}/{i:05d}.flac"
            size, frames = _write_mono(src.resolve(row["path"]), dst.root / rel, music_s if table == "clean" else None)
            used[row["split"]] += size
            extra = {"duration_s": frames / row["sample_rate"]} if table == "clean" else {"raw_path": rel}
            kept.append({**row, "path": rel, "channels": 1, **extra})
        if kept:
            write_manifest(dst, table, kept)
        sizes[table] = sum(used.values()) / 2**20
    return {"mib": sizes, "total_mib": sum(sizes.values())}


def _shards(tensors: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
    """Groups of tensors of at most RETURN_FILE_MIB each, in name order."""
    groups: list[dict[str, torch.Tensor]] = [{}]
    size = 0.0
    for name in sorted(tensors):
        mib = tensors[name].numel() * tensors[name].element_size() / 2**20
        if groups[-1] and size + mib > RETURN_FILE_MIB:
            groups.append({})
            size = 0.0
        groups[-1][name] = tensors[name]
        size += mib
    return groups


def return_dtype(params: int) -> torch.dtype:
    """float32 when the weights come back whole in it, else bfloat16; an error when neither fits."""
    for dtype, nbytes in ((torch.float32, 4), (torch.bfloat16, 2)):
        if params * nbytes / 2**20 <= RETURN_TOTAL_MIB:
            return dtype
    raise SystemExit(f"{params:,} parameters do not come back from a device machine (64 MiB); narrow --widths")


def train_pack(
    pack_dir: Path, out: Path, minutes: float, preset: str = "paper", device: str = "auto", **overrides
) -> dict:
    """Train on a packed data directory for ``minutes`` of wall time; write weight shards and run.json to ``out``.

    Checkpoints stay in ``pack_dir/run`` (too big to bring back); ``overrides`` go to ``train_config``.
    """
    cfg = train_config(preset, max_seconds=minutes * 60, **overrides)
    params = sum(p.numel() for p in TwoStageUNet(cfg.model_config()).parameters())
    dtype = return_dtype(params)  # refused before any step
    result = train(pack_dir, pack_dir / "run", cfg, device=device, progress=False)
    state = load_checkpoint(result.checkpoint)
    out.mkdir(parents=True, exist_ok=True)
    groups = _shards({k: v.detach().to("cpu", dtype).contiguous() for k, v in state["model"].items()})
    for i, group in enumerate(groups):
        save_file(group, str(out / f"weights-{i}.safetensors"))
    meta = {
        "model_config": state["model_config"],
        "train_config": state["train_config"],
        "step": result.step,
        "steps_per_s": result.steps_per_s,
        "val": result.val,
        "dtype": str(dtype).removeprefix("torch."),
        "params": params,
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() and device != "cpu" else "cpu",
    }
    (out / "run.json").write_text(json.dumps(meta, indent=2))
    return meta


def join(shards: Path, stem: Path) -> tuple[Path, Path]:
    """The returned shards and run.json as ``stem.safetensors`` + ``stem.json`` (float32), for --checkpoint."""
    meta = json.loads((shards / "run.json").read_text())
    model: dict[str, torch.Tensor] = {}
    for path in sorted(shards.glob("weights-*.safetensors")):
        model.update({k: v.float() for k, v in load_file(str(path)).items()})
    stem.parent.mkdir(parents=True, exist_ok=True)
    state = {"model": model, "model_config": meta["model_config"], "train_config": meta["train_config"]}
    return export_weights({**state, "step": meta["step"]}, stem)


def main() -> None:
    """Parse the sub-command and run it."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--max-mib", type=float, default=56.0)
    p.add_argument("--music-s", type=float, default=20.0, help="seconds taken from the middle of each music file")
    t = sub.add_parser("train")
    t.add_argument("--pack", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--minutes", type=float, default=7.0, help="training wall time (a command may run 10 min)")
    t.add_argument("--preset", default="paper")
    t.add_argument("--widths", type=int, nargs="+", default=list(HALF_PAPER))
    t.add_argument("--device", default="auto")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--crop", type=float)
    t.add_argument("--workers", type=int, default=4)
    t.add_argument("--val-examples", type=int, help="validation mixtures (preset default if omitted)")
    t.add_argument("--rumble-share", type=float, help="training mixtures with added rumble (noisekit train)")
    j = sub.add_parser("join")
    j.add_argument("--shards", type=Path, required=True)
    j.add_argument("--out", type=Path, required=True, help="stem of NAME.safetensors and NAME.json")
    args = ap.parse_args()
    if args.cmd == "pack":
        print(json.dumps(pack(args.data, args.out, args.max_mib, args.music_s)))
    elif args.cmd == "train":
        overrides = {"batch_size": args.batch_size, "crop_s": args.crop, "workers": args.workers}
        overrides |= {"val_examples": args.val_examples, "rumble_share": args.rumble_share}
        meta = train_pack(
            args.pack, args.out, args.minutes, args.preset, args.device, model={"widths": args.widths}, **overrides
        )
        print(json.dumps({k: v for k, v in meta.items() if k not in ("model_config", "train_config")}))
    else:
        print(*join(args.shards, args.out))


if __name__ == "__main__":
    main()
