"""Quantum chemistry with PySCF: single points, densities on grids, promolecules, potentials, batches."""
