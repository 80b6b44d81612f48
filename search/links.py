"""Linked translations and related dispatches per index generation, kept beside it.

Why per generation: links depend on the whole collection (a best match is best
among the documents present), so they are recomputed when a new generation is
published, and never change while one is live. Why lazily, in a background
thread: linking 30,000 documents takes tens of seconds, and no request should
wait for it; until it is done, hits simply have no ``translations``. The related
dispatches (:mod:`search.related`) are computed right after, by the same thread.

The result is written as ``translation-links.json`` inside the generation
directory (an extra file, atomically replaced; the Whoosh files are never
touched), so a restarted server reads it instead of recomputing. ``fihris index
build``/``update`` compute it before publishing the generation
(:func:`search.derived.prepare_generation`), so a new generation is served with its links at
once. An update hard-links the previous generation's files into the new one, so
the file records the generation number, its document count, the lexicon
version and the algorithm version, and is ignored when any of them differs.

Incremental: beside the links, ``link-features.npz`` keeps what was computed per
document (:mod:`search.link_features`) and ``link-state.npz`` the frozen idf,
vectors and per-document results (:mod:`search.link_state`); the next generation
(an update carries the files over) computes only the rows of its new and changed
documents, and its links are those a computation from scratch gives under the
same frozen idf.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from index import Manifest, column_texts
from search.link_features import FEATURES_FILE, LinkFeatures
from search.link_state import STATE_FILE, Carried, LinkState
from search.linking import (
    LEAD_CHARS,
    LEAD_TOKENS,
    THRESHOLD,
    TOP_TERMS,
    VERSION,
    LinkDoc,
    Translate,
    lexicon_translate,
    links_of,
    similarity_graph,
)
from search.pair_table import TABLES_FILE, read_tables, tables_of, write_tables
from search.related import RELATED, RELATED_MIN, Related, related_of_graph

LINKS_FILE: Final = "translation-links.json"
#: Generations whose links stay in memory (the live one and those still being read).
KEEP: Final = 3


class GenerationLinks:
    """The links of one generation directory, computed in the background on first use."""

    def __init__(
        self,
        gen_dir: Path,
        index: Any,
        translate: Translate | None = None,
        base_dir: Path | None = None,
    ) -> None:
        self.gen_dir = gen_dir
        self.base_dir = base_dir  # a previous generation whose per-document results may serve
        self._index = index
        self._translate = translate
        # tables (search.pair_table): arrays, memory-mapped when read from the file
        self._links: Mapping[str, tuple[str, ...]] | None = None
        self._related: Mapping[str, tuple[tuple[str, float], ...]] | None = None
        self._done = threading.Event()
        self._started = False
        self._lock = threading.Lock()
        #: how the links were obtained: "file", "computed" (+ reuse counts), "failed"
        self.report: dict[str, Any] = {}

    def of(self, doc_id: str) -> tuple[str, ...]:
        """Ids of ``doc_id``'s versions in the other language (empty until computed)."""
        self.start()
        links = self._links
        return links.get(doc_id, ()) if links is not None else ()

    def related_of(self, doc_id: str) -> tuple[tuple[str, float], ...]:
        """``doc_id``'s closest other dispatches (id, cosine), best first (empty until computed)."""
        self.start()
        related = self._related
        return related.get(doc_id, ()) if related is not None else ()

    def start(self) -> None:
        """Begin computing (once): read the persisted file, or link in a background thread."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="fihris-links", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        """Start if needed and block until the links are known (True) or ``timeout`` passes."""
        self.start()
        return self._done.wait(timeout)

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def _run(self) -> None:
        try:
            links, related = self.compute()
            if isinstance(links, dict) or isinstance(related, dict):  # computed, or the JSON
                links, related = tables_of(links, related)
            self._links, self._related = links, related
        except Exception:  # a broken generation must not break searching: no links
            log = logging.getLogger(__name__)
            if self.gen_dir.exists():
                log.exception("linking %s failed", self.gen_dir)
            else:  # removed while it was linked (an old generation, a throw-away index)
                log.info("linking %s stopped: the generation was removed", self.gen_dir)
            if self._links is None:
                self._links = {}
            self._related = {}
            self.report = {"source": "failed"}
        finally:
            self._done.set()

    def compute(
        self,
    ) -> tuple[Mapping[str, tuple[str, ...]], Mapping[str, tuple[tuple[str, float], ...]]]:
        """Links and related dispatches: the persisted file, or computed and saved.

        Computing reuses the per-document results of a previous computation
        (this generation's ``link-features.npz``, carried over by an update, or
        ``base_dir``'s): the same links, less work.
        """
        translate, lexicon_version = self._translator()
        stamp = self._stamp(lexicon_version)
        read = self._read(stamp)
        if read is not None:
            self.report = {"source": "file"}
            return read
        features = None
        loaded = False
        state = LinkState(_features_stamp(lexicon_version, THRESHOLD))
        if translate is not None:
            features = LinkFeatures(translate, _features_stamp(lexicon_version))
            loaded = features.load(self.gen_dir / FEATURES_FILE)
            if not loaded and self.base_dir is not None:
                loaded = features.load(self.base_dir / FEATURES_FILE)
        if not state.load(self.gen_dir / STATE_FILE) and self.base_dir is not None:
            state.load(self.base_dir / STATE_FILE)
        with self._index.searcher() as searcher:
            reader = searcher.reader()
            # a document the previous computation had (same id and fingerprint) is not
            # read: its text key and what else linking needs come from the state
            docs = self._documents(reader, state.documents if features is not None else {})
            if features is not None:
                features.text_of = lambda doc: _text(reader.stored_fields(doc.ref))
            df = _IndexFrequencies(reader)
            graph, report = similarity_graph(docs, translate, THRESHOLD, df, features, state)
            links = links_of(docs, graph if translate is not None else None)
            related = related_of_graph(graph)
            self._links = links
        # the state and the features describe the same documents: the next update
        # may then count the Arabic vocabulary from them (link_state._arabic_vocabulary)
        state.run = os.urandom(8).hex() if len(state.documents) == len(docs) else ""
        if features is not None:
            features.save(
                self.gen_dir / FEATURES_FILE, {s.key for s in state.documents.values()}, state.run
            )
        state.save(self.gen_dir / STATE_FILE)
        self._write(stamp, links, related)
        self.report = {"source": "computed", "previous_results": loaded, **report}
        if features is not None:
            self.report.update(reused=dict(features.reused), computed=dict(features.computed))
        return links, related

    def _translator(self) -> tuple[Translate | None, str]:
        if self._translate is not None:
            return self._translate, "injected"
        try:
            from search.translate.lexicon import Lexicon
        except ImportError:
            return None, "none"
        lexicon = Lexicon.load()
        return lexicon_translate(lexicon), lexicon.version

    def _stamp(self, lexicon_version: str) -> dict[str, Any]:
        """What the links file must say to be this generation's.

        The generation number comes from the directory's name and the document
        count from the index, so that the links can be written before the
        generation is published (its manifest does not exist yet).
        """
        try:
            manifest = Manifest.read(self.gen_dir)
            generation, documents = manifest.generation, manifest.documents
        except (OSError, ValueError):  # not published yet
            generation = int(self.gen_dir.name[4:10])
            documents = int(self._index.doc_count())
        return {
            "version": VERSION,
            "threshold": THRESHOLD,
            "generation": generation,
            "documents": documents,
            "lexicon": lexicon_version,
            "related": [RELATED, RELATED_MIN],
        }

    @staticmethod
    def _documents(reader: Any, carried: Mapping[str, Carried]) -> list[LinkDoc]:
        """Every document: carried (same id and fingerprint as in ``carried``: text not
        read) or read from its stored fields."""
        ids: list[str] | None
        prints: list[str] | None
        try:
            ids, prints = column_texts(reader, "id"), column_texts(reader, "fingerprint")
        except Exception:  # an index without these columns: every document read
            ids = prints = None
        docs = []
        for n in reader.all_doc_ids():
            fingerprint = prints[n] if prints is not None else None
            doc_id = ids[n] if ids is not None else None
            row = carried.get(doc_id) if doc_id is not None else None
            if doc_id is not None and row is not None and row.fingerprint == fingerprint:
                docs.append(
                    LinkDoc(doc_id, row.lang, "", row.date, row.pair_id, fingerprint, row.key, n)
                )
                continue
            stored = reader.stored_fields(n)
            pair_id = None
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                pair = json.loads(stored.get("meta") or "{}").get("pair_id")
                pair_id = str(pair) if pair not in (None, "") else None
            docs.append(
                LinkDoc(
                    id=stored["id"],
                    lang=stored.get("lang") or "",
                    text=_text(stored),
                    date=stored.get("date_text"),
                    pair_id=pair_id,
                    fingerprint=fingerprint,
                    ref=n,
                )
            )
        return docs

    def _read(
        self, stamp: dict[str, Any]
    ) -> tuple[Mapping[str, tuple[str, ...]], Mapping[str, tuple[tuple[str, float], ...]]] | None:
        # the tables are the JSON's compact copy: read (mapped) only while it is there
        if (self.gen_dir / LINKS_FILE).exists():
            tables = read_tables(self.gen_dir / TABLES_FILE, stamp)
            if tables is not None:
                return tables
        if _json_stamp(self.gen_dir / LINKS_FILE) != stamp:
            return None  # another generation's (hard-linked by an update): not parsed whole
        try:
            data = json.loads((self.gen_dir / LINKS_FILE).read_text("utf-8"))
            if not isinstance(data, dict) or data.get("stamp") != stamp:
                return None  # another generation's file (hard-linked by an update) or version
            links = {k: tuple(v) for k, v in data.get("links", {}).items()}
            related = {
                k: tuple((str(other), float(score)) for other, score in v)
                for k, v in data.get("related", {}).items()
            }
        except (OSError, ValueError, TypeError, AttributeError):
            return None  # unreadable or not what this version writes: recompute
        return links, related

    def _write(
        self, stamp: dict[str, Any], links: dict[str, tuple[str, ...]], related: Related
    ) -> None:
        """Persist atomically; a read-only index directory just means recomputing next time."""
        tmp = self.gen_dir / f".{LINKS_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
        payload = {
            "stamp": stamp,
            "links": {k: list(v) for k, v in sorted(links.items())},
            "related": {k: [list(p) for p in v] for k, v in sorted(related.items())},
        }
        write_tables(self.gen_dir / TABLES_FILE, stamp, links, related)  # what a server maps
        try:
            tmp.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
            os.replace(tmp, self.gen_dir / LINKS_FILE)  # never writes into a hard-linked inode
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()


class _IndexFrequencies(Mapping[str, int]):
    """Document frequencies of stemmed body terms, read from the generation's index.

    Remembered once read: linking asks for the same terms again and again (every
    document's vector), and a lookup in the index (read without mmap, through
    each segment) cost ~0.15 ms: 70% of the linking time before it was remembered.
    """

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._known: dict[str, int] = {}

    def __getitem__(self, term: str) -> int:
        found = self._known.get(term)
        if found is None:
            found = self._known[term] = int(self._reader.doc_frequency("body", term))
        if not found:
            raise KeyError(term)
        return found

    def __iter__(self) -> Iterator[str]:
        for term in self._reader.lexicon("body"):
            yield term.decode("utf-8") if isinstance(term, bytes) else term

    def __len__(self) -> int:
        return sum(1 for _ in self._reader.lexicon("body"))


def _json_stamp(path: Path) -> Any:
    """The stamp a links file opens with (:meth:`GenerationLinks._write` writes it
    first), read from its first bytes; None when it cannot be read there."""
    head = b'{"stamp": '
    try:
        with path.open("rb") as f:
            start = f.read(1 << 16)
        if not start.startswith(head):
            return None
        text = start.decode("utf-8", "ignore")
        return json.JSONDecoder().raw_decode(text, len(head))[0]
    except (OSError, ValueError):
        return None


def _text(stored: Mapping[str, Any]) -> str:
    """What linking reads of a stored document: its title (unless the body starts with
    it) and body."""
    title, body = stored.get("title") or "", stored.get("body") or ""
    return body if body.startswith(title.rstrip("…")) else f"{title}\n{body}"


def _features_stamp(lexicon_version: str, threshold: float | None = None) -> dict[str, Any]:
    """Per-document results are reusable with the same algorithm, lexicon and lead size
    (and a link state with the same threshold and related sizes)."""
    extra = {} if threshold is None else {"threshold": threshold, "related": [RELATED, RELATED_MIN]}
    return {
        **extra,
        "version": VERSION,
        "lexicon": lexicon_version,
        "lead_chars": LEAD_CHARS,
        "lead_tokens": LEAD_TOKENS,
        "top_terms": TOP_TERMS,
    }


_REGISTRY: dict[str, GenerationLinks] = {}
_REGISTRY_LOCK = threading.Lock()


def links_for(index: Any, translate: Translate | None = None) -> GenerationLinks | None:
    """The links of the generation a Whoosh index (or searcher) reads; None if not on disk."""
    index = getattr(index, "_ix", index)  # a searcher remembers the index it came from
    folder = getattr(getattr(index, "storage", None), "folder", None)
    if folder is None:
        return None
    key = str(folder)  # as the index spells it: no realpath() per hit
    found = _REGISTRY.get(key)
    if found is not None:
        return found
    with _REGISTRY_LOCK:
        found = _REGISTRY.get(key)
        if found is None:
            found = GenerationLinks(Path(key), index, translate)
            _REGISTRY[key] = found
            while len(_REGISTRY) > KEEP:
                _REGISTRY.pop(next(iter(_REGISTRY)))
        return found


def related_of(searcher: Any, doc_id: str) -> tuple[tuple[str, float], ...]:
    """``doc_id``'s closest other dispatches (id, cosine) in the searcher's generation."""
    links = links_for(searcher)
    return links.related_of(doc_id) if links is not None else ()


def translations_of(searcher: Any, doc_id: str) -> tuple[str, ...]:
    """Ids of the other-language versions of ``doc_id`` in the searcher's generation."""
    links = links_for(searcher)
    return links.of(doc_id) if links is not None else ()
