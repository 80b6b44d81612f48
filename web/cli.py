"""The ``fihris`` command: index, analyse, search, serve, evaluate.

Exit status (documented in the README):
  0  success
  1  done, but some corpus files or lines were skipped (see the report)
  2  bad usage or input (unknown option, invalid query or parameter)
  3  the index or corpus is missing or unusable
  75 another process is writing the index (try again later, or --wait)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from index import (
    CorpusError,
    FihrisError,
    IndexLockedError,
    IndexMissingError,
    IndexStoreError,
    RunStats,
    build_index,
    tokenize,
    update_index,
)
from web.settings import parse_document_bytes, parse_port, parse_reindex_every

if TYPE_CHECKING:
    from web.settings import Settings

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_MISSING, EXIT_LOCKED = 0, 1, 2, 3, 75


def _option(parse: Callable[[str], object], keep_text: bool = False) -> Callable[[str], Any]:
    """An argparse ``type``: a ``ValueError`` becomes a usage error (exit 2) naming the value.

    Without this a bad ``--reindex-every 10x`` escaped ``main`` as a traceback.
    """

    def check(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError as exc:
            message = str(exc) if repr(text) in str(exc) else f"invalid value {text!r}: {exc}"
            raise argparse.ArgumentTypeError(message) from None
        return text if keep_text else value

    return check


def _settings(args: argparse.Namespace) -> Settings:
    from web.settings import Settings

    overrides = {
        key: value
        for key, value in {
            "index_dir": getattr(args, "index", None),
            "corpus_dir": getattr(args, "corpus", None),
            "host": getattr(args, "host", None),
            "port": getattr(args, "port", None),
            "max_document_bytes": getattr(args, "max_document_bytes", None),
        }.items()
        if value is not None
    }
    return Settings.from_env(**overrides)


class _Progress:
    """A one-line progress counter on a terminal; silent when output is redirected."""

    def __init__(self, label: str, stream: TextIO = sys.stderr) -> None:
        self.label, self.stream = label, stream
        self.enabled = stream.isatty()
        self.t0 = self.last = time.perf_counter()

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if self.enabled and now - self.last > 0.25:
            self.last = now
            rate = done / (now - self.t0)
            self.stream.write(f"\r{self.label}: {done:,} documents ({rate:,.0f}/s)   ")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 60 + "\r")


def _report(stats: RunStats, as_json: bool) -> int:
    if as_json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
    else:
        if stats.rebuilt_because:
            print(f"rebuilt the whole index: {stats.rebuilt_because}")
        for problem in stats.problems:
            where = f"{problem['path']}:{problem['line']}" if problem["line"] else problem["path"]
            print(f"{problem['severity']}: {where}: {problem['reason']}", file=sys.stderr)
        print(stats.summary())
    return EXIT_PROBLEMS if stats.failed else EXIT_OK


def cmd_index(args: argparse.Namespace) -> int:
    from search import prepare_generation

    settings = _settings(args)
    progress = _Progress("indexing")
    run = build_index if args.action == "build" else update_index
    try:
        stats = run(
            settings.corpus_dir,
            settings.index_dir,
            procs=args.procs,
            progress=progress,
            wait=args.wait,
            max_document_bytes=settings.max_document_bytes,
            prepare=prepare_generation,  # story links, before the generation goes live
        )
    finally:
        progress.close()
    if args.json:
        semantic = _embed(settings, args.procs, quiet=True)
        print(json.dumps({**stats.to_dict(), "semantic": semantic}, ensure_ascii=False, indent=2))
        return EXIT_PROBLEMS if stats.failed else EXIT_OK
    code = _report(stats, args.json)
    _embed(settings, args.procs, quiet=False)
    return code


def _embed(settings: Settings, procs: int | None, quiet: bool) -> dict[str, Any]:
    """The semantic layer of the live generation, after the lexical one is published.

    Returns when every document has its vectors (the status says how far it got
    if the process is killed; the next run continues). Without the encoder: says so.
    """
    from index import IndexStore
    from index.embedding import embed_generation
    from index.encoder import encoder_state, load_encoder

    encoder = load_encoder(settings.encoder)
    if encoder is None:
        reason = encoder_state(settings.encoder).reason
        if not quiet:
            print(f"semantic layer: off, {reason}", file=sys.stderr)
        return {"encoder": None, "documents": 0, "total": 0, "reason": reason}
    gen_dir = IndexStore(settings.index_dir).current_dir()
    shown = [0.0]

    def report(done: int, total: int) -> None:
        now = time.perf_counter()
        if not quiet and (now - shown[0] > 2 or done == total):
            shown[0] = now
            print(f"semantic layer: {done:,} / {total:,} documents", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    outcome = embed_generation(gen_dir, encoder, procs=procs, report=report)
    took = time.perf_counter() - t0
    if not quiet:
        print(
            f"semantic layer ({encoder.name}): {outcome.documents} / {outcome.total} documents; "
            f"embedded {outcome.embedded}, reused {outcome.reused} in {took:.1f} s"
        )
    return {
        "encoder": encoder.name,
        "documents": outcome.documents,
        "total": outcome.total,
        "embedded": outcome.embedded,
        "reused": outcome.reused,
        "duration_s": round(took, 3),
    }


def cmd_analyze(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    tokens = tokenize(text, args.lang)
    if args.json:
        print(
            json.dumps(
                [{**t.asdict(), "surface": text[t.start : t.end]} for t in tokens],
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    print(f"{'surface':<20} {'exact':<20} {'term':<16} {'script':<6} offsets")
    for t in tokens:
        term = "(stop word)" if t.stop else t.term
        print(
            f"{text[t.start : t.end]:<20} {t.exact:<20} {term:<16} {t.script:<6} {t.start}-{t.end}"
        )
    return EXIT_OK


def _terminal_marks(html: str, tty: bool) -> str:
    import html as html_lib

    on, off = ("\033[1;33m", "\033[0m") if tty else ("[", "]")
    return html_lib.unescape(html.replace("<mark>", on).replace("</mark>", off))


def cmd_search(args: argparse.Namespace) -> int:
    from search import SearchEngine, validate_request
    from search.serialize import results_to_dict

    settings = _settings(args)
    request = validate_request(
        q=" ".join(args.query),
        lang=args.lang,
        page=str(args.page),
        size=str(args.size),
        sort=args.sort,
        date_from=args.date_from,
        date_to=args.date_to,
        cross="true" if args.cross else "false",
        match=args.match,
        mode=args.mode or "",
    )
    from index.encoder import load_encoder

    engine = SearchEngine(
        settings.index_dir,
        time_limit=settings.time_limit,
        cache_bytes=settings.cache_bytes,
        encoder=load_encoder(settings.encoder),
        wait_for_vectors=True,
    )
    try:
        results = engine.search(request)
    finally:
        engine.close()
    if args.json:
        print(json.dumps(results_to_dict(results), ensure_ascii=False, indent=2))
        return EXIT_OK
    tty = sys.stdout.isatty()
    print(
        f"{results.total} results ({results.took_ms:.1f} ms) for «{request.q}»"
        f" — interpreted as: {results.interpretation.query}"
    )
    interp = results.interpretation
    if results.partial:
        print(
            f"  partial: the search was stopped by its time limit ({settings.time_limit:g} s,"
            " FIHRIS_TIME_LIMIT); the notes below say what was left out"
        )
    if interp.match != "all" and (interp.required or len(interp.optional) > 1):
        print(
            f"  required: {', '.join(interp.required) or 'none'}"
            f" · optional: {', '.join(interp.optional) or 'none'}"
        )
    print(f"  ranking: {interp.mode}")
    for note in interp.notes:
        print(f"  note: {note}")
    for word in results.interpretation.translations:
        shown = ", ".join(t.display for t in word.translations)
        print(f"  also searched for {word.word} → {shown}")
    if results.suggestion:
        print(f"  did you mean: {results.suggestion}")
    first = (results.page - 1) * results.size
    for rank, hit in enumerate(results.hits, start=first + 1):
        print(f"\n{rank:>3}. [{hit.lang}] {hit.title}")
        print(f"     {hit.date or 'no date'} · {hit.id} · score {hit.score:.2f}")
        if hit.close_in_meaning:
            print("     close in meaning (no query word in it):")
        for fragment in hit.snippets:
            print(f"     … {_terminal_marks(fragment.html, tty)} …")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from web.scheduler import read_schedule
    from web.services import status_lines, store_summary

    settings = _settings(args)
    summary = store_summary(settings.index_dir, settings.encoder)
    if summary["generation"] is None:
        raise IndexMissingError(
            f"no index at {settings.index_dir}: build one with 'fihris index build'"
        )
    schedule = read_schedule(settings.index_dir)
    summary["next_run"] = schedule.get("next_run") if schedule else None
    summary["schedule"] = schedule
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print("\n".join(status_lines(settings.index_dir, summary)))
    if summary["damaged"]:
        print(f"fihris: {summary['damaged']}", file=sys.stderr)
        return EXIT_MISSING
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from search.allocator import limit_arenas
    from web.app import create_app
    from web.server import serve

    limit_arenas()  # before the request threads start: they share two heaps
    settings = _settings(args)
    if args.reindex_every is not None:  # already checked by argparse (_option)
        settings = replace(settings, reindex_every=parse_reindex_every(args.reindex_every))
    serve(create_app(settings), settings)
    return EXIT_OK


def cmd_lexicon(args: argparse.Namespace) -> int:
    from lab.lexicon_build import main_build  # offline tool: loaded only for this command

    return main_build(["--data", str(args.data), *args.options])


def cmd_native(args: argparse.Namespace) -> int:
    from index import native

    if args.action == "build":
        try:
            print(native.build(force=args.force))
        except (RuntimeError, OSError) as exc:
            print(
                f"fihris: {exc}\nthe analysis runs as pure Python (same results, slower)",
                file=sys.stderr,
            )
            return EXIT_PROBLEMS
        return EXIT_OK
    print("compiled" if native.active() else f"pure Python: {native.reason}")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    # offline tools (lab/): loaded only for this command, never by a server
    if args.what == "ranking":
        from lab.ranking_eval import main_ranking

        return main_ranking(["--data", str(args.data), *args.options])
    from lab.clir_eval import main_eval

    return main_eval(["--data", str(args.data), *args.options])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fihris", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def paths(p: argparse.ArgumentParser, corpus: bool = True) -> None:
        p.add_argument("--index", type=Path, help="index directory (default var/index)")
        if corpus:
            p.add_argument("--corpus", type=Path, help="corpus folder (default corpus/)")

    idx = sub.add_parser("index", help="build or update the index of a corpus folder")
    idx.add_argument("action", choices=["build", "update"])
    paths(idx)
    idx.add_argument("--procs", type=int, default=None, help="writer processes (default: cores)")
    idx.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="seconds to wait for another writer to finish (default 0)",
    )
    idx.add_argument(
        "--max-document-bytes",
        type=_option(parse_document_bytes),
        metavar="SIZE",
        help="largest document read (a stream line, a text file): 16M, 512K, 1G or bytes; "
        "larger ones are skipped and reported (default 16M; FIHRIS_MAX_DOCUMENT_BYTES)",
    )
    idx.add_argument("--json", action="store_true", help="print the run report as JSON")
    idx.set_defaults(func=cmd_index)

    ana = sub.add_parser("analyze", help="show how a text is analysed (surface → exact → term)")
    ana.add_argument("--lang", choices=["fr", "ar"])
    ana.add_argument("--json", action="store_true")
    ana.add_argument("text", nargs="+")
    ana.set_defaults(func=cmd_analyze)

    sea = sub.add_parser("search", help="search the index")
    paths(sea, corpus=False)
    sea.add_argument("--lang", default="", help="only documents in fr or ar")
    sea.add_argument("--size", type=int, default=10)
    sea.add_argument("--page", type=int, default=1)
    sea.add_argument("--sort", default="relevance", help="relevance | date")
    sea.add_argument("--from", dest="date_from", default="", help="from date (2024, 2024-07…)")
    sea.add_argument("--to", dest="date_to", default="", help="to date")
    sea.add_argument(
        "--cross-language",
        dest="cross",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also search the other language (default on)",
    )
    sea.add_argument(
        "--match",
        choices=["best", "all", "any"],
        default="best",
        help="best: every word counts, +word required (default); all: every word; any: OR",
    )
    sea.add_argument(
        "--mode",
        choices=["hybrid", "lexical", "semantic"],
        default=None,
        help="hybrid: words and meaning (default with the encoder); lexical: words; "
        "semantic: meaning",
    )
    sea.add_argument("--json", action="store_true")
    sea.add_argument("query", nargs="+")
    sea.set_defaults(func=cmd_search)

    sta = sub.add_parser("status", help="documents per language, generation, last and next run")
    paths(sta, corpus=False)
    sta.add_argument("--json", action="store_true", help="print the status as JSON")
    sta.set_defaults(func=cmd_status)

    srv = sub.add_parser("serve", help="serve the web interface and the JSON API")
    paths(srv)
    srv.add_argument("--host", help="address to bind (default 127.0.0.1: this machine only)")
    srv.add_argument("--port", type=_option(parse_port), help="TCP port (default 8000)")
    srv.add_argument(
        "--reindex-every",
        type=_option(parse_reindex_every, keep_text=True),
        help="incremental re-index period: 30s, 10m, 1h, 1d or off (FIHRIS_REINDEX_EVERY)",
    )
    srv.set_defaults(func=cmd_serve)

    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    lex = sub.add_parser("lexicon", help="rebuild the French⇄Arabic lexicon")
    lex.add_argument("action", choices=["build"])
    lex.add_argument("--data", type=Path, default=shared)
    lex.add_argument("options", nargs=argparse.REMAINDER, help="--out FILE, --exclude DATASET")
    lex.set_defaults(func=cmd_lexicon)

    nat = sub.add_parser("native", help="compile the analysis with mypyc, or say which one runs")
    nat.add_argument("action", choices=["build", "status"])
    nat.add_argument("--force", action="store_true", help="rebuild even if up to date")
    nat.set_defaults(func=cmd_native)

    ev = sub.add_parser("eval", help="evaluate ranking (queries as typed) or cross-language")
    ev.add_argument("what", choices=["ranking", "clir"])
    ev.add_argument("--data", type=Path, default=shared)
    ev.add_argument(
        "options",
        nargs=argparse.REMAINDER,
        help="ranking: --sets saudi,flores,tico, --limit N, --json; clir: --retriever "
        "engine|psq, --query or|and, --dataset flores|tico, --protocol rest|full, "
        "--mode psq|flat, --no-links, --json FILE",
    )
    ev.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fihris`` console script."""
    args = _parser().parse_args(argv)
    handlers: dict[type[Exception], int] = {
        IndexLockedError: EXIT_LOCKED,
        CorpusError: EXIT_MISSING,
        IndexStoreError: EXIT_MISSING,
    }
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except FihrisError as exc:
        print(f"fihris: {exc}", file=sys.stderr)
        for kind, code in handlers.items():
            if isinstance(exc, kind):
                return code
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("fihris: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader left (`fihris search … | head`): not an error of ours, and
        # Python must not complain again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
