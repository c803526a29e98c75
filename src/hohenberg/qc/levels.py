"""Levels of theory as named values: ``method/basis`` plus options, recorded with every result.

``b3lyp`` is PySCF's (libxc's) B3LYP with VWN-RPA local correlation -- Gaussian's B3LYP, hence
QM9's; ``b3lyp5`` uses VWN5 (docs/notes/quantum-chemistry.md has the numbers).  Options are suffixes:
``+df`` density fitting; ``+6d7f`` Cartesian d with pure f shells (Gaussian's convention for
Pople bases), ``+cart`` all-Cartesian (6D 10F), ``+sph`` all-spherical (PySCF's default);
``+gpol`` Gaussian's exponents for multiple polarization sets, ``+libpol`` the library's;
``+grid4`` a finer DFT grid.  ``qm9`` (= ``b3lyp/6-31g(2df,p)``) is QM9's level as Gaussian ran
it: ``b3lyp/6-31g(2df,p)+6d7f+gpol``.

``gfn2-xtb`` and ``gfn1-xtb`` are semi-empirical tight-binding levels (tblite,
:mod:`hohenberg.qc.xtb`): a Level with that method, no basis and no options.  They give
properties only -- no density matrix in a Gaussian basis, hence no density grid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hohenberg.errors import HohenbergError

CONVENTIONS = ("spherical", "6d7f", "cartesian")
XTB_LEVELS = ("gfn2-xtb", "gfn1-xtb")


@dataclass(frozen=True)
class Level:
    method: str  # "hf", a PySCF xc name, or an xTB method (XTB_LEVELS)
    basis: str  # "" for xTB
    density_fit: bool = False
    convention: str = "spherical"  # spherical (5D 7F) | 6d7f | cartesian (6D 10F)
    grid_level: int = 3
    conv_tol: float = 1e-9
    polarization: str = "library"  # library | gaussian (see hohenberg.qc.basis_sets)

    def __post_init__(self) -> None:
        if self.convention not in CONVENTIONS:
            raise HohenbergError(f"basis convention must be one of {CONVENTIONS}, got {self.convention!r}")
        if self.polarization not in ("library", "gaussian"):
            raise HohenbergError(f"polarization must be 'library' or 'gaussian', got {self.polarization!r}")
        if not 0 <= self.grid_level <= 9:  # PySCF's DFT grids are tabulated for levels 0-9
            raise HohenbergError(f"DFT grid level must be 0-9 (+grid0 ... +grid9), got {self.grid_level}")

    @property
    def is_hf(self) -> bool:
        return self.method.lower() == "hf"

    @property
    def is_xtb(self) -> bool:
        return self.method.lower() in XTB_LEVELS

    @property
    def has_density(self) -> bool:
        """Whether a density on a grid can be computed at this level (not for xTB)."""
        return not self.is_xtb

    @property
    def name(self) -> str:
        if self.is_xtb:
            return self.method.lower()
        text = f"{self.method}/{self.basis}"
        if self.density_fit:
            text += "+df"
        if self.convention == "6d7f":
            text += "+6d7f"
        elif self.convention == "cartesian":
            text += "+cart"
        if self.polarization == "gaussian":
            text += "+gpol"
        if self.grid_level != 3:
            text += f"+grid{self.grid_level}"
        return text

    def __str__(self) -> str:
        return self.name


QM9_LEVEL = Level("b3lyp", "6-31g(2df,p)", convention="6d7f", polarization="gaussian")

NAMED: dict[str, Level] = {
    "hf/sto-3g": Level("hf", "sto-3g"),
    "pbe/def2-svp": Level("pbe", "def2-svp", density_fit=True),
    "b3lyp/6-31g*": Level("b3lyp", "6-31g*"),
    "b3lyp/6-31g(2df,p)": QM9_LEVEL,
    "qm9": QM9_LEVEL,
}


def parse_level(text: str | Level) -> Level:
    """``"b3lyp/6-31g(2df,p)+df"`` -> :class:`Level`; named levels carry their defaults."""
    if isinstance(text, Level):
        return text
    base, *options = text.strip().lower().split("+")
    if base in XTB_LEVELS:
        if options:  # basis and grid options mean nothing to tight binding
            raise HohenbergError(f"level {text!r}: xTB levels take no options")
        return Level(base, "")
    if base in NAMED:
        level = NAMED[base]
    elif base.count("/") == 1 and all(base.split("/")):
        method, basis = base.split("/")
        level = Level(method, basis)
    else:
        raise HohenbergError(f"level {text!r} is not 'method/basis' (e.g. b3lyp/6-31g*) or one of {', '.join(NAMED)}, {', '.join(XTB_LEVELS)}")
    for opt in options:
        if opt == "df":
            level = replace(level, density_fit=True)
        elif opt == "nodf":
            level = replace(level, density_fit=False)
        elif opt == "6d7f":
            level = replace(level, convention="6d7f")
        elif opt == "cart":
            level = replace(level, convention="cartesian")
        elif opt == "sph":
            level = replace(level, convention="spherical")
        elif opt == "gpol":
            level = replace(level, polarization="gaussian")
        elif opt == "libpol":
            level = replace(level, polarization="library")
        elif opt.startswith("grid") and opt[4:].isdigit():
            level = replace(level, grid_level=int(opt[4:]))
        else:
            raise HohenbergError(f"unknown level option +{opt} in {text!r} (known: +df +nodf +6d7f +cart +sph +gpol +libpol +gridN)")
    return level
