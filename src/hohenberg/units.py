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
