"""``python -m bench --scale``: how build, memory, start-up and latency grow with the archive.

Per size (30k, 100k, 300k documents by default; ``--sizes``), in one run and on the
same synthetic collection (:mod:`bench.scale_data`), Fihris and naive Whoosh
(:mod:`bench.scale_naive`: the tutorial's single writer, :mod:`bench.naive_web`:
a searcher per request):

- build: documents/s and peak resident memory of the whole process tree (the
  writer processes included), sampled every :data:`SAMPLE_S`; index size on disk;
- the real server (``fihris serve``, reindexing off): resident memory once it
  answers searches and after :data:`QUERIES_PER_SHAPE` × 3 shapes × 2 (cross-language
  on and off) distinct queries; seconds from spawn to the first answered search
  (lexical ready) and to story links and cross-language vocabularies ready
  (``/api/status`` ``engine.ready``);
- query latency over loopback HTTP, one client, p50/p95 per shape: 2 words,
  5 words, a 10–14-word headline (words taken from titles and leads of the
  collection, seeded); Fihris with cross-language on and off;
- ``fihris index update`` adding 1% new documents: seconds and the ratio to the build.

Then a log-log growth exponent per metric (least squares over the sizes): 1.0 is
linear, 0 flat. The JSON goes to ``var/bench-scale.json``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Final

import httpx

from bench import scale_data
from index import tokenize

SAMPLE_S: Final = 0.2
QUERIES_PER_SHAPE: Final = 84  # 84 × 3 shapes × 2 = 504 queries
SHAPES: Final = {"two_word": (2, 2), "five_word": (5, 5), "headline": (10, 14)}
READY_TIMEOUT_S: Final = 3600


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (MB), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, ()))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


class _PeakMemory:
    """The highest tree memory of ``pid`` while the block runs, sampled every SAMPLE_S.

    Why beside the memory after the queries: a server that allocates per request
    (the naive one reads a searcher and highlights for each) gives it back between
    requests, so its memory at rest says little of what the machine must hold.
    """

    def __init__(self, pid: int) -> None:
        self.pid, self.mb = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.mb = max(self.mb, _tree_rss_mb(self.pid))
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.mb = max(self.mb, _tree_rss_mb(self.pid))


def _measured(argv: list[str]) -> dict[str, Any]:
    """Run ``argv`` to the end: seconds, peak tree memory, exit status."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_mb(proc.pid))
        time.sleep(SAMPLE_S)
    out, err = proc.communicate()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{argv} exited {proc.returncode}: {err.decode()[-2000:]}")
    return {"seconds": round(time.perf_counter() - t0, 2), "peak_mb": peak, "stdout": out}


def _size_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def queries(corpus: Path, seed: int = scale_data.SEED) -> dict[str, list[dict[str, str]]]:
    """Distinct queries per shape: consecutive content words of titles and first lines."""
    rng = random.Random(seed)
    lines = corpus.read_text("utf-8").splitlines()
    picked = [json.loads(lines[rng.randrange(len(lines))]) for _ in range(4000)]
    out: dict[str, list[dict[str, str]]] = {}
    for shape, (low, high) in SHAPES.items():
        found: dict[str, dict[str, str]] = {}
        for doc in picked:
            head = (doc.get("title") or doc["text"].split("\n", 1)[0])[:400]
            words = [head[t.start : t.end] for t in tokenize(head) if not t.stop]
            want = rng.randint(low, high)
            if len(words) < want:
                continue
            start = rng.randrange(len(words) - want + 1)
            text = " ".join(words[start : start + want])
            found.setdefault(text, {"q": text, "lang": doc.get("lang", "")})
            if len(found) == QUERIES_PER_SHAPE:
                break
        out[shape] = list(found.values())
    return out


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1)}


