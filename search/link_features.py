"""What story linking computes per document, kept from one generation to the next.

Why: linking is dominated by two per-document steps, tokenising each Arabic
lead (:func:`search.linking.lead_terms`) and translating each French lead with
the lexicon. An update changes 1% of the documents, so the new generation takes
the previous generation's per-document results for the unchanged documents
(and :mod:`search.link_state` carries over their vectors and cosines, under a
frozen idf). Both steps give exactly what computing them afresh gives.

Exactness, step by step:

- an Arabic lead's term counts depend on its text alone: reused by the text's
  digest (its first :data:`LEAD_CHARS` characters, all that is read);
- a French lead's translation depends on its text and on the Arabic vocabulary
  through one thing only: the names it looked up (:class:`NameMatcher`: the
  best :data:`LIMIT` vocabulary words within a spelling distance, ranked by
  distance, count, word; the translation uses the words and distances, not the
  counts). Each look-up is kept with its answer. The words whose count changed
  since (added, removed, counted differently) are matched alone, and the new
  answer is the best of the old answer (with new counts) and those words: exact
  as long as no word of the old answer lost count (a word never seen could then
  overtake it: recomputed). When every answer keeps its words in their order,
  the translation is reused. A translator that cannot say what it looked up
  (tests' toy translators) is reused only if the vocabulary is unchanged;
- everything is discarded when the linking version or the lexicon differs.

Stored in the generation as ``link-features.npz`` (numpy arrays, no pickle).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np

from search.linking import LEAD_CHARS, LinkDoc, Translate, lead, lead_terms
from search.mapped import write_npz
from search.translate.transliterate import LIMIT, Candidate, NameMatcher

FEATURES_FILE: Final = "link-features.npz"
#: The names a translation looked up: the forms of each look-up, and its answer.
Probe = tuple[tuple[str, ...], tuple[Candidate, ...]]
Probes = tuple[Probe, ...]


def text_key(text: str) -> bytes:
    """The digest of what linking reads of a text."""
    return hashlib.blake2b(
        text[:LEAD_CHARS].encode("utf-8", "surrogatepass"), digest_size=16
    ).digest()


def doc_key(doc: LinkDoc) -> bytes:
    """:func:`text_key` of a document's text (given when its text was not read)."""
    return doc.key if doc.key is not None else text_key(doc.text)


