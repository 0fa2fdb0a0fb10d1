"""Almanac's pipeline: one module per stage, in the order `pipeline.build_site` calls them.

config → queries → (render.load_content / check_content: pages and charts checked before any
query) → sources → extract → datasets → metrics/cohorts → publish (+ entities' own files) →
report → render. The page engine is render (the site), pages, components, tables, formatting,
entities, charts and chart_helpers; it names nothing of a particular site. A stage imports only
earlier stages and the Dataset type.
"""
