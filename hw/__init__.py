"""Amaranth components of accelgen's units."""