class LinkFeatures:
    """Per-document linking inputs: computed, or taken from a previous computation.

    The previous computation's arrays are kept as they are and read per document
    only when asked (most documents of an update are never asked: their vectors
    are carried over), and written back as they are (:meth:`save`).
    """

    def __init__(self, translate: Translate, stamp: Mapping[str, Any]) -> None:
        self.translate = translate
        self.stamp = dict(stamp)
        self._prior = _Prior.empty()
        self._prior_own: Counter[str] | None = None
        #: the text of a carried document (``LinkDoc.text`` empty), read when needed
        self.text_of: Callable[[LinkDoc], str] | None = None
        #: an identifier of the computation that wrote the loaded file (see link_state)
        self.run = ""
        self._counts: dict[bytes, Counter[str]] = {}
        self._bags: dict[bytes, tuple[Mapping[str, float], Probes | None]] = {}
        self._own: Counter[str] = Counter()
        self._changed: NameMatcher | None = None
        self._changed_words = 0
        #: a look-up → itself with its answer now (None: changed); one object per look-up,
        #: shared by every bag that made it (:meth:`save` writes its text once)
        self._answers: dict[int, Probe | None] = {}
        self._carried: set[bytes] = set()  # reused translations whose look-ups stand as read
        self.reused = {"arabic": 0, "french": 0}
        self.computed = {"arabic": 0, "french": 0}

    # -- the two expensive steps ------------------------------------------------------
    def text(self, doc: LinkDoc) -> str:
        if doc.key is not None and not doc.text and self.text_of is not None:
            return self.text_of(doc)
        return doc.text

    def prior_own(self) -> Counter[str] | None:
        """The Arabic vocabulary of the previous computation (None: none loaded)."""
        return self._prior_own

    def prior_counts(self, key: bytes) -> Counter[str] | None:
        """A text's lead terms as the previous computation kept them."""
        return self._prior.counts(key)

    def counts(self, doc: LinkDoc) -> Counter[str]:
        key = doc_key(doc)
        found = self._counts.get(key)
        if found is None:
            found = self._prior.counts(key)
            if found is None:
                found = lead_terms(self.text(doc))
                self.computed["arabic"] += 1
            else:
                self.reused["arabic"] += 1
            self._counts[key] = found
        return found

    def begin(self, own: Counter[str]) -> None:
        """The Arabic vocabulary of this computation: a name matcher over what changed since."""
        self._own = own
        prior = self._prior_own
        if prior is None:
            self._changed = None
            return
        changed = {
            t: own.get(t, 0) for t in own.keys() | prior.keys() if own.get(t) != prior.get(t)
        }
        self._changed = NameMatcher(changed, min_df=0)  # removed words (0) too
        self._changed_words = len(changed)
        self._answers = {}

    def translated(self, doc: LinkDoc, own: Mapping[str, int]) -> Mapping[str, float]:
        key = doc_key(doc)
        done = self._bags.get(key)
        if done is not None:  # a second document with this text
            return done[0]
        prior = self._prior.probes(key)
        if not isinstance(prior, _Absent):
            reusable, answers = self._reusable(prior)
            if reusable:
                self.reused["french"] += 1
                if answers == prior:
                    self._carried.add(key)  # written back as it was read
                # read only if asked: a carried document's vector is carried too
                lazy = _LazyBag(self._prior, key)
                self._bags[key] = (lazy, answers)
                return lazy
        probes: list[Any] | None = getattr(self.translate, "probes", None)
        if probes is not None:
            probes.clear()
        bag = dict(self.translate(lead(self.text(doc)), "ar", own))
        self._bags[key] = (bag, tuple(probes) if probes is not None else None)
        self.computed["french"] += 1
        return bag

    def _reusable(self, probes: Probes | None) -> tuple[bool, Probes | None]:
        """Whether a translation stands, and its look-ups' answers now (new counts)."""
        if self._prior_own is None:
            return False, None
        if probes is None:  # the translator cannot say what it looked up
            return self._prior_own == self._own, None
        changed = self._changed
        if changed is None:
            return False, None
        if not self._changed_words:
            return True, probes  # nothing changed: every answer stands
        fresh = []
        answers = self._answers
        for probe in probes:
            # by identity: the previous computation's look-ups are one object each
            # (_Prior.probes), and hashing their nested tuples was a tenth of an update
            now = answers.get(id(probe), _UNSEEN)
            if now is _UNSEEN:
                forms, answer = probe
                answered = _answer(changed, forms, answer)
                if answered is None:
                    now = None
                else:
                    now = probe if answered == answer else (forms, answered)
                answers[id(probe)] = now
            if now is None:
                return False, None
            fresh.append(now)
        return True, tuple(fresh)

    # -- persistence ------------------------------------------------------------------
    def load(self, path: Path) -> bool:
        """Take a previous computation's results (False when absent, damaged or stale)."""
        try:
            with np.load(path, allow_pickle=False) as arrays:
                meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
                if meta != self.stamp:
                    return False
                prior = _Prior({name: arrays[name] for name in arrays.files})
                own = _read_counts(arrays, "own", prior.terms)
                self.run = bytes(arrays["run"]).decode() if "run" in arrays.files else ""
        except Exception:  # absent, damaged or foreign: only a missed reuse
            self._prior, self._prior_own, self.run = _Prior.empty(), None, ""
            return False
        self._prior, self._prior_own = prior, next(iter(own.values()), Counter())
        return True

    def save(self, path: Path, present: set[bytes] | None = None, run: str = "") -> None:
        """Write this computation's results atomically (an unwritable folder: skipped).

        ``present``: the text keys of this computation's documents; those the
        previous computation's arrays hold and this one did not recompute are
        copied from them as they are (term and name numbering kept, new ones
        appended), without making a Python object per document.
        """
        prior = self._prior
        terms = prior.term_ids()
        names = prior.name_ids()
        arrays: dict[str, Any] = {
            "meta": _bytes(json.dumps(self.stamp, sort_keys=True)),
            "run": _bytes(run),
        }
        keep_counts = sorted(
            row
            for k in (present or set()) - self._counts.keys()
            if (row := prior.count_rows(k)) is not None
        )
        written = set(self._bags) - self._carried
        keep_bags = sorted(
            row for k in ((present or set()) - written) if (row := prior.bag_rows(k)) is not None
        )
        carried = prior.gather_counts(keep_counts)
        fresh = _write_counts("a", self._counts, terms)
        arrays.update(_joined("a", carried, fresh))
        arrays.update(_write_counts("own", {b"": self._own}, terms))
        keys = [k for k in self._bags if k in written]
        # a look-up shared by many bags (read once from the prior arrays, or one answer
        # continued for all) is the same object: its text is made once, not per bag
        named: dict[int, int] = {}

        def name_id(probe: Any) -> int:
            found = named.get(id(probe))
            if found is None:
                found = named[id(probe)] = names.setdefault(_probe_text(probe), len(names))
            return found

        offsets, p_off = [0], [0]
        ids: list[int] = []
        weights: list[float] = []
        p_key: list[int] = []
        probed: list[bool] = []
        f_term, f_weight = prior.arrays["f_term"], prior.arrays["f_weight"]
        for key in keys:
            bag, probes = self._bags[key]
            if isinstance(bag, _LazyBag) and bag.source is prior:  # its row, term numbers kept
                lo, hi = prior.bag_span(key)
                ids.extend(f_term[lo:hi].tolist())
                weights.extend(f_weight[lo:hi].tolist())
            else:
                ids.extend(terms.setdefault(t, len(terms)) for t in bag)
                weights.extend(bag.values())
            offsets.append(len(ids))
            probed.append(probes is not None)
            p_key.extend(name_id(p) for p in probes or ())
            p_off.append(len(p_key))
        old = prior.gather_bags(keep_bags)
        arrays.update(
            f_keys=np.concatenate([old["f_keys"], np.frombuffer(b"".join(keys), np.uint8)]),
            f_off=_join_offsets(old["f_off"], np.asarray(offsets, dtype=np.int64)),
            f_term=np.concatenate([old["f_term"], np.asarray(ids, dtype=np.int32)]),
            f_weight=np.concatenate([old["f_weight"], np.asarray(weights, dtype=np.float64)]),
            f_probed=np.concatenate([old["f_probed"], np.asarray(probed, dtype=bool)]),
            p_off=_join_offsets(old["p_off"], np.asarray(p_off, dtype=np.int64)),
            p_key=np.concatenate([old["p_key"], np.asarray(p_key, dtype=np.int32)]),
            terms=_bytes("\n".join(terms)),
            probe_names=_bytes("\n".join(names)),
        )
        write_npz(path, arrays)


