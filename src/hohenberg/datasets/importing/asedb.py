"""ASE database rows as records: ``key_value_pairs`` and the energy (eV) are the values, charge from
the initial charges, spin from the magnetic moment; rows are named by their id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hohenberg.datasets.importing.records import Options, Place, RawRecord, RecordError
from hohenberg.errors import InputError


def read_ase_db(path: Path, opts: Options | None = None) -> list[RawRecord]:
    """Rows of an ASE database: key_value_pairs, energy (eV), charge from initial charges, spin from magmom."""
    import ase.db

    if not path.is_file():
        raise InputError(path, "no such file")  # connect() would create an empty database
    try:
        db = ase.db.connect(str(path), type="db")
        rows = list(db.select())
    except Exception as exc:  # sqlite3 and ASE raise several types for a file that is not a database
        raise InputError(path, f"not a readable ASE database ({exc})") from None
    return [_db_record(row, Place(str(path), "row", int(row.id))) for row in rows]


def _db_record(row, place: Place) -> RawRecord:
    values: dict[str, Any] = dict(row.key_value_pairs)
    if row.get("energy") is not None:
        values.setdefault("energy_eV", float(row.energy))
    if row.pbc.any():
        return RawRecord(place, values=values, problem=RecordError("pbc", "periodic row (a crystal, not a molecule)"))
    charges = row.get("initial_charges")
    charge = None
    if charges is not None and "charge" not in values:
        total = float(np.sum(charges))
        if abs(total - round(total)) > 1e-6:
            return RawRecord(place, values=values, problem=RecordError("initial_charges", f"total charge {total} is not whole"))
        charge = int(round(total))
    magmom = row.get("magmom")
    spin = int(round(abs(float(magmom)))) if magmom is not None else None
    atom_props = {}
    if row.get("forces") is not None:
        atom_props["forces"] = np.asarray(row.forces, dtype=np.float64)
    return RawRecord(place, np.asarray(row.numbers, dtype=np.int64), np.asarray(row.positions, dtype=np.float64),
                     values, atom_props, {"geometry": "file"}, charge, spin)

