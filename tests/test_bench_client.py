"""The benchmark's HTTP client (bench/measure.py): the one every timed page goes through, so it must
sign in, keep the session's cookies, survive a server closing an idle connection, and read a
download in blocks. Run against the app served over HTTP and a small stub server."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.build import PASSWORD
from bench.measure import Client, get_ok, signed_in
from surveyapp.accounts.services import create_user
from tests.conftest import serving

BIG = 3 * 1024 * 1024 + 17


def test_signs_in_and_keeps_the_session_over_requests(app, session):
    create_user(session, "bench-analyst", "analyst", PASSWORD)
    session.commit()
    with serving(app) as base:
        client = signed_in(base, "bench-analyst")
        assert "session" in client.cookies
        first = get_ok(client, f"{base}/api/v1/establishments?per_page=1").json()
        again = get_ok(client, f"{base}/api/v1/session").json()
    assert first["total"] == 0 and first["per_page"] == 1
    assert again["user"]["username"] == "bench-analyst"


def test_a_wrong_password_or_a_missing_page_is_an_error(app, session):
    create_user(session, "bench-analyst", "analyst", "another password")
    session.commit()
    with serving(app) as base:
        with pytest.raises(RuntimeError, match="could not sign in as bench-analyst: 401"):
            signed_in(base, "bench-analyst")
        with pytest.raises(RuntimeError, match="GET .*/no-such-page: 404"):
            get_ok(Client(base), f"{base}/no-such-page")


class _Stub(BaseHTTPRequestHandler):
    """/once: answers as kept alive, then closes the connection unannounced (an idle timeout);
    /big: BIG bytes; /forget: deletes cookie `a`; /hop/N: N + 1 redirects; anything else: the Cookie
    header it got."""

    protocol_version = "HTTP/1.1"
    requests_seen: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        self.requests_seen.append(self.path)
        body = self.headers.get("Cookie", "").encode()
        cookies = []
        if self.path == "/big":
            body = b"x" * BIG
        elif self.path == "/forget":
            cookies = ["a=; Max-Age=0; Path=/"]
        elif self.path == "/set":
            cookies = ["a=1; Path=/; HttpOnly", "b=2"]
        elif self.path.startswith("/hop/"):  # /hop/N redirects to /hop/N-1, /hop/0 to /echo
            hops = int(self.path.rsplit("/", 1)[1])
            self.send_response(302)
            self.send_header("Location", f"/hop/{hops - 1}" if hops else "/echo")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        for cookie in cookies:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = self.path == "/once"

    def log_message(self, *_args):
        pass


@pytest.fixture
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    _Stub.requests_seen = []
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_sends_the_cookies_it_was_given_and_forgets_a_deleted_one(stub):
    client = Client(stub)
    get_ok(client, f"{stub}/set")
    assert client.cookies == {"a": "1", "b": "2"}
    assert get_ok(client, f"{stub}/echo").text == "a=1; b=2"
    get_ok(client, f"{stub}/forget")
    assert get_ok(client, f"{stub}/echo").text == "b=2"


def test_asks_again_once_when_the_server_closed_the_idle_connection(stub):
    client = Client(stub)
    get_ok(client, f"{stub}/once")
    assert get_ok(client, f"{stub}/after").status_code == 200
    assert _Stub.requests_seen == ["/once", "/after"]


def test_reads_a_download_in_blocks_and_then_serves_the_next_request(stub):
    client = Client(stub)
    with get_ok(client, f"{stub}/big", stream=True) as response:
        blocks = [len(block) for block in response.iter_content(1 << 20)]
    assert sum(blocks) == BIG and len(blocks) == 4
    with get_ok(client, f"{stub}/big", stream=True):
        pass  # not read: leaving the block reads the rest
    assert get_ok(client, f"{stub}/echo").content == b""


def test_follows_redirects_as_a_browser_does_but_not_endlessly(stub):
    client = Client(stub)
    get_ok(client, f"{stub}/set")
    assert get_ok(client, f"{stub}/hop/2").text == "a=1; b=2"
    assert _Stub.requests_seen == ["/set", "/hop/2", "/hop/1", "/hop/0", "/echo"]
    with pytest.raises(RuntimeError, match="more than 5 redirects"):
        client.get(f"{stub}/hop/9")
    assert get_ok(client, f"{stub}/echo").status_code == 200
