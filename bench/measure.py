"""Timing helpers: repeated runs with median and p95, and an HTTP client signed in to the app."""
from __future__ import annotations

import http.client
import json
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator
from urllib.parse import urlencode, urljoin, urlsplit

from .build import PASSWORD

MAX_REDIRECTS = 5


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


class Answer:
    """A response of `Client`: its status, headers and body (read whole, or in blocks as it arrives)."""

    def __init__(self, response: http.client.HTTPResponse, stream: bool) -> None:
        self._response = response
        self.status_code = response.status
        self.headers = response.headers
        self._content: bytes | None = None if stream else response.read()

    @property
    def content(self) -> bytes:
        if self._content is None:
            self._content = self._response.read()
        return self._content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    def json(self):
        return json.loads(self.content)

    def iter_content(self, size: int) -> Iterator[bytes]:
        while block := self._response.read(size):
            yield block

    def __enter__(self) -> Answer:
        return self

    def __exit__(self, *_exc) -> None:
        self._response.read()  # the rest, so that the connection serves the next request


class Client:
    """GET and form POST on one kept-alive connection, with the cookies the server sets.

    http.client rather than requests, as for the submissions: the client shares the machine's two
    cores with the server, and requests' own work (about 0.6 ms a call here) would be a third of the
    list's time. Every side (our app, Datasette) is timed with this client."""

    USER_AGENT = "surveyapp-bench"

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.base = base
        self.cookies: dict[str, str] = {}
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)

    def get(self, url: str, stream: bool = False) -> Answer:
        """The answer, its body read (with `stream`, read as the caller asks: iter_content in a with block).
        Redirects are followed, as a browser does (a page past the last redirects to the last)."""
        for _hop in range(MAX_REDIRECTS):
            answer = self._send("GET", url, stream=stream)
            if answer.status_code not in (301, 302, 303, 307, 308):
                return answer
            answer.content  # noqa: B018 - read, so that the connection serves the next request
            url = urljoin(url if "://" in url else self.base + url, answer.headers["Location"])
        raise RuntimeError(f"GET {url}: more than {MAX_REDIRECTS} redirects")

    def post_form(self, url: str, data: dict[str, str]) -> Answer:
        return self._send("POST", url, urlencode(data).encode(),
                          {"Content-Type": "application/x-www-form-urlencoded"})

    def _send(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None,
              stream: bool = False) -> Answer:
        path = url.removeprefix(self.base) or "/"
        headers = {"User-Agent": self.USER_AGENT, "Accept": "*/*", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            self._connection.request(method, path, body, headers)
            response = self._connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # the server closed the kept-alive connection while it was idle (gunicorn: after 2 s)
            self._connection.close()
            self._connection.request(method, path, body, headers)
            response = self._connection.getresponse()
        for cookie in response.headers.get_all("Set-Cookie") or ():
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value and "max-age=0" not in cookie.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return Answer(response, stream)


def signed_in(base: str, username: str) -> Client:
    client = Client(base)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(f"{base}/login").text)
    form = {"username": username, "password": PASSWORD, **({"csrf_token": token.group(1)} if token else {})}
    answer = client.post_form(f"{base}/login", form)
    if answer.status_code != 302:
        raise RuntimeError(f"could not sign in as {username}: {answer.status_code}")
    return client


def get_ok(client: Client, url: str, stream: bool = False) -> Answer:
    response = client.get(url, stream)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:300]}")
    return response
