"""Timing helpers: repeated runs with median and p95, and an HTTP session signed in to the app."""
from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

import requests

from .build import PASSWORD


@dataclass
class Timing:
    """Seconds of each run, and what the run returned last (bytes, rows...)."""

    seconds: list[float] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def as_json(self) -> dict:
        return {"runs": len(self.seconds), "median_ms": round(self.median * 1000, 2),
                "p95_ms": round(self.p95 * 1000, 2), **self.extra}


def repeat(action: Callable[[], dict | None], runs: int, warmup: int = 2) -> Timing:
    timing = Timing()
    for index in range(warmup + runs):
        started = time.perf_counter()
        extra = action() or {}
        elapsed = time.perf_counter() - started
        if index >= warmup:
            timing.seconds.append(elapsed)
            timing.extra = extra
    return timing


def signed_in(base: str, username: str) -> requests.Session:
    http = requests.Session()
    form = http.get(f"{base}/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text).group(1)
    answer = http.post(f"{base}/login", data={"csrf_token": token, "username": username, "password": PASSWORD},
                       allow_redirects=False)
    if answer.status_code != 302:
        raise RuntimeError(f"could not sign in as {username}: {answer.status_code}")
    return http


def get_ok(http: requests.Session, url: str, stream: bool = False) -> requests.Response:
    response = http.get(url, stream=stream)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:300]}")
    return response