def _serve(argv: list[str], port: int, path: str, probe: dict[str, str]) -> tuple[Any, float]:
    """Start a server; return it and the seconds until it answered a search."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.perf_counter() - t0 < READY_TIMEOUT_S:
        if proc.poll() is not None:
            raise RuntimeError(f"{argv} exited {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", params=probe, timeout=60).is_success:
                return proc, time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{argv} did not answer on port {port}")


def _wait_ready(port: int, t0: float) -> dict[str, float | None]:
    """Seconds (from spawn) until each part of the live generation is ready, per /api/status."""
    when: dict[str, float | None] = {}
    while time.perf_counter() - t0 < READY_TIMEOUT_S:
        status = httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=60).json()
        ready = (status.get("engine") or {}).get("ready")
        if not isinstance(ready, dict):
            return {"links": None, "vocabularies": None}  # this version does not say
        for part in ("links", "vocabularies"):
            if ready.get(part) is True and part not in when:
                when[part] = round(time.perf_counter() - t0, 2)
        if len(when) == 2:
            return when
        time.sleep(0.2)
    return {part: when.get(part) for part in ("links", "vocabularies")}


def _load(
    port: int, path: str, mix: dict[str, list[dict[str, str]]], modes: list[str | None]
) -> dict[str, Any]:
    """Every query of every shape once per mode (cross-language true/false, or None)."""
    out: dict[str, Any] = {}
    samples: dict[str, list[float]] = {}
    failed = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
        for shape, items in mix.items():
            for params in items:
                for mode in modes:
                    key = shape if mode is None else f"{shape}_cross_{mode}"
                    sent = dict(params) if mode is None else {**params, "cross": mode}
                    if mode is None:
                        sent.pop("lang", None)  # the naive service has no language filter
                    t0 = time.perf_counter()
                    response = http.get(path, params=sent)
                    samples.setdefault(key, []).append((time.perf_counter() - t0) * 1000)
                    failed += not response.is_success
    for key, values in samples.items():
        out[key] = _percentiles(values)
    out["queries"] = sum(len(v) for v in samples.values())
    out["failed"] = failed
    return out


def _stop(proc: Any) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _fihris(
    root: Path,
    corpus: Path,
    size: int,
    mix: dict[str, Any],
    *,
    reuse: bool = False,
    kept: bool = False,
) -> dict[str, Any]:
    """Build (unless ``reuse``: the index under ``root`` is served as it is), serve, update.

    ``reuse`` measures the server only: no build figures. A ``kept`` index is
    updated, then put back as built (the update's generation removed, the built one
    live again, the added file deleted), so the next run serves what was built.
    """
    py = sys.executable
    index = root / "index"
    result: dict[str, Any] = {}
    if not reuse:
        build = _measured([py, "-m", "web.cli", "index", "build", "--corpus", str(corpus.parent),
                           "--index", str(index), "--json"])  # fmt: skip
        live = index / (index / "CURRENT").read_text().strip()
        result = {
            "build_docs_per_s": round(size / build["seconds"], 1),
            "build_seconds": build["seconds"],
            "build_peak_mb": build["peak_mb"],
            "index_mb": _size_mb(live),
            "build_links": _derived(build["stdout"]),
        }
    port = _free_port()
    argv = [py, "-m", "web.cli", "serve", "--index", str(index), "--corpus", str(corpus.parent),
            "--port", str(port), "--reindex-every", "off"]  # fmt: skip
    t0 = time.perf_counter()
    server, lexical = _serve(argv, port, "/api/search", {"q": "news", "cross": "false"})
    try:
        result["ready_lexical_s"] = round(lexical, 2)
        ready = _wait_ready(port, t0)
        result["ready_links_s"] = ready["links"]
        result["ready_vocabularies_s"] = ready["vocabularies"]
        result["server_mb_after_start"] = _tree_rss_mb(server.pid)
        with _PeakMemory(server.pid) as peak:
            result["latency"] = _load(port, "/api/search", mix, ["true", "false"])
        result["server_mb_after_queries"] = _tree_rss_mb(server.pid)
        result["server_mb_peak_queries"] = peak.mb
    finally:
        _stop(server)
    if reuse:
        return result
    extra = max(1, size // 100)
    added = corpus.parent / "docs-new.jsonl"
    scale_data.write(extra, added, start=size)
    before = (index / "CURRENT").read_text()
    update = _measured([py, "-m", "web.cli", "index", "update", "--corpus", str(corpus.parent),
                        "--index", str(index), "--json"])  # fmt: skip
    if kept:  # served again by a later run: the built generation goes back live, as built
        after = (index / "CURRENT").read_text().strip()
        (index / "CURRENT.restore").write_text(before)
        os.replace(index / "CURRENT.restore", index / "CURRENT")
        if after != before.strip():
            shutil.rmtree(index / after, ignore_errors=True)
        added.unlink()
    result["update_added"] = extra
    result["update_seconds"] = update["seconds"]
    result["update_peak_mb"] = update["peak_mb"]
    result["update_over_build"] = round(update["seconds"] / build["seconds"], 3)
    result["update_links"] = _derived(update["stdout"])
    with contextlib.suppress(ValueError, KeyError):  # corpus files the update did not parse
        result["update_files_passed_over"] = json.loads(update["stdout"])["files_passed_over"]
    return result


def _derived(stdout: bytes) -> dict[str, Any]:
    """What a run's JSON report says of its story links (seconds, reused, computed)."""
    try:
        derived = json.loads(stdout).get("derived") or {}
    except ValueError:
        return {}
    wanted = (
        "seconds",
        "links_seconds",
        "reused",
        "computed",
        "rows",
        "changed",
        "family_continued",
        # the child process beside the links: its seconds (the run waits for the longer)
        "vocabularies_seconds",
        "vocabularies_continued",
        "completions_seconds",
    )
    return {k: v for k, v in derived.items() if k in wanted}


