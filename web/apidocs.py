"""A browsable OpenAPI page that works offline and under our CSP.

Litestar's Swagger, Redoc, Scalar… pages load their JavaScript from a CDN, which
an offline machine cannot reach and our Content-Security-Policy forbids anyway.
This plugin renders the schema server-side as plain HTML (paths, parameters,
responses) with the site's own stylesheet; the raw JSON stays at
``/schema/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.enums import MediaType
from litestar.openapi.plugins import OpenAPIRenderPlugin

_METHODS = ("get", "post", "put", "patch", "delete")


def _schema_label(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "oneOf" in schema or "anyOf" in schema:
        options = schema.get("oneOf") or schema.get("anyOf") or []
        return " | ".join(_schema_label(o) for o in options)
    kind = str(schema.get("type", "object"))
    if kind == "array":
        return f"array of {_schema_label(schema.get('items'))}"
    return kind


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's operations flattened for the template, in path order."""
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or "",
                    "description": op.get("description") or "",
                    "parameters": [
                        {
                            "name": p.get("name"),
                            "in": p.get("in"),
                            "required": p.get("required", False),
                            "type": _schema_label(p.get("schema")),
                            "description": p.get("description") or "",
                        }
                        for p in op.get("parameters", [])
                    ],
                    "responses": [
                        {"status": status, "description": r.get("description", "")}
                        for status, r in op.get("responses", {}).items()
                    ],
                }
            )
    return found


class LocalDocsPlugin(OpenAPIRenderPlugin):
    """Serves ``/schema`` (and ``/schema/docs``) as a static HTML rendering of the schema."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/docs"], media_type=MediaType.HTML, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        engine = request.app.template_engine
        assert engine is not None
        html = engine.get_template("apidocs.html").render(
            info=openapi_schema.get("info", {}),
            operations=operations(openapi_schema),
            json_url=self.get_openapi_json_route(request),
        )
        return str(html).encode("utf-8")
