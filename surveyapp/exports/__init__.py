"""Establishment lists out: one row generator for a filter, and a writer per file format.

`rows.establishment_rows` yields one dict per establishment (stable English keys, see `columns`),
streaming from the database in keyset batches; `formats` turns any such stream into CSV, XLSX,
GeoJSON or GeoPackage. The web view and the `flask export` command both call `services`.
"""
