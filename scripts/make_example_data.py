"""Write the example series files of docs/data.md from the shipped scenarios,
in the forms real data comes in:

- from the 4-DC market: a 15-minute CSV in requests per second
  (``examples/data/workload_15min.csv``) and an hourly Parquet file of prices
  in $/kWh with UTC timestamps (``examples/data/lmp_utc.parquet``), read back
  by ``examples/p2p_from_files.yaml`` into the scenario's own numbers;
- from the energy community's day: an hourly CSV of weather, PV, wind, spot
  price and the DC's power in the units a logger or an exchange gives them
  (°F, W/kWp, kW, €/kWh; ``examples/data/community_day.csv``) and one home's
  15-minute meter readings (``examples/data/house001_15min.parquet``), read
  back by ``examples/lec_from_files.yaml`` into the shipped day's inputs.

    python scripts/make_example_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import dcmarket

OUT = Path(__file__).resolve().parents[1] / "examples" / "data"


def main() -> None:
    scenario = dcmarket.load("p2p_4dc_fixed_lmp")
    OUT.mkdir(parents=True, exist_ok=True)
    quarter = pd.date_range("2024-07-15 00:00", periods=4 * scenario.hours, freq="15min")
    workload = {"timestamp": quarter.strftime("%Y-%m-%d %H:%M")}
    for dc in scenario.datacenters:  # each hour held for its four quarters: the mean is it
        workload[f"{dc.name}_web"] = np.repeat(np.asarray(dc.interactive) * 1e6 / 3600, 4)
        workload[f"{dc.name}_batch"] = np.repeat(np.asarray(dc.batch) * 1e6 / 3600, 4)
    pd.DataFrame(workload).round(6).to_csv(OUT / "workload_15min.csv", index=False)
    # hourly prices as a US market publishes them: $/kWh, stamped in UTC
    local = pd.date_range("2024-07-15 00:00", periods=scenario.hours, freq="h",
                          tz="America/New_York")
    prices = {"time_utc": local.tz_convert("UTC")}
    for name, series in scenario.lmp.items():
        prices[name] = np.asarray(series) / 1000.0
    pd.DataFrame(prices).to_parquet(OUT / "lmp_utc.parquet", index=False)
    community_day()


def community_day() -> None:
    from dcmarket.sim.lec.data import block_inputs

    scenario = dcmarket.load("lec_10households")
    inputs = block_inputs(scenario, 0, 1)
    hours = pd.date_range(scenario.day, periods=inputs.hours, freq="h")
    community = inputs.community
    first = inputs.households[0]
    day = pd.DataFrame({
        "time": hours.strftime("%Y-%m-%d %H:%M"),
        "outdoor_f": inputs.outdoor_c * 9 / 5 + 32,
        "pv_w_per_kwp": 1000.0 * inputs.household_profiles[0].pv_kw / first.pv_kwp,
        "wind_kw": community.wind_kw,
        "spot_eur_per_kwh": community.sell_eur_per_kwh / scenario.retailer.sell_share_of_spot,
        "dc_kw": community.dc_workload_kw})
    day.to_csv(OUT / "community_day.csv", index=False)
    quarter = pd.date_range(scenario.day, periods=4 * inputs.hours, freq="15min",
                            tz="Europe/Berlin")
    meter = pd.DataFrame({"time": quarter, first.name: np.repeat(
        inputs.household_profiles[0].base_demand_kw, 4)})
    meter.to_parquet(OUT / f"{first.name}_15min.parquet", index=False)


if __name__ == "__main__":
    main()
