"""Settings: defaults, overrides, and every problem reported at once with file, line and fix."""

import datetime as dt
from pathlib import Path

import pytest

from build.config import SCHEMA, SettingsError, load_settings


def write(tmp_path, text):
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path):
    settings = load_settings(tmp_path / "missing.toml", today=lambda: dt.date(2026, 1, 2))
    assert settings.as_of == dt.date(2026, 1, 2)
    assert settings.k_min == 5
    assert settings.get("retention", "retention_windows") == [1, 3, 6]
    assert settings.sources["dashboard"].url == "duckdb:///demo/dashboard.duckdb"


def test_all_problems_reported_at_once_with_lines(tmp_path):
    path = write(
        tmp_path,
        '[privacy]\nk_min = "five"\n\n[retention]\nretention_windows = []\ncolour = 1\n[nonsense]\n',
    )
    with pytest.raises(SettingsError) as raised:
        load_settings(path)
    problems = raised.value.problems
    assert "site.toml:2: [privacy] k_min: expected a whole number from 1 to 1000, got 'five'." in problems
    assert any(
        p.startswith("site.toml:5: [retention] retention_windows: expected a non-empty, increasing") for p in problems
    )
    assert any(p.startswith("site.toml:6: [retention] unknown key 'colour'") for p in problems)
    assert any(p.startswith("site.toml:7: unknown section [nonsense]") for p in problems)
    assert len(problems) == 4


def test_invalid_toml_names_the_file(tmp_path):
    with pytest.raises(SettingsError, match="site.toml: not valid TOML"):
        load_settings(write(tmp_path, "[site\n"))


def test_command_line_beats_environment_beats_file(tmp_path, monkeypatch):
    path = write(tmp_path, '[build]\nas_of = 2024-01-01\n[sources.dashboard]\nurl = "duckdb:///a.duckdb"\n')
    assert load_settings(path).as_of == dt.date(2024, 1, 1)
    monkeypatch.setenv("ALMANAC_AS_OF", "2024-02-02")
    monkeypatch.setenv("ALMANAC_SOURCE_DASHBOARD", "duckdb:///b.duckdb")
    settings = load_settings(path)
    assert settings.as_of == dt.date(2024, 2, 2)
    assert settings.sources["dashboard"].url == "duckdb:///b.duckdb"
    settings = load_settings(path, as_of=dt.date(2024, 3, 3), sources={"dashboard": "duckdb:///c.duckdb"})
    assert settings.as_of == dt.date(2024, 3, 3)
    assert settings.sources["dashboard"].url == "duckdb:///c.duckdb"


def test_source_keys_are_checked(tmp_path):
    path = write(tmp_path, '[sources.replica]\nurl = 3\npassword = "x"\n')
    with pytest.raises(SettingsError) as raised:
        load_settings(path)
    assert any("[sources.replica] url: expected a source URL" in p for p in raised.value.problems)
    assert any("[sources.replica] unknown key 'password'" in p for p in raised.value.problems)


def test_every_setting_is_documented_in_the_readme_and_site_toml():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    site_toml = (Path(__file__).parents[1] / "site.toml").read_text(encoding="utf-8")
    for setting in SCHEMA:
        assert setting.key in readme, f"README.md does not document [{setting.section}] {setting.key}"
        assert setting.key in site_toml, f"site.toml does not show [{setting.section}] {setting.key}"
