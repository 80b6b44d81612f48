"""The real server: uvicorn in its own process, configured from the environment like `serve`.

Also the settings themselves, since they are what a deployment gets wrong first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN_TOKEN, AR_SEED, FR_SEED, ROOT, SEEDS, free_port
from test_api import assert_error

from web.settings import Settings, SettingsError, parse_duration

# What `fihris serve` does: Settings.from_env(), create_app(settings), uvicorn.run(...).
SERVE = """
from web.app import create_app
from web.server import serve
from web.settings import Settings
settings = Settings.from_env()
serve(create_app(settings), settings, log_level="warning")
"""


@pytest.fixture(scope="module")
def server(index_dir: Path, corpus_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "FIHRIS_INDEX": str(index_dir),
        "FIHRIS_CORPUS": str(corpus_dir),
        "FIHRIS_PORT": str(port),
        "FIHRIS_HOST": "127.0.0.1",
    }
    env.pop("FIHRIS_ADMIN_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy in 30 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.mark.parametrize(
    ("q", "first"),
    [("traite des êtres humains", FR_SEED), ("الاتجار بالبشر", AR_SEED)],
)
def test_the_real_server_answers_searches(server: str, q: str, first: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        data = http.get("/api/search", params={"q": q}).json()
        assert data["hits"][0]["id"] == first
        page = http.get("/", params={"q": q})
        assert page.status_code == 200 and f'data-id="{first}"' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_real_server_errors_and_admin(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        bad = http.get("/api/search", params={"q": "x", "size": "0"})
        assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "size"
        # no FIHRIS_ADMIN_TOKEN in this server's environment: admin is off
        admin = http.post("/api/reindex", headers={"Authorization": "Bearer whatever"})
        assert admin.status_code == 403 and admin.json()["error"]["code"] == "admin_disabled"
        assert http.get("/static/fihris.css").headers["content-type"].startswith("text/css")


# -- admin: POST /api/reindex -----------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),  # no token at all
        ({"Authorization": "Bearer wrong"}, 401, "unauthorized"),  # wrong token
        ({"Authorization": f"Basic {ADMIN_TOKEN}"}, 401, "unauthorized"),  # wrong scheme
        ({"Authorization": f"Bearer {ADMIN_TOKEN}x"}, 401, "unauthorized"),  # a prefix match
    ],
)
def test_reindex_refuses_without_the_token(
    client: Any, headers: dict[str, str], status: int, code: str
) -> None:
    assert assert_error(client.post("/api/reindex", headers=headers), status)["code"] == code


def test_reindex_with_the_token_runs_an_update(client: Any, app: Any) -> None:
    from web.app import services_of

    response = client.post("/api/reindex", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 202, response.text
    services_of(app).reindexer.wait(60)
    last = client.get("/api/status").json()["reindex"]["last_run"]
    assert last["ok"] is True and last["failed"] == 0, last


def test_reindex_is_disabled_without_a_configured_token(settings: Any) -> None:
    from dataclasses import replace

    from litestar.testing import TestClient

    from web.app import create_app

    app = create_app(replace(settings, admin_token=None))
    with TestClient(app) as c:
        response = c.post("/api/reindex", headers={"Authorization": "Bearer anything"})
        assert assert_error(response, 403)["code"] == "admin_disabled"


# -- settings ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("10m", 600.0), ("1h", 3600.0), ("2d", 172800.0), ("45", 45.0), ("1.5h", 5400)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10x", "-5m", "0s", "m", "1 h 2"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_settings_defaults_are_safe() -> None:
    settings = Settings.from_env({})
    assert settings.host == "127.0.0.1"  # never exposed by default
    assert settings.admin_token is None and settings.reindex_every is None
    assert settings.index_dir == ROOT / "var" / "index" and settings.corpus_dir == ROOT / "corpus"


def test_settings_from_environment_and_overrides() -> None:
    env = {
        "FIHRIS_INDEX": "/srv/index",
        "FIHRIS_PORT": "9000",
        "FIHRIS_REINDEX_EVERY": "10m",
        "FIHRIS_UI_LANG": "ar",
        "FIHRIS_ADMIN_TOKEN": "a-long-enough-token",
    }
    settings = Settings.from_env(env, port=9001, host=None)
    assert settings.index_dir == Path("/srv/index")
    assert settings.port == 9001  # an explicit override beats the environment
    assert settings.host == "127.0.0.1"  # a None override is ignored
    assert settings.reindex_every == 600.0 and settings.ui_lang == "ar"
    assert settings.admin_token == "a-long-enough-token"


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("FIHRIS_PORT", "eighty", "whole number"),
        ("FIHRIS_PORT", "70000", "65535"),
        ("FIHRIS_REINDEX_EVERY", "often", "10m"),
        ("FIHRIS_UI_LANG", "en", "fr, ar"),
        ("FIHRIS_ADMIN_TOKEN", "short", "16"),  # a guessable token is refused
        ("FIHRIS_MAX_QUERY_LENGTH", "0", "greater than zero"),
        ("FIHRIS_MAX_CONCURRENT", "0", "greater than zero"),  # nothing could ever run
        ("FIHRIS_QUEUE_WAIT", "soon", "30s"),
        ("FIHRIS_HEADER_TIMEOUT", "0s", "greater than zero"),  # every connection closed at once
        ("FIHRIS_KEEP_ALIVE", "-1", "30s"),
        ("FIHRIS_MAX_DOCUMENT_CHARS", "10", "1000"),  # pieces too small to read
        ("FIHRIS_MAX_HEADER_SIZE", "16k", "whole number"),
        # the search time limit: the syntax, and the range 10 ms to 60 s, always named
        ("FIHRIS_TIME_LIMIT", "soon", "from 0.01 s to 60 s"),
        ("FIHRIS_TIME_LIMIT", "0", "from 0.01 s to 60 s"),  # no search could finish
        ("FIHRIS_TIME_LIMIT", "0.001s", "from 0.01 s to 60 s"),
        ("FIHRIS_TIME_LIMIT", "2h", "from 0.01 s to 60 s"),  # a unit mistaken for seconds
        ("FIHRIS_TIME_LIMIT", "-1", "30s"),  # a sign is not part of the syntax
        # the caches' byte bound: the syntax, and the range 1M to 64G
        ("FIHRIS_CACHE_BYTES", "lots", "16M, 512KiB"),
        ("FIHRIS_CACHE_BYTES", "512K", "from 1048576 bytes (1M) to 68719476736 bytes (64G)"),
        ("FIHRIS_CACHE_BYTES", "100G", "(64G)"),
        ("FIHRIS_CACHE_BYTES", "-5M", "16M"),
    ],
)
def test_a_bad_environment_value_is_named_with_what_is_accepted(
    variable: str, value: str, hint: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    message = str(caught.value)
    assert variable in message and repr(value) in message and hint in message


def test_the_limits_come_from_the_environment() -> None:
    env = {
        "FIHRIS_MAX_CONCURRENT": "3",
        "FIHRIS_QUEUE_WAIT": "0.5",
        "FIHRIS_HEADER_TIMEOUT": "20s",
        "FIHRIS_KEEP_ALIVE": "2",
        "FIHRIS_MAX_DOCUMENT_CHARS": "50000",
        "FIHRIS_MAX_HEADER_SIZE": "8192",
        "FIHRIS_TIME_LIMIT": "0.5s",
        "FIHRIS_CACHE_BYTES": "64MiB",
    }
    settings = Settings.from_env(env)
    assert (settings.time_limit, settings.cache_bytes) == (0.5, 64 << 20)
    assert (settings.max_concurrent, settings.queue_wait) == (3, 0.5)
    assert (settings.header_timeout, settings.keep_alive) == (20.0, 2.0)
    assert (settings.max_document_chars, settings.max_header_size) == (50000, 8192)
    defaults = Settings.from_env({})
    assert defaults.max_concurrent >= 1 and defaults.queue_wait == 2.0
    assert defaults.max_document_chars == 200_000 and defaults.max_header_size == 16 * 1024
    assert (defaults.time_limit, defaults.cache_bytes) == (2.0, 128 << 20)


def test_unknown_override_is_a_programming_error() -> None:
    bad: dict[str, Any] = {"prot": 1}
    with pytest.raises(TypeError, match="prot"):
        Settings.from_env({}, **bad)


# -- `fihris serve` refuses bad values in one clear line (exit 2) -----------------------
def fihris_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FIHRIS_")}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        # the option: the bad value and the accepted syntax, from argparse (no traceback)
        (("--reindex-every", "10x"), {}, ["--reindex-every", "'10x'", "30s, 10m, 1h"]),
        (("--reindex-every=-5m",), {}, ["'-5m'", "30s, 10m, 1h"]),  # a dash: needs =
        (("--reindex-every", "0s"), {}, ["'0s'", "greater than zero"]),
        (("--port", "70000"), {}, ["--port", "'70000'", "65535"]),
        (("--port", "http"), {}, ["--port", "'http'", "whole number"]),
        # the environment: the variable, the bad value and what is accepted
        ((), {"FIHRIS_REINDEX_EVERY": "often"}, ["FIHRIS_REINDEX_EVERY", "'often'", "10m"]),
        ((), {"FIHRIS_REINDEX_EVERY": "10 x"}, ["FIHRIS_REINDEX_EVERY", "'10 x'", "30s"]),
        ((), {"FIHRIS_PORT": "eighty"}, ["FIHRIS_PORT", "'eighty'", "whole number"]),
        ((), {"FIHRIS_ADMIN_TOKEN": "short"}, ["FIHRIS_ADMIN_TOKEN", "16 characters"]),
        ((), {"FIHRIS_UI_LANG": "en"}, ["FIHRIS_UI_LANG", "'en'", "fr, ar"]),
    ],
)
def test_serve_with_a_bad_value_exits_2_naming_it(
    args: tuple[str, ...], env: dict[str, str], expected: list[str]
) -> None:
    result = fihris_cli("serve", "--index", "/nonexistent", *args, env=env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for part in expected:
        assert part in result.stderr, (part, result.stderr)


@pytest.mark.parametrize("value", ["off", "never", "0"])
def test_reindex_every_off_disables_the_timer(value: str) -> None:
    from web.settings import parse_reindex_every

    assert parse_reindex_every(value) is None


# -- status: the API, the page and `fihris status` ------------------------------------------
@pytest.fixture
def small_index(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus with one broken line: the last run has a failure to show."""
    from index import build_index, update_index

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(SEEDS / FR_SEED, corpus / FR_SEED)
    shutil.copy(SEEDS / AR_SEED, corpus / AR_SEED)
    build_index(corpus, index)
    (corpus / "news.jsonl").write_text(
        '{"id": "n1", "lang": "fr", "text": "Le port de Tanger."}\n{broken\n', "utf-8"
    )
    stats = update_index(corpus, index)
    assert (stats.added, stats.failed) == (1, 1)
    return corpus, index


