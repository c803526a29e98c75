"""Frozen per-element descriptor table (units in the column names).

The table is built once from ``mendeleev`` (offline: the package ships its own SQLite database)
and merged with the per-metal values of the d-band paper (``features9.csv``).  It is stored as
``data/materials/elements.csv`` so that predictions never depend on the installed mendeleev
version; :func:`build_element_table` regenerates it (``mendeleev`` is only needed then).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
from scipy import constants

from hohenberg.units import ANGSTROM_BOHR


def data_path(name: str):
    """Traversable path of a vendored file in ``hohenberg/data/materials``."""
    return resources.files("hohenberg").joinpath("data", "materials", name)

ELEMENT_TABLE_FILE = "elements.csv"
MAX_Z = 103  # beyond Lr mendeleev has almost no measured properties

# Column -> meaning; the unit is in the name (eV / Angstrom when not spelled).
ELEMENT_COLUMNS: dict[str, str] = {
    "Z": "atomic number",
    "period": "period of the periodic table",
    "group": "IUPAC group (1-18; NaN for lanthanides/actinides)",
    "mendeleev_number": "Pettifor-style Mendeleev number (mendeleev package)",
    "atomic_mass_u": "standard atomic weight (u)",
    "electronegativity_pauling": "Pauling electronegativity",
    "electronegativity_allen": "Allen electronegativity",
    "first_ionization_energy_eV": "first ionization energy (eV)",
    "electron_affinity_eV": "electron affinity (eV)",
    "atomic_radius_pm": "atomic radius (pm)",
    "covalent_radius_pm": "covalent radius, Cordero (pm)",
    "metallic_radius_pm": "metallic radius, CN 12 (pm)",
    "dipole_polarizability_bohr3": "static dipole polarizability (bohr^3)",
    "density_g_per_cm3": "density of the element near room temperature (g/cm^3)",
    "melting_point_K": "melting point (K)",
    "enthalpy_fusion_kJ_per_mol": "enthalpy of fusion (kJ/mol)",
    "enthalpy_fusion_J_per_g": "enthalpy of fusion per mass (J/g); paper value for the 11 metals",
    "enthalpy_vaporization_kJ_per_mol": "enthalpy of vaporization (kJ/mol)",
    "n_s_valence": "valence s electrons (outermost s shell)",
    "n_p_valence": "valence p electrons (outermost p shell)",
    "n_d_valence": "valence d electrons (open or just-filled (n-1)d shell)",
    "n_f_valence": "valence f electrons ((n-2)f shell)",
    "n_valence": "s + p + d + f valence electrons",
    "d_electron_count": "d-band paper's d-electron count (= group number for transition metals)",
    "wigner_seitz_radius_bohr": "bulk Wigner-Seitz radius (bohr); paper value for the 11 metals, "
    "else from density and atomic mass",
}
# The 9 descriptors of the d-band paper (Takigawa et al. 2016), in our column names.
PAPER_DESCRIPTORS: tuple[str, ...] = (
    "d_electron_count",
    "wigner_seitz_radius_bohr",
    "Z",
    "atomic_mass_u",
    "period",
    "electronegativity_pauling",
    "first_ionization_energy_eV",
    "enthalpy_fusion_J_per_g",
    "density_g_per_cm3",
)
_FEATURES9_RENAME = {
    "Num of d-electrons": "d_electron_count",
    "Bulk wigner-seitz radius": "wigner_seitz_radius_bohr",
    "atomic number": "Z",
    "atomic mass": "atomic_mass_u",
    "period": "period",
    "electronegativity": "electronegativity_pauling",
    "Iionization energy(eV)": "first_ionization_energy_eV",
    "_fusH": "enthalpy_fusion_J_per_g",
    "rho25": "density_g_per_cm3",
}


def read_features9(path) -> pd.DataFrame:
    """The paper's 9 descriptors of the 11 metals, indexed by symbol, in our column names."""
    df = pd.read_csv(path).set_index("symbol").drop(columns=["name"])
    return df.rename(columns=_FEATURES9_RENAME)


def valence_counts(configuration: str) -> dict[str, int]:
    """Valence s/p/d/f electron counts from a configuration such as ``[Xe] 4f14 5d9 6s1``.

    Valence = the outermost s and p shell, the (n-1)d and (n-2)f shells; core subshells inside
    the noble-gas bracket are not counted.  Why: these are the counts that enter both the OFM
    and the d-band models (a filled 3d10 of Cu matters, the 3d10 of Br does not; we keep the
    (n-1)d of p-block elements too, which is the usual Magpie-style convention).
    """
    shells = [(n, l, k or "1") for n, l, k in re.findall(r"(\d+)([spdf])(\d*)", configuration)]
    if not shells:
        return {"s": 0, "p": 0, "d": 0, "f": 0}
    n_sp = [int(n) for n, l, _ in shells if l in "sp"]
    n_max = max(n_sp) if n_sp else max(int(n) for n, l, _ in shells if l == "d") + 1
    counts = {"s": 0, "p": 0, "d": 0, "f": 0}
    for n, l, k in shells:
        n, k = int(n), int(k)
        if (l in "sp" and n == n_max) or (l == "d" and n == n_max - 1) or (l == "f" and n == n_max - 2):
            counts[l] += k
    return counts


