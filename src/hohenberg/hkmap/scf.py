"""SCF from a named starting point: PySCF's ``minao`` / ``atom``, or ``hkmap:MODEL_DIR`` (the density
a Hohenberg-Kohn map model predicts, turned into a density matrix by :mod:`hohenberg.hkmap.guess`).

The hkmap route never makes an SCF fail that ``minao`` would converge: a rejected guess, or an SCF
from it that does not converge, falls back to ``minao``, and the result says so
(``info["guess_fallback"]``).
"""

from __future__ import annotations

import time
from functools import lru_cache

from hohenberg.errors import InputError
from hohenberg.molecules.molecule import Molecule
from hohenberg.qc.levels import Level, parse_level
from hohenberg.qc.scf import SCFConvergenceError, SCFResult, build_mol, run_scf

PYSCF_GUESSES = ("minao", "atom", "huckel", "1e")


@lru_cache(maxsize=4)
def _model(model_dir: str):
    from hohenberg.hkmap.run import load_hkmap

    return load_hkmap(model_dir)[0]


def parse_guess(text: str) -> tuple[str, str | None]:
    """``"minao"`` -> ("minao", None); ``"hkmap:DIR"`` -> ("hkmap", "DIR"); else a one-line error."""
    if text.startswith("hkmap:"):
        path = text[len("hkmap:"):]
        if not path:
            raise InputError(None, "the SCF guess hkmap:MODEL_DIR needs the model directory")
        return "hkmap", path
    if text not in PYSCF_GUESSES:
        raise InputError(None, f"SCF guess must be one of {', '.join(PYSCF_GUESSES)} or hkmap:MODEL_DIR, "
                               f"not {text!r}")
    return text, None


def run_scf_guess(molecule: Molecule, level: Level | str, guess: str = "minao", **kwargs) -> SCFResult:
    """:func:`~hohenberg.qc.scf.run_scf` from ``guess``; ``result.info`` holds ``guess``,
    ``guess_wall_s`` (model + density inversion; 0 for PySCF's guesses, whose cost is inside
    the SCF), ``guess_fallback`` (None or why minao was used) and the inversion's diagnostics."""
    kind, model_dir = parse_guess(guess)
    level = parse_level(level)
    if kind != "hkmap":
        res = run_scf(molecule, level, init_guess=kind, **kwargs)
        res.info.update(guess=kind, guess_wall_s=0.0, guess_fallback=None)
        return res
    from hohenberg.hkmap.guess import density_matrix_guess
    from hohenberg.hkmap.run import predict_density

    model = _model(str(model_dir))
    t0 = time.perf_counter()
    grid, rho = predict_density(model, molecule.numbers, molecule.positions)
    g = density_matrix_guess(build_mol(molecule, level), grid, rho)
    guess_wall = time.perf_counter() - t0
    info = {"guess": "hkmap", "guess_model": str(model_dir), "guess_wall_s": guess_wall,
            "guess_fallback": None if g.dm is not None else g.reason,
            "guess_inversion_iterations": g.iterations,
            "guess_density_fit_nmae_percent": g.density_nmae_percent}
    res = None
    if g.dm is not None:
        try:
            res = run_scf(molecule, level, dm0=g.dm, **kwargs)
        except SCFConvergenceError as exc:
            info["guess_fallback"] = f"SCF from the hkmap guess did not converge ({exc})"
    if res is None:
        res = run_scf(molecule, level, init_guess="minao", **kwargs)
    res.info.update(info)
    return res


def guess_report(result: SCFResult, molecule: Molecule, level: Level | str) -> dict:
    """What ``qc run --guess`` adds to the summary; for ``hkmap`` also the same SCF from ``minao``
    (cycles, wall time, energy difference in Hartree), the comparison the guess exists for."""
    from hohenberg.units import HARTREE_EV

    info = result.info
    out = {"guess": info.get("guess", "minao"), "guess_wall_s": info.get("guess_wall_s", 0.0),
           "total_wall_s": result.wall_s + info.get("guess_wall_s", 0.0)}
    if out["guess"] != "hkmap":
        return out
    ref = run_scf(molecule, level, init_guess="minao")
    out.update(guess_fallback=info.get("guess_fallback"), guess_model=info.get("guess_model"),
               guess_inversion_iterations=info.get("guess_inversion_iterations"),
               minao_scf_cycles=ref.n_cycles, minao_wall_s=ref.wall_s,
               scf_cycles_saved_percent=100.0 * (ref.n_cycles - result.n_cycles) / max(ref.n_cycles, 1),
               energy_minus_minao_Ha=(result.energy_eV - ref.energy_eV) / HARTREE_EV)
    return out