def test_api_status_shows_the_last_run_and_the_next_one(small_index: tuple[Path, Path]) -> None:
    from litestar.testing import TestClient

    from web.app import create_app

    corpus, index = small_index
    settings = Settings.from_env({}, index_dir=index, corpus_dir=corpus, reindex_every=3600.0)
    with TestClient(create_app(settings)) as client:
        status = client.get("/api/status").json()
        assert status["documents"] == 3 and status["by_lang"] == {"fr": 2, "ar": 1}
        assert status["generation"] == 2
        run = status["last_run"]
        assert run["kind"] == "update" and run["started"] and run["duration_s"] >= 0
        assert (run["added"], run["updated"], run["deleted"], run["failed"]) == (1, 0, 0, 1)
        [failure] = run["failures"]
        assert failure["path"].endswith("news.jsonl") and failure["line"] == 2
        assert "invalid JSON" in failure["reason"]
        assert status["reindex"]["every_s"] == 3600.0 and status["reindex"]["next_run"]
        assert status["reindex"]["running"] is False
        # the page's status section says the same, in either interface language
        page = client.get("/", params={"ui": "fr"}).text
        assert "Dernière exécution" in page and "1 ajoutés" in page and "1 en échec" in page
        assert "Prochaine mise à jour" in page
        page = client.get("/", params={"ui": "ar"}).text
        assert "آخر تشغيل" in page and "فشل 1" in page


