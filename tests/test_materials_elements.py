"""Element table and featurizers: values checked against the paper's table and hand sums."""

import numpy as np
import pandas as pd
import pytest

from hohenberg.materials.elements import (
    ELEMENT_COLUMNS,
    PAPER_DESCRIPTORS,
    element_properties,
    element_table,
    read_features9,
    valence_counts,
    wigner_seitz_radius_bohr,
)
from hohenberg.materials.elements import data_path
from hohenberg.materials.featurize import CompositionFeaturizer, PairFeaturizer, composition_features, pair_features, parse_formula


def test_table_is_frozen_with_unit_columns():
    t = element_table()
    assert list(t.columns) == list(ELEMENT_COLUMNS)
    assert t.loc["Fe", "Z"] == 26 and len(t) == 103
    assert "enthalpy_fusion_J_per_g" in t.columns and "first_ionization_energy_eV" in t.columns


def test_paper_values_are_used_for_the_11_metals():
    f9 = read_features9(data_path("features9.csv").open())
    t = element_properties(f9.index, PAPER_DESCRIPTORS)
    np.testing.assert_allclose(t.to_numpy(float), f9[list(PAPER_DESCRIPTORS)].to_numpy(float))


def test_derived_columns_match_hand_values():
    t = element_table()
    # Fe: 55.845 g/mol at 7.874 g/cm^3 -> 11.78 A^3 per atom -> r = 1.412 A = 2.668 bohr (paper: 2.66)
    assert wigner_seitz_radius_bohr(55.845, 7.874) == pytest.approx(2.668, abs=2e-3)
    # Os (not in the paper): enthalpy of fusion per gram = kJ/mol * 1000 / molar mass
    os_ = t.loc["Os"]
    assert os_["enthalpy_fusion_J_per_g"] == pytest.approx(1000 * os_["enthalpy_fusion_kJ_per_mol"] / os_["atomic_mass_u"], rel=1e-5)
    assert os_["d_electron_count"] == 8  # group number, as the paper counts Fe/Ru


def test_valence_counts():
    assert valence_counts("[Ar] 3d6 4s2") == {"s": 2, "p": 0, "d": 6, "f": 0}
    assert valence_counts("[Kr] 4d10") == {"s": 0, "p": 0, "d": 10, "f": 0}
    assert valence_counts("[Xe] 4f14 5d10 6s") == {"s": 1, "p": 0, "d": 10, "f": 14}
    assert valence_counts("[Ne] 3s2 3p5") == {"s": 2, "p": 5, "d": 0, "f": 0}


def test_parse_formula():
    assert parse_formula("Hg0.7Cd0.3Te") == {"Hg": 0.7, "Cd": 0.3, "Te": 1.0}
    assert parse_formula("Ca3(PO4)2") == {"Ca": 3.0, "P": 2.0, "O": 8.0}
    with pytest.raises(ValueError):
        parse_formula("Xx2!")


def test_composition_statistics_by_hand():
    # CuAu3: fractions 1/4, 3/4 of Z = 29, 79
    f = composition_features(["CuAu3"], ["Z"])
    assert f.loc[0, "mean_Z"] == pytest.approx(0.25 * 29 + 0.75 * 79)
    assert f.loc[0, "std_Z"] == pytest.approx(np.sqrt(0.25 * 0.75) * 50)
    assert (f.loc[0, "min_Z"], f.loc[0, "max_Z"], f.loc[0, "range_Z"], f.loc[0, "n_elements"]) == (29, 79, 50, 2)
    tr = CompositionFeaturizer(columns=["Z"]).fit(["CuAu3"])
    assert tr.transform(np.array(["CuAu3"])).shape == (1, 6)


def test_pair_features_and_transformer():
    f = pair_features(["Pt"], ["Au"], ["Z"], include=("host", "guest", "diff"))
    assert f.iloc[0].tolist() == [78, 79, 1]
    tr = PairFeaturizer(columns=["Z"]).fit(None)
    X = tr.transform(pd.DataFrame({"host": ["Fe"], "guest": ["Ni"]}))
    assert X.tolist() == [[26, 28]] and list(tr.get_feature_names_out()) == ["host_Z", "guest_Z"]
    with pytest.raises(KeyError, match="Qq"):
        pair_features(["Qq"], ["Au"], ["Z"])
