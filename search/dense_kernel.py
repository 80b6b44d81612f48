"""The one hot loop of a search by meaning: int8 passage rows times the query vector.

Why a module of its own: the scan is the semantic part's largest cost (52,712
rows of 512 int8 at 30,000 documents) and there are two ways to run it, kept
behind one function, :func:`dot`:

- ``simsimd`` (optional, pinned with its hash in ``requirements-encoder.txt``,
  Apache-2.0): the query rounded to int8 too, one call of its int8 dot-product
  kernel (AVX-512 VNNI / AVX2) over every row, no float copy of the rows. 1.2 ms
  for those 52,712 rows where the numpy way takes 4.8 ms (``python -m
  bench.dense_scan``). The query's rounding moves a cosine by about 4e-4
  (standard deviation; the rows' own int8 rounding is of the same order).
- numpy (always there): :data:`BLOCK_ROWS` rows at a time turned into float32
  in a buffer that stays in the core's cache, then one BLAS product, the BLAS
  held to one thread.

``tests/test_dense_kernel.py`` compares both on the same rows (the oracle).
"""

from __future__ import annotations

import contextlib
from typing import Any, Final

import numpy as np
import numpy.typing as npt

#: Rows turned into float32 at a time by the numpy scan (a 512 KB buffer: the core's cache).
BLOCK_ROWS: Final = 256
#: The int8 query's largest magnitude (symmetric: -127..127, as the stored rows).
QUERY_LEVELS: Final = 127


def _load_simsimd() -> Any:
    try:
        import simsimd

        simsimd.cdist(np.ones(2, np.int8), np.ones((1, 2), np.int8), metric="dot")
        return simsimd
    except Exception:  # not installed, or no kernel for this processor: numpy
        return None


_SIMSIMD: Any = _load_simsimd()
#: Which way :func:`dot` runs ("simsimd" or "numpy"), shown by the status.
KERNEL: str = "simsimd" if _SIMSIMD is not None else "numpy"
_LIMIT: Any = None


def use(kernel: str) -> str:
    """Switch the way :func:`dot` runs (tests, benchmarks); returns the previous one."""
    global KERNEL
    if kernel not in ("simsimd", "numpy") or (kernel == "simsimd" and _SIMSIMD is None):
        raise ValueError(f"kernel {kernel!r} is not available (have: numpy{_available()})")
    previous, KERNEL = KERNEL, kernel
    return previous


def _available() -> str:
    return ", simsimd" if _SIMSIMD is not None else ""


def dot(codes: npt.NDArray[np.int8], query: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``codes @ query`` for int8 ``codes`` (rows) and a float32 ``query``, as float32."""
    if not len(codes):
        return np.zeros(0, np.float32)
    peak = float(np.abs(query).max()) if len(query) else 0.0
    if peak == 0.0 or not np.isfinite(peak):  # nothing to compare (or a broken vector): 0
        return np.zeros(len(codes), np.float32)
    if KERNEL == "simsimd":
        scale = QUERY_LEVELS / peak
        rounded = np.rint(query * scale).astype(np.int8)
        found = np.asarray(_SIMSIMD.cdist(rounded, codes, metric="dot"), dtype=np.float32)
        out: npt.NDArray[np.float32] = found.reshape(-1) / np.float32(scale)
        return out
    return _numpy_dot(codes, query)


def _numpy_dot(
    codes: npt.NDArray[np.int8], query: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    out = np.empty(len(codes), np.float32)
    buffer = np.empty((BLOCK_ROWS, codes.shape[1]), np.float32)
    with _one_thread():
        for at in range(0, len(codes), BLOCK_ROWS):
            n = min(BLOCK_ROWS, len(codes) - at)
            np.copyto(buffer[:n], codes[at : at + n], casting="unsafe")
            np.matmul(buffer[:n], query, out=out[at : at + n])
    return out


def _one_thread() -> Any:
    """A context holding the BLAS to one thread (nothing without threadpoolctl).

    Why: a scan is a series of small products (one block each); OpenBLAS
    splitting each over both cores while other work runs on them waits for its
    second thread. ``ThreadpoolController`` finds the libraries once; each
    ``limit`` then costs microseconds.
    """
    global _LIMIT
    if _LIMIT is None:
        try:
            from threadpoolctl import ThreadpoolController

            _LIMIT = ThreadpoolController().limit
        except Exception:  # not installed (it comes with the encoder): the BLAS as it is
            _LIMIT = False
    return _LIMIT(limits=1, user_api="blas") if _LIMIT else contextlib.nullcontext()
