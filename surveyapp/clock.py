"""The one clock of the app: "now" and "today" in the app's time zone, and stored times turned local.

Times are stored in UTC (aware on PostgreSQL; SQLite hands them back naive, still UTC). Everything a
person sees or downloads — pages, file names, exports, the audit trail, `today()` in questionnaire
rules — is in the app's zone, `BABEL_DEFAULT_TIMEZONE` (Asia/Ho_Chi_Minh by default), and comes from
here. Each function takes the zone as a plain argument too, so services and the CLI need no request;
without one it is read from the current app, or the default outside an app context.
`tests/test_clock.py` fails on any other read of the clock in `surveyapp/`.
"""
from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
UTC = dt.timezone.utc


def utc_now() -> dt.datetime:
    """Now, aware, in UTC: what the database stores."""
    return dt.datetime.now(UTC)


def zone_name(zone: str | None = None) -> str:
    if zone:
        return zone
    if has_app_context():
        return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_ZONE
    return DEFAULT_ZONE


@functools.lru_cache(maxsize=None)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def app_zone(zone: str | None = None) -> ZoneInfo:
    """The app's time zone (or `zone` when given)."""
    return _zone(zone_name(zone))


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime from a stored one: naive values (SQLite) are UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_local(value: dt.datetime | None, zone: str | None = None) -> dt.datetime | None:
    """A stored datetime (naive UTC or aware) as an aware datetime in the app's zone; None stays None."""
    if value is None:
        return None
    return as_utc(value).astimezone(app_zone(zone))


def local_now(zone: str | None = None) -> dt.datetime:
    return to_local(utc_now(), zone)


def local_today(zone: str | None = None) -> dt.date:
    return local_now(zone).date()


def local_day(value: dt.date | dt.datetime, zone: str | None = None) -> dt.date:
    """The calendar day of a date (as it is) or of a stored datetime (in the app's zone)."""
    return to_local(value, zone).date() if isinstance(value, dt.datetime) else value


def day_start_utc(day: dt.date, zone: str | None = None) -> dt.datetime:
    """When `day` begins in the app's zone, as an aware UTC datetime (for filters on stored times).

    Aware UTC binds the same on both backends: SQLite's driver writes the UTC fields it stores.
    """
    return dt.datetime.combine(day, dt.time.min, tzinfo=app_zone(zone)).astimezone(UTC)


def iso_local(value: dt.datetime | None, zone: str | None = None) -> str | None:
    """ISO 8601 with the zone's offset ("2026-12-06T05:20:00+07:00"): for machines (API, files)."""
    local = to_local(value, zone)
    return local.isoformat(timespec="seconds") if local is not None else None


def local_stamp(value: dt.datetime | None = None, zone: str | None = None) -> str:
    """"2026-12-06 05:20 +07:00 (Asia/Ho_Chi_Minh)": when a file was made, for people and machines."""
    local = to_local(value or utc_now(), zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]} ({zone_name(zone)})"
