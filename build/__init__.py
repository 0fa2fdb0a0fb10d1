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
    """Sets pandas' string storage as pandas is first imported, so `--help` still imports no pandas."""

    def find_spec(self, name, path, target=None):
        if name != "pandas":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            _keep_python_strings(module)

        spec.loader.exec_module = exec_module
        return spec


if "pandas" in sys.modules:
    _keep_python_strings(sys.modules["pandas"])
else:
    sys.meta_path.insert(0, _WhenPandasLoads())
