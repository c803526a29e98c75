"""Cross-check of hohenberg.materials.ofm against matminer 0.10.1 (run in a separate venv:
matminer needs pandas < 3).  python benchmarks/materials_ofm_vs_matminer.py"""
import sys, numpy as np, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "src"))
from ase.build import bulk
from ase.spacegroup import crystal
from pymatgen.io.ase import AseAtomsAdaptor
from matminer.featurizers.structure import OrbitalFieldMatrix
from hohenberg.materials.ofm import orbital_field_matrix
from hohenberg.units import ANGSTROM_BOHR, atomic_number
import matminer, pymatgen.core
structs = {
 "Na_sc": bulk("Na","sc",a=3.0),
 "NaCl": bulk("NaCl","rocksalt",a=5.64),
 "Fe_bcc": bulk("Fe","bcc",a=2.87),
 "Cu_fcc": bulk("Cu","fcc",a=3.61),
 "TiO2_rutile": crystal(["Ti","O"], basis=[(0,0,0),(0.3,0.3,0)], spacegroup=136, cellpar=[4.59,4.59,2.96,90,90,90]),
 "CsCl": bulk("CsCl","cesiumchloride",a=4.12),
 "Mg_hcp": bulk("Mg","hcp",a=3.21,c=5.21),
}
f = OrbitalFieldMatrix(period_tag=False)
for name, at in structs.items():
    s = AseAtomsAdaptor.get_structure(at)
    mm = np.array(f.featurize(s)).reshape(32, 32)
    ohv = {e: np.asarray(f.ohvs[atomic_number(e)]).ravel() for e in set(at.get_chemical_symbols())}
    ours = (orbital_field_matrix(at, ohv)[:, 1:] / ANGSTROM_BOHR).T
    own = orbital_field_matrix(at)
    print(f"{name:12s} max|ours - matminer| = {np.abs(ours - mm).max():.2e}  (matminer max entry {mm.max():.4f}; with our own valence vectors {np.abs((own[:,1:]/ANGSTROM_BOHR).T - mm).max():.3f})")
