"""Training throughput (molecules/s) of every graph model on identical QM9 batches.

A wall-clock budget on a shared machine mixes model speed with other people's load; this
times the same training steps (forward, backward, Adam) for each model in interleaved rounds
and reports the median, so models see the same load.  Also prints the implied time per epoch
of full QM9 (110,000 training molecules) on this machine.

    .venv/bin/python benchmarks/graph_throughput.py --table /tmp/qm9full.npz [--json]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from hohenberg.cli.output import print_json, print_table
from hohenberg.datasets.qm9 import quick_subset, standard_split
from hohenberg.graph.dataset import table_graphs
from hohenberg.graph.models import GraphModelConfig, build_model
from hohenberg.graph.run import fit_scaler, views_needed
from hohenberg.molecules.table import MoleculeTable

TARGETS = ("homo_eV", "lumo_eV", "gap_eV", "U0_eV")
MODELS = {
    "pyg-schnet": ("pyg-schnet", "element", ("radius",), {}),
    "schnet/gasteiger/radius": ("schnet", "gasteiger", ("radius",), {}),
    "schnet/gasteiger/complete": ("schnet", "gasteiger", ("complete",), {}),
    "gin/gasteiger/bond": ("gin", "gasteiger", ("bond",), {}),
    "mpnn/gasteiger/bond": ("mpnn", "gasteiger", ("bond",), {}),
    "attention/gasteiger/bond+radius+complete": ("attention", "gasteiger", ("bond", "radius", "complete"), {}),
    "pyg-dimenet++": ("pyg-dimenet++", "element", ("radius",), {}),
    "gin128x4/gasteiger/bond+lengths/atomwise": ("gin", "gasteiger", ("bond",), {
        "bond_lengths": True, "extensive_readout": "atomwise", "hidden": 128, "layers": 4}),
    "gin128x4/gasteiger+env/bond+lengths/atomwise": ("gin", "gasteiger", ("bond",), {
        "bond_lengths": True, "extensive_readout": "atomwise", "environment": True, "hidden": 128, "layers": 4}),
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--table", default="/tmp/qm9full.npz")
    p.add_argument("--cache", default="runs/graph_bench/graph_cache")
    p.add_argument("--n", type=int, default=256, help="molecules per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if not Path(args.table).is_file():
        print(f"skip: no QM9 table at {args.table}")
        return 0
    table = MoleculeTable.load(args.table)
    rows = quick_subset(standard_split(table, 0)["train"], args.n, 0)
    full, _ = table_graphs(table, rows, 5.0, args.cache)
    setups = {}
    for name, (model, feats, views, extra) in MODELS.items():
        cfg = GraphModelConfig(**{"model": model, "features": feats, "views": views, "targets": TARGETS,
                                  "hidden": args.hidden, "layers": args.layers} | extra)
        ds = full.select(feats, TARGETS, views_needed(cfg))
        torch.manual_seed(0)
        net = build_model(cfg)
        fit_scaler(net, ds, np.arange(len(ds)))
        setups[name] = (net, torch.optim.Adam(net.parameters(), 1e-3), ds)
    rates = {n: [] for n in setups}
    for _ in range(args.rounds):
        for name, (net, opt, ds) in setups.items():
            t0 = time.perf_counter()
            for batch in DataLoader(ds, batch_size=args.batch_size, shuffle=True):  # collation is timed too
                opt.zero_grad()
                pred = net(batch)
                loss = ((pred - batch.y) / net.scaler.std).abs().mean()
                loss.backward()
                opt.step()
            rates[name].append(len(ds) / (time.perf_counter() - t0))
    ref = float(np.median(rates["pyg-schnet"]))
    result = {name: {"train_molecules_per_s": float(np.median(r)), "ratio_to_pyg_schnet": float(np.median(r)) / ref,
                     "seconds_per_epoch_full_qm9_110k": 110_000 / float(np.median(r)),
                     "parameters": sum(q.numel() for q in setups[name][0].parameters())}
              for name, r in rates.items()}
    payload = {"setup": vars(args), "models": result}
    if args.json:
        print_json(payload)
        return 0
    print_table(f"training throughput, {args.n} QM9 molecules x {args.rounds} rounds, batch {args.batch_size}, "
                f"hidden {args.hidden}, {args.threads} thread(s)",
                ["model", "molecules/s", "vs PyG SchNet", "s/epoch full QM9", "parameters"],
                [(n, r["train_molecules_per_s"], r["ratio_to_pyg_schnet"], r["seconds_per_epoch_full_qm9_110k"],
                  r["parameters"]) for n, r in result.items()])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
