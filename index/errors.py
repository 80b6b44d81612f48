"""The exceptions of the index layer (a tree, so callers can catch broadly or narrowly).

FihrisError
├── CorpusError           the corpus folder itself is unusable
└── IndexStoreError       problems with the index directory
    ├── IndexMissingError no index has been built yet
    ├── IndexLockedError  another process is writing
    ├── IndexStorageError cannot read/write the directory (read-only, disk full…)
    ├── IndexDamagedError a generation's files are truncated, missing or unreadable
    └── IndexRunError     a build or update could not finish (the previous index stays live)
"""

from __future__ import annotations


class FihrisError(Exception):
    """Base of every error Fihris raises on purpose; its message is for the user."""


class CorpusError(FihrisError):
    """The corpus folder is missing or unreadable."""


class IndexStoreError(FihrisError):
    """Something is wrong with the index directory."""


class IndexMissingError(IndexStoreError):
    """No index has been built in this directory."""


class IndexLockedError(IndexStoreError):
    """Another process holds the writer lock."""


class IndexStorageError(IndexStoreError):
    """The index directory cannot be read or written (permissions, full disk)."""


class IndexDamagedError(IndexStoreError):
    """The live generation's files do not match what was written (truncated, missing, corrupt).

    Its own class so the web layer can answer 503 naming the fix, ``fihris status``
    can exit 3, and ``index update`` can rebuild instead of hard-linking bad files.
    """


class IndexRunError(IndexStoreError):
    """A build or update stopped before publishing; the previous generation stays live."""