def _naive(
    root: Path, corpus: Path, size: int, mix: dict[str, Any], *, reuse: bool = False
) -> dict[str, Any]:
    py = sys.executable
    index = root / "naive"
    result: dict[str, Any] = {}
    if not reuse:
        build = _measured([py, "-m", "bench.scale_naive", str(corpus), str(index)])
        result = {
            "build_docs_per_s": round(size / build["seconds"], 1),
            "build_seconds": build["seconds"],
            "build_peak_mb": build["peak_mb"],
            "index_mb": _size_mb(index),
        }
    port = _free_port()
    server, lexical = _serve(
        [py, "-m", "bench.naive_web", str(index), str(port)], port, "/search", {"q": "news"}
    )
    try:
        result["ready_lexical_s"] = round(lexical, 2)
        result["server_mb_after_start"] = _tree_rss_mb(server.pid)
        with _PeakMemory(server.pid) as peak:
            result["latency"] = _load(port, "/search", mix, [None, None])
        result["server_mb_after_queries"] = _tree_rss_mb(server.pid)
        result["server_mb_peak_queries"] = peak.mb
    finally:
        _stop(server)
    return result


def _built(root: Path) -> bool:
    """True when ``root`` holds a collection and both indexes of an earlier ``keep`` run."""
    return all(
        p.exists()
        for p in (root / "corpus" / "docs.jsonl", root / "index" / "CURRENT", root / "naive")
    )


def exponent(sizes: list[int], values: list[float | None]) -> float | None:
    """Slope of log(value) against log(size): the growth exponent (None if undefined)."""
    pairs = [(math.log(s), math.log(v)) for s, v in zip(sizes, values, strict=True) if v]
    if len(pairs) < 2:
        return None
    mx = statistics.fmean(x for x, _ in pairs)
    my = statistics.fmean(y for _, y in pairs)
    var = sum((x - mx) ** 2 for x, _ in pairs)
    if var == 0:
        return None
    return round(sum((x - mx) * (y - my) for x, y in pairs) / var, 2)


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"{prefix}{key}"] = value
    return out


