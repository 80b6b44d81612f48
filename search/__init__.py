"""Fihris search: one engine and one result model for the page, the JSON API and the CLI.

Public surface::

    SearchEngine                      search(request), document(id, q), status(), close()
    validate_request                  raw strings → SearchRequest (or InvalidParameter)
    validate_prefix                   the text typed so far, for completions (or InvalidParameter)
    SearchRequest, SearchResults, Hit, Fragment, Facets, FacetValue, Interpretation,
    Translation, WordTranslation, DocumentView                     the result model
    SearchError, InvalidParameter, InvalidQuery, DocumentNotFound  errors
    CrossLanguage, NoTranslation                                   cross-language seam
    prepare_generation                story links written into a new generation (build/update)
"""

from search.crosslang import CrossLanguage, NoTranslation
from search.derived import prepare_generation
from search.engine import SearchEngine
from search.errors import DocumentNotFound, InvalidParameter, InvalidQuery, SearchError
from search.models import (
    DocumentView,
    Facets,
    FacetValue,
    Fragment,
    Hit,
    Interpretation,
    SearchRequest,
    SearchResults,
    Translation,
    WordTranslation,
)
from search.validate import validate_prefix, validate_request

__all__ = [
    "CrossLanguage",
    "DocumentNotFound",
    "DocumentView",
    "FacetValue",
    "Facets",
    "Fragment",
    "Hit",
    "Interpretation",
    "InvalidParameter",
    "InvalidQuery",
    "NoTranslation",
    "SearchEngine",
    "SearchError",
    "SearchRequest",
    "SearchResults",
    "Translation",
    "WordTranslation",
    "prepare_generation",
    "validate_prefix",
    "validate_request",
]