def test_fihris_status_prints_the_last_run_and_the_next_one(
    small_index: tuple[Path, Path],
) -> None:
    corpus, index = small_index
    result = fihris_cli("status", "--index", str(index))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "generation: 2" in out and "documents:  3 (ar 1, fr 2)" in out
    assert "last run:   update started" in out and "added 1" in out and "failed 1" in out
    assert "news.jsonl:2: invalid JSON" in out
    assert "next run:   not scheduled" in out  # no server on this index
    data = json.loads(fihris_cli("status", "--index", str(index), "--json").stdout)
    assert data["last_run"]["failures"][0]["line"] == 2 and data["next_run"] is None
    # with `fihris serve --reindex-every 1h` running on the index, its next run is shown
    port = free_port()
    serve = ["serve", "--index", str(index), "--corpus", str(corpus), "--port", str(port)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FIHRIS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "web.cli", *serve, "--reindex-every", "1h"],
        cwd=ROOT,
        env=clean,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (index / "schedule.json").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        data = json.loads(fihris_cli("status", "--index", str(index), "--json").stdout)
        assert data["next_run"] and data["schedule"]["every_s"] == 3600.0
        assert data["schedule"]["pid"] == proc.pid
        assert f"fihris serve pid {proc.pid}" in fihris_cli("status", "--index", str(index)).stdout
    finally:
        proc.terminate()
        proc.wait(15)
    # stopped cleanly: the schedule is gone with it
    assert "not scheduled" in fihris_cli("status", "--index", str(index)).stdout


def test_fihris_status_without_an_index_exits_3() -> None:
    result = fihris_cli("status", "--index", "/nonexistent/index")
    assert result.returncode == 3 and "no index at /nonexistent/index" in result.stderr


def test_the_servers_reindexer_never_forks_writers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A fork from the threaded server copies locks other threads hold: one writer process."""
    import web.scheduler
    from index import RunStats

    calls: list[dict[str, Any]] = []

    def fake_update(corpus: Path, index: Path, **options: Any) -> RunStats:
        calls.append(options)
        return RunStats("update", str(corpus), "2026-01-01T00:00:00+00:00")

    monkeypatch.setattr(web.scheduler, "update_index", fake_update)
    reindexer = web.scheduler.Reindexer(tmp_path, tmp_path)
    assert reindexer.trigger()
    reindexer.wait(10)
    assert calls == [{"wait": 30.0, "procs": 1, "max_document_bytes": 16 * 1024 * 1024}]
    assert reindexer.status()["last_run"]["ok"] is True
