#!/usr/bin/env python3
"""Almanac: build a static metrics site from SQL queries, on a schedule.

    python build.py                  build site/ (from the demo database unless sources are set)
    python build.py demo             write the demo databases
    python build.py serve            preview site/ on http://127.0.0.1:8000
    python build.py history DATASET  a dataset's published history, from the data branch
    python build.py archive          commit site/data/ to the data branch
    python build.py rollback         point site/ back at the build before the one it shows

The command line lives in build/cli.py (`pip install .` installs it as `almanac`); the build reads top to
bottom in `build.pipeline.build_site`. This script reads the site.toml beside it unless --config or
ALMANAC_CONFIG names another.
"""

from pathlib import Path

from build.cli import cli

if __name__ == "__main__":
    cli(default_map={"config_path": str(Path(__file__).resolve().parent / "site.toml")})