#: A look-up not yet answered in this computation (:meth:`LinkFeatures._reusable`).
_UNSEEN: Final[Any] = object()


class _Absent:
    """No translation of this text in the previous computation."""


_ABSENT: Final = _Absent()


class _LazyBag(Mapping[str, float]):
    """A previous computation's translation, read from its arrays on first use."""

    __slots__ = ("_bag", "_key", "_prior")

    def __init__(self, prior: _Prior, key: bytes) -> None:
        self._prior, self._key = prior, key
        self._bag: dict[str, float] | None = None

    @property
    def source(self) -> _Prior:
        return self._prior

    def _read(self) -> dict[str, float]:
        if self._bag is None:
            self._bag = self._prior.bag(self._key)
        return self._bag

    def __getitem__(self, term: str) -> float:
        return self._read()[term]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


class _Prior:
    """A previous computation's arrays, read per text only when asked."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        self.arrays = arrays
        self.terms = _strings(arrays["terms"])
        self.names = _strings(arrays["probe_names"])
        a_keys = arrays["a_keys"].reshape(-1, 16)
        f_keys = arrays["f_keys"].reshape(-1, 16)
        self._a_rows = {a_keys[n].tobytes(): n for n in range(len(a_keys))}
        self._f_rows = {f_keys[n].tobytes(): n for n in range(len(f_keys))}
        self._parsed: dict[int, Any] = {}  # a name looked up by many documents: read once

    @classmethod
    def empty(cls) -> _Prior:
        z8, z32, z64 = np.zeros(0, np.uint8), np.zeros(0, np.int32), np.zeros(1, np.int64)
        return cls({
            "terms": z8, "probe_names": z8, "a_keys": z8, "a_off": z64, "a_term": z32,
            "a_count": np.zeros(0, np.int64), "f_keys": z8, "f_off": z64, "f_term": z32,
            "f_weight": np.zeros(0), "f_probed": np.zeros(0, bool), "p_off": z64, "p_key": z32,
        })  # fmt: skip

    def term_ids(self) -> dict[str, int]:
        return {t: n for n, t in enumerate(self.terms)}

    def name_ids(self) -> dict[str, int]:
        return {t: n for n, t in enumerate(self.names)}

    def count_rows(self, key: bytes) -> int | None:
        return self._a_rows.get(key)

    def bag_rows(self, key: bytes) -> int | None:
        return self._f_rows.get(key)

    def counts(self, key: bytes) -> Counter[str] | None:
        n = self._a_rows.get(key)
        if n is None:
            return None
        a = self.arrays
        lo, hi = int(a["a_off"][n]), int(a["a_off"][n + 1])
        terms = self.terms
        return Counter(
            dict(zip((terms[i] for i in a["a_term"][lo:hi].tolist()),
                     a["a_count"][lo:hi].tolist(), strict=True))
        )  # fmt: skip

    def bag_span(self, key: bytes) -> tuple[int, int]:
        """Where a translation's terms and weights lie in ``f_term`` and ``f_weight``."""
        n = self._f_rows[key]
        off = self.arrays["f_off"]
        return int(off[n]), int(off[n + 1])

    def bag(self, key: bytes) -> dict[str, float]:
        """A translation's weighted terms (``key`` must be one :meth:`probes` found)."""
        lo, hi = self.bag_span(key)
        a = self.arrays
        terms = self.terms
        return dict(zip((terms[i] for i in a["f_term"][lo:hi].tolist()),
                        a["f_weight"][lo:hi].tolist(), strict=True))  # fmt: skip

    def probes(self, key: bytes) -> Probes | _Absent | None:
        """What a translation looked up (None: it cannot say), or :data:`_ABSENT`."""
        n = self._f_rows.get(key)
        if n is None:
            return _ABSENT
        a = self.arrays
        if not a["f_probed"][n]:
            return None
        parsed, names = self._parsed, self.names
        return tuple(
            parsed[i] if i in parsed else parsed.setdefault(i, _probe(names[i]))
            for i in a["p_key"][int(a["p_off"][n]) : int(a["p_off"][n + 1])].tolist()
        )

    def gather_counts(self, rows: list[int]) -> dict[str, Any]:
        a = self.arrays
        idx = np.asarray(rows, dtype=np.int64)
        off, pos = _slices(a["a_off"], idx)
        return {
            "keys": a["a_keys"].reshape(-1, 16)[idx].reshape(-1),
            "off": off,
            "term": a["a_term"][pos],
            "count": a["a_count"][pos],
        }

    def gather_bags(self, rows: list[int]) -> dict[str, Any]:
        a = self.arrays
        idx = np.asarray(rows, dtype=np.int64)
        off, pos = _slices(a["f_off"], idx)
        p_off, p_pos = _slices(a["p_off"], idx)
        return {
            "f_keys": a["f_keys"].reshape(-1, 16)[idx].reshape(-1),
            "f_off": off,
            "f_term": a["f_term"][pos],
            "f_weight": a["f_weight"][pos],
            "f_probed": a["f_probed"][idx],
            "p_off": p_off,
            "p_key": a["p_key"][p_pos],
        }


