"""Export: ``/api/export?format=csv|jsonl``, read back with Python's ``csv`` and ``json``.

The session corpus (conftest) has twelve port dispatches in both languages, a hostile
one about a port, and the seeds; a small corpus of its own checks the cap and
spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from test_api import assert_error

from web.export import COLUMNS


def export(client: Any, fmt: str, **params: str) -> tuple[list[dict[str, Any]], Any]:
    response = client.get("/api/export", params={"format": fmt, **params})
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    if fmt == "csv":
        assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM, for spreadsheets
        assert response.headers["content-type"].startswith("text/csv")
        reader = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader), response
    assert response.headers["content-type"].startswith("application/jsonl")
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert all(tuple(row) == COLUMNS for row in rows)
    return rows, response


def api_ids(client: Any, **params: str) -> list[str]:
    data = client.get("/api/search", params={**params, "size": "100"}).json()
    return [hit["id"] for hit in data["hits"]]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(
    "params",
    [
        {"q": "port"},  # both languages, cross-language on (the Arabic ones found by ميناء)
        {"q": "port", "lang": "ar"},
        {"q": "ميناء", "cross": "false"},  # Arabic only, no translation
        {"q": "port", "sort": "date", "from": "2022", "to": "2023"},
        {"q": "port -tanger"},  # query syntax applies: only the hostile dispatch is left
    ],
)
def test_export_holds_the_same_hits_as_the_search_in_the_same_order(
    client: Any, fmt: str, params: dict[str, str]
) -> None:
    rows, response = export(client, fmt, **params)
    assert [row["id"] for row in rows] == api_ids(client, **params)
    assert response.headers["fihris-total"] == response.headers["fihris-rows"] == str(len(rows))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_rows_carry_every_column_and_a_working_document_link(client: Any, fmt: str) -> None:
    rows, _ = export(client, fmt, q="ميناء")
    hits = {
        h["id"]: h
        for h in client.get("/api/search", params={"q": "ميناء", "size": "100"}).json()["hits"]
    }
    arabic = next(row for row in rows if row["id"] == "wakala/2022/mina-0")
    assert arabic["title"] == "ميناء طنجة المتوسط يسجل رقما قياسيا (0)"  # intact Arabic
    assert arabic["lang"] == "ar" and arabic["date"] == "2022-05-01"
    for row in rows:
        hit = hits[row["id"]]
        assert float(row["score"]) == pytest.approx(hit["score"])
        assert row["url"] == (hit["url"] or ("" if fmt == "csv" else None))
        translations = row["translations"] if fmt == "jsonl" else row["translations"].split("\n")
        assert [t for t in translations if t] == hit["translations"]
        assert client.get(urlsplit(row["link"]).path).status_code == 200


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"q": "port", "format": "xlsx"}, "format"),
        ({"q": "", "format": "csv"}, "q"),  # nothing to search
        ({"q": "port", "lang": "en"}, "lang"),
        ({"q": "port", "sort": "newest"}, "sort"),
        ({"q": "port", "to": "2024-13"}, "to"),
        ({"q": "port", "match": "some"}, "match"),
        ({"q": "port", "mode": "fuzzy"}, "mode"),  # the page's export link carries mode
        ({"q": "port", "exclude": "bشر"}, "exclude"),  # not LANG:TERM
    ],
)
def test_bad_parameters_get_the_error_shape(
    client: Any, params: dict[str, str], parameter: str
) -> None:
    assert_error(client.get("/api/export", params=params), 400, parameter)


@pytest.fixture(scope="module")
def small_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Five dispatches, a cap of 3; one title written as a spreadsheet formula."""
    from litestar.testing import TestClient

    from index import build_index
    from web.app import create_app
    from web.settings import Settings

    root = tmp_path_factory.mktemp("export")
    corpus = root / "corpus"
    corpus.mkdir()
    docs = [
        {"id": f"d{n}", "lang": "fr", "date": f"2024-0{n}-01", "title": f"Barrage {n}",
         "text": f"Le barrage de la vallée numéro {n} est rempli."}
        for n in range(1, 5)
    ]  # fmt: skip
    docs.append(
        {"id": "evil", "lang": "fr", "title": '=HYPERLINK("http://x.invalid","barrage")',
         "text": "Un barrage, et une formule dans le titre.", "source": "@agence"}
    )  # fmt: skip
    (corpus / "a.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n", "utf-8")
    build_index(corpus, root / "index")
    settings = Settings.from_env(
        # words only: documents close in meaning would join these five-document results
        {"FIHRIS_EXPORT_MAX_ROWS": "3", "FIHRIS_ENCODER": "off"},
        index_dir=root / "index",
        corpus_dir=corpus,
    )
    with TestClient(app=create_app(settings)) as client:
        yield client


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_cap_cuts_and_says_so(small_app: Any, fmt: str) -> None:
    rows, response = export(small_app, fmt, q="barrage", sort="date")
    assert [row["id"] for row in rows] == ["d4", "d3", "d2"]  # the newest three
    headers = response.headers
    assert (headers["fihris-total"], headers["fihris-rows"], headers["fihris-cap"]) == (
        "5",
        "3",
        "3",
    )
    assert headers["fihris-partial"] == "false"  # the cap, not the clock


