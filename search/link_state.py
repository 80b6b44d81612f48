"""Story links and related dispatches of a collection, carried from one generation to the next.

The rule (changed from exact-from-scratch, issue 18): **idf is frozen per
generation family.** A full build starts a family: the document frequencies of
the terms (read from the index) and the number of Arabic and French documents
are fixed. Updates within the family weigh every vector with them; a term never
seen before takes its document frequency from the index of the generation that
first needs it, frozen from then on. So the vector of an unchanged document does
not change, nor its cosines with the other unchanged ones, and an update computes
only the rows of new and changed documents (:mod:`search.link_graph`): ~2% of a
build's scoring for 1% new documents, instead of all of it.

Why not exact idf: every added document moves every idf a little, hence every
vector and cosine; carrying anything over would then be wrong by a little
everywhere. The frozen idf drifts from the exact one slowly (a term's idf
``log(1 + N/df)`` moves by at most ``log(1 + growth)``), so a new family starts
when the documents added and removed since the family began reach
:data:`REFREEZE` of its size (or on a full build, or another lexicon or
algorithm). The links of an update are exactly those of a computation from
scratch with the same frozen idf (``tests/test_link_state.py``), and documents
removed or changed lose their stale links and related entries.

Stored in the generation as ``link-state.npz`` (numpy arrays and JSON, no pickle).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from search.link_features import doc_key
from search.link_graph import UNDATED, Graph, Item, update
from search.linking import LinkDoc, day_range, weigh
from search.mapped import write_npz

STATE_FILE: Final = "link-state.npz"
#: Key prefix of a French own-language term's frozen frequency (the Arabic space has none).
FRENCH_SPACE: Final = "\x00"
#: Share of a family's size added or removed before idf is recomputed.
REFREEZE: Final = 0.2

Vector = tuple[Any, Any]  # (term ids, weights) arrays


@dataclass(frozen=True, slots=True)
class Carried:
    """What the next computation needs of a document without reading its text."""

    fingerprint: str
    key: bytes  # text key (:func:`search.link_features.text_key`)
    lang: str
    date: str | None
    pair_id: str | None


class LinkState:
    """Frozen idf, term numbering, per-text vectors and the graph of the last computation."""

    def __init__(self, stamp: Mapping[str, Any]) -> None:
        self.stamp = dict(stamp)
        self.df: dict[str, int] = {}  # frozen; 0: a term the collection did not know
        self.sizes = {"ar": 0, "fr": 0}
        self.churn = 0
        self.terms: list[str] = []
        self.ids: dict[str, int] = {}
        self.vectors: dict[bytes, Vector] = {}  # kind (1 byte) + text key (16)
        self.graph: Graph | None = None
        self.source: Mapping[str, int] | None = None
        self.family = False  # True: idf frozen by an earlier computation, continued here
        self.known: set[str] = set()  # the documents of the last computation
        #: the documents of the last computation that came with a fingerprint, by id
        self.documents: dict[str, Carried] = {}
        #: an identifier of the computation that wrote the loaded state (also in the
        #: features file it wrote: the two describe the same documents when equal)
        self.run = ""
        #: how the last computation got its Arabic vocabulary: "continued" or "counted"
        self.vocabulary = ""

    def restart(self, sizes: Mapping[str, int], source: Mapping[str, int]) -> None:
        """A new family: frequencies from ``source``, sizes now, nothing carried over."""
        self.df, self.sizes, self.churn = {}, dict(sizes), 0
        self.terms, self.ids, self.vectors, self.graph = [], {}, {}, None
        self.source = source
        self.family, self.known = False, set()

    def forget_results(self) -> None:
        """Keep the frozen idf, drop the rest: the next computation starts from scratch
        within the same family (what an update's result must equal)."""
        self.vectors, self.graph, self.documents, self.run = {}, None, {}, ""

    def frequency(self, term: str) -> int:
        found = self.df.get(term)
        if found is None:
            found = self.df[term] = int(self.source.get(term, 0)) if self.source is not None else 0
        return found

    def vector(
        self, kind: bytes, text_key: bytes, counts: Callable[[], Mapping[str, float]], lang: str
    ) -> Vector:
        """The vector of a text (cached per kind and text), over the frozen idf
        (``counts``: asked only when it is not cached)."""
        key = kind + text_key
        found = self.vectors.get(key)
        if found is None:
            prefix = FRENCH_SPACE if kind == b"f" else ""
            weights = weigh(counts(), lambda t: self.frequency(prefix + t), self.sizes[lang])
            ids = []
            for term in weights:
                n = self.ids.get(term)
                if n is None:
                    n = self.ids[term] = len(self.terms)
                    self.terms.append(term)
                ids.append(n)
            found = (np.asarray(ids, np.int64), np.asarray(list(weights.values()), np.float64))
            self.vectors[key] = found
        return found

    # -- persistence ---------------------------------------------------------------
    def load(self, path: Path) -> bool:
        """Take a previous computation's state (False when absent, damaged or stale)."""
        try:
            with np.load(path, allow_pickle=False) as arrays:
                meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
                if meta.get("stamp") != self.stamp:
                    return False
                terms = _strings(arrays["terms"])
                df = arrays["df"].tolist()
                keys = arrays["v_keys"].reshape(-1, 17)
                off, ids, weights = arrays["v_off"], arrays["v_term"], arrays["v_weight"]
                vectors = {
                    keys[n].tobytes(): (ids[off[n] : off[n + 1]], weights[off[n] : off[n + 1]])
                    for n in range(len(keys))
                }
                graph = meta["graph"]
                documents = _read_documents(arrays) if "d_ids_at" in arrays.files else {}
            self.terms = terms
            self.ids = {t: n for n, t in enumerate(terms)}
            self.df = dict(zip(_strings(meta["df_terms"]), df, strict=True))
            self.sizes, self.churn = dict(meta["sizes"]), int(meta["churn"])
            self.vectors = vectors
            graph_state = Graph(
                keys={k: bytes.fromhex(v) for k, v in graph["keys"].items()},
                best={k: (str(v[0]), float(v[1])) for k, v in graph["best"].items()},
                related={
                    k: tuple((str(o), float(s)) for o, s in v) for k, v in graph["related"].items()
                },
            )
            self.graph = graph_state if graph_state.keys else None
            self.family, self.known = True, {str(d) for d in meta["known"]}
            self.documents, self.run = documents, str(meta.get("run", ""))
        except Exception:  # absent, damaged or foreign: only a missed reuse
            self.restart(self.sizes, self.source or {})
            return False
        return True

    def save(self, path: Path) -> None:
        """Write the state atomically (an unwritable folder: skipped)."""
        graph = self.graph or Graph()
        keys = list(self.vectors)
        vecs = [self.vectors[k] for k in keys]
        off = np.zeros(len(vecs) + 1, dtype=np.int64)
        np.cumsum([len(t) for t, _ in vecs], out=off[1:])
        meta = {
            "stamp": self.stamp,
            "sizes": self.sizes,
            "churn": self.churn,
            "df_terms": "\n".join(self.df),
            "known": sorted(self.known),
            "run": self.run,
            "graph": {
                "keys": {k: v.hex() for k, v in graph.keys.items()},
                "best": {k: list(v) for k, v in graph.best.items()},
                "related": {k: [list(p) for p in v] for k, v in graph.related.items()},
            },
        }
        arrays = {
            "meta": _bytes(json.dumps(meta, ensure_ascii=False)),
            "terms": _bytes("\n".join(self.terms)),
            "df": np.asarray(list(self.df.values()), dtype=np.int64),
            "v_keys": np.frombuffer(b"".join(keys), dtype=np.uint8),
            "v_off": off,
            "v_term": np.concatenate([t for t, _ in vecs]) if vecs else np.zeros(0, np.int64),
            "v_weight": np.concatenate([w for _, w in vecs]) if vecs else np.zeros(0),
            **_write_documents(self.documents),
        }
        write_npz(path, arrays)


def link_collection(
    docs: Sequence[LinkDoc],
    source: Any,
    frequencies: Mapping[str, int] | None,
    state: LinkState,
    threshold: float,
) -> tuple[Graph, dict[str, Any]]:
    """The graph of ``docs`` (best matches, related), continuing ``state``'s family if it can.

    ``source``: per-document lead terms and translations
    (:class:`search.linking.Features`); ``frequencies``: document frequencies of
    the collection (by default counted over the leads); ``translate`` absent
    (``source.translated`` None): no cross-language rows. A document carried
    from the previous computation (``LinkDoc.key``: its text not read) is
    asked for nothing its carried vectors already hold.
    """
    arabic = [d for d in docs if d.lang == "ar"]
    french = [d for d in docs if d.lang == "fr"]
    keys = {id(d): doc_key(d) for d in (*arabic, *french)}
    counted: dict[int, Mapping[str, float]] = {}

    def counts(d: LinkDoc) -> Mapping[str, float]:
        found = counted.get(id(d))
        if found is None:
            found = counted[id(d)] = source.counts(d)
        return found

    sizes = {"ar": len(arabic), "fr": len(french)}
    present = {d.id for d in (*arabic, *french)}
    if state.family:
        state.churn += len(state.known - present) + len(present - state.known)
        if state.churn > REFREEZE * max(1, sum(state.sizes.values())):
            state.family = False  # drifted too far: a new family below
    continued = state.family
    if not state.family:
        spaces: dict[str, Counter[str]] = {"ar": Counter(), "fr": Counter()}
        if frequencies is None:  # counted over the leads, each language in its own space
            for d in (*arabic, *french):
                spaces[d.lang].update(counts(d).keys())
        state.restart(sizes, _BySpace(spaces["ar"], spaces["fr"], frequencies))
    else:
        state.source = _BySpace({}, {}, frequencies) if frequencies is not None else None
    translating = getattr(source, "translating", True)
    own: Counter[str] = Counter()
    state.vocabulary = ""
    if translating:
        own = _arabic_vocabulary(arabic, source, state, counts)
        source.begin(own)
    fresh = set()
    items = []
    for d in (*arabic, *french):
        k = keys[id(d)]
        kind = b"a" if d.lang == "ar" else b"f"
        own_vec = state.vector(kind, k, lambda d=d: counts(d), d.lang)  # type: ignore[misc]
        cross = None
        if d.lang == "fr" and translating and arabic:
            before = source.computed["french"] if hasattr(source, "computed") else None
            # weighed in the Arabic space: a term without a frozen Arabic-space frequency
            # (counted: not in any Arabic lead) is left out, so that an untranslated
            # French word does not lengthen the vector without ever matching
            bag = source.translated(d, own)
            if before is None or source.computed["french"] != before:
                state.vectors.pop(b"t" + k, None)  # translated afresh: weigh again
            cross = state.vector(b"t", k, lambda bag=bag: bag, "ar")  # type: ignore[misc]
            fresh.add(b"t" + k)
        fresh.update((b"a" + k, b"f" + k))
        span = day_range(d.date)
        items.append(
            Item(
                id=d.id,
                lang=d.lang,
                key=_item_key(d, own_vec, cross),
                span=UNDATED if span is None else (span[0].toordinal(), span[1].toordinal()),
                own=own_vec,
                cross=cross,
                linkable=not d.pair_id,
            )
        )
    prior = state.graph
    graph, rows = update(items, len(state.ids), prior, threshold)
    state.graph, state.family, state.known = graph, True, present
    state.vectors = {k: v for k, v in state.vectors.items() if k in fresh}
    state.documents = {
        d.id: Carried(d.fingerprint, keys[id(d)], d.lang, d.date, d.pair_id)
        for d in (*arabic, *french)
        if d.fingerprint is not None
    }
    carried = sum(1 for d in docs if d.key is not None)
    return graph, {
        **rows,
        "family_continued": continued,
        "carried_texts": carried,
        "vocabulary": state.vocabulary,
    }


def _arabic_vocabulary(
    arabic: Sequence[LinkDoc],
    source: Any,
    state: LinkState,
    counts: Callable[[LinkDoc], Mapping[str, float]],
) -> Counter[str]:
    """How many Arabic leads hold each term: the previous computation's count, its
    removed and changed documents taken off and the new ones added, when the
    state and the features were written by that same computation; else counted."""
    prior = source.prior_own() if hasattr(source, "prior_own") else None
    run = getattr(source, "run", "")
    own: Counter[str] = Counter()
    if prior is not None and run and run == state.run:
        carried = {d.id for d in arabic if d.key is not None}
        own.update(prior)
        for doc_id, row in state.documents.items():
            if row.lang == "ar" and doc_id not in carried:
                gone = source.prior_counts(row.key)
                if gone is None:
                    break  # not kept: count again below
                own.subtract(gone.keys())
        else:
            for d in arabic:
                if d.key is None:
                    own.update(counts(d).keys())
            state.vocabulary = "continued"
            return +own  # words no lead holds any more are dropped
        own = Counter()
    for d in arabic:
        own.update(counts(d).keys())
    state.vocabulary = "counted"
    return own


class _BySpace(Mapping[str, int]):
    """Document frequencies per space: French own-language terms are asked with the
    :data:`FRENCH_SPACE` prefix; ``shared`` (the index's, both scripts) answers both."""

    def __init__(
        self, arabic: Mapping[str, int], french: Mapping[str, int], shared: Mapping[str, int] | None
    ) -> None:
        self.arabic, self.french, self.shared = arabic, french, shared

    def __getitem__(self, key: str) -> int:
        found = self.get(key)
        if not found:
            raise KeyError(key)
        return int(found)

    def get(self, key: str, default: Any = None) -> Any:
        french = key.startswith(FRENCH_SPACE)
        term = key[len(FRENCH_SPACE) :] if french else key
        if self.shared is not None:
            return self.shared.get(term, default)
        return (self.french if french else self.arabic).get(term, default)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _item_key(doc: LinkDoc, own: Vector, cross: Vector | None) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps([doc.id, doc.lang, doc.date, bool(doc.pair_id)]).encode())
    for terms, weights in (own, cross or (np.zeros(0, np.int64), np.zeros(0))):
        digest.update(np.ascontiguousarray(terms, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(weights, dtype=np.float64).tobytes())
    return digest.digest()


def _bytes(text: str) -> Any:
    return np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def _strings(array: Any) -> list[str]:
    text = bytes(array).decode("utf-8", "surrogatepass") if not isinstance(array, str) else array
    return text.split("\n") if text else []


def _pack(values: Sequence[str]) -> dict[str, Any]:
    encoded = [v.encode("utf-8", "surrogatepass") for v in values]
    at = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=at[1:])
    return {"blob": np.frombuffer(b"".join(encoded), dtype=np.uint8), "at": at}


