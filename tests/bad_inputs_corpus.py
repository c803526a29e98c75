"""A corpus of bad inputs for the command line: each case is a file or option a user could give by
mistake, with the command that reads it.  Every case must end in one clear message (exit 2, no
traceback, at most ``MESSAGE_CAP`` characters), never a traceback, a hang or a silent answer.

Used by ``tests/test_bad_inputs.py`` (in process) and ``benchmarks/bad_inputs.py`` (one process
per case, with a time limit, to count hangs).
"""

from __future__ import annotations

import bz2
import io
import json
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

MESSAGE_CAP = 500  # characters of the one-line error message (the CLI caps it; see cli/main.py)

WATER = "3\nwater\nO 0 0 0.1173\nH 0 0.7572 -0.4692\nH 0 -0.7572 -0.4692\n"
H2 = "2\nH2\nH 0 0 0\nH 0 0 0.74\n"


@dataclass(frozen=True)
class Case:
    category: str
    label: str
    argv: tuple[str, ...]
    slow: bool = False  # builds a model, runs an SCF or reads a big archive
    expect: str = "error"  # "error": exit 2 with one message; "warning": runs, and says what it changed


def message_of(stderr: str) -> str:
    """The error message in a command's stderr, on one line: without click's usage lines and the
    box drawn around its option errors."""
    text = " ".join(re.sub(r"[\u2500-\u257f]", " ", stderr).split())
    return text.split(" for help. ", 1)[1] if text.startswith("Usage:") and " for help. " in text else text


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _tiny_graph_member(path: Path) -> None:
    """A small, untrained graph model file like those `train graph` writes (member_<k>.pt)."""
    from hohenberg.graph.models import GraphModelConfig, build_model
    from hohenberg.training.checkpoint import save_model_file

    cfg = GraphModelConfig(model="gin", views=("bond",), features="gasteiger", targets=("homo_eV",),
                           hidden=8, layers=1, environment=False)
    save_model_file(path, "graph", cfg.to_dict(), build_model(cfg).state_dict(), {"split_seed": 0})


def _corrupt_member(path: Path, what: str) -> None:
    """``member_0.pt`` with its configuration not JSON, or weights of the wrong size."""
    import torch

    _tiny_graph_member(path)
    payload = torch.load(path, weights_only=True)
    if what == "config":
        payload["config"] = "{not json"
    else:
        key = next(k for k, v in payload["state_dict"].items() if v.ndim == 2)
        payload["state_dict"][key] = torch.zeros(3, 3)
    torch.save(payload, path)


class _Anything:  # a pickled object: weights_only loading refuses it
    pass


def _pickled(path: Path) -> Path:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": "hohenberg-graphs", "data": _Anything()}, path)
    return path


