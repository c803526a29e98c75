"""What a table offers to learn: its target columns, which of them are extensive, its elements.

One answer for every trainer.  A QM9 table offers its 13 standard targets; any other table every
float column whose name carries a unit (``homo_eV``, ``logS_1``) except bookkeeping columns.
Extensive targets (total energies, zero-point energy, heat capacity) grow with the molecule as
sums of atom contributions: models read them out atom-wise and the per-element offsets carry
most of their value.  Which targets are extensive is declared by name: QM9's, every ``energy``
and the thermochemical energies (``U0``, ``U``, ``H``, ``G``, ``E``) with an energy unit, or an
explicit list given by the user.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from hohenberg.molecules.table import MoleculeTable
from hohenberg.units import unit_of

BOOKKEEPING = frozenset({"qm9_index", "uncharacterized", "charge", "spin", "scf_cycles", "wall_s"})
_EXTENSIVE_BASE = re.compile(r"^(u0|u|h|g|e|energy|total_energy|e_tot|etot|free_energy|enthalpy|zpve|cv|"
                             r"atomization_energy|energy_\w+)$", re.IGNORECASE)
ENERGY_UNITS = ("eV", "meV")


def table_targets(table: MoleculeTable) -> tuple[str, ...]:
    """The learnable target columns of ``table`` (module docstring), in the table's order."""
    if "qm9_index" in table.properties:
        from hohenberg.datasets.qm9 import TARGETS

        return tuple(t for t in TARGETS if t in table.properties)
    return tuple(k for k, v in table.properties.items()
                 if k not in BOOKKEEPING and unit_of(k) and np.issubdtype(np.asarray(v).dtype, np.floating))


def is_extensive(name: str) -> bool:
    """Does target ``name`` grow with the molecule (module docstring)?"""
    from hohenberg.datasets.qm9 import EXTENSIVE_TARGETS

    if name in EXTENSIVE_TARGETS:
        return True
    base, _, unit = name.rpartition("_")
    return bool(base) and unit in ENERGY_UNITS and bool(_EXTENSIVE_BASE.match(base))


def extensive_targets(targets: Sequence[str], declared: Sequence[str] | None = None) -> tuple[str, ...]:
    """The extensive ones of ``targets``: ``declared`` when given (each must be a target), else by name."""
    if declared is None:
        return tuple(t for t in targets if is_extensive(t))
    unknown = [t for t in declared if t not in targets]
    if unknown:
        raise ValueError(f"extensive target(s) {', '.join(unknown)} are not among the targets {', '.join(targets)}")
    return tuple(declared)


def table_elements(table: MoleculeTable) -> tuple[int, ...]:
    """Atomic numbers present in ``table``, ascending."""
    return tuple(int(z) for z in np.unique(table.numbers))
