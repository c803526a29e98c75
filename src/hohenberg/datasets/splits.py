"""Train/validation/test splits of a table: decided here, used by every trainer and by ``evaluate``.

Kinds (:func:`split_table`):

* ``standard``: QM9's split (:func:`hohenberg.datasets.qm9.standard_split`, 110,000 / 10,000 /
  rest of the characterized molecules), the one papers compare against;
* ``random``: a seeded permutation, 80 / 10 / 10 %;
* ``scaffold``: Bemis-Murcko scaffold sets, as chemprop's ``scaffold_balanced``: sets larger
  than half the test size go to training first (biggest first), the rest are shuffled (seeded)
  and dealt to train, then validation, then test while each has room; no scaffold is shared
  between two parts, so the test measures new chemotypes;
* a path to a JSON file ``{"train": [ids], "val": [ids], "test": [ids]}``.

``auto`` is ``standard`` for a QM9 table and ``random`` for any other.  A model directory
stores the ids of its split (``split.json``), so evaluation finds the same molecules again even
in a reordered or extended table.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from hohenberg.errors import HohenbergError, InputError
from hohenberg.fileio import atomic_write
from hohenberg.molecules.table import MoleculeTable

KINDS = ("auto", "standard", "random", "scaffold")
FRACTIONS = (0.8, 0.1, 0.1)
PARTS = ("train", "val", "test")
SPLIT_FILE = "split.json"


def is_qm9(table: MoleculeTable) -> bool:
    return "qm9_index" in table.properties


def resolve_kind(table: MoleculeTable, kind: str) -> str:
    """``auto`` -> ``standard`` (QM9) or ``random``; a file path or a known kind as is."""
    if kind == "auto":
        return "standard" if is_qm9(table) else "random"
    if kind not in KINDS and not kind.endswith(".json"):
        raise InputError(None, f"split must be one of {', '.join(KINDS)} or a JSON file of id lists, not {kind!r}")
    if kind == "standard" and not is_qm9(table):
        raise InputError(None, "the standard split is QM9's and needs a QM9 table; use random or scaffold")
    return kind


def split_table(table: MoleculeTable, kind: str = "auto", seed: int = 0,
                fractions: Sequence[float] = FRACTIONS) -> dict[str, np.ndarray]:
    """Sorted row numbers of ``train``, ``val`` and ``test`` (see module docstring)."""
    kind = resolve_kind(table, kind)
    if kind == "standard":
        from hohenberg.datasets.qm9 import standard_split

        return standard_split(table, seed)
    if kind == "random":
        return random_split(len(table), seed, fractions)
    if kind == "scaffold":
        return scaffold_split(table_smiles(table), seed, fractions)
    return split_from_file(kind, table)


def split_molecules(ids: Sequence[str], smiles: Sequence[str], kind: str, seed: int = 0,
                    fractions: Sequence[float] = FRACTIONS, table: MoleculeTable | None = None) -> dict[str, np.ndarray]:
    """The same splits for molecules given as ids and SMILES (a CSV, or rows taken from ``table``):
    positions into ``ids``.  ``standard`` needs the QM9 ``table`` the ids come from."""
    if kind == "random":
        return random_split(len(ids), seed, fractions)
    if kind == "scaffold":
        return scaffold_split(smiles, seed, fractions)
    if kind in ("standard", "auto"):
        if table is None or not is_qm9(table):
            if kind == "auto":
                return random_split(len(ids), seed, fractions)
            raise InputError(None, "the standard split is QM9's and needs a QM9 table; use random or scaffold")
        rows = split_table(table, "standard", seed)
    elif kind.endswith(".json"):
        rows = None
    else:
        raise InputError(None, f"split must be one of {', '.join(KINDS)} or a JSON file of id lists, not {kind!r}")
    where = {str(m): i for i, m in enumerate(ids)}
    if rows is not None:
        parts = {k: [where[str(table.ids[r])] for r in v if str(table.ids[r]) in where] for k, v in rows.items()}
    else:
        listed = _read_split_file(kind)
        parts = {k: [where[str(m)] for m in listed.get(k, []) if str(m) in where] for k in PARTS}
    return {k: np.sort(np.asarray(v, dtype=np.int64)) for k, v in parts.items()}


def _sizes(n: int, fractions: Sequence[float]) -> tuple[int, int]:
    f = np.asarray(fractions, dtype=float)
    if len(f) != 3 or np.any(f < 0) or not np.isclose(f.sum(), 1.0):
        raise ValueError(f"split fractions must be three non-negative numbers summing to 1, got {tuple(fractions)}")
    n_train = int(round(n * f[0]))
    n_val = int(round(n * f[1]))
    return n_train, min(n_val, n - n_train)


def random_split(n: int, seed: int = 0, fractions: Sequence[float] = FRACTIONS) -> dict[str, np.ndarray]:
    n_train, n_val = _sizes(n, fractions)
    perm = np.random.default_rng(seed).permutation(n)
    return {"train": np.sort(perm[:n_train]), "val": np.sort(perm[n_train:n_train + n_val]),
            "test": np.sort(perm[n_train + n_val:])}


def murcko_scaffold(smiles: str) -> str:
    """Bemis-Murcko scaffold SMILES (chirality ignored); '' for acyclic molecules."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return smiles  # unparsable: its own group, so it cannot leak across parts
    return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)


