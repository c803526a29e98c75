"""Physical constants and unit conversions: the only place they live.

Public interfaces use Angstrom for lengths and eV for energies (DESIGN.md sec. 3); other units
are spelled in names (``alpha_bohr3``, ``mu_D``).  Values are CODATA 2018, as used by ASE and
PySCF, so numbers agree with both.
"""

from __future__ import annotations

HARTREE_EV = 27.211386245988  # eV per Hartree
BOHR_ANGSTROM = 0.529177210903  # Angstrom per bohr
ANGSTROM_BOHR = 1.0 / BOHR_ANGSTROM
DEBYE_EAU = 0.393430238  # e*bohr per Debye (1 D = 0.3934 e a0)
DEBYE_PER_E_ANGSTROM = ANGSTROM_BOHR / DEBYE_EAU  # Debye per e*Angstrom (4.8032)
KCALMOL_EV = 0.0433641043  # eV per kcal/mol
EV_MEV = 1000.0  # meV per eV
CAL_J = 4.184

ELEMENTS = (
    "X H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As "
    "Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd "
    "Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am "
    "Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()
"""Element symbols indexed by atomic number (index 0 is a dummy)."""

QM9_ELEMENTS = (1, 6, 7, 8, 9)
"""Atomic numbers of QM9's elements (H, C, N, O, F): the default element list of models and features."""

MARGIN = 2.0
"""Angstrom between the outermost nucleus and every face of a grid box (:mod:`hohenberg.grids`,
which re-exports it).  Here, in a module without numpy, because the command line shows it as an
option default and must start without importing numpy."""

ATOMIC_NUMBER = {sym: z for z, sym in enumerate(ELEMENTS) if z > 0}
ATOMIC_NUMBER.update({sym.upper(): z for sym, z in list(ATOMIC_NUMBER.items())})


def symbol(z: int) -> str:
    """Element symbol of atomic number ``z``."""
    if not 0 < int(z) < len(ELEMENTS):
        raise ValueError(f"no element with atomic number {z}")
    return ELEMENTS[int(z)]


def atomic_number(sym: str) -> int:
    """Atomic number of an element symbol (case-insensitive, or a number as text)."""
    key = sym.strip()
    if key.isdigit():
        z = int(key)
        symbol(z)
        return z
    z = ATOMIC_NUMBER.get(key) or ATOMIC_NUMBER.get(key.upper())
    if z is None:
        raise ValueError(f"unknown element symbol {sym!r}")
    return z


def unit_of(name: str) -> str:
    """The unit a property name carries in its suffix (``homo_eV`` -> ``eV``), or ``''``."""
    return name.rsplit("_", 1)[1] if "_" in name else ""


# -- units spelled in column names -------------------------------------------------------------
KJMOL_EV = KCALMOL_EV / CAL_J  # eV per kJ/mol

ENERGY_TO_EV = {"eV": 1.0, "meV": 1.0 / EV_MEV, "Ha": HARTREE_EV, "kcal/mol": KCALMOL_EV, "kJ/mol": KJMOL_EV}
"""Energy units converted to eV when data enter the package, by canonical spelling."""

KEPT_UNITS = ("D", "bohr3", "bohr2", "calmolK", "cm1", "GHz", "K", "e", "Ang", "1")
"""Other units kept as they are (spelled this way in column names); ``1`` is dimensionless."""

# Spellings people use, by their canonical form.  Single letters are matched exactly so that a
# name like ``bond_d`` is not read as Debye; longer spellings ignore case.
_EXACT = {"D": "D", "K": "K", "e": "e", "1": "1", "A": "Ang", "Eh": "Ha"}
_ANY_CASE = {
    "ev": "eV", "mev": "meV", "ha": "Ha", "hartree": "Ha", "kcal/mol": "kcal/mol", "kcalmol": "kcal/mol",
    "kj/mol": "kJ/mol", "kjmol": "kJ/mol", "debye": "D", "bohr3": "bohr3", "bohr^3": "bohr3", "a03": "bohr3",
    "bohr2": "bohr2", "bohr^2": "bohr2", "a02": "bohr2", "calmolk": "calmolK", "cal/molk": "calmolK",
    "cal/mol/k": "calmolK", "cal/(mol*k)": "calmolK", "cm1": "cm1", "cm-1": "cm1", "cm^-1": "cm1",
    "ghz": "GHz", "ang": "Ang", "angstrom": "Ang", "none": "1", "dimensionless": "1", "unitless": "1",
}


def canonical_unit(text: str) -> str | None:
    """The canonical spelling of a unit (``hartree`` -> ``Ha``, ``kcalmol`` -> ``kcal/mol``), or None."""
    text = text.strip()
    return _EXACT.get(text) or _ANY_CASE.get(text.lower())


def split_unit(name: str) -> tuple[str, str | None]:
    """``(base, canonical unit)`` of a column name (``gap_Ha`` -> ``('gap', 'Ha')``); unit None if unknown."""
    if "_" not in name:
        return name, None
    base, suffix = name.rsplit("_", 1)
    unit = canonical_unit(suffix)
    return (base, unit) if unit and base else (name, None)


def stored_unit(unit: str) -> str:
    """The unit a value is stored in: eV for every energy unit, otherwise the unit itself."""
    return "eV" if unit in ENERGY_TO_EV else unit


def to_ev(values, unit: str):
    """Energies in ``unit`` (canonical spelling) converted to eV; ValueError for a non-energy unit."""
    if unit not in ENERGY_TO_EV:
        raise ValueError(f"{unit!r} is not an energy unit; known: {', '.join(ENERGY_TO_EV)}")
    return values * ENERGY_TO_EV[unit]


def convert_to_stored(values, unit: str):
    """Values in ``unit`` converted to the stored unit (:func:`stored_unit`)."""
    return to_ev(values, unit) if unit in ENERGY_TO_EV else values
