"""The README's examples work as written: a page with a number, a chart and a table; a chart
declaration; a page per entity (as sqlite-utils tests its docs)."""

from __future__ import annotations

import json
import re
import shutil

from conftest import ROOT
from test_render import AS_OF, SCHEMAS, checked_content, empty_dataset, make_frames, make_status, publish_all

from build.config import load_settings
from build.render import TEMPLATES, render_site

EXAMPLE = re.compile(r"^```\w+ file=(\S+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def readme_examples() -> dict[str, str]:
    return dict(EXAMPLE.findall((ROOT / "README.md").read_text(encoding="utf-8")))


def test_the_readme_has_the_three_examples():
    assert set(readme_examples()) == {
        "templates/pages/wikis-at-a-glance.md",
        "templates/charts/wikis-extra.toml",
        "templates/pages/wikis/[wiki].md",
    }


def test_the_readme_examples_build(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    for path, text in readme_examples().items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    content = checked_content(templates)  # the examples pass the check before any query
    out = tmp_path / "site"
    frames = make_frames(3)
    datasets = {name: empty_dataset(name).with_frame(frames[name]) for name in SCHEMAS}
    published = publish_all(datasets, out, content)
    render_site(datasets, published, make_status(list(SCHEMAS)), load_settings(None, as_of=AS_OF), out, content)

    page = (out / "wikis-at-a-glance/index.html").read_text(encoding="utf-8")
    assert "Programs ran on 10 home wikis; the largest had" in page
    assert '<data value="1000" title="1,000">1,000</data> participants' in page
    assert 'id="chart-wikis-edits"' in page and (out / "wikis-at-a-glance/wikis-edits.svg").is_file()
    assert 'data-data="../data/v1/wikis.json"' in page
    assert "Home wiki" in page and 'data-search="' in page
    assert 'href="../wikis/en.wikipedia.org/"' in page and 'href="../wikis/#chart-wikis-top"' not in page
    assert 'href="wikis-at-a-glance/"' in (out / "index.html").read_text(encoding="utf-8")  # in the nav

    entity = (out / "wikis/fr.wikipedia.org/index.html").read_text(encoding="utf-8")
    assert "<title>fr.wikipedia.org" in entity and ">960<" in entity  # its own row: 1000 - 40 participants
    own = json.loads((out / "data/v1/wikis/fr.wikipedia.org/wikis.json").read_text(encoding="utf-8"))
    assert [row["wiki"] for row in own] == ["fr.wikipedia.org"]
    assert len(list((out / "wikis").glob("*/index.html"))) == 10
    assert (out / "wikis/index.html").is_file()  # the Wikis page itself stays