def scaffold_split(smiles: Sequence[str], seed: int = 0, fractions: Sequence[float] = FRACTIONS) -> dict[str, np.ndarray]:
    """chemprop's balanced scaffold split (module docstring) of molecules given as SMILES."""
    n = len(smiles)
    n_train, n_val = _sizes(n, fractions)
    n_test = n - n_train - n_val
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(smiles):
        groups[murcko_scaffold(s)].append(i)
    sets = list(groups.values())
    big = [s for s in sets if len(s) > n_test / 2]
    small = [s for s in sets if len(s) <= n_test / 2]
    rng = np.random.default_rng(seed)
    rng.shuffle(big)
    rng.shuffle(small)
    # chemprop: the big sets are placed first, then the shuffled small ones
    ordered = sorted(big, key=len, reverse=True) + small
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for s in ordered:
        if len(parts["train"]) + len(s) <= n_train:
            parts["train"] += s
        elif len(parts["val"]) + len(s) <= n_val:
            parts["val"] += s
        else:
            parts["test"] += s
    return {k: np.sort(np.asarray(v, dtype=np.int64)) for k, v in parts.items()}


def table_smiles(table: MoleculeTable) -> list[str]:
    """SMILES of every molecule: the table's own column, else perceived from the geometry."""
    if "smiles" in table.text:
        return [str(s) for s in table.text["smiles"]]
    from rdkit import Chem, RDLogger

    from hohenberg.molecules.rdkit_bridge import rdkit_of

    out = []
    RDLogger.DisableLog("rdApp.*")
    try:
        for mol in table:
            rd, _ = rdkit_of(mol)
            try:
                out.append(Chem.MolToSmiles(Chem.RemoveHs(rd)))
            except Exception:  # unsanitizable perception: keep the molecule as its own scaffold
                out.append(Chem.MolToSmiles(rd))
    finally:
        RDLogger.EnableLog("rdApp.*")
    return out


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(path, "no such split file") from None
    except (OSError, ValueError) as exc:
        raise InputError(path, f"not a JSON split file ({exc})") from None
    return data if isinstance(data, dict) else {}


def _read_split_file(path: str | Path) -> dict:
    path = Path(path)
    data = _read_json(path)
    if "train" not in data or "test" not in data:
        raise InputError(path, 'a split file is {"train": [ids], "val": [ids], "test": [ids]}')
    return data


def read_id_lists(path: str | Path) -> dict[str, list[str]]:
    """The ``train``, ``val`` and ``test`` id lists of a split file.  A file of nested training
    subsets (``train4000``-style names beside ``train``) gives its longest training list."""
    path = Path(path)
    data = _read_json(path)
    trains = [k for k in data if k.startswith("train")]
    if not trains or "val" not in data or "test" not in data:
        raise InputError(path, "a split file needs id lists 'train' (or 'train*'), 'val' and 'test'")
    return {"train": list(max((data[k] for k in trains), key=len)), "val": list(data["val"]),
            "test": list(data["test"])}


def split_from_file(path: str | Path, table: MoleculeTable) -> dict[str, np.ndarray]:
    """Rows of the ids listed in a JSON split file (every id must be in the table, none twice)."""
    path = Path(path)
    data = _read_split_file(path)
    lookup = {str(m): i for i, m in enumerate(table.ids)}
    out, seen = {}, {}
    for part in PARTS:
        rows = []
        for mid in data.get(part, []):
            if str(mid) not in lookup:
                raise InputError(path, f"{part}: molecule id {mid!r} is not in the table")
            if str(mid) in seen:
                raise InputError(path, f"molecule id {mid!r} is in both {seen[str(mid)]} and {part}")
            seen[str(mid)] = part
            rows.append(lookup[str(mid)])
        out[part] = np.sort(np.asarray(rows, dtype=np.int64))
    return out


def subset(rows: np.ndarray, n: int | None, seed: int = 0) -> np.ndarray:
    """``n`` random rows of ``rows`` (all when ``n`` is None or not smaller); nested in ``n``."""
    if n is None or n >= len(rows):
        return np.asarray(rows)
    from hohenberg.datasets.qm9 import quick_subset

    return quick_subset(rows, n, seed)


def write_split(model_dir: str | Path, table: MoleculeTable, rows: dict[str, np.ndarray], kind: str, seed: int) -> Path:
    """``split.json`` in a model directory: the kind, the seed and the ids of every part."""
    return write_split_ids(model_dir, {k: [str(table.ids[i]) for i in v] for k, v in rows.items()}, kind, seed)


