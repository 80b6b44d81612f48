"""Shared fixtures for the web tests: a real index, the app, a live server, a browser.

The corpus is the two seed dispatches plus small documents written here: a hostile
one (``<script>`` and ``"><img onerror>`` in its title and body), ids with slashes,
several years and both languages, so facets, pagination and escaping are exercised
on a real Whoosh index built by ``index.build_index``.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Processes the tests start (`fihris index build`, `fihris serve`) run words only unless a
# test asks for the semantic layer (FIHRIS_ENCODER=on): embedding every corpus a test builds
# would take minutes, and the semantic layer has its own tests (test_encoder, test_embedding,
# test_dense). In-process engines get their encoder explicitly.
os.environ.setdefault("FIHRIS_ENCODER", "off")
SEEDS = ROOT.parent / "shared" / "seeds"
if not SEEDS.is_dir():  # a clone without ../shared: the bundled corpus holds the same seeds
    SEEDS = ROOT / "corpus"
FR_SEED = "000_e39b19ec1737aeb7.txt"
AR_SEED = "001_67a435615c650090.txt"
XSS_ID = "hostile/xss.txt"
ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

XSS_DOC = """\
date 2023-03-14
Piratage <script>alert(1)</script> "><img src=x onerror=alert(1)> au port

Une tentative de piratage du port a été signalée <script>alert(1)</script> par les autorités.
Le message "><img src=x onerror=alert(1)> circulait sur les réseaux sociaux.
"""


FR_PREFIXES = ("ba", "ki", "mu", "si", "vu", "ze")
AR_PREFIXES = ("ال", "مس", "وا")


def forms(prefix: str, letters: str, count: int) -> list[str]:
    """``count`` distinct words starting with ``prefix`` (prefix + three letters)."""
    return [
        prefix + "".join(t) for t in itertools.islice(itertools.product(letters, repeat=3), count)
    ]


def worst_case_docs() -> list[dict[str, str]]:
    """480 documents, each 40 words of the prefixes' forms (and a plain word in its title)."""
    fr = [w for p in FR_PREFIXES for w in forms(p, "bcdfglmnprt", 300)]
    ar = [w for p in AR_PREFIXES for w in forms(p, "بتجدرسعفقلمن", 300)]
    docs = []
    for n in range(240):
        words = [fr[(n * 37 + k * 11) % len(fr)] for k in range(40)]
        docs.append(
            {"id": f"fr/{n}", "lang": "fr", "title": f"port {fr[n]}", "text": " ".join(words)}
        )
        words = [ar[(n * 37 + k * 11) % len(ar)] for k in range(40)]
        docs.append(
            {"id": f"ar/{n}", "lang": "ar", "title": f"ميناء {ar[n]}", "text": " ".join(words)}
        )
    return docs


@pytest.fixture(scope="session")
def worst_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Six French and three Arabic two-letter prefixes, each starting 300 words: the
    worst case for prefix queries (tests/test_budget.py, test_cache.py, test_faults.py)."""
    from index import build_index

    root = tmp_path_factory.mktemp("worst")
    corpus = root / "corpus"
    corpus.mkdir()
    lines = (json.dumps(d, ensure_ascii=False) for d in worst_case_docs())
    (corpus / "words.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    stats = build_index(corpus, root / "index")
    assert stats.failed == 0, stats.problems
    return corpus, root / "index"


def _port_documents() -> list[dict[str, Any]]:
    """Twelve dated dispatches in both languages: facets by year and language, pagination."""
    docs = []
    for n in range(8):
        year = 2021 + n % 3
        docs.append(
            {
                "id": f"agence/{year}/port-{n}",
                "lang": "fr",
                "date": f"{year}-0{1 + n % 9}-1{n}",
                "source": "Agence test",
                "title": f"Le port de Tanger Med bat un record de trafic ({n})",
                "text": f"Le port de Tanger Med a traité un volume record de conteneurs, "
                f"annonce l'autorité portuaire. Dépêche numéro {n}.",
                "url": "javascript:alert(1)" if n == 0 else f"https://example.org/port/{n}",
            }
        )
    for n in range(4):
        docs.append(
            {
                "id": f"wakala/{2022 + n % 2}/mina-{n}",
                "lang": "ar",
                "date": f"{2022 + n % 2}-05-0{n + 1}",
                "title": f"ميناء طنجة المتوسط يسجل رقما قياسيا ({n})",
                "text": "عالج ميناء طنجة المتوسط حجما قياسيا من الحاويات، حسب سلطة الميناء.",
            }
        )
    return docs


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("web") / "corpus"
    corpus.mkdir()
    for seed in (FR_SEED, AR_SEED):
        shutil.copy(SEEDS / seed, corpus / seed)
    (corpus / "hostile").mkdir()
    (corpus / "hostile" / "xss.txt").write_text(XSS_DOC, "utf-8")
    lines = [json.dumps(doc, ensure_ascii=False) for doc in _port_documents()]
    (corpus / "ports.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return corpus


@pytest.fixture(scope="session")
def index_dir(corpus_dir: Path) -> Path:
    from index import build_index

    where = corpus_dir.parent / "index"
    stats = build_index(corpus_dir, where)
    assert stats.failed == 0, stats.problems
    return where


@pytest.fixture(scope="session")
def settings(index_dir: Path, corpus_dir: Path) -> Any:
    from web.settings import Settings

    return Settings.from_env(
        {}, index_dir=index_dir, corpus_dir=corpus_dir, admin_token=ADMIN_TOKEN, encoder=False
    )


@pytest.fixture(scope="session")
def app(settings: Any) -> Any:
    from web.app import create_app

    return create_app(settings)


@pytest.fixture(scope="session")
def session_client(app: Any) -> Iterator[Any]:
    """One test client for the session: entering it runs the app's startup and shutdown."""
    from litestar.testing import TestClient

    with TestClient(app=app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def client(session_client: Any) -> Iterator[Any]:
    """The session's client with no cookies, so an interface choice never leaks between tests."""
    session_client.cookies.clear()
    yield session_client
    session_client.cookies.clear()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_server(app: Any, settings: Any) -> Iterator[str]:
    """The app served by uvicorn in a thread on a free loopback port, configured as `serve` does."""
    from dataclasses import replace

    import uvicorn

    from web.server import uvicorn_config

    served = replace(settings, host="127.0.0.1", port=free_port())
    config = uvicorn_config(app, served, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(10)


# -- browser ------------------------------------------------------------------------
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by playwright; in CI a missing browser is a failure, not a skip."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item, so fixtures can see if the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Any, live_server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page; on failure a full-page screenshot goes to tests/artifacts/."""
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
        try:
            tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # a failed screenshot must not hide the test's own failure
            print(f"screenshot failed: {exc}")
    context.close()
