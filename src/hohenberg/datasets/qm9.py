"""QM9: 133,885 small organic molecules (C, H, N, O, F; up to 9 heavy atoms) at B3LYP/6-31G(2df,p).

Ramakrishnan, Dral, Rupp, von Lilienfeld, Sci. Data 1, 140022 (2014).  Two sources give the same
table: the official release (a directory of ``dsgdb9nsd_*.xyz`` files or ``dsgdb9nsd.xyz.tar.bz2``,
133,885 molecules) and the ``qm9pack==1.0.3`` wheel's CSVs (the 130,831 characterized ones).
Units are converted at this boundary: energies in eV, dipole in D, alpha in bohr^3, <R^2> in
bohr^2, Cv in cal/(mol K), frequencies in cm^-1 (DESIGN.md sec. 3).

The 13 standard targets (Gilmer et al. 2017) are :data:`TARGETS`; ``omega1_cm1`` is the highest
harmonic frequency.  Statistics of the characterized set (this code, qm9pack source): see
``hohenberg data info``.
"""

from __future__ import annotations

import csv
import io
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from hohenberg import __version__
from hohenberg.errors import InputError
from hohenberg.molecules.qm9xyz import QM9_SCALARS, QM9Record, n_modes, parse_qm9_xyz
from hohenberg.molecules.table import MoleculeTable
from hohenberg.units import HARTREE_EV, QM9_ELEMENTS, atomic_number

LEVEL = "b3lyp/6-31g(2df,p)"
N_MOLECULES = 133_885
N_CHARACTERIZED = 130_831

TARGETS: tuple[str, ...] = (
    "mu_D", "alpha_bohr3", "homo_eV", "lumo_eV", "gap_eV", "r2_bohr2", "zpve_eV",
    "U0_eV", "U_eV", "H_eV", "G_eV", "Cv_calmolK", "omega1_cm1",
)
"""The 13 standard QM9 regression targets, unit in the name."""

ENERGY_TARGETS = ("U0_eV", "U_eV", "H_eV", "G_eV")
EXTENSIVE_TARGETS = ENERGY_TARGETS + ("zpve_eV", "Cv_calmolK")
"""Targets that grow with the molecule as sums of local contributions (atom-wise readouts)."""

# Free-atom B3LYP/6-31G(2df,p) references from QM9's atomref.txt (Hartree; Cv in cal/(mol K)):
# columns ZPVE, U0, U(298.15 K), H(298.15 K), G(298.15 K), Cv.
_ATOMREF_HARTREE = {
    1: (0.0, -0.500273, -0.498857, -0.497912, -0.510927, 2.981),
    6: (0.0, -37.846772, -37.845355, -37.844411, -37.861317, 2.981),
    7: (0.0, -54.583861, -54.582445, -54.581501, -54.598897, 2.981),
    8: (0.0, -75.064579, -75.063163, -75.062219, -75.079532, 2.981),
    9: (0.0, -99.718730, -99.717314, -99.716370, -99.733544, 2.981),
}
_ATOMREF_COLUMNS = ("zpve_eV", "U0_eV", "U_eV", "H_eV", "G_eV", "Cv_calmolK")


def atom_reference(target: str) -> dict[int, float]:
    """Free-atom reference of ``target`` per element (eV, or cal/(mol K) for Cv); {} if none."""
    if target not in _ATOMREF_COLUMNS:
        return {}
    j = _ATOMREF_COLUMNS.index(target)
    factor = 1.0 if target == "Cv_calmolK" else HARTREE_EV
    return {z: row[j] * factor for z, row in _ATOMREF_HARTREE.items()}


def atomization(table: MoleculeTable, target: str) -> np.ndarray:
    """``target`` minus the sum of its free-atom references (the atomization value, eV)."""
    ref = atom_reference(target)
    if not ref:
        raise ValueError(f"{target} has no atom reference; use one of {', '.join(_ATOMREF_COLUMNS)}")
    counts = table.element_counts(QM9_ELEMENTS)
    return table.properties[target] - counts @ np.array([ref[z] for z in QM9_ELEMENTS])