def _unpack(blob: Any, at: Any) -> list[str]:
    data, bounds = bytes(blob), at.tolist()
    return [
        data[bounds[i] : bounds[i + 1]].decode("utf-8", "surrogatepass")
        for i in range(len(bounds) - 1)
    ]


def _write_documents(documents: Mapping[str, Carried]) -> dict[str, Any]:
    """The carried documents as arrays: strings packed with offsets (any byte inside)."""
    rows = list(documents.values())
    columns = {
        "ids": list(documents),
        "prints": [r.fingerprint for r in rows],
        "langs": [r.lang for r in rows],
        "dates": [r.date or "" for r in rows],
        "pairs": [r.pair_id or "" for r in rows],
    }
    out: dict[str, Any] = {"d_keys": np.frombuffer(b"".join(r.key for r in rows), np.uint8)}
    out["d_dated"] = np.asarray([r.date is not None for r in rows], dtype=bool)
    for name, values in columns.items():
        packed = _pack(values)
        out[f"d_{name}_blob"], out[f"d_{name}_at"] = packed["blob"], packed["at"]
    return out


def _read_documents(arrays: Any) -> dict[str, Carried]:
    def column(name: str) -> list[str]:
        return _unpack(arrays[f"d_{name}_blob"], arrays[f"d_{name}_at"])

    keys = arrays["d_keys"].reshape(-1, 16)
    dated = arrays["d_dated"].tolist()
    ids, prints, langs = column("ids"), column("prints"), column("langs")
    dates, pairs = column("dates"), column("pairs")
    return {
        ids[n]: Carried(
            prints[n], keys[n].tobytes(), langs[n], dates[n] if dated[n] else None, pairs[n] or None
        )
        for n in range(len(ids))
    }
