"""Fieldwork figures of a survey round: records per state, establishments to visit, and the three rates.

`queries.round_counts` is the one place they are counted; `figures.RoundCounts` is the one place the
rates are defined. The home page, the reports (page and XLSX) and /coverage (page and CSV) all use both.
"""
