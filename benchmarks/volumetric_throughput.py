"""3D CNN training throughput and memory per architecture, grid size, precision and memory format;
and the augmenting loader's throughput against the model's.

    python benchmarks/volumetric_throughput.py [--sizes 32,48,64] [--batch 8] [--store runs/vol/store] [--json]

* model: ``VolumetricRegressor`` (the default encoder widths 16-32-64-96, 13 targets), one
  training step = forward + backward + Adam step on a batch of random grids (1 channel);
  2 warm-up steps, then the mean over >= 3 steps and >= 2 s.  Samples/s and the ratio to the
  baseline measured in the same run: the plain architecture, fp32, contiguous (NCDHW), same size.
* memory: bytes autograd keeps for backward per sample (``saved_tensors_hooks``: exact, any
  device) and the estimated training memory of the batch (activations + 4 x parameters); on a
  GPU also the allocator's peak.
* loader: ``StoreVolumes`` + ``ViewCollate`` with a random rotation and translation per sample
  (batched trilinear resampling) from a real store, channels ``density`` and
  ``density,promolecule`` (promolecule from its cache), 0 and 1 worker processes; its samples/s
  over the fastest model's at the same view size must be > 1 (loading is not the bottleneck).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

from hohenberg.cli.output import print_json, print_table
from hohenberg.volumetric.data import KEY_GRID


def step_rate(model, batch, steps_min: int = 3, seconds_min: float = 2.0, autocast=None) -> float:
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    model.train()

    def step():
        with torch.autocast("cpu", dtype=autocast) if autocast is not None else torch.autocast("cpu", enabled=False):
            loss = model(batch).float().pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    n, t0 = 0, time.perf_counter()
    while n < steps_min or time.perf_counter() - t0 < seconds_min:
        step()
        n += 1
    return n * batch[KEY_GRID].shape[0] / (time.perf_counter() - t0)


def bench_models(sizes, batch_size, archs, threads) -> list[dict]:
    from hohenberg.datasets.qm9 import TARGETS
    from hohenberg.volumetric.data import ViewConfig
    from hohenberg.volumetric.memory import saved_activation_bytes
    from hohenberg.volumetric.models import VolumetricModelConfig, build_model
    from hohenberg.volumetric.networks import EncoderConfig

    torch.set_num_threads(threads)
    rows = []
    for size in sizes:
        base = None
        for arch in archs:
            for precision in ("fp32", "bf16"):
                for cl in (False, True):
                    torch.manual_seed(0)
                    cfg = VolumetricModelConfig(encoder=EncoderConfig(arch=arch), view=ViewConfig(size=size),
                                                targets=TARGETS, channels_last=cl)
                    model = build_model(cfg)
                    ac = torch.bfloat16 if precision == "bf16" else None
                    batch = {"grid": torch.randn(batch_size, 1, size, size, size),
                             "z": torch.full((batch_size,), 6), "batch": torch.arange(batch_size)}
                    rate = step_rate(model, batch, autocast=ac)
                    per = (saved_activation_bytes(model, {k: v[:2] for k, v in batch.items()}, ac)
                           - saved_activation_bytes(model, {k: v[:1] for k, v in batch.items()}, ac))
                    params = sum(p.numel() * 4 for p in model.parameters())
                    if base is None:
                        base = rate
                    rows.append({"size": size, "arch": arch, "precision": precision, "channels_last": cl,
                                 "parameters": model.n_parameters, "samples_per_s": round(rate, 2),
                                 "ratio_vs_plain_fp32": round(rate / base, 2),
                                 "activation_MiB_per_sample": round(per / 2**20, 1),
                                 "train_memory_MiB_batch": round((per * batch_size + 4 * params) / 2**20, 1)})
                    print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def bench_loader(store: Path, size: int, n: int = 96, batch_size: int = 8) -> list[dict]:
    from torch.utils.data import DataLoader

    from hohenberg.volumetric.data import StoreVolumes, ViewCollate, ViewConfig

    ids = StoreVolumes(store, need_density=False).ids[:n]
    rows = []
    for channels in (("density",), ("density", "promolecule")):
        cfg = ViewConfig(channels=channels, size=size)
        level = cfg.promolecule_level if "promolecule" in channels else None
        ds = StoreVolumes(store, ids, promolecule_level=level)
        if level is not None:  # render the cache first: the benchmark measures reading it
            for i in range(len(ds)):
                ds[i]
        for workers in (0, 1):
            loader = DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers,
                                collate_fn=ViewCollate(cfg, augment=True))
            t0, k = time.perf_counter(), 0
            for b in loader:
                k += b[KEY_GRID].shape[0]
            rate = k / (time.perf_counter() - t0)
            rows.append({"size": size, "channels": "+".join(channels), "workers": workers,
                         "samples_per_s": round(rate, 1)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="32,48,64")
    ap.add_argument("--archs", default="plain,resse,inception-se")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--store", type=Path, default=Path("runs/vol/store"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    models = bench_models(sizes, args.batch, args.archs.split(","), args.threads)
    loader = bench_loader(args.store, 32) if (args.store / "store.json").exists() else []
    result = {"machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
                         f"torch {torch.__version__}", "batch": args.batch, "models": models, "loader": loader}
    if loader:
        fastest32 = max(r["samples_per_s"] for r in models if r["size"] == 32)
        result["loader_over_fastest_model_32"] = {f"{r['channels']}, {r['workers']} worker(s)":
                                                  round(r["samples_per_s"] / fastest32, 1) for r in loader}
    if args.json:
        print_json(result)
        return
    print_table(f"3D CNN training step, batch {args.batch}", ["size", "arch", "prec", "channels-last", "params",
                "samples/s", "ratio", "act MiB/sample", "train MiB (batch)"],
                [(r["size"], r["arch"], r["precision"], "y" if r["channels_last"] else "n", r["parameters"],
                  r["samples_per_s"], r["ratio_vs_plain_fp32"], r["activation_MiB_per_sample"],
                  r["train_memory_MiB_batch"]) for r in models])
    if loader:
        over = result["loader_over_fastest_model_32"]
        print_table("loader, 32^3 views", ["channels", "workers", "samples/s", "vs fastest 32^3 model"],
                    [(r["channels"], r["workers"], r["samples_per_s"],
                      over[f"{r['channels']}, {r['workers']} worker(s)"]) for r in loader])

if __name__ == "__main__":
    main()