def uncharacterized_indices() -> np.ndarray:
    """QM9 indices of the 3,054 molecules whose geometry does not match their SMILES."""
    text = resources.files("hohenberg.data").joinpath("qm9_uncharacterized.txt").read_text()
    return np.array([int(s) for s in text.split("\n") if s.strip() and not s.startswith("#")])


# -- sources ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    kind: str  # "qm9pack-installed" | "qm9pack-wheel" | "qm9pack-csv" | "xyz-dir" | "tarball"
    path: Path | None


def detect_source(path: str | Path | None) -> Source:
    """What a ``--source`` argument is: default is the installed ``qm9pack`` package."""
    if path is None:
        # located through its metadata: importing qm9pack needs setuptools' pkg_resources
        try:
            data = Path(str(metadata.distribution("qm9pack").locate_file("qm9pack/data")))
        except metadata.PackageNotFoundError:
            data = None
        if data is None or not data.is_dir():
            raise InputError(
                None, "no source given and the qm9pack package is not installed; "
                "install it (pip install qm9pack==1.0.3) or pass the wheel, a directory of "
                "dsgdb9nsd_*.xyz files or dsgdb9nsd.xyz.tar.bz2",
            )
        return Source("qm9pack-installed", data)
    p = Path(path)
    if not p.exists():
        raise InputError(p, "no such file or directory")
    name = p.name.lower()
    if p.is_file() and name.endswith(".whl"):
        return Source("qm9pack-wheel", p)
    if p.is_file() and (name.endswith((".tar.bz2", ".tbz2", ".tar", ".tar.gz", ".tgz"))):
        return Source("tarball", p)
    if p.is_dir():
        if any(p.glob("qm9_part*.csv")):
            return Source("qm9pack-csv", p)
        if next(p.glob("dsgdb9nsd_*.xyz"), None) is not None:
            return Source("xyz-dir", p)
        raise InputError(p, "directory holds neither dsgdb9nsd_*.xyz files nor qm9pack's qm9_part*.csv")
    raise InputError(p, "not a QM9 source: expected a .whl, a .tar.bz2 or a directory")


MAX_XYZ_BYTES = 2**20  # a QM9 xyz file (29 atoms at most, frequencies, SMILES, InChI) is under 4 kB

_FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:(?:[eE]|\*\^)[-+]?\d+)?")
_SYMBOL = re.compile(r"[A-Z][a-z]?")
_CSV_SCALARS = (
    "RotA_GHz", "RotB_GHz", "RotC_GHz", "Dipole_debye", "Polarizability_bohr3", "HOMO_au",
    "LUMO_au", "HOMO_LUMO_gap_au", "R2_bohr2", "ZPVE_au", "InternalEnergy_0K_au",
    "InternalEnergy_298K_au", "Enthalphy_298K_au", "GibbsFreeEnergy_298K_au", "Heatcapacity_Cv_cal_mol_K",
)
assert len(_CSV_SCALARS) == len(QM9_SCALARS)


def _floats(text: str) -> np.ndarray:
    # qm9pack writes tokens like "0." and "1." that JSON rejects; a float regex reads them all
    return np.array([float(t.replace("*^", "e")) for t in _FLOAT.findall(text)], dtype=np.float64)


