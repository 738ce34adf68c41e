"""Latency of issuing ONE document end to end, against LibreOffice converting the same document's DOCX.

    .venv/bin/python -m bench.issue [--n 40] [--warmup 5] [--form arrears-reminder-1] [--out DIR] [--all]

What is measured (one process, on a fresh temporary SQLite database and output folder):

* issue: `issue_document()` with the form's example data — validation, numbering, DOCX (docxtpl),
  PDF (WeasyPrint), sha256 of both files and the index row, in one transaction. --warmup issues
  first (the first WeasyPrint call in a process costs ~0.1 s more), then --n timed issues:
  p50 / p95 / mean / min / max.
* breakdown: the same steps timed one by one on the same data (--n runs each, median):
  validation, build_document + render_html, render_pdf (split into WeasyPrint layout and PDF
  writing by calling WeasyPrint directly), render_docx. Within the timed issues themselves, the
  time outside rendering (transaction, counter, sha256, file moves, index row) is measured too,
  and the process CPU time next to the wall time, to tell a slow run from a busy machine.
* LibreOffice: `soffice --headless --convert-to pdf` of one issued .docx, one process per
  conversion as a per-document LibreOffice service would do, with its own temporary user profile;
  1 warm-up conversion (creates the profile), then 5 timed: median and min.

Targets: issue p95 <= 300 ms, and LibreOffice median >= 4 x issue p95 (LibreOffice's conversion
alone vs our whole issue). --all runs the --form and repair-order (4 copies = 4 pages) and prints
one summary line per form. Baseline figures: /work/shared/research/pdf-performance-baseline.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import weasyprint

import app.issue
from app.index.db import Database
from app.issue import Desk, issue_document
from app.registry import load_catalogue
from app.render.docx import render_docx
from app.render.html import render_html
from app.render.model import Letterhead, build_document
from app.render.pdf import _layout, harfbuzz_subset_available, render_document_pdf
from app.validation import validate_submission
from app.web.main import docx_pool, tune_gc
from app.web.schema import jsonable

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = {"HL": Letterhead(company="海亮物业管理有限公司", project_name="海亮·锦华花园", project_code="HL")}
TARGET_P95_MS = 300.0
TARGET_RATIO = 4.0
LO_RUNS = 5


@dataclass
class Result:
    form_id: str
    pages: int
    issue_ms: list[float]  # wall time of each timed issue_document()
    cpu_ms: list[float]  # this process's CPU time in the same calls (wall >> cpu: the machine was busy)
    rest_ms: list[float]  # the part of each issue outside rendering (transaction, counter, sha256, row)
    gc: GcTimer  # Python's garbage collector during the timed issues
    breakdown_ms: dict[str, float]
    lo_ms: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.issue_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.issue_ms, 95)


class GcTimer:
    """Time spent in Python's cyclic garbage collector while installed (gc.callbacks)."""

    def __init__(self) -> None:
        self.ms = {0: 0.0, 1: 0.0, 2: 0.0}
        self.count = {0: 0, 1: 0, 2: 0}
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.ms[info["generation"]] += (time.perf_counter() - self._t0) * 1000
            self.count[info["generation"]] += 1


def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default method)."""
    xs = sorted(values)
    k = (len(xs) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(milliseconds, result) of one call."""
    t0 = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t0) * 1000, result


