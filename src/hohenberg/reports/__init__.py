"""Figures and tables written beside machine-readable JSON/CSV."""