def write_split_ids(model_dir: str | Path, ids: dict[str, Sequence[str]], kind: str, seed: int) -> Path:
    """``split.json``: ``{"kind", "seed", "sizes", "train": [ids], "val": [ids], "test": [ids]}``."""
    payload = {"kind": str(kind), "seed": seed, "sizes": {k: len(v) for k, v in ids.items()}}
    payload.update({k: [str(m) for m in v] for k, v in ids.items()})
    path = Path(model_dir) / SPLIT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(payload))
    return path


def read_split(model_dir: str | Path, table: MoleculeTable) -> dict[str, np.ndarray] | None:
    """Rows of ``table`` for the split stored in ``model_dir`` (None when it stores none)."""
    path = Path(model_dir) / SPLIT_FILE
    return split_from_file(path, table) if path.is_file() else None


def stored_split(model_dir: str | Path) -> dict | None:
    """The id lists of the split stored in ``model_dir`` (``split.json``), None when it stores none."""
    path = Path(model_dir) / SPLIT_FILE
    return _read_split_file(path) if path.is_file() else None


# -- the molecules a runner trains and evaluates on ----------------------------------------------
EVALUATION_PARTS = PARTS + ("all",)


def check_part(part: str, allowed: Sequence[str] = EVALUATION_PARTS) -> str:
    """``part`` when it names a part of a split (or ``all``), else an error listing the parts."""
    if part not in allowed:
        names = [p for p in ("test", "val", "train", "all") if p in allowed]
        raise InputError(None, f"split must be {', '.join(names[:-1])} or {names[-1]}, not {part!r}")
    return part


def sized_parts(parts: dict[str, Sequence], sizes: dict[str, int | None],
                pick: Callable[[Sequence, int], Sequence]) -> dict[str, Sequence]:
    """Each part of a split restricted to the molecules a store holds, cut to its requested size by
    ``pick(items, n)`` (a nested random subset, or the first ``n``); an error when a size asks for
    more than the store holds or a part is left empty."""
    out = {}
    for name in PARTS:
        items = parts[name]
        n = sizes.get(name)
        if n is not None:
            if n > len(items):
                raise HohenbergError(f"asked for {n} {name} molecules; the store holds {len(items)} of that split")
            items = pick(items, n)
        if len(items) == 0:
            raise HohenbergError(f"the store holds no molecule of the {name} split")
        out[name] = items
    return out


def evaluation_ids(model_dir: str | Path, part: str, held: Sequence[str], where: str | Path | None = None,
                   rebuild: Callable[[], dict[str, Sequence[str]]] | None = None) -> list[str]:
    """Ids a saved model is evaluated on: every id ``held`` (``all``), or the ids of ``part`` in the
    model's ``split.json`` that ``held`` contains, in the file's order.  ``rebuild`` gives the split
    of a model directory written before splits were stored as ids (without it such a directory
    evaluates on ``all`` only).  ``where`` (the store) is named when none of the ids is held."""
    check_part(part)
    if part == "all":
        ids = list(held)
    else:
        listed = stored_split(model_dir)
        if listed is None:
            if rebuild is None:
                raise InputError(model_dir, "no split.json (trained before splits were stored): evaluate on "
                                            "split all")
            listed = rebuild()
        present = set(held)
        ids = [str(i) for i in listed.get(part, []) if str(i) in present]
    if not ids:
        raise InputError(where, f"holds none of the model's {part} molecules" if where is not None
                         else f"none of the model's {part} molecules is available")
    return ids


# -- pairs of molecules (edges of a molecule network) --------------------------------------------
PAIR_KINDS = ("random", "by-molecule")
PAIR_MOLECULE_FRACTIONS = (0.6, 0.2, 0.2)


def pair_split(a: Sequence[int], b: Sequence[int], kind: str = "random", seed: int = 0,
               fractions: Sequence[float] | None = None) -> dict[str, np.ndarray]:
    """Sorted positions of the pairs ``(a[k], b[k])`` (molecule rows) in ``train``/``val``/``test``.

    ``random``: the pairs themselves are permuted (80/10/10); a test pair's molecules are usually
    in training pairs too, so this measures interpolation within known molecules.  ``by-molecule``:
    the *molecules* are split (60/20/20 by default) and a pair belongs to a part only when both of
    its molecules do; pairs across parts are left out, so no molecule of a test pair is in any
    training pair."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if kind == "random":
        return random_split(len(a), seed, fractions or FRACTIONS)
    if kind != "by-molecule":
        raise InputError(None, f"pair split must be one of {', '.join(PAIR_KINDS)}, not {kind!r}")
    mols = np.unique(np.concatenate([a, b]))
    parts = random_split(len(mols), seed, fractions or PAIR_MOLECULE_FRACTIONS)
    part_of = np.full(int(mols.max()) + 1 if len(mols) else 0, -1, np.int64)
    for p, name in enumerate(PARTS):
        part_of[mols[parts[name]]] = p
    pa, pb = part_of[a], part_of[b]
    return {name: np.flatnonzero((pa == p) & (pb == p)) for p, name in enumerate(PARTS)}
