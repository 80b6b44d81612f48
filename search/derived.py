"""What ``fihris index build``/``update`` derive from a new generation before publishing it.

Story links (:mod:`search.links`), the term lists (:mod:`search.vocab_files`)
and the completions of the search box (:mod:`search.complete_files`). Why two
processes: the links and the other two are independent and each takes seconds
to minutes on a large collection, and the machine has more than one core; the
term lists and completions are written by a child process while this one
links (one process when there is one core). The child is a new interpreter
(:func:`main`), not a fork: a process forked while another
thread holds a lock (a server's, a test's) would wait for it forever.

An update continues the previous generation's results instead of computing
them over every document: the links from its per-document results and frozen
idf, the term lists from its file (:func:`search.vocab_files.continued_terms`),
the completions from its counts (:func:`search.complete_files.continue_counts`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from search.complete_files import (
    continue_counts,
    mine_counts,
    release_memory,
    write_completions,
    write_counts,
)
from search.generation_diff import changes
from search.links import GenerationLinks
from search.vocab_files import write_vocabularies


def prepare_generation(gen_dir: Path, base_dir: Path | None) -> dict[str, Any]:
    """Compute and store a new generation's links, term lists and completions, unpublished yet.

    ``base_dir``: the generation an update started from; its per-document results
    are reused for the unchanged documents. Never raises: a generation without
    its links file still works (the server then computes them in the background),
    and so does one without its term lists or completions (read or mined by the server).
    """
    from index.store import open_generation

    try:
        index = open_generation(gen_dir, check=False)
        child = _start_aside(gen_dir, base_dir)
        report: dict[str, Any] = {}
        if child is None:
            report.update(_aside(gen_dir, base_dir))
        t0 = time.perf_counter()
        links = GenerationLinks(gen_dir, index, base_dir=base_dir)
        links.compute()
        report["links_seconds"] = round(time.perf_counter() - t0, 2)
        if child is not None:
            report.update(_finish_aside(child))
        return {**links.report, **report}
    except Exception as exc:  # the generation is still good: links come later
        logging.getLogger(__name__).exception("linking %s failed", gen_dir)
        return {"source": "failed", "error": str(exc)}


def _start_aside(gen_dir: Path, base_dir: Path | None) -> subprocess.Popen[bytes] | None:
    """The term lists and completions in a child process (None: do them here)."""
    if (os.cpu_count() or 1) < 2:
        return None
    root = str(Path(__file__).resolve().parents[1])  # this very source tree in the child
    code = f"import sys; sys.path.insert(0, {root!r}); from search.derived import main; main()"
    argv = [sys.executable, "-c", code, str(gen_dir), str(base_dir or "")]
    try:
        return subprocess.Popen(argv, stdout=subprocess.PIPE)
    except OSError:
        return None


def _finish_aside(child: subprocess.Popen[bytes]) -> dict[str, Any]:
    out, _ = child.communicate()
    try:
        found = json.loads(out.decode("utf-8").strip().splitlines()[-1])
        return found if isinstance(found, dict) else {"aside_error": "no report"}
    except (ValueError, IndexError):
        return {"aside_error": f"the child process ended with {child.returncode}"}


def _aside(gen_dir: Path, base_dir: Path | None) -> dict[str, Any]:
    """Write the term lists and completions; their seconds (errors: logged, skipped)."""
    from index.store import open_generation

    out: dict[str, Any] = {}
    try:
        index = open_generation(gen_dir, check=False)
        t0 = time.perf_counter()
        with index.reader() as reader:
            out["vocabularies_continued"] = _vocabularies(gen_dir, base_dir, reader)
        out["vocabularies_seconds"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        with index.reader() as reader:
            miner = _continued_counts(base_dir, reader) if base_dir is not None else None
            out["completions_continued"] = miner is not None
            if miner is None:
                miner = mine_counts(reader)
            write_completions(gen_dir, reader, miner.completions())
            write_counts(gen_dir, miner)
            del miner
        release_memory()
        out["completions_seconds"] = round(time.perf_counter() - t0, 2)
    except Exception as exc:
        logging.getLogger(__name__).exception("term lists or completions of %s", gen_dir)
        out["aside_error"] = str(exc)
    return out


def _vocabularies(gen_dir: Path, base_dir: Path | None, reader: Any) -> bool:
    """Write the term lists, continuing ``base_dir``'s when it can; whether it did."""
    from index.store import open_generation

    if base_dir is not None:
        try:
            with open_generation(base_dir, check=False).reader() as base:
                return write_vocabularies(gen_dir, reader, base_dir, base)
        except Exception:  # the base is gone or unreadable: read the whole lexicon
            logging.getLogger(__name__).exception("continuing term lists from %s", base_dir)
    write_vocabularies(gen_dir, reader)
    return False


def _continued_counts(base_dir: Path, reader: Any) -> Any:
    """The completion counts of ``base_dir`` continued with what changed since (or None)."""
    from index.store import open_generation

    try:
        with open_generation(base_dir, check=False).reader() as base:
            return continue_counts(base_dir, base, reader, changes(base, reader))
    except Exception:  # the base is gone or unreadable: mined again
        logging.getLogger(__name__).exception("continuing completions from %s", base_dir)
        return None


def main() -> None:
    """The child of :func:`prepare_generation`: ``GEN_DIR [BASE_DIR]``, its report on stdout."""
    base = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    print(json.dumps(_aside(Path(sys.argv[1]), Path(base) if base else None)))