def _slices(offsets: Any, rows: Any) -> tuple[Any, Any]:
    """The offsets of the chosen rows laid end to end, and the positions of their entries."""
    lengths = offsets[rows + 1] - offsets[rows]
    out = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    pos = np.arange(int(out[-1]), dtype=np.int64) + np.repeat(offsets[rows] - out[:-1], lengths)
    return out, pos


def _join_offsets(first: Any, second: Any) -> Any:
    return np.concatenate([first, second[1:] + first[-1]])


def _joined(prefix: str, carried: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{prefix}_keys": np.concatenate([carried["keys"], fresh[f"{prefix}_keys"]]),
        f"{prefix}_off": _join_offsets(carried["off"], fresh[f"{prefix}_off"]),
        f"{prefix}_term": np.concatenate([carried["term"], fresh[f"{prefix}_term"]]),
        f"{prefix}_count": np.concatenate([carried["count"], fresh[f"{prefix}_count"]]),
    }


def _rank(c: Candidate) -> tuple[float, int, str]:
    return (round(c.distance, 2), -c.df, c.term)  # NameMatcher's order


def _answer(
    changed: NameMatcher, forms: tuple[str, ...], answer: tuple[Candidate, ...]
) -> tuple[Candidate, ...] | None:
    """A name look-up's answer now that the ``changed`` words changed, or None if different.

    Every word within distance that did not change ranked after the old answer's
    last (or there was none: the answer was shorter than :data:`LIMIT`); words of
    the answer that gained count only move forward. So the new answer is the best
    of the old answer and the changed words, unless a word of it lost count.
    """
    moved = {c.term: c for c in changed.find(*forms, limit=1 << 30)}
    pool = []
    for c in answer:
        now = moved.pop(c.term, None)
        if now is not None and now.df < c.df:
            return None  # removed or counted down: a word not seen here may overtake it
        pool.append(c if now is None else now)
    pool.extend(c for c in moved.values() if c.df > 0)
    pool.sort(key=_rank)
    fresh = tuple(pool[:LIMIT])
    if [c.term for c in fresh] != [c.term for c in answer]:
        return None
    return fresh


