"""Hohenberg-Kohn map: test NMAE vs number of training molecules, at a fixed wall-clock budget each.

    python benchmarks/hkmap_learning_curve.py --store runs/vol/store --split runs/vol/split.json \
        --sizes 250,500,1000 --max-time 480 --n-test 200 --out runs/hkmap [--json]

The network's shape is an argument (``--widths 16,32,48 --stem-width 8 --depth 1``, the shipped
map's), so a width/depth study is the same command with another shape and ``--tag``; results of
every shape and size gather in one OUT/learning_curve.json.

Each size trains a fresh U-Net (``hohenberg.hkmap``) under the same budget and measures it on the
same held-out molecules (stored grid, identity orientation).  Baseline: the promolecule itself
(NMAE of the superposed free atoms vs the SCF density), measured on the same molecules; the
table gives the ratio promolecule / model.  Writes OUT/learning_curve.json and
OUT/learning_curve.png (log-log); models under OUT/n{size}/.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default="runs/vol/store")
    ap.add_argument("--split", default="runs/vol/split.json")
    ap.add_argument("--sizes", default="250,500,1000", help="training molecules per run, or 'all'")
    ap.add_argument("--max-time", type=float, default=480.0, help="seconds of training per size")
    ap.add_argument("--n-test", type=int, default=200)
    ap.add_argument("--n-val", type=int, default=48)
    ap.add_argument("--input", default="promolecule", choices=["promolecule", "potential", "both"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--out", default="runs/hkmap")
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--widths", default="16,32,48", help="encoder channels per stage")
    ap.add_argument("--stem-width", type=int, default=8, help="channels at full resolution")
    ap.add_argument("--depth", type=int, default=1, help="residual blocks per encoder stage")
    ap.add_argument("--motions", default="lattice", choices=["lattice", "rotation"])
    ap.add_argument("--epoch-size", type=int, default=256, help="training molecules drawn per epoch")
    ap.add_argument("--test-symmetries", type=int, default=1, help="test predictions averaged over cube symmetries")
    ap.add_argument("--cache-dir", default=None, help="promolecule grids (default: STORE/.cache/promolecule)")
    ap.add_argument("--train-size", type=int, default=None, help="smaller training views (points per axis)")
    ap.add_argument("--tag", default="", help="suffix of the model folders and result keys")
    ap.add_argument("--evaluate-only", action="store_true", help="re-measure saved models (same test molecules)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from hohenberg.hkmap.model import INPUTS, HKConfig
    from hohenberg.hkmap.run import HKRunConfig, train_hkmap
    from hohenberg.training.trainer import TrainConfig
    from hohenberg.volumetric.data import ViewConfig
    from hohenberg.volumetric.networks import EncoderConfig

    out = Path(args.out)
    path = out / "learning_curve.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for size in args.sizes.split(","):
        n = None if size == "all" else int(size)  # all: every training molecule the store holds
        encoder = EncoderConfig(arch="residual", widths=tuple(int(w) for w in args.widths.split(",")),
                                stem_width=args.stem_width, depth=args.depth)
        model = HKConfig(encoder=encoder,
                         view=ViewConfig(channels=INPUTS[args.input], size=48, spacing=0.3, max_shift=0.3))
        cfg = HKRunConfig(model=model, n_train=n, n_val=args.n_val, n_test=args.n_test, split_file=args.split,
                          cache_dir=args.cache_dir, train_size=args.train_size, motions=args.motions,
                          epoch_size=args.epoch_size, test_symmetries=args.test_symmetries,
                          train=TrainConfig(batch_size=args.batch_size, lr=args.lr, patience=8, max_epochs=1000,
                                            max_time_s=args.max_time, accelerator="cpu", devices=1))
        t0 = time.perf_counter()
        folder = out / f"n{size}{args.tag}"
        if args.evaluate_only:
            s = reevaluate(args.store, folder, cfg)
        else:
            s = train_hkmap(args.store, cfg, folder, resume=False, log=print)
        results[f"{size}{args.tag}"] = {"n_train": s["provenance"]["split_sizes"]["train"], "tag": args.tag,
                           "input": args.input, "best_val_nmae_percent": s["fit"]["best_val_nmae_percent"],
                           "train_molecules_per_s": s["fit"]["train_molecules_per_s"],
                           "widths": list(encoder.widths), "stem_width": encoder.stem_width, "depth": encoder.depth,
                           "n_parameters": s.get("n_parameters"), "batch_size": args.batch_size,
                           "test_symmetries": args.test_symmetries,
                           "test_nmae_percent": s["test_nmae_percent"]["mean"],
                           "test_nmae_median_percent": s["test_nmae_percent"]["median"],
                           "promolecule_nmae_percent": s["promolecule_nmae_percent"]["mean"],
                           "dipole_mae_D": s["dipole_mae_D"], "promolecule_dipole_mae_D": s["promolecule_dipole_mae_D"],
                           "n_test": s["n_test"], "epochs": s["fit"]["epochs"], "train_wall_s": s["fit"]["wall_s"],
                           "total_wall_s": round(time.perf_counter() - t0, 1),
                           "molecules_seen": int(s["fit"]["epochs"] * s["provenance"]["epoch_size"])}
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2))
    plot(results, out / "learning_curve.png")
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'run':>12} {'NMAE %':>8} {'promol. %':>9} {'ratio':>6} {'dipole D':>9} {'promol. D':>9} {'epochs':>6}")
    for r in sorted(results.values(), key=lambda r: (r.get("tag", ""), r["n_train"])):
        print(f"{str(r['n_train']) + r.get('tag', ''):>12} {r['test_nmae_percent']:>8.3f} {r['promolecule_nmae_percent']:>9.3f} "
              f"{r['promolecule_nmae_percent'] / r['test_nmae_percent']:>6.2f} {r['dipole_mae_D']:>9.3f} "
              f"{r['promolecule_dipole_mae_D']:>9.3f} {r['epochs']:>6}")


def reevaluate(store, folder: Path, cfg) -> dict:
    """Measure a saved model again on the run's test molecules; model.json keeps its fit record."""
    from hohenberg.fileio import atomic_write
    from hohenberg.hkmap.run import evaluate_hkmap, load_hkmap, make_dataset, split_ids
    from hohenberg.volumetric.data import StoreVolumes

    model, _ = load_hkmap(folder)
    s = json.loads((folder / "model.json").read_text())
    ids = split_ids(StoreVolumes(store, need_density=False).ids, cfg)["test"]
    s.update(evaluate_hkmap(model, make_dataset(store, ids, model.cfg, cfg.cache_dir), folder))
    atomic_write(folder / "model.json", json.dumps(s, indent=2))
    return s


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hohenberg.reports.figures import save_figure

    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    for tag in sorted({r.get("tag", "") for r in results.values()}):
        rows = sorted((r for r in results.values() if r.get("tag", "") == tag), key=lambda r: r["n_train"])
        ax.loglog([r["n_train"] for r in rows], [r["test_nmae_percent"] for r in rows], "o-",
                  label=f"U-Net {tag.strip('_') or 'b4'}, {rows[0]['train_wall_s']:.0f} s of training each")
    rows = sorted(results.values(), key=lambda r: r["n_train"])
    ax.loglog([r["n_train"] for r in rows], [r["promolecule_nmae_percent"] for r in rows], "s--", color="gray",
              label="promolecule")
    ax.set_xlabel("training molecules")
    ax.set_ylabel("test NMAE (%)")
    ax.legend(fontsize=8)
    ax.set_title("Hohenberg-Kohn map, QM9 hf/sto-3g", fontsize=9)
    save_figure(fig, path)


if __name__ == "__main__":
    main()
