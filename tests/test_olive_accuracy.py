"""OVP-4 against plain 4-bit integers on data with outliers, at CI size (the full
tables: `python bench/olive_accuracy.py`, BENCHMARKS.md "olive")."""

import importlib.util

import numpy as np

from .conftest import ROOT

_spec = importlib.util.spec_from_file_location("olive_accuracy",
                                               ROOT / "bench" / "olive_accuracy.py")
accuracy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(accuracy)


def test_ovp4_keeps_outliers_that_int4_loses():
    rng = np.random.default_rng(4)
    weights = accuracy.matrix_errors(accuracy.outlier_weights(rng, 32, 512), per_row=True)
    activations = accuracy.matrix_errors(accuracy.outlier_activations(rng, 32, 512),
                                         per_row=False)
    for errors in (weights, activations):
        best_int4 = min(errors["INT4"], errors["INT4, clip searched"])
        assert errors["OVP-4 adaptive"] < best_int4 / 3
        assert errors["OVP-4 adaptive"] <= min(errors["OVP-4 int"], errors["OVP-4 flint"])
        assert errors["INT8"] < errors["OVP-4 adaptive"] * 2
