"""Train, evaluate and apply pair models and network models: the work behind the CLI.

A model directory holds ``member_<k>.pt`` (weights, configuration, provenance; loads with
``weights_only=True``), ``member_<k>/`` (Lightning checkpoints, ``metrics.csv``), ``model.json``
(what it is: ``"kind": "pairs"`` or ``"network"``, configuration, paths of the network and
table it was trained on, split sizes, fits, test errors with units in the keys) and
``split.json`` (pair ids ``A>>B`` or molecule ids of every part).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from hohenberg.datasets.splits import (PARTS, check_part, pair_split, random_split, stored_split, subset,
                                      write_split_ids)
from hohenberg.errors import InputError
from hohenberg.fileio import atomic_write
from hohenberg.graph.models import GraphModelConfig
from hohenberg.manifest import write_manifest
from hohenberg.models.metrics import error_summary
from hohenberg.molecules.table import MoleculeTable
from hohenberg.network.build import NetworkData
from hohenberg.network.config import NetRunConfig  # defined apart so that reading it imports no torch
from hohenberg.network.pairs import (PAIR_MODELS, MoleculeCollate, PairCollate, build_pair_model, element_counts,
                                     pair_model_config)
from hohenberg.training.checkpoint import build_saved, load_saved, member_files, save_model_file
from hohenberg.training.trainer import TrainConfig

MODEL_FILE = "model.json"


# -- shared pieces ---------------------------------------------------------------------------
def node_rows(net: NetworkData, table: MoleculeTable, where: str | Path | None = None) -> np.ndarray:
    """Table row of every network node (InputError naming the first molecule not in the table)."""
    try:
        return table.index_of(net.ids)
    except KeyError as exc:
        raise InputError(where, f"{exc.args[0]}: the network's molecules must come from TABLE") from None


def check_targets(table: MoleculeTable, targets: Sequence[str], where) -> None:
    missing = [t for t in targets if t not in table.properties]
    if missing or not targets:
        raise InputError(where, f"table has no column(s) {', '.join(missing) or '(none given)'}")


def molecule_graphs(table: MoleculeTable, rows: np.ndarray, cutoff: float, cache_dir=None) -> dict[int, dict]:
    """Graph tensors (:func:`~hohenberg.graph.molgraph.molecule_tensors`) of table ``rows``, by row;
    sliced from the table's graph cache when ``cache_dir`` is a folder, taken from (and added to)
    ``cache_dir`` when it is a dict of graphs by row."""
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    if isinstance(cache_dir, dict):  # graphs built earlier, by row (a benchmark's several runs share them)
        missing = [int(r) for r in rows if int(r) not in cache_dir]
        if missing:
            cache_dir.update(molecule_graphs(table, np.asarray(missing), cutoff))
        return {int(r): cache_dir[int(r)] for r in rows}
    if cache_dir is not None:
        from hohenberg.graph.dataset import table_graphs

        ds, _ = table_graphs(table, rows, cutoff, cache_dir)
        keys = ("x", "z", "pos", "bond_attr", "bond_index", "radius_index", "complete_index")
        out = {}
        for k, r in enumerate(rows):
            d = ds[k]
            out[int(r)] = {key: d[key] for key in keys}
        return out
    from hohenberg.graph.batch import molecules_tensors

    return dict(zip(rows.tolist(), molecules_tensors(list(table.take(rows)), cutoff)))


def _fit(task_model, targets, train_loader, val_loader, tcfg: TrainConfig, out: Path, log, name: str) -> dict:
    from hohenberg.training.lightning_module import OptimConfig, RegressionTask
    from hohenberg.training.trainer import fit

    task = RegressionTask(task_model, targets, OptimConfig(lr=tcfg.lr, weight_decay=tcfg.weight_decay, loss=tcfg.loss,
                                                           schedule=tcfg.lr_schedule))
    res = fit(task, train_loader, val_loader, tcfg, out, resume=False, progress=lambda s: log(f"{name}: {s}"))
    return {"epochs": res.epochs, "wall_s": round(res.wall_s, 1), "samples_per_s": round(res.train_molecules_per_s, 1),
            "best_val_loss": res.best_val_loss, "stopped_early": res.stopped_early}


@torch.no_grad()
def _predict(members, loader) -> tuple[np.ndarray, np.ndarray]:
    preds = []
    for m in members:
        m.eval()
        preds.append(torch.cat([m(b) for b in loader]).numpy())
    P = np.stack(preds)
    return P.mean(0), (P.std(0, ddof=1) if len(members) > 1 else np.full(P.shape[1:], np.nan))


def _errors(targets, y, pred) -> dict:
    return {t: error_summary(t, y[:, j], pred[:, j]) for j, t in enumerate(targets)}


# -- pairs -----------------------------------------------------------------------------------
@dataclass
class PairData:
    net: NetworkData
    a: np.ndarray  # table rows of A (edge's lower node)
    b: np.ndarray
    edge: np.ndarray  # edge index in the network
    dy: np.ndarray  # (n_pairs, T) y(B) - y(A)


def pair_data(net: NetworkData, table: MoleculeTable, targets: Sequence[str], where=None) -> PairData:
    if net.n_edges == 0:
        raise InputError(where, "the network has no edges: no pairs to learn from")
    rows = node_rows(net, table, where)
    a, b = rows[net.edges[:, 0]], rows[net.edges[:, 1]]
    y = np.column_stack([table.properties[t] for t in targets]).astype(np.float64)
    return PairData(net, a, b, np.arange(net.n_edges), y[b] - y[a])


def pair_ids(table: MoleculeTable, a, b) -> list[str]:
    return [f"{table.ids[i]}>>{table.ids[j]}" for i, j in zip(a, b)]


def _cgrs(smiles_a: Sequence[str], smiles_b: Sequence[str], kinds, keys, elements) -> tuple[list, dict]:
    """CGR tensors (A -> B and B -> A) of pairs; how each mapping was found, counted."""
    from rdkit import RDLogger

    from hohenberg.network.cgr import cgr_tensors, edge_mapping, heavy_mol

    out, how = [], {}
    RDLogger.DisableLog("rdApp.*")
    try:
        for sa, sb, kind, key in zip(smiles_a, smiles_b, kinds, keys):
            ma, mb = heavy_mol(sa), heavy_mol(sb)
            if ma is None or mb is None:
                raise InputError(None, f"RDKit cannot read {sa if ma is None else sb!r}")
            m, h = edge_mapping(ma, mb, kind, key)
            how[h] = how.get(h, 0) + 1
            inv = {j: i for i, j in m.items()}
            out.append((cgr_tensors(ma, mb, m, elements), cgr_tensors(mb, ma, inv, elements)))
    finally:
        RDLogger.EnableLog("rdApp.*")
    return out, how


def _pair_inputs(kind: str, table: MoleculeTable, pd: PairData, sel: np.ndarray, cfg: GraphModelConfig, cache_dir):
    """Graphs (by row) or CGRs (by selected pair) and element counts (by row) for the pairs ``sel``."""
    rows = np.unique(np.concatenate([pd.a[sel], pd.b[sel]]))
    counts = {int(r): element_counts(table.numbers[table.offsets[r]:table.offsets[r + 1]]) for r in rows}
    graphs = cgrs = None
    how = {}
    if kind in ("pair", "difference"):
        graphs = molecule_graphs(table, rows, cfg.cutoff, cache_dir)
    else:
        from hohenberg.datasets.splits import table_smiles

        smiles = dict(zip(rows.tolist(), table_smiles(table.take(rows))))
        e = pd.edge[sel]
        cgr_list, how = _cgrs([smiles[int(r)] for r in pd.a[sel]], [smiles[int(r)] for r in pd.b[sel]],
                              [pd.net.kind] * len(sel), [pd.net.edge_key(int(k)) for k in e], cfg.elements)
        cgrs = dict(zip(sel.tolist(), cgr_list))
    return graphs, cgrs, counts, how


class _Rows(dict):
    """Row -> value lookup that NumPy fancy indexing can read (``counts[ra]``)."""

    def __getitem__(self, key):
        if isinstance(key, np.ndarray):
            return np.stack([dict.__getitem__(self, int(k)) for k in key])
        return dict.__getitem__(self, int(key))


class _BySel:
    """Pair position within a part -> CGR tensors of that pair."""

    def __init__(self, cgrs, sel):
        self.cgrs, self.sel = cgrs, np.asarray(sel)

    def __getitem__(self, i):
        return self.cgrs[int(self.sel[i])]


def _pair_loader(kind, pd, sel, graphs, cgrs, counts, cfg, batch_size, shuffle=False, generator=None):
    col = PairCollate(kind, pd.a[sel], pd.b[sel], pd.dy[sel], graphs, None if cgrs is None else _BySel(cgrs, sel),
                      _Rows(counts), cfg.features, cfg.views, cfg.elements)
    return DataLoader(np.arange(len(sel)), batch_size=batch_size, shuffle=shuffle, collate_fn=col, generator=generator)


def split_pairs(pd: PairData, run: NetRunConfig) -> dict[str, np.ndarray]:
    parts = pair_split(pd.a, pd.b, run.split, run.split_seed)
    sizes = {"train": run.n_train, "val": run.n_val, "test": run.n_test}
    return {k: np.sort(subset(v, sizes[k], run.split_seed)) for k, v in parts.items()}


def train_pairs(net: NetworkData, table: MoleculeTable, run: NetRunConfig, out_dir: str | Path,
                net_path: str | Path | None = None, table_path: str | Path | None = None, cache_dir=None,
                log: Callable[[str], None] = lambda s: None) -> dict:
    """Train ``run.ensemble`` pair models of ``run.pair_model``, test them, write the model directory."""
    from hohenberg.datasets.targets import table_elements

    if run.pair_model not in PAIR_MODELS:
        raise InputError(None, f"pair model must be one of {', '.join(PAIR_MODELS)}, not {run.pair_model!r}")
    check_targets(table, run.model.targets, table_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pd = pair_data(net, table, run.model.targets, net_path)
    parts = split_pairs(pd, run)
    if any(len(v) == 0 for v in parts.values()):
        raise InputError(net_path, f"the {run.split} split leaves an empty part "
                                   f"({ {k: len(v) for k, v in parts.items()} }): too few pairs")
    train_rows = np.unique(np.concatenate([pd.a[parts["train"]], pd.b[parts["train"]]]))
    cfg = pair_model_config(replace(run.model, elements=table_elements(table.take(train_rows))))
    t0 = time.perf_counter()
    inputs = {k: _pair_inputs(run.pair_model, table, pd, v, cfg, cache_dir) for k, v in parts.items()}
    prep_s = time.perf_counter() - t0
    log(f"{run.pair_model}: inputs of {sum(len(v) for v in parts.values())} pairs in {prep_s:.1f} s")
    tcfg = run.train
    members, fits = [], []
    for k in range(run.ensemble):
        seed = tcfg.seed + k
        torch.manual_seed(seed)
        model = build_pair_model(run.pair_model, cfg)
        g = torch.Generator().manual_seed(seed)
        tr = parts["train"]
        if run.pair_model == "difference":
            # the single-molecule model learns the molecules of the training pairs, their own labels
            y = np.column_stack([table.properties[t][train_rows] for t in cfg.targets])
            val_rows = np.setdiff1d(np.unique(np.concatenate([pd.a[parts["val"]], pd.b[parts["val"]]])), train_rows)
            val_rows = val_rows if len(val_rows) else train_rows[:1]
            graphs = {**inputs["train"][0], **inputs["val"][0]}
            gb = MoleculeCollate(train_rows, y, graphs, cfg.features, cfg.views, cfg.elements)(np.arange(len(train_rows)))
            model.molecule.scaler.fit(gb.z, gb.batch, gb.y)
            yv = np.column_stack([table.properties[t][val_rows] for t in cfg.targets])
            train_loader = DataLoader(np.arange(len(train_rows)), batch_size=tcfg.batch_size, shuffle=True, generator=g,
                                      collate_fn=MoleculeCollate(train_rows, y, graphs, cfg.features, cfg.views, cfg.elements))
            val_loader = DataLoader(np.arange(len(val_rows)), batch_size=256,
                                    collate_fn=MoleculeCollate(val_rows, yv, graphs, cfg.features, cfg.views, cfg.elements))
        else:
            counts = inputs["train"][2]
            dc = np.stack([counts[int(j)] - counts[int(i)] for i, j in zip(pd.a[tr], pd.b[tr])])
            model.scaler.fit(dc, pd.dy[tr])
            graphs, cgrs, counts, _ = inputs["train"]
            train_loader = _pair_loader(run.pair_model, pd, tr, graphs, cgrs, counts, cfg, tcfg.batch_size, True, g)
            vg, vc, vn, _ = inputs["val"]
            val_loader = _pair_loader(run.pair_model, pd, parts["val"], vg, vc, vn, cfg, 256)
        fits.append({"member": k, "seed": seed, **_fit(model, cfg.targets, train_loader, val_loader,
                                                       TrainConfig(**{**tcfg.to_dict(), "seed": seed}),
                                                       out / f"member_{k}", log, f"member {k}")})
        save_model_file(out / f"member_{k}.pt", "pairs", {"pair_model": run.pair_model, "graph": cfg.to_dict()},
                        model.state_dict(), {"seed": seed, "fit": fits[-1]})
        members.append(model.eval())
    tg, tc, tn, _ = inputs["test"]
    pred, std = _predict(members, _pair_loader(run.pair_model, pd, parts["test"], tg, tc, tn, cfg, 256))
    errors = _errors(cfg.targets, pd.dy[parts["test"]], pred)
    write_split_ids(out, {k: pair_ids(table, pd.a[v], pd.b[v]) for k, v in parts.items()}, run.split, run.split_seed)
    summary = {"kind": "pairs", "pair_model": run.pair_model, "targets": list(cfg.targets),
               "quantity": "change across the pair, y(B) - y(A), in the target's unit",
               "network": str(net_path) if net_path else None, "network_kind": net.kind,
               "table": str(table_path) if table_path else None,
               "split": run.split, "split_seed": run.split_seed, "split_sizes": {k: int(len(v)) for k, v in parts.items()},
               "split_molecules": {k: int(len(np.unique(np.concatenate([pd.a[v], pd.b[v]])))) for k, v in parts.items()},
               "cgr_mappings": inputs["train"][3] if run.pair_model == "cgr" else None,
               "model": cfg.to_dict(), "train": tcfg.to_dict(), "ensemble": run.ensemble, "fits": fits,
               "input_prep_s": round(prep_s, 1), "test_errors": errors}
    atomic_write(out / MODEL_FILE, json.dumps(summary, indent=2))
    write_manifest(out, "pairs", [f"delta_{t}" for t in cfg.targets], provenance=manifest_provenance(summary),
                   card={"metrics": {"test_errors": errors}})
    return summary


def read_model_json(model_dir: str | Path) -> dict | None:
    path = Path(model_dir) / MODEL_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def model_kind(model_dir: str | Path) -> str | None:
    """``"pairs"`` or ``"network"`` for a directory written here, else None."""
    info = read_model_json(model_dir)
    kind = info.get("kind") if isinstance(info, dict) else None
    return kind if kind in ("pairs", "network") else None


def load_members(model_dir: str | Path, kind: str):
    members, cfg, extra = [], None, None
    for f in member_files(model_dir, f"hohenberg train {kind}"):
        saved = load_saved(f, kind)
        model, cfg = build_saved(saved, f, lambda c: GraphModelConfig.from_dict(c["graph"]),
                                 lambda cfg, c=saved.config: _build_member(kind, c, cfg))
        extra = saved.config
        members.append(model)
    return cfg, members, extra


def _build_member(kind: str, config: dict, cfg: GraphModelConfig) -> torch.nn.Module:
    if kind == "pairs":
        return build_pair_model(config["pair_model"], cfg)
    from hohenberg.network.gognn import NetworkModel

    return NetworkModel(cfg)


def _stored_split(model_dir: str | Path) -> dict:
    split = stored_split(model_dir)
    if split is None:
        raise InputError(model_dir, "no split.json: not a model directory written by this version")
    return split


def _ids_to_rows(table: MoleculeTable, ids: Sequence[str], where) -> np.ndarray:
    try:
        return table.index_of(ids)
    except KeyError as exc:
        raise InputError(where, str(exc.args[0])) from None


def evaluate_pairs(model_dir: str | Path, net: NetworkData, table: MoleculeTable, part: str = "test",
                   cache_dir=None, where=None) -> dict:
    """Errors of a pair model on the pairs of its stored split (``part``) or on every edge (``all``)."""
    cfg, members, extra = load_members(model_dir, "pairs")
    check_targets(table, cfg.targets, where)
    pd = pair_data(net, table, cfg.targets, where)
    if check_part(part) == "all":
        sel = np.arange(len(pd.a))
    else:
        split = _stored_split(model_dir)
        want = {}
        for s in split[part]:
            ia, _, ib = s.partition(">>")
            want[(ia, ib)] = True
        have = {(str(table.ids[i]), str(table.ids[j])): k for k, (i, j) in enumerate(zip(pd.a, pd.b))}
        missing = [f"{x}>>{y}" for x, y in want if (x, y) not in have]
        if missing:
            raise InputError(where, f"pair {missing[0]} of the model's {part} split is not an edge of the network")
        sel = np.sort(np.array([have[k] for k in want], dtype=np.int64))
    graphs, cgrs, counts, _ = _pair_inputs(extra["pair_model"], table, pd, sel, cfg, cache_dir)
    pred, std = _predict(members, _pair_loader(extra["pair_model"], pd, sel, graphs, cgrs, counts, cfg, 256))
    return {"pair_model": extra["pair_model"], "split": part, "n_pairs": int(len(sel)), "ensemble": len(members),
            "targets": list(cfg.targets), "errors": _errors(cfg.targets, pd.dy[sel], pred)}


def parse_reaction(text: str) -> tuple[str, str]:
    """``A>>B`` -> (A, B); InputError when it is not a reaction SMILES of two molecules."""
    a, sep, b = text.partition(">>")
    if not sep or not a.strip() or not b.strip() or ">" in b:
        raise InputError(text, "a pair is a reaction SMILES 'A>>B' (chemprop's reaction mode), e.g. 'CCO>>CCN'")
    return a.strip(), b.strip()


def predict_pairs(model_dir: str | Path, reactions: Sequence[str]) -> dict:
    """Predicted change ``y(B) - y(A)`` of each ``A>>B`` with the ensemble's spread."""
    from rdkit import Chem

    from hohenberg.graph.batch import molecules_tensors
    from hohenberg.molecules.inputs import as_molecules

    cfg, members, extra = load_members(model_dir, "pairs")
    kind = extra["pair_model"]
    pairs = [parse_reaction(r) for r in reactions]
    plain = []
    for r, (sa, sb) in zip(reactions, pairs):
        got = []
        for s in (sa, sb):
            mol = Chem.MolFromSmiles(s)
            if mol is None:
                raise InputError(r, f"RDKit cannot read {s!r}")
            for atom in mol.GetAtoms():
                atom.SetAtomMapNum(0)
            got.append(Chem.MolToSmiles(mol))
        plain.append(got)
    flat = [s for p in plain for s in p]
    mols = as_molecules(flat)
    counts = _Rows({i: element_counts(m.numbers) for i, m in enumerate(mols)})
    a = np.arange(0, len(flat), 2)
    b = a + 1
    pd = PairData(NetworkData("mmp", [], np.zeros((0, 2)), [], [], [], []), a, b, np.arange(len(a)),
                  np.full((len(a), len(cfg.targets)), np.nan))
    graphs = cgrs = None
    if kind in ("pair", "difference"):
        graphs = dict(enumerate(molecules_tensors(mols, cfg.cutoff)))
    else:
        # atom-map numbers of a mapped reaction SMILES are used; otherwise a common substructure
        cgr_list, _ = _cgrs([p[0] for p in pairs], [p[1] for p in pairs], [None] * len(pairs), [None] * len(pairs),
                            cfg.elements)
        cgrs = dict(enumerate(cgr_list))
    pred, std = _predict(members, _pair_loader(kind, pd, np.arange(len(a)), graphs, cgrs, counts, cfg, 256))
    records = []
    for i, r in enumerate(reactions):
        rec = {"reaction": r}
        for j, t in enumerate(cfg.targets):
            rec[f"delta_{t}"] = float(pred[i, j])
            rec[f"delta_{t}_std"] = float(std[i, j])
        records.append(rec)
    return {"model_dir": str(model_dir), "pair_model": kind, "ensemble": len(members), "targets": list(cfg.targets),
            "quantity": "y(B) - y(A) for A>>B, in the target's unit; _std: spread over ensemble members "
                        "(null for one member)", "pairs": records}


