"""The Toolforge job: jobs.yaml is valid for `toolforge jobs load`, run.sh calls only real CLI options,
maps build.py's exit codes as documented, and runs on the same schedule as the GitHub workflow."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
from pathlib import Path

import click
import pytest
import yaml

from build.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
JOBS = ROOT / "toolforge" / "jobs.yaml"
RUN = ROOT / "toolforge" / "run.sh"
# The keys `toolforge jobs load` accepts (Help:Toolforge/Jobs framework).
JOB_KEYS = {
    "name", "command", "image", "schedule", "continuous", "emails", "mem", "cpu", "filelog",
    "filelog-stdout", "filelog-stderr", "retry", "mount", "timeout", "wait", "port", "health-check-script",
}  # fmt: skip
BUILD_PEAK_GIB = 1.0  # the build's measured peak at the Dashboard's scale, rounded up (README "Performance")


def load_cli() -> click.Group:
    spec = importlib.util.spec_from_file_location("almanac_cli", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cli


def jobs() -> list[dict]:
    return yaml.safe_load(JOBS.read_text(encoding="utf-8"))


def gibibytes(text: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", text).groups()
    return float(number) / (1024 if unit == "Mi" else 1)


def test_jobs_yaml_is_what_toolforge_jobs_load_expects():
    loaded = jobs()
    assert loaded and isinstance(loaded, list)
    for job in loaded:
        assert set(job) <= JOB_KEYS, f"unknown keys {set(job) - JOB_KEYS}"
        assert re.fullmatch(r"[a-z0-9-]+", job["name"])
        assert job["image"].startswith("python3.")
        assert job["emails"] == "onfailure"
        assert gibibytes(job["mem"]) > BUILD_PEAK_GIB, "memory must stay above the build's measured peak"
        script = ROOT.parent / job["command"].split()[0].removeprefix("./")  # the checkout is ~/almanac
        assert script.name == RUN.name and RUN.exists() and os.access(RUN, os.X_OK)


def test_the_job_runs_when_the_github_workflow_does_and_site_toml_says():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "build.yml").read_text(encoding="utf-8"))
    crons = [entry["cron"] for entry in workflow[True]["schedule"]]  # YAML 1.1 reads `on` as True
    schedule = load_settings(ROOT / "site.toml").get("build", "schedule")
    assert crons == [schedule], "the workflow's cron is [build] schedule (the status page announces it)"
    assert [job["schedule"] for job in jobs() if "schedule" in job] == [schedule]


def build_py_calls(script: Path) -> list[list[str]]:
    """The arguments of every `build.py` call in a shell script."""
    calls = []
    for line in script.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or "build.py" not in line:
            continue
        words = shlex.split(line.split("||")[0])
        if "build.py" in words:
            calls.append(words[words.index("build.py") + 1 :])
    return calls


def check_arguments(command: click.Command, arguments: list[str]) -> None:
    """Fail unless every option is one `command` (or the subcommand named on the way) accepts."""
    index = 0
    while index < len(arguments):
        word = arguments[index]
        if word.startswith("-"):
            option = next((p for p in command.params if word in p.opts + p.secondary_opts), None)
            assert option is not None, f"{command.name or 'build.py'} has no option {word}"
            index += 1 if option.is_flag or option.count else 2
        elif isinstance(command, click.Group) and word in command.commands:
            command = command.commands[word]
            index += 1
        else:
            assert isinstance(command, click.Command) and any(isinstance(p, click.Argument) for p in command.params), (
                f"unexpected argument {word!r} for {command.name}"
            )
            index += 1


def test_run_sh_calls_only_real_options():
    calls = build_py_calls(RUN)
    assert len(calls) >= 2, "run.sh builds and archives"
    cli = load_cli()
    for arguments in calls:
        check_arguments(cli, arguments)
    with pytest.raises(AssertionError):  # the check itself can fail
        check_arguments(cli, ["archive", "--no-such-option"])


@pytest.fixture
def fake_checkout(tmp_path):
    """A copy of run.sh beside a fake .venv/bin/python and git that record their calls."""
    checkout = tmp_path / "almanac"
    (checkout / "toolforge").mkdir(parents=True)
    (checkout / "toolforge" / "run.sh").write_bytes(RUN.read_bytes())
    (checkout / ".venv" / "bin").mkdir(parents=True)
    calls = tmp_path / "calls.txt"
    python = checkout / ".venv" / "bin" / "python"
    python.write_text(
        "#!/bin/sh\n"
        f'echo "python $*" >> {calls}\n'
        '[ "$1" = -c ] && { echo data; exit 0; }\n'
        'case "$*" in *archive*) exit 0;; esac\n'
        'exit "$BUILD_EXIT"\n'
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(f'#!/bin/sh\necho "git $*" >> {calls}\n')
    for path in (python, bin_dir / "git"):
        path.chmod(0o755)
    return checkout, bin_dir, calls


@pytest.mark.parametrize(
    ("build_exit", "job_exit", "archived"),
    [(0, 0, True), (1, 0, True), (2, 2, False), (3, 3, False)],
)
def test_run_sh_maps_exit_codes(fake_checkout, build_exit, job_exit, archived):
    checkout, bin_dir, calls = fake_checkout
    result = subprocess.run(
        ["bash", str(checkout / "toolforge" / "run.sh")],
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "BUILD_EXIT": str(build_exit), "HOME": "/h"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == job_exit, result.stderr
    log = calls.read_text()
    assert "python build.py --quiet --out /h/public_html" in log
    assert ("archive" in log) == archived
    assert ("git push --quiet origin refs/heads/data:refs/heads/data" in log) == archived
