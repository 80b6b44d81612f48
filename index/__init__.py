"""Fihris indexing: documents, French/Arabic analysis, the Whoosh index and its updates.

Public surface (everything else is internal)::

    analyze, tokenize, analyze_word, Token, ANALYSIS_VERSION   analysis
    analysis_cache_bytes, trim_analysis_caches                  its caches, bounded in bytes
    Document, detect_lang, CorpusReader, Problem, LoadReport    documents and loaders
    parse_date                                                  dates
    make_schema, document_fields                                schema
    IndexStore, Manifest                                        storage (generations, lock)
    build_index, update_index, RunStats                         build and incremental update
    FihrisError and its subclasses                              errors

The rule modules run compiled when ``make install`` could build them
(:mod:`index.native`); the package picks them here, before any is imported.
"""

from index import native

native.activate(__path__)

from index.analysis import ANALYSIS_VERSION, Token, analyze, analyze_word, tokenize
from index.build import RunStats, build_index, update_index
from index.caches import analysis_cache_bytes, trim_analysis_caches
from index.columns import column_texts
from index.dates import date_bounds, parse_date
from index.documents import LANGS, Document, detect_lang
from index.errors import (
    CorpusError,
    FihrisError,
    IndexDamagedError,
    IndexLockedError,
    IndexMissingError,
    IndexRunError,
    IndexStorageError,
    IndexStoreError,
)
from index.loaders import DEFAULT_MAX_DOCUMENT_BYTES, CorpusReader, LoadReport, Problem
from index.schema import document_fields, make_schema
from index.store import IndexStore, Manifest

__all__ = [
    "ANALYSIS_VERSION",
    "DEFAULT_MAX_DOCUMENT_BYTES",
    "LANGS",
    "CorpusError",
    "CorpusReader",
    "Document",
    "FihrisError",
    "IndexDamagedError",
    "IndexLockedError",
    "IndexMissingError",
    "IndexRunError",
    "IndexStorageError",
    "IndexStore",
    "IndexStoreError",
    "LoadReport",
    "Manifest",
    "Problem",
    "RunStats",
    "Token",
    "analysis_cache_bytes",
    "analyze",
    "analyze_word",
    "build_index",
    "column_texts",
    "date_bounds",
    "detect_lang",
    "document_fields",
    "make_schema",
    "parse_date",
    "tokenize",
    "trim_analysis_caches",
    "update_index",
]
