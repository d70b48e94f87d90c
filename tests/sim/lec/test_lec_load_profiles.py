"""The households' H0 profiles (sim/lec/load_profiles.py)."""

from __future__ import annotations


def test_building_the_household_profiles_leaves_the_warning_filters_as_they_were():
    """demandlib's ElecSlp sets a global "error" filter; the study must undo it
    (a dashboard server once answered a page with a 500 for a mere warning)."""
    import warnings

    from dcmarket.sim.lec.load_profiles import h0_profile

    before = list(warnings.filters)
    h0_profile.cache_clear()
    h0_profile(2018)
    assert warnings.filters == before