# -- network (node regression) ---------------------------------------------------------------------
def split_nodes(net: NetworkData, run: NetRunConfig) -> dict[str, np.ndarray]:
    """Network node positions of train (the labelled molecules) / val / test: a seeded random split."""
    parts = random_split(net.n_nodes, run.split_seed)
    sizes = {"train": run.n_train, "val": run.n_val, "test": run.n_test}
    return {k: np.sort(subset(v, sizes[k], run.split_seed)) for k, v in parts.items()}


def _node_loader(nodes, neighbours, labelled, values, rows, graphs, cfg, y, k, batch_size, train=False, seed=0,
                 generator=None):
    from hohenberg.network.gognn import NodeCollate

    col = NodeCollate(nodes, neighbours, labelled, values, rows, graphs, cfg.features, cfg.views, cfg.elements, y, k,
                      train, seed)
    return DataLoader(np.arange(len(nodes)), batch_size=batch_size, shuffle=train, collate_fn=col, generator=generator)


def _network_state(net, table, targets, labelled_nodes, where):
    rows = node_rows(net, table, where)
    y = np.column_stack([table.properties[t][rows] for t in targets]).astype(np.float64)
    labelled = np.zeros(net.n_nodes, bool)
    labelled[labelled_nodes] = True
    values = np.where(labelled[:, None], y, np.nan)
    return rows, y, labelled, values


