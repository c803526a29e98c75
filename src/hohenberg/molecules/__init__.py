"""Molecule data model, columnar table, and readers/writers for molecular file formats."""

from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.table import MoleculeTable

__all__ = ["Molecule", "MoleculeTable"]