def parse_qm9pack_row(row: dict[str, str], where: str, line: int) -> QM9Record:
    """One CSV row of qm9pack as a :class:`QM9Record`; inconsistencies name file, line, molecule."""
    try:
        index = int(row["Index"])
        n = int(row["N_atoms"])
        symbols = _SYMBOL.findall(row["Elements"])
        coords = _floats(row["XYZ_Ang"])
        mulliken = _floats(row["Mulliken_pop"])
        freqs = _floats(row["Harmonic_Freq_cmi"])
        scalars = np.array([float(row[c]) for c in _CSV_SCALARS])
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(where, f"row is not a qm9pack record ({exc})", line) from None
    mol = row.get("XYZ_file", f"index {index}")
    if not (len(symbols) == n == len(mulliken) and len(coords) == 3 * n):
        raise InputError(where, f"{mol}: N_atoms={n} but {len(symbols)} elements, {len(coords) // 3} positions, "
                         f"{len(mulliken)} charges", line)
    if not np.all(np.isfinite(scalars)) or not np.all(np.isfinite(coords)):
        raise InputError(where, f"{mol}: NaN or infinite value", line)
    try:
        numbers = np.array([atomic_number(s) for s in symbols])
    except ValueError as exc:
        raise InputError(where, f"{mol}: {exc}", line) from None
    return QM9Record(index, numbers, coords.reshape(n, 3), scalars, mulliken, freqs,
                     row.get("SMILES", ""), "", row.get("InChi", ""), "")


def _iter_csv(stream: io.TextIOBase, where: str) -> Iterator[QM9Record]:
    reader = csv.DictReader(stream)
    if reader.fieldnames is None or "XYZ_Ang" not in reader.fieldnames:
        raise InputError(where, "not a qm9pack CSV (no XYZ_Ang column)", 1)
    for row in reader:
        yield parse_qm9pack_row(row, where, reader.line_num)


def _csv_members(names: list[str]) -> list[str]:
    parts = sorted(n for n in names if re.search(r"qm9_part\d+\.csv$", n))
    if not parts:
        raise InputError(None, "no qm9_part*.csv found in the qm9pack source")
    return parts


def iter_records(source: Source) -> Iterator[QM9Record]:
    """Every molecule of a source, in file order, as published (QM9 units)."""
    if source.kind in ("qm9pack-installed", "qm9pack-csv"):
        for name in _csv_members([p.name for p in Path(source.path).iterdir()]):
            path = Path(source.path) / name
            with open(path, newline="") as fh:
                yield from _iter_csv(fh, str(path))
    elif source.kind == "qm9pack-wheel":
        try:
            zf = zipfile.ZipFile(source.path)
        except zipfile.BadZipFile:
            raise InputError(source.path, "not a wheel (zip) file") from None
        with zf:
            for name in _csv_members(zf.namelist()):
                with zf.open(name) as raw:  # read member by member, nothing extracted
                    yield from _iter_csv(io.TextIOWrapper(raw, newline=""), f"{source.path}!{name}")
    elif source.kind == "xyz-dir":
        for path in sorted(Path(source.path).glob("dsgdb9nsd_*.xyz")):
            if path.stat().st_size > MAX_XYZ_BYTES:
                raise InputError(path, f"{path.stat().st_size} bytes; a QM9 xyz file is a few kilobytes "
                                       f"(limit {MAX_XYZ_BYTES})")
            yield parse_qm9_xyz(path.read_text(errors="replace"), path)
    elif source.kind == "tarball":
        yield from _iter_tarball(Path(source.path))
    else:  # pragma: no cover - Source kinds are fixed above
        raise ValueError(source.kind)


def _iter_tarball(path: Path) -> Iterator[QM9Record]:
    try:
        tf = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError):
        raise InputError(path, "not a readable tar archive (truncated, corrupt, or another format)") from None
    with tf:
        try:
            for member in tf:  # streamed: never extracted, links and odd names ignored
                base = member.name.rsplit("/", 1)[-1]
                if not member.isfile() or not re.fullmatch(r"dsgdb9nsd_\d+\.xyz", base):
                    continue
                if member.size > MAX_XYZ_BYTES:  # read into memory whole: a hostile archive could hold gigabytes
                    raise InputError(path, f"member {member.name[:100]} is {member.size} bytes; a QM9 xyz file is a "
                                           f"few kilobytes (limit {MAX_XYZ_BYTES})")
                fh = tf.extractfile(member)
                text = fh.read(MAX_XYZ_BYTES + 1).decode("utf-8", errors="replace")
                yield parse_qm9_xyz(text, f"{path}!{member.name}")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise InputError(path, f"archive is truncated or corrupt ({exc})") from None


