"""Write examples/nci-small.smi: the small neutral molecules of RDKit's NCI sample.

Source: ``rdkit/Data/NCI/first_5K.smi`` in the RDKit wheel (the first 5,000 structures of the
NCI open database, public domain).  Kept: one fragment, 2-12 heavy atoms, only C, N, O, F, S,
Cl, P, Br, no formal charges, no radicals; canonical SMILES, first occurrence of each.
Run: ``.venv/bin/python tools/make_nci_small.py``.
"""

from pathlib import Path

from rdkit import Chem, RDConfig, RDLogger
from rdkit.Chem.Descriptors import NumRadicalElectrons

ALLOWED = {"C", "N", "O", "F", "S", "Cl", "P", "Br"}


def main() -> None:
    RDLogger.DisableLog("rdApp.*")
    src = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    rows, seen = [], set()
    for line in src.read_text().splitlines():
        parts = line.split()
        mol = Chem.MolFromSmiles(parts[0]) if parts else None
        if mol is None or len(Chem.GetMolFrags(mol)) > 1 or not 2 <= mol.GetNumHeavyAtoms() <= 12:
            continue
        if {a.GetSymbol() for a in mol.GetAtoms()} - ALLOWED:
            continue
        if any(a.GetFormalCharge() for a in mol.GetAtoms()) or NumRadicalElectrons(mol):
            continue
        smiles = Chem.MolToSmiles(mol)
        if smiles not in seen:
            seen.add(smiles)
            rows.append(f"{smiles} NCI-{parts[1]}")
    out = Path(__file__).resolve().parents[1] / "examples" / "nci-small.smi"
    out.write_text("\n".join(rows) + "\n")
    print(f"{len(rows)} molecules -> {out}")


if __name__ == "__main__":
    main()
