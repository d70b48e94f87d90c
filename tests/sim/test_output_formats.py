"""--figure-format, --table-format and --dpi (sim/output_formats.py): every
figure also as SVG and PDF, every CSV table also as Parquet with the same
rows, the PNG at the asked resolution, the folder still verified."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from dcmarket.sim.cli import main
from dcmarket.sim.manifest import verify_manifest
from dcmarket.sim.output_formats import OutputFormats, chosen


def run(argv: list[str]) -> int:
    try:
        return main(argv) or 0
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    out = {}
    for label, extra in (("plain", []), ("print", ["--figure-format", "svg,pdf",
                                                   "--table-format", "parquet",
                                                   "--dpi", "300"])):
        folder = tmp_path_factory.mktemp(label)
        assert run(["run", "p2p_4dc_fixed_lmp", "--out", str(folder), "--force", *extra]) == 0
        out[label] = folder
    return out


def test_every_figure_in_every_format_at_the_asked_dpi(folders):
    plain, printed = folders["plain"], folders["print"]
    pngs = sorted(p.name for p in printed.glob("*.png"))
    assert pngs and pngs == sorted(p.name for p in plain.glob("*.png"))
    for name in pngs:
        stem = Path(name).stem
        assert (printed / f"{stem}.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
        assert (printed / f"{stem}.pdf").read_bytes().startswith(b"%PDF")
        assert not (plain / f"{stem}.svg").exists()
        dpi_plain = Image.open(plain / name).info["dpi"][0]
        dpi_print = Image.open(printed / name).info["dpi"][0]
        assert round(dpi_plain) == 110 and round(dpi_print) == 300


def test_every_csv_table_also_as_the_same_parquet(folders):
    printed = folders["print"]
    tables = sorted(printed.glob("*.csv"))
    assert tables
    for csv in tables:
        twin = pd.read_parquet(csv.with_suffix(".parquet"))
        pd.testing.assert_frame_equal(pd.read_csv(csv), twin, check_dtype=False)
    assert not list(folders["plain"].glob("trades.parquet"))


def test_the_folder_lists_and_verifies_the_extra_files(folders):
    assert verify_manifest(folders["print"]) == []


def test_a_later_run_goes_back_to_the_defaults(folders):
    assert chosen() == OutputFormats()