def _needed_rows(nodes, neighbours, labelled, rows, k) -> np.ndarray:
    need = set(int(n) for n in nodes)
    for n in nodes:
        nb = neighbours[n]
        need.update(int(j) for j in nb[labelled[nb]])
    return np.unique(rows[np.fromiter(need, dtype=np.int64)])


def train_network(net: NetworkData, table: MoleculeTable, run: NetRunConfig, out_dir: str | Path,
                  net_path: str | Path | None = None, table_path: str | Path | None = None, cache_dir=None,
                  log: Callable[[str], None] = lambda s: None) -> dict:
    """Train the network model on the labelled (training) molecules, test on held-out ones."""
    from hohenberg.datasets.targets import table_elements
    from hohenberg.network.gognn import NetworkModel

    check_targets(table, run.model.targets, table_path)
    if net.n_nodes == 0:
        raise InputError(net_path, "the network has no molecules")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parts = split_nodes(net, run)
    if any(len(v) == 0 for v in parts.values()):
        raise InputError(net_path, f"the split leaves an empty part ({ {k: len(v) for k, v in parts.items()} })")
    rows, y, labelled, values = _network_state(net, table, run.model.targets, parts["train"], net_path)
    cfg = pair_model_config(replace(run.model, elements=table_elements(table.take(rows[parts["train"]]))))
    neighbours = net.neighbours()
    t0 = time.perf_counter()
    need = _needed_rows(np.concatenate(list(parts.values())), neighbours, labelled, rows, run.max_neighbours)
    graphs = molecule_graphs(table, need, cfg.cutoff, cache_dir)
    prep_s = time.perf_counter() - t0
    deg = np.array([labelled[neighbours[n]].sum() for n in parts["test"]])
    tcfg = run.train
    members, fits = [], []
    for k in range(run.ensemble):
        seed = tcfg.seed + k
        torch.manual_seed(seed)
        model = NetworkModel(cfg)
        from hohenberg.graph.batch import collate

        tr = parts["train"]
        gb = collate([graphs[rows[n]] for n in tr], cfg.features, cfg.views, cfg.elements)
        model.scaler.fit(gb.z, gb.batch, torch.as_tensor(y[tr]))
        g = torch.Generator().manual_seed(seed)
        train_loader = _node_loader(tr, neighbours, labelled, values, rows, graphs, cfg, y[tr], run.max_neighbours,
                                    tcfg.batch_size, True, seed, g)
        val_loader = _node_loader(parts["val"], neighbours, labelled, values, rows, graphs, cfg, y[parts["val"]],
                                  run.max_neighbours, 256)
        fits.append({"member": k, "seed": seed, **_fit(model, cfg.targets, train_loader, val_loader,
                                                       TrainConfig(**{**tcfg.to_dict(), "seed": seed}),
                                                       out / f"member_{k}", log, f"member {k}")})
        save_model_file(out / f"member_{k}.pt", "network", {"graph": cfg.to_dict(), "max_neighbours": run.max_neighbours},
                        model.state_dict(), {"seed": seed, "fit": fits[-1]})
        members.append(model.eval())
    te = parts["test"]
    pred, _ = _predict(members, _node_loader(te, neighbours, labelled, values, rows, graphs, cfg, y[te],
                                             run.max_neighbours, 256))
    ids = {k: [str(net.ids[n]) for n in v] for k, v in parts.items()}
    write_split_ids(out, ids, "random", run.split_seed)
    summary = {"kind": "network", "targets": list(cfg.targets), "network": str(net_path) if net_path else None,
               "network_kind": net.kind, "table": str(Path(table_path).resolve()) if table_path else None,
               "transductive": "the training molecules' labels are inputs: a molecule's labelled neighbours "
                               "send their label across the edge; validation and test labels are never read",
               "split_sizes": {k: int(len(v)) for k, v in parts.items()}, "max_neighbours": run.max_neighbours,
               "test_labelled_neighbours": {"mean": float(deg.mean()) if len(deg) else 0.0,
                                            "fraction_with_any": float((deg > 0).mean()) if len(deg) else 0.0},
               "model": cfg.to_dict(), "train": tcfg.to_dict(), "ensemble": run.ensemble, "fits": fits,
               "input_prep_s": round(prep_s, 1), "test_errors": _errors(cfg.targets, y[te], pred)}
    if net_path:
        summary["network"] = str(Path(net_path).resolve())
    atomic_write(out / MODEL_FILE, json.dumps(summary, indent=2))
    write_manifest(out, "network", cfg.targets, provenance=manifest_provenance(summary),
                   card={"metrics": {"test_errors": summary["test_errors"]}})
    return summary