def wigner_seitz_radius_bohr(atomic_mass_u, density_g_per_cm3):
    """Radius of the sphere holding one atom's volume in the bulk element (bohr)."""
    volume_cm3 = np.asarray(atomic_mass_u, float) / (np.asarray(density_g_per_cm3, float) * constants.Avogadro)
    volume_A3 = volume_cm3 * 1e24  # cm^3 -> Angstrom^3
    return (3.0 * volume_A3 / (4.0 * np.pi)) ** (1.0 / 3.0) * ANGSTROM_BOHR


def build_element_table(features9_path=None) -> pd.DataFrame:
    """Rebuild the element table from mendeleev (needs ``pip install mendeleev``)."""
    from mendeleev.fetch import fetch_table  # optional dependency: only for rebuilding

    el = fetch_table("elements").set_index("atomic_number").sort_index()
    el = el.loc[1:MAX_Z]
    ie = fetch_table("ionizationenergies")
    # neutral atom, first ionization; prefer measured over theoretical values
    ie = ie[ie["ion_charge"] == 0].sort_values(["atomic_number", "is_theoretical"])
    ie1 = ie.groupby("atomic_number")["ionization_energy"].first()
    pt = fetch_table("phasetransitions").groupby("atomic_number")["melting_point"].first()

    out = pd.DataFrame(index=pd.Index(el["symbol"].to_numpy(), name="symbol"))
    z = el.index.to_numpy()
    out["Z"] = z
    out["period"] = el["period"].to_numpy()
    out["group"] = el["group_id"].to_numpy()
    out["mendeleev_number"] = el["mendeleev_number"].to_numpy()
    out["atomic_mass_u"] = el["atomic_weight"].to_numpy()
    out["electronegativity_pauling"] = el["en_pauling"].to_numpy()
    out["electronegativity_allen"] = el["en_allen"].to_numpy()
    out["first_ionization_energy_eV"] = ie1.reindex(z).to_numpy()
    out["electron_affinity_eV"] = el["electron_affinity"].to_numpy()
    out["atomic_radius_pm"] = el["atomic_radius"].to_numpy()
    out["covalent_radius_pm"] = el["covalent_radius_cordero"].to_numpy()
    out["metallic_radius_pm"] = el["metallic_radius_c12"].to_numpy()
    out["dipole_polarizability_bohr3"] = el["dipole_polarizability"].to_numpy()
    out["density_g_per_cm3"] = el["density"].to_numpy()
    out["melting_point_K"] = pt.reindex(z).to_numpy()
    out["enthalpy_fusion_kJ_per_mol"] = el["fusion_heat"].to_numpy()
    out["enthalpy_fusion_J_per_g"] = 1000.0 * out["enthalpy_fusion_kJ_per_mol"] / out["atomic_mass_u"]
    out["enthalpy_vaporization_kJ_per_mol"] = el["evaporation_heat"].to_numpy()
    counts = pd.DataFrame([valence_counts(c) for c in el["electronic_configuration"]], index=out.index)
    for l in "spdf":
        out[f"n_{l}_valence"] = counts[l].to_numpy()
    out["n_valence"] = counts.sum(axis=1).to_numpy()
    # the paper counts d electrons as the group number (Fe 8 ... Cu 11)
    is_tm = (out["group"] >= 3) & (out["group"] <= 12)
    out["d_electron_count"] = np.where(is_tm, out["group"], out["n_d_valence"])
    out["wigner_seitz_radius_bohr"] = wigner_seitz_radius_bohr(out["atomic_mass_u"], out["density_g_per_cm3"])
    if features9_path is not None:
        f9 = read_features9(features9_path)
        for col in f9.columns:
            out.loc[f9.index, col] = f9[col].to_numpy()
    return out[list(ELEMENT_COLUMNS)]


@lru_cache(maxsize=1)
def element_table() -> pd.DataFrame:
    """The frozen element table, indexed by symbol (read-only copy is cached)."""
    with data_path(ELEMENT_TABLE_FILE).open("r") as fh:
        return pd.read_csv(fh, comment="#").set_index("symbol")


def element_properties(symbols, columns=None) -> pd.DataFrame:
    """Rows of the element table for ``symbols`` (raises KeyError naming unknown symbols)."""
    table = element_table()
    symbols = list(symbols)
    missing = sorted({s for s in symbols if s not in table.index})
    if missing:
        raise KeyError(f"no element data for {', '.join(missing)}")
    rows = table.loc[symbols]
    return rows if columns is None else rows[list(columns)]
