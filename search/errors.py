"""Errors of the search layer: each names the bad value and what is accepted.

FihrisError (index.errors)
└── SearchError
    ├── InvalidParameter  a request parameter is out of range or malformed
    ├── InvalidQuery      the query cannot be given any sensible meaning
    └── DocumentNotFound  no document has this id
"""

from __future__ import annotations

from index.errors import FihrisError


class SearchError(FihrisError):
    """Base of the user-facing search errors; ``parameter`` names the culprit."""

    code = "bad_request"

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter


class InvalidParameter(SearchError):
    code = "invalid_parameter"


class InvalidQuery(SearchError):
    code = "invalid_query"


class DocumentNotFound(SearchError):
    code = "not_found"