@pytest.mark.parametrize("ui", ["fr", "ar"])
def test_the_page_links_the_downloads_and_states_the_cap(small_app: Any, ui: str) -> None:
    text = small_app.get("/", params={"q": "barrage", "ui": ui}).text
    assert 'href="/api/export?format=csv&amp;q=barrage"' in text
    assert 'href="/api/export?format=jsonl&amp;q=barrage"' in text
    assert 'class="export-cap" data-cap="3"' in text
    assert ("premiers des 5" if ui == "fr" else "من أصل 5") in text
    # under the cap, no such statement
    assert "export-cap" not in small_app.get("/", params={"q": "formule"}).text


def test_a_formula_in_a_cell_is_neutralised_in_csv_only(small_app: Any) -> None:
    rows, _ = export(small_app, "csv", q="formule")
    assert rows[0]["title"] == '\'=HYPERLINK("http://x.invalid","barrage")'
    assert rows[0]["source"] == "'@agence"
    lines, _ = export(small_app, "jsonl", q="formule")
    assert lines[0]["title"] == '=HYPERLINK("http://x.invalid","barrage")'


def test_the_export_is_streamed_over_real_http(live_server: str) -> None:
    with httpx.stream("GET", f"{live_server}/api/export", params={"q": "port"}) as response:
        assert response.status_code == 200
        # streamed: no length announced up front, sent in chunks
        assert "content-length" not in response.headers
        assert response.headers.get("transfer-encoding") == "chunked"
        body = b"".join(response.iter_bytes())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert len(rows) == int(response.headers["fihris-total"]) > 10


def test_openapi_documents_feed_and_export(client: Any) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    names = {p["name"] for p in paths["/api/export"]["get"]["parameters"]}
    expected = {"q", "format", "lang", "sort", "from", "to", "cross", "exclude", "match", "mode"}
    assert expected == names
    fmt = next(p for p in paths["/api/export"]["get"]["parameters"] if p["name"] == "format")
    assert fmt["schema"]["enum"] == ["csv", "jsonl"]
    feed = paths["/search.atom"]["get"]
    assert "application/atom+xml" in feed["responses"]["200"]["content"]
    assert {"q", "lang", "size", "from", "to"} <= {p["name"] for p in feed["parameters"]}


def test_export_written_to_a_file_opens_in_csv(tmp_path: Path, client: Any) -> None:
    # what a user does: save the download, open it (utf-8-sig strips the BOM)
    target = tmp_path / "fihris-export.csv"
    target.write_bytes(client.get("/api/export", params={"q": "ميناء"}).content)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(COLUMNS)
    assert any("ميناء" in row[2] for row in rows[1:])
