"""Write the example series files of docs/data.md from the shipped 4-DC
scenario, in the forms real data comes in: a 15-minute CSV in requests per
second (``examples/data/workload_15min.csv``) and an hourly Parquet file of
prices in $/kWh with UTC timestamps (``examples/data/lmp_utc.parquet``),
both read back by ``examples/p2p_from_files.yaml`` into the scenario's own
numbers.

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


if __name__ == "__main__":
    main()
