"""The dashboard against odd requests: tokens of any bytes, host names, document ids that are URLs."""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import tempfile
import time
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import policypulse
from policypulse.web.app import create_app, doc_url
from conftest import POLICYPULSE

# Ids as scraped news and archives give them: URLs with query strings and fragments, paths with dot segments,
# spaces, percent signs, non-ASCII letters, a trailing slash, and the two ids that are themselves dot segments.
ODD_IDS = [
    "https://news.example.com/2011/05/big-society-plan?id=3&page=2#comments",
    "http://example.org/a/../b",
    "urn:nexis/doc/5F3X-1",
    "dir/",
    "id with spaces",
    "100%2F of it",
    "gazette/über/ärger",
    ".",
    "..",
    "./relative",
    "a//b",
    "<b>&amp;</b>",
]


def build_odd_store(root: Path) -> str:
    """A store of one document per odd id, each saying "big society" once, in its own year (2000 + index)."""
    src = root / "docs.jsonl"
    rows = [{"id": doc_id, "date": f"{2000 + i}-03-01", "source": "wire",
             "text": f"Document {i} says big society once, and tokens {i}."} for i, doc_id in enumerate(ODD_IDS)]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    report = policypulse.ingest(root / "store", [src])
    assert report.accepted == len(ODD_IDS) and not report.rejected
    return str(root / "store")


@pytest.fixture(scope="module")
def odd_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_odd_store(tmp_path_factory.mktemp("oddids"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``policypulse serve`` in a subprocess, reached through one keep-alive HTTP connection.

    A real server, not TestClient: Starlette's TestClient percent-decodes paths twice (httpx's ``url.path`` is
    decoded already), so an id holding ``%2F`` would be tested under a decoding no browser or server does.
    """

    def __init__(self, store: str, *args: str) -> None:
        self.port = _free_port()
        self.log = tempfile.TemporaryFile()
        self.conn: http.client.HTTPConnection | None = None
        self.proc = subprocess.Popen([POLICYPULSE, "serve", store, "--port", str(self.port), *args],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 90
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                conn.connect()
                self.conn = conn
                return
            except OSError:
                conn.close()
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise AssertionError(f"the server did not start: {self.stderr()}") from None
                time.sleep(0.3)

    def stderr(self) -> str:
        """What the server wrote to stderr so far."""
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def get(self, path: str, host: str = "127.0.0.1", **headers: bytes) -> tuple[int, str]:
        """GET ``path`` on the kept-alive connection, naming ``host`` in the Host header."""
        assert self.conn is not None
        self.conn.request("GET", path, headers={"Host": f"{host}:{self.port}", **headers})
        resp = self.conn.getresponse()
        return resp.status, resp.read().decode("utf-8")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def server(odd_store: str):
    srv = Server(odd_store, "--host", "0.0.0.0", "--token", "clé", "--allowed-host", "analysis-box.example")
    yield srv
    srv.close()


def test_every_document_link_resolves_through_a_real_server(server: Server) -> None:
    """doc_url (the links of the server-rendered pages) and the JSON twin, decoded as uvicorn decodes them; the
    KWIC links the page's script builds are followed in Chromium (test_web_doc_links.py)."""
    status, body = server.get("/api/kwic?q=big+society&limit=50")  # no token, no cookie kept: refused
    assert status == 401
    status, body = server.get("/api/kwic?q=big+society&limit=50&token=cl%C3%A9")
    lines = json.loads(body)
    assert sorted(line["doc_id"] for line in lines) == sorted(ODD_IDS)
    for line in lines:
        link = doc_url(line["doc_id"])
        status, page = server.get(link + ("&" if "?" in link else "?") + "token=cl%C3%A9")
        assert status == 200, (link, line["doc_id"])
        shown = unescape(re.search(r"id <code>(.*?)</code>", page, re.S).group(1))  # type: ignore[union-attr]
        assert shown == line["doc_id"], link
        if "?" not in link:
            status, body = server.get("/api" + link + "?token=cl%C3%A9")
            assert status == 200 and json.loads(body)["doc_id"] == line["doc_id"], link


def test_doc_url_keeps_an_id_in_one_segment() -> None:
    assert doc_url("https://x.org/a/../b?c=1#d") == "/doc/https%3A%2F%2Fx.org%2Fa%2F..%2Fb%3Fc%3D1%23d"
    assert doc_url("..") == "/doc?id=.."


def test_unknown_url_id_is_404(odd_store: str) -> None:
    client = TestClient(create_app(odd_store))
    r = client.get("/api/doc/https%3A%2F%2Fnowhere.example%2Fx")
    assert r.status_code == 404 and r.json() == {"error": "no document 'https://nowhere.example/x'"}


# -- tokens --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["token=%C3%A9", "token=%FF%FE", "token=%00", "token=" + "%E2%82%AC" * 300,
                                   "token=%ED%A0%80"])
def test_odd_token_bytes_are_401_not_500(odd_store: str, query: str) -> None:
    client = TestClient(create_app(odd_store, token="s3cret"))
    r = client.get("/api/overview?" + query)
    assert r.status_code == 401 and r.json() == {"error": "a valid token is required (?token=...)"}


