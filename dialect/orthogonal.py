"""Orthogonal factorizations: qr, eigh."""
