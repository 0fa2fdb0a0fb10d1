"""Almanac's pipeline: one module per stage, in the order `pipeline.build_site` calls them.

config → queries → (render.load_content / check_content: pages and charts checked before any
query) → sources → extract → datasets → metrics/cohorts → publish (+ entities' own files) →
report → render. The page engine is render (the site), pages, components, tables, formatting,
entities, charts and chart_helpers; it names nothing of a particular site. A stage imports only
earlier stages and the Dataset type.
"""

import importlib.abc
import importlib.util
import sys


def _keep_python_strings(pandas) -> None:
    # pandas 3 stores every string column in Arrow once pyarrow is installed (it is, for connectorx's
    # Arrow output: build/fastread.py). The pipeline is written and checked for Python strings.
    pandas.set_option("mode.string_storage", "python")


class _WhenPandasLoads(importlib.abc.MetaPathFinder):
    """Sets pandas' string storage as pandas is first imported, so `--help` still imports no pandas.
    It finds pandas as the other finders do and wraps that loader; a spec asked for and not loaded
    (find_spec) leaves it waiting for the import."""

    def __init__(self):
        self.finding = False

    def find_spec(self, name, path, target=None):
        if name != "pandas" or self.finding:
            return None
        self.finding = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self.finding = False
        if spec is not None and spec.loader is not None:
            spec.loader = _PinningLoader(spec.loader, self)
        return spec


class _PinningLoader(importlib.abc.Loader):
    """pandas' own loader, which then sets the string storage and retires the finder."""

    def __init__(self, loader, finder: _WhenPandasLoads):
        self.loader, self.finder = loader, finder

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _keep_python_strings(module)
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)


if "pandas" in sys.modules:
    _keep_python_strings(sys.modules["pandas"])
else:
    sys.meta_path.insert(0, _WhenPandasLoads())