def manifest_provenance(summary: dict) -> dict:
    """What a pairs or network model's manifest records of its training summary."""
    keep = ("network", "network_kind", "table", "pair_model", "split", "split_sizes", "model", "train", "ensemble",
            "max_neighbours")
    return {k: summary[k] for k in keep if k in summary}


def _network_inputs(model_dir, net, table, where):
    cfg, members, extra = load_members(model_dir, "network")
    check_targets(table, cfg.targets, where)
    split = _stored_split(model_dir)
    node_of = {str(m): i for i, m in enumerate(net.ids)}
    missing = [m for m in split["train"] if m not in node_of]
    if missing:
        raise InputError(where, f"molecule {missing[0]} of the model's training split is not in the network")
    labelled_nodes = np.array([node_of[m] for m in split["train"]], dtype=np.int64)
    rows, y, labelled, values = _network_state(net, table, cfg.targets, labelled_nodes, where)
    return cfg, members, extra, split, node_of, rows, y, labelled, values


def evaluate_network(model_dir: str | Path, net: NetworkData, table: MoleculeTable, part: str = "test",
                     cache_dir=None, where=None) -> dict:
    cfg, members, extra, split, node_of, rows, y, labelled, values = _network_inputs(model_dir, net, table, where)
    check_part(part, PARTS)
    nodes = np.array([node_of[m] for m in split[part] if m in node_of], dtype=np.int64)
    neighbours = net.neighbours()
    k = extra.get("max_neighbours", 8)
    graphs = molecule_graphs(table, _needed_rows(nodes, neighbours, labelled, rows, k), cfg.cutoff, cache_dir)
    pred, _ = _predict(members, _node_loader(nodes, neighbours, labelled, values, rows, graphs, cfg, y[nodes], k, 256))
    return {"split": part, "n_molecules": int(len(nodes)), "ensemble": len(members), "targets": list(cfg.targets),
            "errors": _errors(cfg.targets, y[nodes], pred)}


