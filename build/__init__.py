"""Almanac's pipeline: one module per stage, in the order `pipeline.build_site` calls them.

config → queries → sources → extract → datasets → metrics/cohorts → publish → charts →
render → report. A stage imports only earlier stages and the Dataset type.
"""
