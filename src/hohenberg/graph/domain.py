"""The training domain of a molecular model, and what a prediction outside it gets.

A model has seen molecules of some elements, up to some size, with some charges and spins (QM9:
neutral, closed-shell molecules of H, C, N, O and F with at most nine heavy atoms; a model
trained on a user's table records that table's).  An element it never saw has no learned
embedding and no per-element offset, so any number would be arbitrary: such a molecule is
refused, naming the element.  A larger, charged or open-shell molecule can still be represented (the graph has no
size limit; charge and spin are not inputs), so it is answered with a warning that says why the
numbers are less reliable than the test error suggests.

Geometry.  A 3D model learns from one kind of geometry (QM9: B3LYP/6-31G(2df,p) relaxed); a
molecule whose geometry came from elsewhere (a force field or GFN2-xTB from SMILES, recorded in
``info['geometry']``, :mod:`hohenberg.molecules.geometry_source`) is answered with a warning that
names its source and says whether the sigmas are calibrated for it.  A given geometry is taken to
be of the training kind: there is no way to tell.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from hohenberg.units import QM9_ELEMENTS
from hohenberg.errors import InputError
from hohenberg.molecules.molecule import Molecule
from hohenberg.units import symbol

QM9_GEOMETRY = "B3LYP/6-31G(2df,p) relaxed, QM9's own"


@dataclass(frozen=True)
class Domain:
    """What the training molecules covered."""

    elements: tuple[int, ...] = QM9_ELEMENTS
    max_heavy_atoms: int = 9
    charges: tuple[int, ...] = (0,)
    spins: tuple[int, ...] = (0,)
    description: str = field(default="QM9: neutral closed-shell molecules of H, C, N, O, F, up to 9 heavy atoms")
    # the kind of geometry the training molecules had, in words; empty where unknown (then no warning)
    geometry: str = ""

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> Domain:
        from hohenberg.configs import known_options

        d = known_options(cls, d, "domain")  # an unknown key is an error, not dropped
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def domain_warnings(mol: Molecule, domain: Domain) -> list[str]:
    """Why ``mol`` lies outside ``domain`` though the model can represent it (empty: inside)."""
    out = []
    heavy = int((mol.numbers > 1).sum())
    if heavy > domain.max_heavy_atoms:
        out.append(f"{heavy} heavy atoms, more than the {domain.max_heavy_atoms} of any training molecule: "
                   "an extrapolation, errors may be several times the test MAE")
    if mol.charge not in domain.charges:
        seen = ", ".join(f"{c:+d}" for c in domain.charges)
        out.append(f"charge {mol.charge:+d}: the training molecules had charge {seen} only and the model does not "
                   "take the charge as input; the values are not those of this ion")
    if mol.spin not in domain.spins:
        seen = ", ".join(str(s) for s in domain.spins)
        out.append(f"spin 2S={mol.spin}: the training molecules had 2S = {seen} only; the values are not "
                   "those of this spin state")
    return out


def geometry_warning(mol: Molecule, domain: Domain, calibrated: bool) -> str:
    """Why ``mol``'s geometry is not the training kind ('' where it is, or where the training kind is
    unknown); ``calibrated``: whether the sigmas were fitted on molecules from its source."""
    from hohenberg.molecules.geometry_source import DESCRIPTIONS, geometry_source

    source = geometry_source(mol)
    if source == "given" or not domain.geometry:
        return ""
    sigma = ("sigmas are calibrated for this source" if calibrated else
             "sigmas, calibrated on the training kind only, are too small for this source")
    return (f"geometry {source} ({DESCRIPTIONS[source]}), not the training kind ({domain.geometry}): errors are "
            f"larger than the test MAE; {sigma}")


def check_representable(mol: Molecule, domain: Domain, where: str) -> None:
    """Refuse ``mol`` (an :class:`InputError` naming it) if it has an element the model never saw."""
    bad = sorted({int(z) for z in mol.numbers} - set(domain.elements))
    if bad:
        names = ", ".join(symbol(z) for z in bad)
        allowed = ", ".join(symbol(z) for z in domain.elements)
        raise InputError(where, f"molecule {mol.name or mol.formula}: element(s) {names} never seen in training "
                                f"(the model knows {allowed}); no prediction")
