"""Pictures of what a fitted model uses: its top subgraphs with their weights, and where they sit
on a given molecule (RDKit depiction, PNG)."""

from __future__ import annotations

from pathlib import Path

from hohenberg.subgraph.graph import LabelConfig


def top_patterns(model, k: int = 12) -> list[dict]:
    """``[{smarts, weight, support, kind}]``: coefficients (sparse) or importances (boost), or the
    topics' subgraphs (topic model)."""
    if hasattr(model, "top_patterns"):
        kind = "coef" if hasattr(model, "coef_") else "importance"
        return [{"smarts": s, "weight": w, "support": n, "kind": kind} for s, w, n in model.top_patterns(k)]
    out = []
    for topic in model.topics(4)[:k]:
        out.append({"topic": topic["topic"], "weight": topic["coef"], "kind": "topic coef",
                    "subgraphs": [name for name, _ in topic["subgraphs"]]})
    return out


def _query(smarts: str):
    from rdkit import Chem

    q = Chem.MolFromSmarts(smarts)
    if q is None:
        raise ValueError(f"cannot parse SMARTS {smarts!r}")
    q.UpdatePropertyCache(strict=False)
    return q


def draw_patterns(rows: list[dict], path: str | Path, per_row: int = 4, size: int = 260) -> Path:
    """A grid of the patterns, each captioned with its weight and support."""
    from rdkit.Chem import Draw

    mols = [_query(r["smarts"]) for r in rows]
    legends = [f"{r['kind']} {r['weight']:+.4g}  (n={r['support']})" for r in rows]
    img = Draw.MolsToGridImage(mols, molsPerRow=per_row, subImgSize=(size, size), legends=legends)
    path = Path(path)
    img.save(str(path))
    return path


def highlight(smiles: str, rows: list[dict], path: str | Path, config: LabelConfig = LabelConfig(),
              size: int = 300) -> tuple[Path, list[dict]]:
    """Draw ``smiles`` once per pattern that occurs in it, with the matched atoms and bonds
    highlighted; returns the image and which patterns matched where (atom indices)."""
    from rdkit import Chem
    from rdkit.Chem import Draw

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"cannot parse SMILES {smiles!r}")
    if not config.aromatic:  # the patterns were mined on kekulé structures
        Chem.Kekulize(mol, clearAromaticFlags=True)
    mols, hl_atoms, hl_bonds, legends, found = [], [], [], [], []
    for r in rows:
        q = _query(r["smarts"])
        matches = mol.GetSubstructMatches(q)
        if not matches:
            continue
        atoms = sorted({a for m in matches for a in m})
        bonds = sorted({
            mol.GetBondBetweenAtoms(m[b.GetBeginAtomIdx()], m[b.GetEndAtomIdx()]).GetIdx()
            for m in matches for b in q.GetBonds()
        })
        mols.append(Chem.Mol(mol))
        hl_atoms.append(atoms)
        hl_bonds.append(bonds)
        legends.append(f"{r['smarts'][:40]}  {r['weight']:+.3g}")
        found.append({"smarts": r["smarts"], "weight": r["weight"], "atoms": atoms, "matches": len(matches)})
    path = Path(path)
    if mols:
        img = Draw.MolsToGridImage(mols, molsPerRow=3, subImgSize=(size, size), legends=legends,
                                   highlightAtomLists=hl_atoms, highlightBondLists=hl_bonds)
    else:
        img = Draw.MolToImage(mol, size=(size, size), legend="no top pattern occurs here")
    img.save(str(path))
    return path, found
