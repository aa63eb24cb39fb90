"""`flask --app surveyapp duplicates [--district CODE] [--threshold T] [--out pairs.csv]`"""
from __future__ import annotations

import csv
import sys
import time

import click
from flask.cli import with_appcontext

from ..adminunits.cli import check_unit_code
from ..db import session_scope
from ..models import UnitLevel
from .matching import DEFAULT_THRESHOLD
from .services import find_pairs


@click.command("duplicates")
@click.option("--district", default=None, help="Only this district (GSO code).")
@click.option("--threshold", default=DEFAULT_THRESHOLD, show_default=True, type=click.FloatRange(0, 1),
              help="Lowest score to report (0–1).")
@click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Write the pairs as CSV here (default: standard output).")
@with_appcontext
def duplicates_command(district: str | None, threshold: float, out_path: str | None) -> None:
    """List candidate pairs of duplicate establishments: code_a,code_b,score,reasons."""
    started = time.perf_counter()
    with session_scope() as session:
        if district:
            check_unit_code(session, district, UnitLevel.district, "--district")
        pairs = find_pairs(session, district, threshold)
    handle = open(out_path, "w", newline="", encoding="utf-8") if out_path else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(["code_a", "code_b", "score", "reasons"])
        for pair in pairs:
            writer.writerow([pair.code_a, pair.code_b, f"{pair.score:.3f}", "; ".join(pair.reasons)])
    finally:
        if out_path:
            handle.close()
    click.echo(f"{len(pairs)} candidate pairs in {time.perf_counter() - started:.1f} s.", err=True)