def _tar_with_member(path: Path, name: str, size: int) -> Path:
    """A ``.tar.bz2`` holding one member of ``size`` zero bytes (compresses to almost nothing)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        info = tarfile.TarInfo(name)
        info.size = size
        tf.addfile(info, io.BytesIO(bytes(size)))
    return _write(path, bz2.compress(raw.getvalue(), 1))


def _hohenberg(*args) -> tuple[str, ...]:
    return tuple(str(a) for a in args)


def build_cases(tmp: Path, models: bool = True, big_archive: int = 200 * 2**20) -> list[Case]:
    """Write the corpus's files under ``tmp``; the cases that read them.

    ``models`` also builds model directories (needs torch, ~1 s); ``big_archive`` is the size of
    the oversized archive member."""
    tmp = Path(tmp)
    c: list[Case] = []

    def add(category, label, *argv, slow=False, expect="error"):
        c.append(Case(category, label, _hohenberg(*argv), slow, expect))

    # -- molecule files ----------------------------------------------------------------------
    f = tmp / "files"
    add("molecule files", "lone H atom (odd electrons, spin 0)", "mol", "info", _write(f / "h.xyz", "1\nH\nH 0 0 0\n"))
    add("molecule files", "xyz count line too small", "mol", "info", _write(f / "short.xyz", "1\nc\nO 0 0 0\nH 0 0 1\n"))
    add("molecule files", "xyz count line too large", "mol", "info", _write(f / "long.xyz", "5\nc\nO 0 0 0\nH 0 0 1\n"))
    add("molecule files", "xyz count line not a number", "mol", "info", _write(f / "nan.xyz", "three\nc\nO 0 0 0\n"))
    add("molecule files", "xyz unknown element", "mol", "info", _write(f / "xx.xyz", "2\nc\nO 0 0 0\nXx 0 0 1\n"))
    add("molecule files", "xyz coordinate not a number", "mol", "info", _write(f / "coord.xyz", "1\nc\nHe 0 zero 0\n"))
    add("molecule files", "xyz coordinate infinite", "mol", "info", _write(f / "inf.xyz", "1\nc\nHe 0 inf 0\n"))
    add("molecule files", "extxyz charge=1 on water (odd electrons)", "mol", "info",
        _write(f / "cation.extxyz", WATER.replace("water", 'Properties=species:S:1:pos:R:3 charge=1')))
    add("molecule files", "extxyz charge=0.5", "mol", "info",
        _write(f / "half.extxyz", WATER.replace("water", 'Properties=species:S:1:pos:R:3 charge=0.5')))
    add("molecule files", "extxyz spin=-2", "mol", "info",
        _write(f / "negspin.extxyz", WATER.replace("water", 'Properties=species:S:1:pos:R:3 spin=-2')))
    add("molecule files", "empty file", "mol", "info", _write(f / "empty.xyz", ""))
    add("molecule files", "binary file", "mol", "info", _write(f / "bin.xyz", bytes(range(256)) * 4))
    add("molecule files", "unknown suffix", "mol", "info", _write(f / "water.pdf", WATER))
    add("molecule files", "sdf not a molfile", "mol", "info", _write(f / "bad.sdf", "x\n  y\n\n  z\n$$$$\n"))
    add("molecule files", "cube file truncated", "mol", "info", _write(f / "cut.cube", "c\nc\n  1 0 0 0\n"))
    add("molecule files", "table not a table", "data", "info", _write(f / "table.npz", b"PK\x03\x04 not a zip"))

    # -- SMILES -----------------------------------------------------------------------------
    add("SMILES", "empty SMILES", "mol", "info", "")
    add("SMILES", "dummy atom *C", "mol", "info", "*C")
    add("SMILES", "unclosed ring C1CC", "mol", "info", "C1CC")
    add("SMILES", "pentavalent carbon", "mol", "info", "C(C)(C)(C)(C)C")
    add("SMILES", "qc run --smiles ''", "qc", "run", "", "--smiles", "--level", "hf/sto-3g")
    add("SMILES", "200-carbon chain (3D embedding limit)", "mol", "info", "C" * 200)
    add("SMILES", ".smi line with a bad SMILES", "qc", "batch", _write(f / "bad.smi", "CCO ethanol\nC1CC ring\n"),
        "--out", tmp / "store-smi", "--no-density", "--level", "hf/sto-3g")

    # -- options ----------------------------------------------------------------------------
    add("options", "qc batch --limit -1", "qc", "batch", _write(f / "water.xyz", WATER), "--out", tmp / "s1",
        "--limit", "-1", "--level", "hf/sto-3g", "--no-density")
    add("options", "qc batch --size 0", "qc", "batch", f / "water.xyz", "--out", tmp / "s2",
        "--size", "0", "--level", "hf/sto-3g")
    add("options", "qc batch --spacing -0.2", "qc", "batch", f / "water.xyz", "--out", tmp / "s3",
        "--spacing", "-0.2", "--level", "hf/sto-3g")
    add("options", "qc batch --workers 0", "qc", "batch", f / "water.xyz", "--out", tmp / "s4", "--workers", "0",
        "--level", "hf/sto-3g", "--no-density")
    add("options", "qc batch --ids unknown", "qc", "batch", f / "water.xyz", "--out", tmp / "s5", "--ids", "nope",
        "--level", "hf/sto-3g", "--no-density")
    add("options", "qc density --spacing -0.2", "qc", "density", f / "water.xyz", "--out", tmp / "d.cube",
        "--spacing", "-0.2", "--level", "hf/sto-3g")
    add("options", "qc promolecule --size 0", "qc", "promolecule", f / "water.xyz", "--out", tmp / "p.cube",
        "--size", "0", "--level", "hf/sto-3g")
    add("options", "qc run --guess bogus", "qc", "run", f / "water.xyz", "--guess", "bogus", "--level", "hf/sto-3g")
    add("options", "qc run --level not-a-level", "qc", "run", f / "water.xyz", "--level", "nonsense")
    smi = _write(f / "train.csv", "smiles,y\n" + "".join(f"{s},{i}\n" for i, s in enumerate(
        ["C", "CC", "CCC", "CCO", "CO", "CN", "CCN", "CCCC", "OCO", "NCN"])))
    add("options", "train subgraph --loss bogus", "train", "subgraph", smi, "--target", "y", "--out", tmp / "sg1",
        "--loss", "bogus")
    add("options", "train subgraph --l1-ratio 2", "train", "subgraph", smi, "--target", "y", "--out", tmp / "sg2",
        "--l1-ratio", "2")
    add("options", "train subgraph --limit -1", "train", "subgraph", smi, "--target", "y", "--out", tmp / "sg3",
        "--limit", "-1")
    add("options", "materials intermetallic --sizes a,b", "materials", "intermetallic", "--sizes", "a,b")
    add("options", "materials dband-subsets --target bogus", "materials", "dband-subsets", "--target", "bogus")
    add("options", "materials bandgap --n-rows -5", "materials", "bandgap", "--n-rows", "-5")

    # -- PySCF's rejections of a molecule or a level ----------------------------------------
    add("quantum chemistry", "H2 with charge 2 (no electrons)", "qc", "run",
        _write(f / "h2_2plus.extxyz", H2.replace("H2", "Properties=species:S:1:pos:R:3 charge=2")), "--level", "hf/sto-3g")
    add("quantum chemistry", "unknown functional foo/sto-3g", "qc", "run", _write(f / "h2.xyz", H2), "--level", "foo/sto-3g")
    add("quantum chemistry", "unknown basis hf/nobasis", "qc", "run", f / "h2.xyz", "--level", "hf/nobasis")
    add("quantum chemistry", "grid level +grid99", "qc", "run", f / "h2.xyz", "--level", "b3lyp/sto-3g+grid99")
    add("quantum chemistry", "coincident atoms", "qc", "run", _write(f / "same.xyz", "2\nc\nH 0 0 0\nH 0 0 0\n"),
        "--level", "hf/sto-3g")
    add("quantum chemistry", "atoms 0.3 A apart", "qc", "run", _write(f / "close.xyz", "2\nc\nH 0 0 0\nH 0 0 0.3\n"),
        "--level", "hf/sto-3g")
    add("quantum chemistry", "water with one H 1000 A away", "qc", "run",
        _write(f / "far.xyz", "3\nc\nO 0 0 0.1173\nH 0 0.7572 -0.4692\nH 0 1000 0\n"), "--level", "hf/sto-3g")
    add("molecule files", "SDF without hydrogens (ethanol as C2O)", "mol", "info",
        _write(f / "noh.sdf", _heavy_only_sdf()), expect="warning")
    add("quantum chemistry", "xTB level with a guess", "qc", "run", f / "h2.xyz", "--level", "gfn2-xtb", "--guess", "atom")

    # -- operating system ------------------------------------------------------------------
    os_dir = tmp / "os"
    add("files and folders", "input is a folder", "mol", "info", (os_dir / "folder.xyz").mkdir(parents=True) or os_dir / "folder.xyz")
    add("files and folders", "input does not exist", "mol", "info", os_dir / "missing.xyz")
    add("files and folders", "output path is a folder", "mol", "convert", "CCO", (os_dir / "out.sdf").mkdir() or os_dir / "out.sdf")
    add("files and folders", "output format unknown", "mol", "convert", "CCO", os_dir / "out.pdf")
    add("files and folders", "cube output is a folder", "qc", "promolecule", f / "water.xyz", "--out",
        (os_dir / "o.cube").mkdir() or os_dir / "o.cube", "--level", "hf/sto-3g")
    add("files and folders", "store output is a file", "qc", "batch", f / "water.xyz", "--out",
        _write(os_dir / "store-file", "x"), "--no-density", "--level", "hf/sto-3g")
    locked = _write(os_dir / "locked.xyz", WATER)
    os.chmod(locked, 0)
    if os.access(locked, os.R_OK):  # as root every file is readable: a folder in a file's place instead
        locked = os_dir / "unreadable"
        (locked / "x").mkdir(parents=True, exist_ok=True)
    add("files and folders", "unreadable file", "data", "import", locked, "--out", tmp / "imp.npz")

    # -- archives ---------------------------------------------------------------------------
    arc = tmp / "archives"
    add("archives", "QM9 archive not an archive", "data", "qm9", "--source", _write(arc / "x.tar.bz2", b"BZh9 nope"),
        "--out", tmp / "q1.npz")
    add("archives", "QM9 archive member oversized", "data", "qm9", "--source",
        _tar_with_member(arc / "big.tar.bz2", "dsgdb9nsd_000001.xyz", big_archive), "--out", tmp / "q2.npz", slow=True)
    add("archives", "QM9 archive member not QM9", "data", "qm9", "--source",
        _tar_with_member(arc / "small.tar.bz2", "dsgdb9nsd_000001.xyz", 100), "--out", tmp / "q3.npz")

    # -- stores -----------------------------------------------------------------------------
    add("stores", "store info on a folder that is no store", "store", "info", (tmp / "nostore").mkdir() or tmp / "nostore")
    bad_store = tmp / "badstore"
    _write(bad_store / "store.json", "{not json")
    add("stores", "store.json not JSON", "store", "info", bad_store)
    add("stores", "data from-store of a missing store", "data", "from-store", tmp / "none", "--out", tmp / "fs.npz")

    # -- model directories ------------------------------------------------------------------
    if models:
        md = tmp / "models"
        (md / "empty").mkdir(parents=True)
        add("model directories", "model folder without members", "evaluate", md / "empty", f / "table.npz", slow=True)
        _corrupt_member(md / "config" / "member_0.pt", "config")
        add("model directories", "member config not JSON", "predict", md / "config", "CCO", slow=True)
        _corrupt_member(md / "size" / "member_0.pt", "size")
        add("model directories", "member weights of the wrong size", "predict", md / "size", "CCO", slow=True)
        _tiny_graph_member(md / "stray" / "member_0.pt")
        _write(md / "stray" / "member_final.pt", (md / "stray" / "member_0.pt").read_bytes())
        add("model directories", "stray member_final.pt", "predict", md / "stray", "CCO", slow=True)
        _pickled(md / "pickled" / "member_0.pt")
        add("model directories", "pickled member file", "predict", md / "pickled", "CCO", slow=True)
        _write(md / "text" / "member_0.pt", "not a model")
        add("model directories", "member file of text", "predict", md / "text", "CCO", slow=True)
        add("model directories", "pickled graph cache", "evaluate", *_pickled_cache_case(tmp, md), slow=True)
    return c


def _pickled_cache_case(tmp: Path, md: Path) -> tuple:
    """``evaluate MODEL TABLE --cache DIR`` where the cache file for that table is a pickle."""
    import numpy as np

    from hohenberg.graph.dataset import FEATURIZER_VERSION, table_fingerprint
    from hohenberg.molecules.molecule import Molecule
    from hohenberg.molecules.table import MoleculeTable

    mols = []
    for k in range(3):
        m = Molecule([8, 1, 1], [[0, 0, 0.1173], [0, 0.7572, -0.4692], [0, -0.7572, -0.4692 - 0.01 * k]],
                     name=f"w{k}")
        m.properties["homo_eV"] = -7.0 - k
        mols.append(m)
    table = MoleculeTable.from_molecules(mols, {"dataset": "corpus"})
    path = table.save(tmp / "water3.npz") or tmp / "water3.npz"
    table = MoleculeTable.load(path)
    from hohenberg.graph.dataset import TARGETS, table_targets

    names = list(table_targets(table))
    key = f"graphs-{table_fingerprint(table, np.arange(len(table)))}-c5-f{FEATURIZER_VERSION}"
    if names != list(TARGETS):
        import hashlib

        key += "-t" + hashlib.sha256(json.dumps(names).encode()).hexdigest()[:8]
    cache = tmp / "cache"
    _pickled(cache / f"{key}-table.pt")
    _tiny_graph_member(md / "ok" / "member_0.pt")
    return md / "ok", path, "--cache", cache, "--split", "all"


def _heavy_only_sdf() -> str:
    """Ethanol's heavy atoms only, as many drawing programs write it (hydrogens implicit)."""
    return ("ethanol\n  drawn\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\n"
            "    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
            "    1.5200    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
            "    2.0300    1.4300    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0\n"
            "  1  2  1  0\n  2  3  1  0\nM  END\n$$$$\n")
