"""Establishment lists in: spreadsheets (.xlsx, .csv) an office already keeps, checked row by row and
written all or nothing.

`reading` turns file bytes into a table (or a clear file-level error), `columns` finds the columns by
their headers, `validation` checks every row and plans what each row will do, `services` writes the
plan in the caller's transaction. The `flask import` command and the admin upload page share all of it.
"""
