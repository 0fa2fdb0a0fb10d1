"""Derivations: the datasets a site computes from its queries' results rather than in SQL, chosen by the content.

A site's queries folder may hold `derivations.toml` naming a Python module:

    module = "build.dashboard"   # provides DERIVED (the published schemas) and derive(stage)

The pipeline loads it, checks it before any query runs, and calls `derive(stage)` after extraction; it
never names a derivation itself. `Stage` is what a module works on, and `derive_each` the common loop
(a derivation whose inputs failed, or that raises, keeps its last published rows).
"""

from __future__ import annotations

import functools
import importlib
import logging
import tomllib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pandas as pd

from build import failures
from build.cache import Cache, Digests, frame_digest, settings_digest
from build.config import Settings
from build.datasets import DataProblem, Dataset, read_published
from build.failures import Failure

log = logging.getLogger("almanac")
FILE = "derivations.toml"


class DerivationsError(Exception):
    """derivations.toml is malformed or names a module that does not provide derivations."""


@dataclass
class Stage:
    """What a derivation module works on: the datasets so far (it adds its own), the failures by dataset,
    the sources' states for the report, the settings, the staging folder holding the last published
    files, and the site's queries (the per-wiki ones are the module's to run)."""

    datasets: dict[str, Dataset]
    failures: dict[str, Failure]
    sources: dict[str, dict]
    settings: Settings
    staging_dir: Path
    queries: list = field(default_factory=list)
    cache: Cache = field(default_factory=Cache.off)
    digests: Digests = field(default_factory=Digests)

    def cached(self, kind: str, name: str, inputs: list[Dataset | pd.DataFrame], make: Callable[[], object], *extra):
        """`make()`, or what it returned before for inputs (datasets, or the frames of the columns it reads) of the
        same content, the same `extra` parts and the same settings."""
        digests = [self.digests.of(d) if isinstance(d, Dataset) else frame_digest(d) for d in inputs]
        key = self.cache.key(kind, name, settings_digest(self.settings), digests, *extra)
        value = self.cache.get(kind, key)
        if value is None:
            value = make()
            read = sorted(d.name if isinstance(d, Dataset) else ",".join(map(str, d.columns)) for d in inputs)
            self.cache.put(kind, key, value, {"name": name, "inputs": read})
        return value

    def fail(self, failure: Failure) -> Failure:
        """Record a failure (its full error into the state folder) against its dataset."""
        self.failures[failure.dataset] = failures.record(failure, self.settings.state_dir)
        return self.failures[failure.dataset]

    def last_published(self, schema: Dataset) -> Dataset | None:
        return read_published(schema, self.staging_dir)


@dataclass(frozen=True)
class Recipe:
    """One derived dataset: its schema, the datasets it reads and how to make it from them."""

    schema: Dataset
    inputs: tuple[str, ...]
    make: Callable[..., Dataset]


def load(queries_dir: Path) -> ModuleType | None:
    """The derivation module that queries/derivations.toml names, or None when the site has none."""
    path = Path(queries_dir) / FILE
    if not path.exists():
        return None
    where = f"{path.parent.name}/{FILE}"
    try:
        name = tomllib.loads(path.read_text(encoding="utf-8")).get("module")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise DerivationsError(f"{where}: not valid TOML ({error}).") from None
    if not isinstance(name, str) or not name:
        raise DerivationsError(f'{where}: expected module = "package.module", the Python module of the derivations.')
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        raise DerivationsError(f"{where}: module {name!r} cannot be imported ({error}).") from None
    missing = [attribute for attribute in ("DERIVED", "derive") if not hasattr(module, attribute)]
    if missing:
        raise DerivationsError(f"{where}: module {name!r} has no {' or '.join(missing)}; see build/derivations.py.")
    return module


def schemas(module: ModuleType | None) -> tuple[Dataset, ...]:
    """The datasets a derivation module publishes (none without one)."""
    return tuple(module.DERIVED) if module is not None else ()


def derive_each(stage: Stage, recipes: list[Recipe]) -> None:
    """Make each recipe's dataset in order; one whose inputs failed, or that raises, keeps its last rows."""
    for recipe in recipes:
        name = recipe.schema.name
        unusable = [n for n in recipe.inputs if n not in stage.datasets or stage.datasets[n].stale]
        if unusable:
            failure = _not_derived(recipe.schema, unusable, stage.failures)
        else:
            try:
                inputs = [stage.datasets[n] for n in recipe.inputs]
                make = functools.partial(recipe.make, *inputs)
                stage.datasets[name] = stage.cached("derive", name, inputs, make)
                continue
            except Exception as error:  # one failed derivation costs its dataset, not the build
                failure = _derivation_failure(recipe.schema, error)
        stage.fail(failure)
        previous = stage.last_published(recipe.schema)
        if previous is not None:
            stage.datasets[name] = previous


def _not_derived(schema: Dataset, unusable: list[str], failed: dict[str, Failure]) -> Failure:
    reasons = [
        f"{name}: {failed[name].detail} (error {failed[name].id})" if name in failed else f"{name} is missing"
        for name in unusable
    ]
    detail = f"{schema.origin}: not derived, because {', '.join(unusable)} failed:\n" + "\n".join(reasons)
    return Failure(failures.NOT_DERIVED, schema.name, detail=detail, note=f"input {', '.join(unusable)} failed")


def _derivation_failure(schema: Dataset, error: Exception) -> Failure:
    detail = f"{schema.origin}: {type(error).__name__}: {error}\n{traceback.format_exc()}"
    if isinstance(error, DataProblem):
        return Failure(failures.DATA_PROBLEM, schema.name, detail=detail, note=error.public_note)
    return Failure(failures.DERIVATION_FAILED, schema.name, detail=detail)
