"""Hohenberg: learn electronic properties of molecules and materials from quantum-chemistry data.

Every ground-state property is a functional of the electron density (Hohenberg-Kohn); this
package learns such functionals from data.
"""

__version__ = "0.1.0"
