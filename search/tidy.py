"""A cheap stand-in for Whoosh's ``Query.normalize`` on the trees the compiler builds.

Why: a cross-language headline compiles to a few hundred nodes (each word's stem,
exact form and weighted translations, in the title and the body), and Whoosh's
``normalize`` deep-copies every boosted child it flattens and hashes every
subtree to remove duplicates: ~3 ms of a ~25 ms search, for a tree that is
already nearly normal. :func:`tidy` does what changes a score or a match set —
drops what can match nothing (from an ``And`` too, as Whoosh does), flattens an
unboosted ``Or`` in an ``Or`` (and ``And`` in ``And``), removes a leaf repeated
in one ``Or`` (Whoosh keeps one: a repeated word must not count twice) —
without copying; any other node goes
through Whoosh's own ``normalize``. The evaluator scores ``tidy(q)`` exactly as
``q.normalize()`` (an oracle test in ``tests/test_scoring_oracle.py`` compares
them on compiled queries).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from whoosh import query as wq

from search.matching import BestMatch

__all__ = ["tidy"]

#: Leaves whose equality is cheap and whose repetition inside an ``Or`` Whoosh removes.
_LEAVES: tuple[type, ...] = (wq.Term,)


def tidy(q: wq.Query) -> wq.Query:
    """``q`` with NullQuery dropped, nested Or/And flattened and repeated leaves removed."""
    kind = type(q)
    if kind is wq.Or or kind is wq.And:
        return _compound(q)
    if kind is wq.AndMaybe or kind is wq.AndNot:
        a, b = tidy(q.a), tidy(q.b)
        if a is wq.NullQuery:
            return wq.NullQuery
        return a if b is wq.NullQuery else kind(a, b)  # binary queries carry no boost
    if kind is BestMatch:
        return _best(q)
    if kind is wq.Term or kind.__name__ == "PSQTerm":
        return q
    return q.normalize()


def _compound(q: Any) -> wq.Query:
    kind = type(q)
    if kind is wq.Or and (q.scale or q.minmatch):
        return q.normalize()  # the rarer forms: Whoosh's own rules
    children: list[wq.Query] = []
    seen: set[Hashable] = set()
    for child in q.subqueries:
        child = tidy(child)
        if child is wq.NullQuery:  # dropped, in an And too: Whoosh's rule
            continue
        flat = child.subqueries if type(child) is kind and child.boost == 1.0 else [child]
        for leaf in flat:
            if type(leaf) in _LEAVES:
                key = (leaf.fieldname, leaf.text, leaf.boost)
                if key in seen:
                    continue
                seen.add(key)
            children.append(leaf)
    if not children:
        return wq.NullQuery
    if len(children) == 1 and q.boost == 1.0:
        return children[0]
    return kind(children, boost=q.boost)


def _best(q: BestMatch) -> wq.Query:
    clauses = [tidy(c) for c in q.clauses]
    if any(c is wq.NullQuery and r for c, r in zip(clauses, q.required, strict=True)):
        return wq.NullQuery  # a required clause that can match nothing
    kept = [(c, r) for c, r in zip(clauses, q.required, strict=True) if c is not wq.NullQuery]
    if not kept:
        return wq.NullQuery
    bonus = [b for b in (tidy(b) for b in q.bonus) if b is not wq.NullQuery]
    return BestMatch([c for c, _ in kept], [r for _, r in kept], bonus, q.coordinate, q.boost)
