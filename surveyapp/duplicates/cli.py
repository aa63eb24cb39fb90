"""`flask --app surveyapp duplicates [--district CODE] [--threshold P] [--out pairs.csv] [--language vi|en] [--train]`"""
from __future__ import annotations

import csv
import json
import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..adminunits.cli import check_unit_code
from ..db import session_scope
from ..models import UnitLevel
from .explain import contribution_text
from .linkage import DEFAULT_THRESHOLD, TrainingError
from .services import current_model, find_pairs, model_path, train_model


@click.command("duplicates")
@click.option("--district", default=None, help="Only this district (GSO code).")
@click.option("--threshold", default=DEFAULT_THRESHOLD, show_default=True, type=click.FloatRange(0, 1),
              help="Lowest match probability to report (0–1).")
@click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Write the pairs as CSV here (default: standard output).")
@click.option("--language", default="vi", show_default=True, type=click.Choice(["vi", "en"]),
              help="Language of the reasons.")
@click.option("--train", is_flag=True, help="First estimate the model from this registry (EM) and keep it.")
@with_appcontext
def duplicates_command(district: str | None, threshold: float, out_path: str | None, language: str, train: bool) -> None:
    """List candidate pairs of duplicate establishments: code_a,code_b,score,reasons (score: match
    probability; reasons: each comparison's weight)."""
    started = time.perf_counter()
    with session_scope() as session:
        if district:
            check_unit_code(session, district, UnitLevel.district, "--district")
        if train:
            path = model_path(current_app.instance_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                model = train_model(session)
            except TrainingError as error:
                raise click.ClickException(str(error)) from error
            path.write_text(json.dumps(model, ensure_ascii=False, indent=1), encoding="utf-8")
            click.echo(f"Model trained on this registry: {path}", err=True)
        pairs = find_pairs(session, district, threshold, model=current_model(current_app.instance_path))
    handle = open(out_path, "w", newline="", encoding="utf-8") if out_path else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(["code_a", "code_b", "score", "reasons"])
        with force_locale(language):
            for pair in pairs:
                reasons = "; ".join(contribution_text(item) for item in pair.evidence)
                writer.writerow([pair.code_a, pair.code_b, f"{pair.score:.3f}", reasons])
    finally:
        if out_path:
            handle.close()
    click.echo(f"{len(pairs)} candidate pairs in {time.perf_counter() - started:.1f} s.", err=True)
