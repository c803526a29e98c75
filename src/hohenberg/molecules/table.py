"""Columnar storage for 10^5-10^6 molecules: flat atom arrays plus per-molecule offsets.

Molecule ``i`` owns atoms ``offsets[i]:offsets[i+1]`` of ``numbers``, ``positions`` and every
per-atom column.  Selection by slice, index array or boolean mask gathers in one vectorised
step; :meth:`MoleculeTable.save` writes an uncompressed ``.npz`` atomically so that loading the
whole of QM9 takes well under a second, and nothing is ever unpickled.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hohenberg.errors import InputError
from hohenberg.fileio import atomic_open
from hohenberg.molecules.molecule import Molecule

FORMAT_VERSION = 1


@dataclass(eq=False)
class MoleculeTable:
    """Many molecules in flat arrays (see module docstring).

    ``properties``: per-molecule float columns keyed by unit-suffixed names; ``atom_properties``:
    per-atom columns; ``ragged``: per-molecule variable-length float columns as
    ``(values, offsets)`` (e.g. harmonic frequencies); ``text``: per-molecule strings;
    ``meta``: provenance (source, level of theory, code version).
    """

    numbers: np.ndarray
    positions: np.ndarray
    offsets: np.ndarray
    ids: np.ndarray
    charge: np.ndarray | None = None
    spin: np.ndarray | None = None
    properties: dict[str, np.ndarray] = field(default_factory=dict)
    atom_properties: dict[str, np.ndarray] = field(default_factory=dict)
    ragged: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    text: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.numbers = np.asarray(self.numbers, dtype=np.int16)
        self.positions = np.asarray(self.positions, dtype=np.float64).reshape(-1, 3)
        self.offsets = np.asarray(self.offsets, dtype=np.int64)
        self.ids = np.asarray(self.ids, dtype=object)
        n = len(self.offsets) - 1
        if n < 0 or self.offsets[0] != 0 or np.any(np.diff(self.offsets) < 0):
            raise ValueError("offsets must start at 0 and never decrease")
        if self.offsets[-1] != len(self.numbers) or len(self.numbers) != len(self.positions):
            raise ValueError("offsets, numbers and positions disagree on the atom count")
        self.charge = np.zeros(n, np.int32) if self.charge is None else np.asarray(self.charge, np.int32)
        self.spin = np.zeros(n, np.int32) if self.spin is None else np.asarray(self.spin, np.int32)
        for name, col in [("ids", self.ids), ("charge", self.charge), ("spin", self.spin)]:
            if len(col) != n:
                raise ValueError(f"column {name!r} has {len(col)} rows, the table {n}")
        for name, col in {**self.properties, **self.text}.items():
            if len(col) != n:
                raise ValueError(f"column {name!r} has {len(col)} rows, the table {n}")
        for name, col in self.atom_properties.items():
            if len(col) != len(self.numbers):
                raise ValueError(f"atom column {name!r} has {len(col)} rows, the table {len(self.numbers)} atoms")
        for name, (values, offs) in self.ragged.items():
            if len(offs) != n + 1 or offs[-1] != len(values):
                raise ValueError(f"ragged column {name!r} does not match the table")

    # -- size and access -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_atoms(self) -> np.ndarray:
        """Atoms per molecule."""
        return np.diff(self.offsets)

    def __getitem__(self, key: int | slice | Sequence[int] | np.ndarray) -> Molecule | MoleculeTable:
        if isinstance(key, (int, np.integer)):
            return self.molecule(int(key))
        return self.take(key)

    def molecule(self, i: int) -> Molecule:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"molecule {i} out of range for a table of {n}")
        i %= n
        a, b = self.offsets[i], self.offsets[i + 1]
        props = {k: float(v[i]) for k, v in self.properties.items() if np.isfinite(v[i])}
        atom_props = {k: v[a:b].copy() for k, v in self.atom_properties.items()}
        vectors = {k: values[offs[i]:offs[i + 1]].copy() for k, (values, offs) in self.ragged.items()}
        info = {k: str(v[i]) for k, v in self.text.items()}
        return Molecule(
            self.numbers[a:b].astype(np.int64), self.positions[a:b].copy(), int(self.charge[i]),
            int(self.spin[i]), str(self.ids[i]), props, atom_props, info, vectors,
        )

    def __iter__(self):
        for i in range(len(self)):
            yield self.molecule(i)

    def index_of(self, ids: Iterable[str]) -> np.ndarray:
        """Row numbers of the given molecule ids (KeyError naming the first unknown id)."""
        lookup = {str(m): i for i, m in enumerate(self.ids)}
        try:
            return np.array([lookup[str(m)] for m in ids], dtype=np.int64)
        except KeyError as exc:
            raise KeyError(f"molecule id {exc.args[0]!r} is not in the table") from None

    def take(self, key: slice | Sequence[int] | np.ndarray) -> MoleculeTable:
        """A new table with the selected rows (slice, integer indices or boolean mask)."""
        idx = np.arange(len(self))[key] if isinstance(key, slice) else np.asarray(key)
        if idx.dtype == bool:
            if len(idx) != len(self):
                raise IndexError(f"mask of length {len(idx)} for a table of {len(self)}")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64)
        atom_idx, offsets = _gather(self.offsets, idx)
        ragged = {}
        for k, (values, offs) in self.ragged.items():
            r_idx, r_off = _gather(offs, idx)
            ragged[k] = (values[r_idx], r_off)
        return MoleculeTable(
            self.numbers[atom_idx], self.positions[atom_idx], offsets, self.ids[idx],
            self.charge[idx], self.spin[idx],
            {k: v[idx] for k, v in self.properties.items()},
            {k: v[atom_idx] for k, v in self.atom_properties.items()},
            ragged, {k: v[idx] for k, v in self.text.items()}, dict(self.meta),
        )

    def joined(self, other: MoleculeTable, prefix: str, atol: float = 1e-4) -> MoleculeTable:
        """This table with ``other``'s per-molecule and per-atom columns added under ``prefix``
        (``homo_eV`` -> ``xtb_homo_eV``), matched by molecule id; NaN for a molecule ``other`` lacks.

        A molecule both hold must be the same one, atom for atom (elements in the same order,
        positions within ``atol`` Angstrom): columns computed on another geometry would be joined
        to the wrong structure, so that is an error naming the molecule."""
        if not prefix:
            raise ValueError("a prefix is needed: the joined columns must not take the names of this table's")
        rows = {str(m): i for i, m in enumerate(other.ids)}
        where = np.array([rows.get(str(m), -1) for m in self.ids], dtype=np.int64)
        have = np.flatnonzero(where >= 0)
        for i in have:
            a, b = self.molecule(int(i)), other.molecule(int(where[i]))
            if not np.array_equal(a.numbers, b.numbers) or not np.allclose(a.positions, b.positions, atol=atol):
                raise ValueError(f"molecule {a.name}: not the same structure in both tables (elements or positions "
                                 f"differ by more than {atol} Angstrom)")
        clash = sorted(prefix + k for k in (*other.properties, *other.atom_properties)
                       if prefix + k in self.properties or prefix + k in self.atom_properties)
        if clash:
            raise ValueError(f"column(s) {', '.join(clash)} exist already; choose another prefix")
        props = dict(self.properties)
        for k, v in other.properties.items():
            col = np.full(len(self), np.nan)
            col[have] = np.asarray(v, dtype=np.float64)[where[have]]
            props[prefix + k] = col
        atom_props = dict(self.atom_properties)
        for k, v in other.atom_properties.items():
            col = np.full(len(self.numbers), np.nan)
            for i in have:
                j = int(where[i])
                col[self.offsets[i]:self.offsets[i + 1]] = v[other.offsets[j]:other.offsets[j + 1]]
            atom_props[prefix + k] = col
        meta = dict(self.meta)
        meta[f"joined_{prefix.rstrip('_')}"] = json.dumps({"source": other.meta.get("source", ""),
                                                           "level": other.meta.get("level", ""),
                                                           "molecules": int(len(have))})
        return MoleculeTable(self.numbers, self.positions, self.offsets, self.ids, self.charge, self.spin, props,
                             atom_props, dict(self.ragged), dict(self.text), meta)

    def element_counts(self, elements: Sequence[int]) -> np.ndarray:
        """(n_molecules, len(elements)) counts of each atomic number per molecule."""
        mol_of_atom = np.repeat(np.arange(len(self)), self.n_atoms)
        counts = np.zeros((len(self), len(elements)), dtype=np.int64)
        for j, z in enumerate(elements):
            counts[:, j] = np.bincount(mol_of_atom[self.numbers == z], minlength=len(self))
        return counts

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_molecules(cls, molecules: Iterable[Molecule], meta: dict[str, str] | None = None) -> MoleculeTable:
        mols = list(molecules)
        n_atoms = np.array([m.n_atoms for m in mols], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(n_atoms)])
        numbers = np.concatenate([m.numbers for m in mols]) if mols else np.zeros(0, np.int16)
        positions = np.concatenate([m.positions for m in mols]) if mols else np.zeros((0, 3))
        prop_names = sorted({k for m in mols for k in m.properties})
        props = {k: np.array([m.properties.get(k, np.nan) for m in mols], dtype=np.float64) for k in prop_names}
        atom_props, ragged = {}, {}
        for k in sorted({k for m in mols for k in m.atom_properties}):
            arrays = [np.asarray(m.atom_properties.get(k, np.full(m.n_atoms, np.nan)), dtype=np.float64) for m in mols]
            if any(len(a) != m.n_atoms for a, m in zip(arrays, mols)):
                raise ValueError(f"atom property {k!r} does not have one value per atom in every molecule")
            atom_props[k] = np.concatenate(arrays)
        for k in sorted({k for m in mols for k in m.vectors}):
            arrays = [np.asarray(m.vectors.get(k, ()), dtype=np.float64).reshape(-1) for m in mols]
            lens = np.array([len(a) for a in arrays], dtype=np.int64)
            ragged[k] = (np.concatenate(arrays), np.concatenate([[0], np.cumsum(lens)]))
        text = {k: np.array([m.info.get(k, "") for m in mols], dtype=object) for k in sorted({k for m in mols for k in m.info})}
        return cls(
            numbers, positions, offsets, np.array([m.name for m in mols], dtype=object),
            np.array([m.charge for m in mols]), np.array([m.spin for m in mols]),
            props, atom_props, ragged, text, dict(meta or {}),
        )

    @classmethod
    def concat(cls, tables: Sequence[MoleculeTable]) -> MoleculeTable:
        if not tables:
            raise ValueError("nothing to concatenate")
        first = tables[0]
        atoms = np.concatenate([[0], np.cumsum([len(t.numbers) for t in tables])])
        offsets = np.concatenate([t.offsets[:-1] + atoms[i] for i, t in enumerate(tables)] + [[atoms[-1]]])
        ragged = {}
        for k in first.ragged:
            vals = [t.ragged[k][0] for t in tables]
            base = np.concatenate([[0], np.cumsum([len(v) for v in vals])])
            offs = np.concatenate([t.ragged[k][1][:-1] + base[i] for i, t in enumerate(tables)] + [[base[-1]]])
            ragged[k] = (np.concatenate(vals), offs)
        return cls(
            np.concatenate([t.numbers for t in tables]), np.concatenate([t.positions for t in tables]),
            offsets, np.concatenate([t.ids for t in tables]), np.concatenate([t.charge for t in tables]),
            np.concatenate([t.spin for t in tables]),
            {k: np.concatenate([t.properties[k] for t in tables]) for k in first.properties},
            {k: np.concatenate([t.atom_properties[k] for t in tables]) for k in first.atom_properties},
            ragged, {k: np.concatenate([t.text[k] for t in tables]) for k in first.text}, dict(first.meta),
        )

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write an uncompressed ``.npz`` atomically (temp file + rename)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        arrays: dict[str, np.ndarray] = {
            "numbers": self.numbers, "positions": self.positions, "offsets": self.offsets,
            "charge": self.charge, "spin": self.spin,
        }
        arrays.update(encode_text("ids", self.ids))
        for k, v in self.properties.items():
            arrays[f"prop/{k}"] = v
        for k, v in self.atom_properties.items():
            arrays[f"atom/{k}"] = v
        for k, (values, offs) in self.ragged.items():
            arrays[f"ragged/{k}/values"] = values
            arrays[f"ragged/{k}/offsets"] = offs
        for k, v in self.text.items():
            arrays.update(encode_text(f"text/{k}", v))
        header = {"format": "hohenberg.MoleculeTable", "version": FORMAT_VERSION, "meta": self.meta}
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        with atomic_open(path) as fh:
            np.savez(fh, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> MoleculeTable:
        path = Path(path)
        if not path.is_file():
            raise InputError(path, "no such table file")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise InputError(path, f"not a readable molecule table ({exc})") from None
        try:
            header = json.loads(arrays.pop("header").tobytes().decode())
            if header.get("format") != "hohenberg.MoleculeTable":
                raise ValueError("missing table header")
            props, atom, ragged_parts, text_parts = {}, {}, {}, {}
            for k, v in arrays.items():
                kind, _, rest = k.partition("/")
                if kind == "prop":
                    props[rest] = v
                elif kind == "atom":
                    atom[rest] = v
                elif kind == "ragged":
                    name, _, part = rest.rpartition("/")
                    ragged_parts.setdefault(name, {})[part] = v
                elif kind == "text":
                    name, _, part = rest.rpartition("/")
                    text_parts.setdefault(name, {})[part] = v
            return cls(
                arrays["numbers"], arrays["positions"], arrays["offsets"],
                decode_text(arrays["ids/blob"], arrays["ids/offsets"]), arrays["charge"], arrays["spin"],
                props, atom, {k: (p["values"], p["offsets"]) for k, p in ragged_parts.items()},
                {k: decode_text(p["blob"], p["offsets"]) for k, p in text_parts.items()},
                header.get("meta", {}),
            )
        except (KeyError, ValueError, UnicodeDecodeError) as exc:
            raise InputError(path, f"not a valid molecule table ({exc})") from None


def _gather(offsets: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat element indices and new offsets for rows ``idx`` of a ragged array."""
    lengths = (offsets[idx + 1] - offsets[idx]) if len(idx) else np.zeros(0, np.int64)
    new_offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.repeat(offsets[idx] - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
    return flat, new_offsets


def encode_text(key: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """Strings as one UTF-8 byte blob plus offsets (``key/blob``, ``key/offsets``): .npz without pickles."""
    encoded = [str(v).encode() for v in values]
    lengths = np.array([len(b) for b in encoded], dtype=np.int64)
    return {
        f"{key}/blob": np.frombuffer(b"".join(encoded), dtype=np.uint8) if encoded else np.zeros(0, np.uint8),
        f"{key}/offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
    }


def decode_text(blob: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    raw = blob.tobytes()
    return np.array([raw[a:b].decode() for a, b in zip(offsets[:-1], offsets[1:])], dtype=object)
