"""`flask --app surveyapp demo`"""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from flask import current_app

from ..db import session_scope


@click.command("demo")
@with_appcontext
@click.option("--establishments", "count", default=3209, show_default=True, type=click.IntRange(1, 5_000_000),
              help="How many synthetic establishments.")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same data.")
@click.option("--province", "province_code", default=None, help="GSO province code (default: PROVINCE_CODE).")
@click.option("--replace", is_flag=True,
              help="Remove earlier synthetic data first; real establishments and everything of theirs are kept.")
def demo_command(count: int, seed: int, province_code: str | None, replace: bool) -> None:
    """Fill an empty registry with a synthetic census (clearly marked as synthetic).

    With --replace, the synthetic data goes and a new census comes in one transaction (a failure
    changes nothing); merges between real and synthetic establishments are undone first.
    """
    from .generator import ROUNDS, generate_demo_census
    from .panel import generate_panel_demo
    from .promotion import generate_promotion_demo
    from .removal import remove_demo_data
    from .scale import BASE, build_large_registry, round_counts

    province_code = province_code or current_app.config["PROVINCE_CODE"]
    started = time.perf_counter()
    removed = None
    with session_scope() as session:
        if replace:
            removed = remove_demo_data(session)
        if count > BASE:  # copies of a generated base, in SQL: a million in about a minute
            build_large_registry(session, province_code, count, seed=seed, beside_real=replace)
            summary = {"establishments": count, "rounds": round_counts(session)}
        else:
            summary = generate_demo_census(session, province_code, count, seed, beside_real=replace)
        generate_promotion_demo(session, seed)
        if count <= BASE:  # the copies of a large registry are not revisited (yet)
            summary["revisited"] = generate_panel_demo(session, seed)["revisited"]
    if removed is not None:
        click.echo(f"Removed {removed} synthetic establishments.")
    rounds = ", ".join(f"{code}: {n}" for code, n in summary["rounds"].items())
    if "revisited" in summary:
        rounds += f"; {summary['revisited']} revisited in {ROUNDS[1].code}"
    click.echo(
        f"Synthetic census: {summary['establishments']} establishments in province {province_code} "
        f"(rounds {rounds}; seed {seed}) in {time.perf_counter() - started:.1f} s."
    )