# -- the table -------------------------------------------------------------------------------
def records_to_table(records: list[QM9Record], meta: dict[str, str]) -> MoleculeTable:
    records = sorted(records, key=lambda r: r.index)
    indices = [r.index for r in records]
    if len(set(indices)) != len(indices):
        dup = next(i for i, j in zip(indices, indices[1:]) if i == j)
        raise InputError(meta.get("source"), f"molecule index {dup} appears twice")
    table = MoleculeTable.from_molecules([r.to_molecule() for r in records], meta)
    values, offs = table.ragged["frequencies_cm1"]  # kept as published, repeats included
    first = [values[a:a + n_modes(r.numbers.size, b - a)] for r, a, b in zip(records, offs[:-1], offs[1:])]
    table.properties["omega1_cm1"] = np.array([f.max() for f in first])
    table.properties["qm9_index"] = np.array(indices, dtype=np.float64)
    flagged = np.isin(np.array(indices), uncharacterized_indices())
    table.properties["uncharacterized"] = flagged.astype(np.float64)
    # the relaxed SMILES/InChI exist only in the official files; keep the shared columns only
    for key in ("smiles_relaxed", "inchi_relaxed"):
        table.text.pop(key, None)
    return table


def ingest(source: str | Path | None = None, include_uncharacterized: bool = True,
           progress: Callable[[int], None] | None = None, limit: int | None = None) -> MoleculeTable:
    """The QM9 table from any source (see :func:`detect_source`), sorted by QM9 index."""
    src = detect_source(source)
    records = []
    for rec in iter_records(src):
        records.append(rec)
        if progress is not None:
            progress(len(records))
        if limit is not None and len(records) >= limit:
            break
    if not records:
        raise InputError(src.path, "no QM9 molecules found")
    meta = {"dataset": "qm9", "source_kind": src.kind, "source": str(src.path), "level": LEVEL,
            "code": f"hohenberg {__version__}", "citation": "Ramakrishnan et al., Sci. Data 1, 140022 (2014)"}
    table = records_to_table(records, meta)
    if not include_uncharacterized:
        table = table.take(table.properties["uncharacterized"] == 0)
    return table


# -- splits ----------------------------------------------------------------------------------
def standard_split(table: MoleculeTable, seed: int = 0) -> dict[str, np.ndarray]:
    """Random train/val/test rows over the characterized molecules: 110,000 / 10,000 / rest.

    The permutation is over molecules ordered by QM9 index, so it is the same for every source.
    Tables smaller than QM9 get the same fractions (110,000/130,831 and 10,000/130,831).
    """
    ok = np.flatnonzero(table.properties.get("uncharacterized", np.zeros(len(table))) == 0)
    order = ok[np.argsort(table.properties["qm9_index"][ok], kind="stable")] if "qm9_index" in table.properties else ok
    n = len(order)
    if n >= N_CHARACTERIZED:
        n_train, n_val = 110_000, 10_000
    else:
        n_train = int(round(n * 110_000 / N_CHARACTERIZED))
        n_val = int(round(n * 10_000 / N_CHARACTERIZED))
    perm = order[np.random.default_rng(seed).permutation(n)]
    return {"train": np.sort(perm[:n_train]), "val": np.sort(perm[n_train:n_train + n_val]),
            "test": np.sort(perm[n_train + n_val:])}


def quick_subset(rows: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` random rows of ``rows`` (e.g. the training split); nested: a smaller ``n`` with the
    same seed is a subset of a larger one, so learning curves compare like with like."""
    if n > len(rows):
        raise ValueError(f"asked for {n} molecules from a split of {len(rows)}")
    return np.sort(np.asarray(rows)[np.random.default_rng(seed).permutation(len(rows))[:n]])

