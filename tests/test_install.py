"""`pip install .` installs the package and an `almanac` command that works in any folder holding a
site.toml (as `mkdocs` does); `--help` imports neither pandas nor Altair. Nothing is downloaded: the
fresh virtualenv sees this environment's packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL_SKIPPED = {".venv", "node_modules", ".git", ".almanac", "site", "demo", "benchmarks"}


def skipped(folder: str, names: list[str]) -> set[str]:
    """What the copy leaves out: the checkout's own tools and builds, and __pycache__ anywhere (another test
    worker may be writing a .pyc, a temporary file then a rename, while this copies)."""
    top = TOP_LEVEL_SKIPPED if folder == str(ROOT) else set()
    return (top | {"__pycache__"}) & set(names)


@pytest.fixture(scope="module")
def almanac(tmp_path_factory) -> Path:
    """The `almanac` command of a fresh virtualenv where `pip install .` ran without network."""
    folder = tmp_path_factory.mktemp("venv")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    site_packages = Path(
        subprocess.run(
            [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # This environment's packages (pandas, setuptools, …) without downloading them again.
    (site_packages / "almanac-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # The venv's own bundled setuptools would shadow this environment's (pinned in requirements-dev.txt).
    subprocess.run([venv / "bin" / "python", "-m", "pip", "uninstall", "--quiet", "-y", "setuptools"], check=True)
    source = folder / "source"  # a copy, so the build leaves no build/ lib or egg-info in the project
    shutil.copytree(ROOT, source, ignore=skipped)
    result = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", str(source)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return venv / "bin" / "almanac"


def run(command: Path, *arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "ALMANAC_CONFIG"}
    return subprocess.run([str(command), *arguments], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def test_the_installed_command_answers_help_without_pandas_or_altair(almanac, tmp_path):
    result = run(almanac, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: almanac" in result.stdout and "backfill" in result.stdout
    python = almanac.parent / "python"
    probe = "import sys; from build.cli import cli; print(sorted(m for m in ('pandas', 'altair') if m in sys.modules))"
    assert subprocess.run([python, "-c", probe], capture_output=True, text=True, cwd=tmp_path).stdout.strip() == "[]"


def test_the_installed_package_ships_the_demo_ddl(almanac, tmp_path):
    python = almanac.parent / "python"
    where = "import build.demo.constants as c; print(c.SCHEMA_DIR)"
    ddl = Path(subprocess.run([python, "-c", where], capture_output=True, text=True, cwd=tmp_path).stdout.strip())
    assert ROOT not in ddl.parents, "the installed package, not the checkout"
    assert (ddl / "dashboard.sql").exists() and (ddl / "replica.sql").exists()


def test_the_installed_command_reads_the_site_toml_of_the_current_folder(almanac, tmp_path):
    site = tmp_path / "another-site"
    shutil.copytree(ROOT / "queries", site / "queries")
    shutil.copytree(ROOT / "docs", site / "docs")
    (site / "site.toml").write_text('[site]\ntitle = "Elsewhere"\n', encoding="utf-8")
    result = run(almanac, "contract", cwd=site)
    assert result.returncode == 0, result.stderr
    assert "match" in result.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = run(almanac, "contract", cwd=empty)
    assert missing.returncode == 2 and "site.toml" in missing.stderr and "Traceback" not in missing.stderr


def test_the_installed_command_builds_another_site_in_its_own_folder(almanac, tmp_path):
    from tests.test_pages import write_second_site

    write_second_site(tmp_path)  # its templates/ holds only pages and a chart: layouts come with the package
    result = run(almanac, "--as-of", "2025-01-01", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "The longest range is" in home and (tmp_path / "site" / "assets" / "site.css").is_file()
    assert (tmp_path / "site" / "towers" / "Fastnet" / "index.html").is_file()


@pytest.mark.parametrize(
    "first",
    [
        "import build.cli; import pandas",
        "import pandas; import build",
        "import build, importlib.util; importlib.util.find_spec('pandas'); import pandas",  # a probe, as altair's
        "import build; import pandas.core.frame; import pandas",
    ],
)
def test_pandas_keeps_python_strings_with_pyarrow_installed(first):
    """pyarrow is installed (connectorx's Arrow output), which would switch pandas 3 to Arrow strings: importing
    build keeps them Python strings, whether pandas is imported before or after it, probed first or not."""
    probe = f"{first}; import pyarrow; print(pandas.Series(['a']).dtype.storage, pandas.array(['a']).dtype.storage)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.split() == ["python", "python"], result.stderr
