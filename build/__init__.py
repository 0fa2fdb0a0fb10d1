"""Almanac's pipeline: one module per stage, in the order build.py calls them.

config → queries → sources → extract → datasets → metrics/cohorts → publish → charts →
render → report. A stage imports only earlier stages and the Dataset type.
"""