def timed_cpu(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall ms, process CPU ms, result) of one call."""
    c0 = time.process_time()
    ms, result = timed(fn)
    return ms, (time.process_time() - c0) * 1000, result


def make_desk(work: Path, docx_workers: int) -> Desk:
    """A Desk as `docdesk serve` builds it (Word worker pool, GC tuned), on a fresh SQLite database."""
    db = Database(f"sqlite:///{work / 'index.db'}")
    db.migrate()
    return Desk(
        catalogue=load_catalogue(ROOT / "forms", strict=True),
        db=db,
        output_dir=work / "output",
        templates_dir=ROOT / "templates",
        base_url="http://docdesk.bench",
        projects=PROJECTS,
        default_project="HL",
        docx_pool=docx_pool(docx_workers),
    )


def measure_issue(
    desk: Desk, form_id: str, data: dict[str, Any], n: int, warmup: int
) -> tuple[list[float], list[float], list[float], GcTimer, Any]:
    """n issues after `warmup` untimed ones: wall ms, CPU ms, non-rendering ms, GC time, last index row.

    The non-rendering part is issue time minus app.issue._render_files (PDF + DOCX), which is
    wrapped with a timer for the duration of the measurement.
    """
    for _ in range(warmup):
        issue_document(desk, form_id, data)
    render_files = app.issue._render_files
    render_ms: list[float] = []

    def timed_render_files(*args: Any, **kwargs: Any) -> Any:
        ms, pages = timed(lambda: render_files(*args, **kwargs))
        render_ms.append(ms)
        return pages

    wall, cpu, rest = [], [], []
    gc_timer = GcTimer()
    app.issue._render_files = timed_render_files
    gc.callbacks.append(gc_timer)
    try:
        for _ in range(n):
            ms, cpu_ms, row = timed_cpu(lambda: issue_document(desk, form_id, data))
            wall.append(ms)
            cpu.append(cpu_ms)
            rest.append(ms - render_ms[-1])
    finally:
        app.issue._render_files = render_files
        gc.callbacks.remove(gc_timer)
    return wall, cpu, rest, gc_timer, row


def measure_breakdown(desk: Desk, form_id: str, data: dict[str, Any], n: int, scratch: Path) -> dict[str, float]:
    """Median ms of each issuing step, run separately on the same data (n runs each step)."""
    form = desk.form(form_id)
    letterhead = PROJECTS["HL"]
    clean = validate_submission(form, data)
    template = form.templates.get(".html")

    def model() -> Any:
        return build_document(
            form,
            clean,
            number="HL-BENCH-000001",
            issue_date=dt.date.today(),
            letterhead=letterhead,
            verify_url=desk.verify_url("bench-token"),
        )

    def model_and_html() -> str:
        return render_html(model(), desk.templates_dir, template)

    doc = model()
    several = len(doc.copies) > 1
    html = render_html(doc, desk.templates_dir, template, body_only=several)
    steps: dict[str, Callable[[], Any]] = {
        "validate": lambda: validate_submission(form, data),
        "model+html": model_and_html,
        "render_pdf": lambda: render_document_pdf(doc, desk.templates_dir, template, scratch / "b.pdf"),
        "render_docx": lambda: render_docx(doc, desk.docx_template, scratch / "b.docx"),
    }
    out = {}
    for name, fn in steps.items():
        fn()  # one untimed call per step
        out[name] = statistics.median(timed(fn)[0] for _ in range(n))

    def layout() -> Any:  # the body's layout (one copy when there are several); write_pdf gets a fresh one
        return _layout(html, desk.templates_dir)

    layout_ms, write_ms = [], []
    for _ in range(n):
        ms, laid_out = timed(layout)
        layout_ms.append(ms)
        write_ms.append(timed(lambda d=laid_out: d.write_pdf(scratch / "w.pdf", pdf_identifier=False))[0])
    which = " (1 copy)" if several else ""
    split = {f"  layout{which}": statistics.median(layout_ms), f"  write_pdf{which}": statistics.median(write_ms)}
    order = ["validate", "model+html", "render_pdf", *split, "render_docx"]
    return {name: {**out, **split}[name] for name in order}


def libreoffice_cmd() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def measure_libreoffice(docx: Path, scratch: Path, runs: int = LO_RUNS) -> list[float]:
    """ms of `soffice --convert-to pdf` on `docx`, one process each, own profile; first (warm-up) dropped."""
    soffice = libreoffice_cmd()
    if soffice is None:
        return []
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-", dir="/tmp"))
    outdir = scratch / "lo"
    cmd = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        str(docx),
    ]
    pdf = outdir / (docx.stem + ".pdf")
    times = []
    try:
        for i in range(runs + 1):
            pdf.unlink(missing_ok=True)
            ms, proc = timed(lambda: subprocess.run(cmd, capture_output=True, text=True, timeout=180))
            if proc.returncode != 0 or not pdf.exists():
                raise RuntimeError(f"soffice failed ({proc.returncode}): {proc.stderr or proc.stdout}")
            if i > 0:
                times.append(ms)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return times


def bench_form(desk: Desk, form_id: str, n: int, warmup: int, scratch: Path) -> Result:
    data = jsonable(desk.catalogue.examples[form_id])
    wall, cpu, rest, gc_timer, last = measure_issue(desk, form_id, data, n, warmup)
    breakdown = measure_breakdown(desk, form_id, data, n, scratch)
    lo_ms = measure_libreoffice(desk.output_dir / last.docx_path, scratch)
    return Result(form_id, last.pages, wall, cpu, rest, gc_timer, breakdown, lo_ms)


def report(r: Result) -> None:
    xs = r.issue_ms
    print(f"\n== {r.form_id} ({r.pages} page{'s' if r.pages != 1 else ''}), {len(xs)} issues ==")
    print(
        f"issue_document  p50 {r.p50:7.1f}  p95 {r.p95:7.1f}  mean {statistics.fmean(xs):7.1f}  "
        f"min {min(xs):7.1f}  max {max(xs):7.1f}  ms"
    )
    print(
        f"  CPU time of the same calls: p50 {percentile(r.cpu_ms, 50):.1f}  p95 {percentile(r.cpu_ms, 95):.1f} ms;"
        f"  outside rendering (db, counter, sha256, row): p50 {percentile(r.rest_ms, 50):.1f} ms"
    )
    gc_ms = sum(r.gc.ms.values())
    print(
        f"  garbage collector: {gc_ms / len(xs):.1f} ms per issue on average; {r.gc.count[2]} full (gen-2) "
        f"collections in {len(xs)} issues took {r.gc.ms[2]:.0f} ms in all"
    )
    print("breakdown (median ms, steps run separately):")
    for name, ms in r.breakdown_ms.items():
        print(f"  {name:<13}{ms:8.1f}  {100 * ms / r.p50:5.1f} % of issue p50")
    steps = sum(v for k, v in r.breakdown_ms.items() if not k.startswith(" "))
    print(
        f"  {'sum':<13}{steps:8.1f}  (+ outside rendering {percentile(r.rest_ms, 50):.1f} = "
        f"{steps + percentile(r.rest_ms, 50):.1f} vs issue p50 {r.p50:.1f})"
    )
    if not r.lo_ms:
        print("LibreOffice: soffice not found, skipped")
        return
    lo = statistics.median(r.lo_ms)
    print(
        f"LibreOffice convert-to pdf ({len(r.lo_ms)} runs after 1 warm-up): median {lo:7.1f}  "
        f"min {min(r.lo_ms):7.1f} ms"
    )
    print(f"ratio LibreOffice median / issue p95 = {lo / r.p95:.1f}x   / issue p50 = {lo / r.p50:.1f}x")
    print(verdict(r))


def verdict(r: Result) -> str:
    p95_ok = r.p95 <= TARGET_P95_MS
    ratio = statistics.median(r.lo_ms) / r.p95 if r.lo_ms else float("nan")
    ratio_ok = ratio >= TARGET_RATIO
    return (
        f"p95 {r.p95:.0f} ms <= {TARGET_P95_MS:.0f} ms: {'PASS' if p95_ok else 'FAIL'};  "
        f"ratio {ratio:.1f}x >= {TARGET_RATIO:.0f}x: {'PASS' if ratio_ok else 'FAIL'}"
    )


def summary_line(r: Result) -> str:
    lo = statistics.median(r.lo_ms) if r.lo_ms else float("nan")
    return (
        f"{r.form_id:<22}{r.pages:>3} p  p50 {r.p50:6.1f}  p95 {r.p95:6.1f}  LO {lo:7.1f} ms  "
        f"LO/p95 {lo / r.p95:4.1f}x  LO/p50 {lo / r.p50:4.1f}x  | {verdict(r)}"
    )


def machine_facts() -> None:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    soffice = libreoffice_cmd()
    lo_version = "not installed"
    if soffice:
        lo_version = subprocess.run([soffice, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"cpus {os.cpu_count()} ({cpu}), load {os.getloadavg()[0]:.2f}")
    print(
        f"python {platform.python_version()}, weasyprint {weasyprint.__version__}, "
        f"libharfbuzz-subset {'yes' if harfbuzz_subset_available() else 'NO (expect ~48x slower PDFs)'}"
    )
    print(f"libreoffice: {lo_version}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.issue", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=40, help="timed issues (default 40)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed issues first (default 5)")
    parser.add_argument("--form", default="arrears-reminder-1", help="form id (default arrears-reminder-1)")
    parser.add_argument("--all", action="store_true", help="also run repair-order (4 copies = 4 pages)")
    parser.add_argument("--out", type=Path, help="keep the database and files in a new folder under DIR")
    parser.add_argument(
        "--docx-workers",
        type=int,
        default=1,
        help="Word renderer processes beside the PDF, as the server runs (0: in-process)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    machine_facts()
    forms = list(dict.fromkeys([args.form, *(["repair-order"] if args.all else [])]))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="bench-issue-", dir=args.out))
    else:
        work = Path(tempfile.mkdtemp(prefix="bench-issue-"))
    desk = make_desk(work, args.docx_workers)
    tune_gc()
    print(f"configuration: docx workers {args.docx_workers}, gc tuned as in `docdesk serve`")
    try:
        scratch = work / "scratch"
        scratch.mkdir()
        results = []
        for form_id in forms:
            result = bench_form(desk, form_id, args.n, args.warmup, scratch)
            report(result)
            results.append(result)
        if len(results) > 1:
            print("\n== summary ==")
            for r in results:
                print(summary_line(r))
    finally:
        desk.db.dispose()
        if desk.docx_pool is not None:
            desk.docx_pool.shutdown()
        if args.out:
            print(f"\nfiles kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
