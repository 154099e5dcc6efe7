"""Numpy golden models: exactly what the hardware computes (no Amaranth here)."""