def predict_network(model_dir: str | Path, molecules: Sequence[str], net: NetworkData | None = None,
                    table: MoleculeTable | None = None) -> dict:
    """Predictions for molecules of the network (ids, or SMILES of a network molecule), from the
    network and table the model was trained on (paths in ``model.json``) unless given."""
    from hohenberg.datasets.splits import table_smiles

    info = read_model_json(model_dir) or {}
    if net is None:
        if not info.get("network") or not Path(info["network"]).is_file():
            raise InputError(model_dir, "the network the model was trained on is not at the path in model.json")
        net = NetworkData.load(info["network"])
    if table is None:
        if not info.get("table") or not Path(info["table"]).is_file():
            raise InputError(model_dir, "the table the model was trained on is not at the path in model.json")
        table = MoleculeTable.load(info["table"])
    cfg, members, extra, split, node_of, rows, y, labelled, values = _network_inputs(model_dir, net, table, model_dir)
    from rdkit import Chem

    canon = {}
    for i, s in zip(rows, table_smiles(table.take(rows))):
        canon.setdefault(s, int(i))
    row_node = {int(r): n for n, r in enumerate(rows)}
    nodes = []
    for m in molecules:
        if m in node_of:
            nodes.append(node_of[m])
            continue
        mol = Chem.MolFromSmiles(m)
        s = Chem.MolToSmiles(mol) if mol is not None else None
        if s is None or s not in canon:
            raise InputError(m, "not a molecule of the network: the network model predicts its own nodes "
                                "(transductive); give a molecule id or the SMILES of one")
        nodes.append(row_node[canon[s]])
    nodes = np.asarray(nodes, dtype=np.int64)
    neighbours = net.neighbours()
    k = extra.get("max_neighbours", 8)
    graphs = molecule_graphs(table, _needed_rows(nodes, neighbours, labelled, rows, k), cfg.cutoff)
    pred, std = _predict(members, _node_loader(nodes, neighbours, labelled, values, rows, graphs, cfg,
                                               np.full((len(nodes), len(cfg.targets)), np.nan), k, 256))
    records = []
    for i, (m, n) in enumerate(zip(molecules, nodes)):
        rec = {"input": m, "id": str(net.ids[n]), "labelled_neighbours": int(labelled[neighbours[n]].sum()),
               "is_training_molecule": bool(labelled[n])}
        for j, t in enumerate(cfg.targets):
            rec[t] = float(pred[i, j])
            rec[f"{t}_std"] = float(std[i, j])
        records.append(rec)
    return {"model_dir": str(model_dir), "ensemble": len(members), "targets": list(cfg.targets),
            "uncertainty": "spread over ensemble members (null for one member)", "molecules": records}