def _probe_text(probe: tuple[tuple[str, ...], tuple[Candidate, ...]]) -> str:
    forms, answer = probe
    return json.dumps([forms, [[c.term, c.distance, c.df] for c in answer]], ensure_ascii=False)


def _probe(text: str) -> tuple[tuple[str, ...], tuple[Candidate, ...]]:
    forms, answer = json.loads(text)
    return tuple(forms), tuple(Candidate(t, float(d), int(df)) for t, d, df in answer)


def _bytes(text: str) -> Any:
    return np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def _strings(array: Any) -> list[str]:
    text = bytes(array).decode("utf-8", "surrogatepass")
    return text.split("\n") if text else []


def _write_counts(prefix: str, table: Mapping[bytes, Counter[str]], terms: dict[str, int]) -> Any:
    offsets = [0]
    ids: list[int] = []
    counts: list[int] = []
    for counter in table.values():
        ids.extend(terms.setdefault(t, len(terms)) for t in counter)
        counts.extend(counter.values())
        offsets.append(len(ids))
    return {
        f"{prefix}_keys": np.frombuffer(b"".join(k.ljust(16, b"\0") for k in table), np.uint8),
        f"{prefix}_off": np.asarray(offsets, dtype=np.int64),
        f"{prefix}_term": np.asarray(ids, dtype=np.int32),
        f"{prefix}_count": np.asarray(counts, dtype=np.int64),
    }


def _read_counts(arrays: Any, prefix: str, terms: list[str]) -> dict[bytes, Counter[str]]:
    keys = arrays[f"{prefix}_keys"].reshape(-1, 16)
    off, ids, counts = arrays[f"{prefix}_off"], arrays[f"{prefix}_term"], arrays[f"{prefix}_count"]
    out: dict[bytes, Counter[str]] = {}
    for n in range(len(keys)):
        lo, hi = int(off[n]), int(off[n + 1])
        out[keys[n].tobytes()] = Counter(
            dict(zip((terms[i] for i in ids[lo:hi]), counts[lo:hi].tolist(), strict=True))
        )
    return out
