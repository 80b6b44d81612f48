"""The Litestar application: pages, JSON API, OpenAPI, static files, errors, headers.

``create_app(settings)`` is the only way to build the app (the CLI's ``serve``,
the tests and the benchmark all use it), so there is no module-level app reading
the environment at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from web import api, export, feed, opensearch, pages
from web.apidocs import LocalDocsPlugin
from web.chart import timeline_chart
from web.errors import handle_exception
from web.gate import CostGate, gate_middleware
from web.hygiene import STATIC_ERRORS, STATIC_PREFIX, head_as_get, static_path_guard
from web.i18n import text_dir
from web.links import doc_path
from web.scheduler import Reindexer
from web.security import add_security_headers, only_marks, request_limits, safe_url
from web.services import Engine, Services
from web.settings import Settings
from web.templating import format_date, format_datetime, format_number

HERE = Path(__file__).resolve().parent
VERSION = "0.1.0"


def _environment() -> Environment:
    """Jinja with autoescape on for every template (``.html`` and anything else)."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a typo in a template fails the tests, not silently
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        marked=only_marks,
        safe_url=safe_url,
        doc_path=doc_path,
        api_doc_path=lambda doc_id: doc_path(doc_id, "/api/documents/"),
        date=format_date,
        datetime=format_datetime,
        number=format_number,
        text_dir=text_dir,
    )
    env.globals["timeline_chart"] = timeline_chart
    return env


def create_app(settings: Settings, engine: Engine | None = None) -> Litestar:
    """Build the app; the engine is created from ``settings.index_dir`` unless given.

    The app owns the engine it creates and the re-indexer: both are closed on
    shutdown. An engine passed in stays the caller's to close.
    """
    owned = engine is None
    if engine is None:
        from index.encoder import load_encoder
        from search import SearchEngine

        # the server completes a generation's vectors in the background (both cores)
        engine = SearchEngine(
            settings.index_dir,
            time_limit=settings.time_limit,
            cache_bytes=settings.cache_bytes,
            encoder=load_encoder(settings.encoder),
            embed=True,
        )
    reindexer = Reindexer(
        settings.corpus_dir,
        settings.index_dir,
        every=settings.reindex_every,
        max_document_bytes=settings.max_document_bytes,
    )
    services = Services(settings=settings, engine=engine, reindexer=reindexer)
    gate = CostGate(settings.max_concurrent, settings.queue_wait)

    def provide_services() -> Services:
        return services

    def shutdown() -> None:
        reindexer.stop()
        if owned:
            services.engine.close()

    app = Litestar(
        route_handlers=[
            *pages.ROUTES,
            *api.ROUTES,
            *opensearch.ROUTES,
            *feed.ROUTES,
            *export.ROUTES,
            create_static_files_router(
                path=STATIC_PREFIX,
                directories=[HERE / "static"],
                include_in_schema=False,
                guards=[static_path_guard],
                exception_handlers=STATIC_ERRORS,  # type: ignore[arg-type]
            ),
        ],
        dependencies={"services": Provide(provide_services, sync_to_thread=False)},
        state=State({"settings": settings, "services": services, "gate": gate}),
        middleware=[gate_middleware(gate)],
        template_config=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(_environment())
        ),
        openapi_config=OpenAPIConfig(
            title="Fihris",
            version=VERSION,
            description="Search a bilingual French/Arabic news archive (cross-language). "
            "Every GET operation also answers HEAD (same status and headers, no body).",
            path="/schema",
            render_plugins=[LocalDocsPlugin()],
            use_handler_docstrings=True,
        ),
        exception_handlers={Exception: handle_exception},
        before_send=[add_security_headers],
        before_request=request_limits(
            settings.max_url_length, settings.max_body_size, settings.max_header_size
        ),
        on_startup=[reindexer.start, lambda: _warm(engine)],
        on_shutdown=[shutdown],
        request_max_body_size=settings.max_body_size,
        debug=False,
    )
    app.asgi_handler = head_as_get(app.asgi_handler)
    return app


def _warm(engine: Engine) -> None:
    """Let the engine load its lexicon and vocabularies before the first query (if it can)."""
    warm = getattr(engine, "warm", None)
    if warm is not None:
        warm()


def services_of(app: Litestar) -> Services:
    """The services of an app built by :func:`create_app` (for tests and tools)."""
    found: Any = app.state["services"]
    assert isinstance(found, Services)
    return found
