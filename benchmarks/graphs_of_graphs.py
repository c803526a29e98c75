"""Graphs of graphs on QM9: molecule networks, pair models, network models, in one run.

1. Networks of the whole table (both kinds): build time, size, degree distribution (or read
   back networks given with ``--mmp`` / ``--isomers``, with the build time they recorded).
2. Pair models on isomer pairs (the change of U0, HOMO and gap across the edge; for isomers the
   U0 change is the isomerisation energy): ``pair`` / ``difference`` / ``cgr``, random and
   by-molecule splits, the same encoder, epochs and wall-clock budget; ratios to ``difference``.
3. Node regression on the isomer network: the network model against the single-molecule model
   (same encoder, budget) at each ``--labelled`` size; ratios to the single-molecule model.

    .venv/bin/python benchmarks/graphs_of_graphs.py --table runs/qm9/qm9.npz --out runs/gog [--json]

Budgets are per model (``--max-time`` seconds, ``--epochs``); everything runs on the CPU.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from hohenberg.cli.output import print_json, print_table
from hohenberg.graph.models import GraphModelConfig
from hohenberg.models.metrics import error_summary
from hohenberg.molecules.table import MoleculeTable
from hohenberg.network.build import NetworkData, network_statistics, table_network
from hohenberg.network.run import NetRunConfig, molecule_graphs, train_network, train_pairs
from hohenberg.training.trainer import TrainConfig

TARGETS = ("U0_eV", "homo_eV", "gap_eV")


def _net(table, kind, given, out):
    if given:
        net = NetworkData.load(given)
        return net, {"build_s": net.meta.get("build_s"), "read_from": str(given)}
    t0 = time.perf_counter()
    net = table_network(table, kind)
    s = time.perf_counter() - t0
    net.save(out / f"{kind}.npz")
    return net, {"build_s": round(s, 1)}


def single_molecule(table, rows, cfg, tcfg, out, cache):
    """The single-molecule model (same encoder) on the labelled molecules: test errors and fit."""
    from torch.utils.data import DataLoader

    from hohenberg.datasets.targets import table_elements
    from hohenberg.network.pairs import DifferenceModel, MoleculeCollate, pair_model_config
    from hohenberg.network.run import _fit, _predict
    from dataclasses import replace

    cfg = pair_model_config(replace(cfg, elements=table_elements(table.take(rows["train"]))))
    graphs = molecule_graphs(table, np.concatenate(list(rows.values())), cfg.cutoff, cache)
    y = {k: np.column_stack([table.properties[t][v] for t in cfg.targets]) for k, v in rows.items()}
    col = {k: MoleculeCollate(v, y[k], graphs, cfg.features, cfg.views, cfg.elements) for k, v in rows.items()}
    torch.manual_seed(tcfg.seed)
    model = DifferenceModel(cfg)
    gb = col["train"](np.arange(len(rows["train"])))
    model.scaler.fit(gb.z, gb.batch, gb.y)
    g = torch.Generator().manual_seed(tcfg.seed)
    fit = _fit(model, cfg.targets, DataLoader(np.arange(len(rows["train"])), batch_size=tcfg.batch_size, shuffle=True,
                                              collate_fn=col["train"], generator=g),
               DataLoader(np.arange(len(rows["val"])), batch_size=256, collate_fn=col["val"]), tcfg, out, lambda m: print(m, file=sys.stderr), "single")
    pred, _ = _predict([model.eval()], DataLoader(np.arange(len(rows["test"])), batch_size=256, collate_fn=col["test"]))
    return {t: error_summary(t, y["test"][:, j], pred[:, j]) for j, t in enumerate(cfg.targets)}, fit


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", type=Path, default=Path("runs/qm9/qm9.npz"))
    ap.add_argument("--out", type=Path, default=Path("runs/gog"))
    ap.add_argument("--mmp", type=Path, help="A prebuilt MMP network of TABLE (else built here).")
    ap.add_argument("--isomers", type=Path, help="A prebuilt isomer network of TABLE (else built here).")
    ap.add_argument("--pair-molecules", type=int, default=6000, help="Random molecules whose isomer pairs are used.")
    ap.add_argument("--labelled", default="1000,5000", help="Labelled molecules of the node-regression curve.")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--max-time", type=float, default=40.0, help="Seconds per model.")
    ap.add_argument("--cache", type=Path, default=None, help="Graph cache of TABLE (e.g. runs/qm9/qm9.npz.graphs).")
    ap.add_argument("--skip-pairs", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    table = MoleculeTable.load(args.table)
    result = {"hardware": "CPU, torch threads 1", "table": str(args.table), "molecules": len(table), "networks": {}}
    nets = {}
    for kind, given in (("mmp", args.mmp), ("isomers", args.isomers)):
        net, timing = _net(table, kind, given, args.out)
        nets[kind] = net
        st = network_statistics(net)
        result["networks"][kind] = {**timing, **{k: st[k] for k in ("rule", "nodes", "edges", "components",
                                                                    "isolated_nodes", "largest_component_nodes", "degree")},
                                    "max_group": net.meta.get("max_group")}
    cfg = GraphModelConfig(model="gin", features="basic", views=("bond",), targets=TARGETS, hidden=64, layers=3,
                           readout="sum")
    tcfg = TrainConfig(max_epochs=args.epochs, max_time_s=args.max_time, patience=5, batch_size=64, lr=1e-3,
                       accelerator="cpu", devices=1)
    # every molecule any model below reads, its graph built (or sliced from the cache) once
    from hohenberg.network.run import node_rows, split_nodes

    iso = nets["isomers"]
    nodes = np.sort(np.random.default_rng(0).choice(iso.n_nodes, min(args.pair_molecules, iso.n_nodes), replace=False))
    sizes = [int(x) for x in args.labelled.split(",") if x]
    parts = split_nodes(iso, NetRunConfig(cfg, tcfg, n_train=max(sizes), n_val=500, n_test=1000))
    need = node_rows(iso, table)[np.concatenate([nodes] + list(parts.values()))]
    t0 = time.perf_counter()
    graphs = molecule_graphs(table, need, cfg.cutoff, args.cache)
    result["graphs"] = {"molecules": len(graphs), "s": round(time.perf_counter() - t0, 1),
                        "from": str(args.cache) if args.cache else "built"}
    args.cache = graphs
    # -- pairs: isomer edges among a random subset of molecules ----------------------------------
    if not args.skip_pairs:
        sub = iso.subnetwork(nodes)
        sub.save(args.out / "isomers_subset.npz")
        result["pairs"] = {"network": f"isomer edges among {len(nodes)} random QM9 molecules", "pairs": sub.n_edges,
                           "runs": {}}
        n_train = None
        for split in ("by-molecule", "random"):
            for model in ("difference", "pair", "cgr"):
                run = NetRunConfig(cfg, tcfg, model, split, 0, n_train, None if split == "by-molecule" else n_val,
                                   None if split == "by-molecule" else n_test)
                t0 = time.perf_counter()
                s = train_pairs(sub, table, run, args.out / f"pairs_{split}_{model}", cache_dir=args.cache,
                                log=lambda m: None)
                result["pairs"]["runs"][f"{split}/{model}"] = {
                    "split_sizes": s["split_sizes"], "test_mae_meV": {t: e["mae_meV"] for t, e in s["test_errors"].items()},
                    "epochs": s["fits"][0]["epochs"], "fit_s": s["fits"][0]["wall_s"],
                    "wall_s": round(time.perf_counter() - t0, 1), "cgr_mappings": s.get("cgr_mappings")}
                print(split, model, result["pairs"]["runs"][f"{split}/{model}"], file=sys.stderr, flush=True)
            if split == "by-molecule":  # the random split gets as many training pairs: a fair comparison
                got = s["split_sizes"]
                n_train, n_val, n_test = got["train"], got["val"], max(got["test"], 500)
        for key, r in result["pairs"]["runs"].items():
            base = result["pairs"]["runs"][key.split("/")[0] + "/difference"]["test_mae_meV"]
            r["ratio_to_difference"] = {t: r["test_mae_meV"][t] / base[t] for t in TARGETS}
    # -- nodes: network model vs single-molecule model ------------------------------------------------
    iso = nets["isomers"]
    result["nodes"] = {"network": "isomers (whole table)", "runs": {}}
    curve = []
    for n in sizes:
        run = NetRunConfig(cfg, tcfg, split="random", n_train=n, n_val=500, n_test=1000)
        t0 = time.perf_counter()
        s = train_network(iso, table, run, args.out / f"network_{n}", cache_dir=args.cache, log=lambda m: None)
        net_s = time.perf_counter() - t0
        parts = split_nodes(iso, run)
        rows = node_rows(iso, table)
        t0 = time.perf_counter()
        single, fit = single_molecule(table, {k: rows[v] for k, v in parts.items()}, cfg, tcfg,
                                      args.out / f"single_{n}", args.cache)
        r = {"labelled": n, "test": s["split_sizes"]["test"],
             "test_labelled_neighbours": s["test_labelled_neighbours"],
             "network_mae_meV": {t: e["mae_meV"] for t, e in s["test_errors"].items()},
             "single_mae_meV": {t: e["mae_meV"] for t, e in single.items()},
             "network_epochs": s["fits"][0]["epochs"], "single_epochs": fit["epochs"],
             "network_wall_s": round(net_s, 1), "single_wall_s": round(time.perf_counter() - t0, 1)}
        r["ratio_network_to_single"] = {t: r["network_mae_meV"][t] / r["single_mae_meV"][t] for t in TARGETS}
        result["nodes"]["runs"][str(n)] = r
        print(n, r, file=sys.stderr, flush=True)
        for t in TARGETS:
            curve.append({"labelled": n, "target": t, "network_mae_meV": r["network_mae_meV"][t],
                          "single_mae_meV": r["single_mae_meV"][t], "ratio": r["ratio_network_to_single"][t],
                          "test_mean_labelled_neighbours": s["test_labelled_neighbours"]["mean"]})
    with open(args.out / "node_learning_curve.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(curve[0]))
        w.writeheader()
        w.writerows(curve)
    _plot(curve, args.out / "node_learning_curve.png")
    result["wall_s"] = round(time.perf_counter() - t_all, 1)
    (args.out / "results.json").write_text(json.dumps(result, indent=2))
    if args.json:
        print_json(result)
        return 0
    print_table("networks of the whole table", ["kind", "nodes", "edges", "components", "mean degree", "build (s)"],
                [(k, v["nodes"], v["edges"], v["components"], v["degree"]["mean"], v["build_s"])
                 for k, v in result["networks"].items()])
    if "pairs" in result:
        print_table("pair models, test MAE (meV) and ratio to difference",
                    ["split/model", "train pairs", "test pairs"] + [f"Δ{t}" for t in TARGETS] + ["ratio " + t for t in TARGETS],
                    [(k, r["split_sizes"]["train"], r["split_sizes"]["test"], *r["test_mae_meV"].values(),
                      *r["ratio_to_difference"].values()) for k, r in result["pairs"]["runs"].items()])
    print_table("node regression, test MAE (meV): network / single",
                ["labelled"] + [f"{t} net" for t in TARGETS] + [f"{t} single" for t in TARGETS],
                [(n, *r["network_mae_meV"].values(), *r["single_mae_meV"].values()) for n, r in result["nodes"]["runs"].items()])
    return 0


def _plot(curve, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(TARGETS), figsize=(4 * len(TARGETS), 3.2))
    for ax, t in zip(axes, TARGETS):
        pts = [c for c in curve if c["target"] == t]
        n = [c["labelled"] for c in pts]
        ax.loglog(n, [c["single_mae_meV"] for c in pts], "o-", label="single molecule")
        ax.loglog(n, [c["network_mae_meV"] for c in pts], "s-", label="network (isomers)")
        ax.set_xlabel("labelled molecules")
        ax.set_ylabel(f"{t.split('_')[0]} test MAE (meV)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