def test_odd_token_in_header_and_cookie_is_401(odd_store: str) -> None:
    client = TestClient(create_app(odd_store, token="s3cret"))
    assert client.get("/api/overview", headers={"authorization": b"Bearer \xc3\xa9\xff"}).status_code == 401
    client.cookies.set("pp_token", "%C3%A9")
    assert client.get("/api/overview").status_code == 401


def test_non_ascii_token_works_by_query_then_cookie(odd_store: str) -> None:
    client = TestClient(create_app(odd_store, token="clé-été"))
    assert client.get("/api/overview", params={"token": "cle-ete"}).status_code == 401
    first = client.get("/api/overview", params={"token": "clé-été"})
    assert first.status_code == 200
    assert client.get("/api/overview").status_code == 200  # the cookie set by the first request
    fresh = TestClient(create_app(odd_store, token="clé-été"))
    assert fresh.get("/api/overview", headers={"authorization": "Bearer clé-été".encode()}).status_code == 200


# -- hosts ---------------------------------------------------------------------------------------------
def test_allowed_hosts_are_accepted_and_others_refused(odd_store: str) -> None:
    client = TestClient(create_app(odd_store, token="t", allowed_hosts=["0.0.0.0", "Analysis-Box.local",
                                                                        "192.168.1.20", "fe80::1"]))
    for host in ("analysis-box.local:8000", "ANALYSIS-BOX.LOCAL", "analysis-box.local.", "192.168.1.20:8000",
                 "[fe80::1]:8000", "127.0.0.1:8000", "localhost"):
        r = client.get("/api/overview", params={"token": "t"}, headers={"host": host})
        assert r.status_code == 200, host
    for host in ("evil.example", "analysis-box.local.evil.example", "192.168.1.21", ""):
        r = client.get("/api/overview", params={"token": "t"}, headers={"host": host})
        assert r.status_code == 400, host
        assert "is not allowed" in r.json()["error"] and "--allowed-host" in r.json()["error"]


def test_serve_on_all_interfaces_with_allowed_host(server: Server) -> None:
    """The real command: a request naming the allowed host is served, others refused; a query error is a 400
    after which the same keep-alive connection still answers."""
    assert server.get("/api/overview?token=cl%C3%A9", host="analysis-box.example")[0] == 200
    assert server.get("/api/overview?token=%C3%A9", host="analysis-box.example")[0] == 401
    # header bytes as sent (TestClient re-encodes them as UTF-8, so only a real server tests this)
    assert server.get("/api/overview", authorization=b"Bearer cl\xc3\xa9")[0] == 200
    assert server.get("/api/overview", authorization=b"Bearer cl\xe9")[0] == 401
    assert server.get("/api/overview", authorization=b"Bearer \xff\xfe\x80")[0] == 401
    status, body = server.get("/api/overview?token=cl%C3%A9", host="evil.example")
    assert status == 400 and "--allowed-host evil.example" in body
    status, body = server.get("/api/track?token=cl%C3%A9&q=NEAR/99999999999(big,%20society)", "analysis-box.example")
    assert status == 400 and "NEAR" in json.loads(body)["error"]
    status, body = server.get("/api/track?token=cl%C3%A9&q=big%20society", "analysis-box.example")  # same connection
    assert status == 200 and sum(row["docs"] for row in json.loads(body)) == len(ODD_IDS)


def test_serve_refuses_a_malformed_allowed_host(odd_store: str, tmp_path: Path) -> None:
    proc = subprocess.run([POLICYPULSE, "serve", odd_store, "--host", "0.0.0.0", "--token", "x",
                           "--allowed-host", "http://box:8000/"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--allowed-host 'http://box:8000/' is not a host name or address" in proc.stderr


def _children(pid: int) -> list[int]:
    """The direct child processes of ``pid`` (Linux /proc)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(x) for x in (task / "children").read_text().split()]
    return out


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from Linux /proc")
def test_several_server_processes_answer_with_the_same_checks(odd_store: str) -> None:
    """``serve --workers 2``: two uvicorn worker processes, each building the app from the environment, the
    token and the host checks in force in every one, the same answers."""
    srv = Server(odd_store, "--workers", "2", "--token", "t0k")
    try:
        deadline = time.monotonic() + 60
        while len(_children(srv.proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_children(srv.proc.pid)) >= 2, srv.stderr()
        assert "2 server processes" in srv.stderr()
        answers = set()
        for _ in range(6):  # new connections, which the kernel hands to either worker
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
            conn.request("GET", "/api/track?q=big+society&by=year&token=t0k", headers={"Host": "127.0.0.1"})
            resp = conn.getresponse()
            assert resp.status == 200
            answers.add(resp.read())
            conn.request("GET", "/api/track?q=big+society", headers={"Host": "127.0.0.1"})
            resp = conn.getresponse()
            assert resp.status == 401 and b"token" in resp.read()
            conn.request("GET", "/idea?q=big+society&token=t0k", headers={"Host": "evil.example"})
            resp = conn.getresponse()
            assert resp.status == 400 and b"not allowed" in resp.read()
            conn.close()
        assert len(answers) == 1 and json.loads(answers.pop())[0]["idea"] == "big society"
    finally:
        srv.close()