def bench_scale(
    sizes: list[int],
    workdir: Path | None = None,
    partial: Path | None = None,
    keep: Path | None = None,
) -> dict[str, Any]:
    """Every size, Fihris and naive Whoosh in turn, then the exponents.

    ``partial``: where the rows measured so far are written after each size (a
    300k run takes hours; an interrupted one keeps its figures). ``keep``: the
    collections and both indexes stay under ``keep/n<size>``, and a later run
    with the same ``keep`` serves them again without building (server memory,
    readiness and latency only: what a change of the server needs measured,
    both sides on the same indexes; the update is measured when the index is built,
    then undone).
    """
    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=workdir, prefix="fihris-scale-") as tmp:
        for size in sizes:
            root = (keep or Path(tmp)) / f"n{size}"
            corpus = root / "corpus" / "docs.jsonl"
            reuse = keep is not None and _built(root)
            if not reuse:
                shutil.rmtree(root, ignore_errors=True)
                scale_data.write(size, corpus)
            mix = queries(corpus)
            rows[str(size)] = {
                "reused_indexes": reuse,
                "fihris": _fihris(root, corpus, size, mix, reuse=reuse, kept=keep is not None),
                "naive_whoosh": _naive(root, corpus, size, mix, reuse=reuse),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
            fihris = rows[str(size)]["fihris"]
            naive = rows[str(size)]["naive_whoosh"]
            ratios: dict[str, float] = {
                key: round(fihris[key] / naive[key], 2)
                for key in (
                    "build_docs_per_s",
                    "server_mb_after_start",
                    "server_mb_after_queries",
                    "server_mb_peak_queries",
                )
                if fihris.get(key) and naive.get(key)
            }
            rows[str(size)]["ratios"] = ratios
            print(f"size {size}: {json.dumps(rows[str(size)])}", file=sys.stderr, flush=True)
            if partial is not None:
                partial.parent.mkdir(parents=True, exist_ok=True)
                partial.write_text(json.dumps(rows, indent=2, ensure_ascii=False), "utf-8")
            if keep is None:
                shutil.rmtree(root, ignore_errors=True)
    flat = {size: _flat(row) for size, row in rows.items()}
    keys = sorted(set().union(*(f.keys() for f in flat.values()))) if flat else []
    growth = {
        key: exponent(sizes, [flat[str(s)].get(key) for s in sizes])
        for key in keys
        if not key.startswith(("load_average", "ratios"))
        and not key.endswith(("queries", "failed", "update_added"))
    }
    return {
        "collection": scale_data.DESCRIPTION,
        "sizes": sizes,
        "rows": rows,
        "growth_exponent": growth,
        "latency_note": "loopback HTTP, one client, distinct queries; naive runs each twice",
        # FIHRIS_ENCODER=off: the lexical build and server (the embedding has its own
        # bench, ``--only semantic``: tens of documents per second would hide the rest)
        "encoder": os.environ.get("FIHRIS_ENCODER", "on"),
    }


def table(result: dict[str, Any]) -> str:
    """The figures as a text table: one line per metric, one column per size, then the exponent."""
    sizes = [str(s) for s in result["sizes"]]
    flat = {s: _flat(result["rows"][s]) for s in sizes}
    keys = sorted(set().union(*(f.keys() for f in flat.values()))) if flat else []
    lines = [f"{'metric':<52}" + "".join(f"{s:>12}" for s in sizes) + f"{'exponent':>10}"]
    for key in keys:
        if key.startswith("load_average"):
            continue
        cells = "".join(f"{flat[s].get(key, ''):>12}" for s in sizes)
        lines.append(f"{key:<52}{cells}{result['growth_exponent'].get(key) or '':>10}")
    return "\n".join(lines)
