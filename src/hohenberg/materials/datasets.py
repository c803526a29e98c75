"""Loaders of the vendored reference data (``hohenberg/data/materials``, see PROVENANCE.md).

Each loader returns a tidy frame with units in the column names; a file given by the user is
checked and errors name the file and line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hohenberg.errors import InputError
from hohenberg.materials.elements import data_path
from hohenberg.materials.featurize import parse_formula

OVERLAYER_FILE = "overlayer_shift_matrix.csv"
ADSORPTION_FILE = "alonso2023_H_O_OH.csv.gz"
OC20_FILE = "oc20_pure_metals_subset.csv"
BANDGAP_FILE = "bandgap_composition_Eg.csv"
METAL_CLASS_FILE = "bandgap_metal_classification.csv"
INTERMETALLIC_FILE = "intermetallic_dband_sites.csv.gz"
CHX_ADSORBATES = ("*C", "*CH", "*CH2", "*CH3", "*H")


def _open(name: str, path: str | Path | None):
    return Path(path) if path is not None else data_path(name)


def read_overlayer_matrix(path: str | Path | None = None) -> pd.DataFrame:
    """The square host x overlayer matrix (rows host, columns overlayer), as published."""
    src = _open(OVERLAYER_FILE, path)
    with src.open("r") as fh:
        m = pd.read_csv(fh, index_col=0)
    if list(m.index) != list(m.columns):
        raise InputError(src, "row and column metals of the overlayer matrix differ", line=1)
    bad = np.argwhere(~np.isfinite(m.to_numpy(float)))
    if len(bad):
        i, j = bad[0]
        raise InputError(src, f"missing value for host {m.index[i]}, overlayer {m.columns[j]}", line=i + 2)
    return m


def load_overlayer(target: str = "absolute", path: str | Path | None = None) -> pd.DataFrame:
    """One row per (host, guest) pair: 11 clean metals + 110 overlayers.

    ``target='absolute'``: d-band centre of the overlayer (clean value of the guest metal + shift;
    the clean metals keep their own value).  ``target='table'``: the published numbers as they
    are (clean value on the diagonal, shift off it), which is what the 2016 paper regressed.
    """
    if target not in ("absolute", "table"):
        raise ValueError("target must be 'absolute' or 'table'")
    m = read_overlayer_matrix(path)
    clean = pd.Series(np.diag(m.to_numpy(float)), index=m.index)
    rows = []
    for host in m.index:
        for guest in m.columns:
            v = float(m.loc[host, guest])
            pure = host == guest
            shift = 0.0 if pure else v
            rows.append(
                {
                    "host": host,
                    "guest": guest,
                    "pure": pure,
                    "table_value_eV": v,
                    "shift_eV": shift,
                    "dband_centre_eV": float(clean[guest]) + shift,
                }
            )
    df = pd.DataFrame(rows)
    df["target_eV"] = df["dband_centre_eV"] if target == "absolute" else df["table_value_eV"]
    return df


def load_adsorption(path: str | Path | None = None) -> pd.DataFrame:
    """Alonso et al. 2023: H, O, OH adsorption energies (eV) with the authors' descriptors.

    Adds ``element_A`` / ``element_B`` (pure metals: both the metal) and a ``site_kind``
    (ontop / bridge / hollow) from the binding-site label.
    """
    src = _open(ADSORPTION_FILE, path)
    df = pd.read_csv(src) if isinstance(src, Path) else pd.read_csv(src.open("rb"), compression="gzip")
    need = {"Material", "adsorbate", "Eads", "Binding site"}
    if not need <= set(df.columns):
        raise InputError(src, f"missing columns {sorted(need - set(df.columns))}", line=1)
    # names such as 'Ag3_Sc' or 'Pt': A is the first element of the formula, B the last
    elements = []
    for i, name in enumerate(df["Material"]):
        try:
            elements.append(list(parse_formula(str(name).replace("_", ""))))
        except ValueError as exc:
            raise InputError(src, str(exc), line=i + 2) from None
    df["element_A"] = [e[0] for e in elements]
    df["element_B"] = [e[-1] for e in elements]
    site = df["Binding site"].str.lower()
    df["site_kind"] = np.select(
        [site.str.startswith("ontop"), site.str.contains("bridge")], ["ontop", "bridge"], "hollow"
    )
    return df.rename(columns={"Eads": "adsorption_energy_eV"})


ADSORPTION_DESCRIPTORS = (
    "Biaxial Strain",
    "PSI",
    "outer electrons A",
    "outer electrons B",
    "Unit cell volume",
    "WEN",
    "WIE",
    "WAR",
    "GCN",
)


def load_oc20_chx(path: str | Path | None = None) -> pd.DataFrame:
    """OC20 rows of the methane-activation intermediates (*C, *H, *CH, *CH2, *CH3) on pure metals."""
    src = _open(OC20_FILE, path)
    with src.open("r", encoding="utf-8-sig") as fh:
        df = pd.read_csv(fh)
    df = df[df["Adsorbate Smiles"].isin(CHX_ADSORBATES)].copy()
    df = df.rename(columns={"Adsorption Energy": "adsorption_energy_eV", "Adsorbate Smiles": "adsorbate"})
    return df.reset_index(drop=True)


def load_bandgap(path: str | Path | None = None) -> pd.DataFrame:
    """Experimental band gaps (eV) of 3,896 compounds (Zhuo et al. 2018), with ``chem_system``."""
    src = _open(BANDGAP_FILE, path)
    with src.open("r") as fh:
        df = pd.read_csv(fh)
    _check_formulas(df["composition"], src)
    df["chem_system"] = [chem_system(f) for f in df["composition"]]
    return df


def load_metal_classification(path: str | Path | None = None) -> pd.DataFrame:
    """Metal (class 0, Eg = 0) vs non-metal (class 1) table of 4,916 compositions."""
    src = _open(METAL_CLASS_FILE, path)
    with src.open("r") as fh:
        df = pd.read_csv(fh)
    df = df.rename(columns={"Composition": "composition", "Eg": "Eg_eV", "class": "is_nonmetal"})
    _check_formulas(df["composition"], src)
    df["chem_system"] = [chem_system(f) for f in df["composition"]]
    return df


def load_intermetallic(n_rows: int | None = None, seed: int = 0, path: str | Path | None = None) -> pd.DataFrame:
    """He & Ouyang site d-band centres (eV); ``n_rows`` draws a random subset of sites."""
    src = _open(INTERMETALLIC_FILE, path)
    df = pd.read_csv(src) if isinstance(src, Path) else pd.read_csv(src.open("rb"), compression="gzip")
    if n_rows is not None and n_rows < len(df):
        df = df.sample(n=n_rows, random_state=seed).reset_index(drop=True)
    hkl = df["miller_index"].str.split("_", expand=True).astype(int)
    df["h"], df["k"], df["l"] = hkl[0], hkl[1], hkl[2]
    return df


def chem_system(formula: str) -> str:
    """Sorted element set, e.g. ``'Cd-Hg-Te'``: the group for grouped splits of compositions."""
    return "-".join(sorted(parse_formula(formula)))


def _check_formulas(formulas: pd.Series, src) -> None:
    for i, f in enumerate(formulas):
        try:
            parse_formula(str(f))
        except ValueError as exc:
            raise InputError(src, str(exc), line=i + 2) from None
