"""Tabulate spherically averaged atomic densities for the named levels (run once; output shipped).

    python tools/make_promolecule_tables.py
"""

from __future__ import annotations

from pathlib import Path

from hohenberg.qc.levels import Level
import numpy as np

from hohenberg.qc.promolecule import RadialTable, compute_radial_table, save_radial_table, table_file_name

LEVELS = [Level("hf", "sto-3g"), Level("pbe", "def2-svp"), Level("b3lyp", "6-31g*"), Level("b3lyp", "6-31g(2df,p)")]
ELEMENTS = list(range(1, 37)) + [53]  # H-Kr and I: organic, main-group and first-row transition elements
OUT = Path(__file__).resolve().parents[1] / "src" / "hohenberg" / "data" / "promolecule"


def main() -> None:
    from pyscf import gto

    for level in LEVELS:
        ok, rows, table = [], [], None
        for z in ELEMENTS:
            try:
                gto.M(atom=[(z, (0, 0, 0))], basis=level.basis, spin=z % 2, verbose=0)
                one = compute_radial_table(level, [z])
            except Exception:  # the basis does not cover this element, or its atomic SCF fails
                continue
            # a basis made for an effective core potential has no core functions: its atom would
            # not integrate to Z electrons, so it is left out rather than tabulated wrong
            if abs(one.electrons(z) - z) < 1e-3 * z:
                ok.append(z)
                rows.append(one.rho[0])
                table = one
        table = RadialTable(level.name, table.r_bohr, tuple(ok), np.array(rows))
        save_radial_table(table, OUT / table_file_name(level))
        worst = max(abs(table.electrons(z) - z) for z in ok)
        print(f"{level.name}: {len(ok)} elements, worst |N - Z| = {worst:.2e}")


if __name__ == "__main__":
    main()
