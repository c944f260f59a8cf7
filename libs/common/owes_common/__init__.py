"""Shared library of OWES Mesh: everything the four services have in common."""
