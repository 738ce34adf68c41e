"""Throughput of a batch of 催款通知书: DocDesk's batch against LibreOffice and one WeasyPrint call per notice.

    .venv/bin/python -m bench.batch --n 10000 [--workers 2] [--chunk 50] [--sample 200] [--celery 600]

What one run does, on a fresh SQLite database and output folder under a temporary directory:

* DocDesk: a synthetic ledger of --n households, each in arrears (so --n notices), run through
  `run_arrears` exactly as `docdesk batch arrears` does: plan, numbers reserved, chunks of --chunk
  notices issued in --workers processes (PDF and Word stamped per layout shape, index rows, files), then
  the merged print PDF, the Word ZIP and the results workbook. Wall time from start to the last
  output; pages/s = pages of the print PDF / wall. Peak memory: the largest worker's and the parent's
  maximum RSS (getrusage).
* LibreOffice: --sample of the Word files DocDesk wrote, converted by two `soffice --convert-to pdf`
  instances (own profiles, half the files each, at the same time) as a batched LibreOffice pipeline on
  2 cores would; docs/s, extrapolated to --n.
* WeasyPrint per notice: --sample notices, one `write_pdf` call each, in two processes (the naive
  "one HTML → one PDF" pipeline); pages/s.
* Celery (--celery N): N notices issued by 1 and then by 2 local Celery worker processes (each with
  --concurrency 1, i.e. one core each, standing in for one machine each on this 2-core box), each run on
  a fresh database; the ratio is the scaling from one "machine" to two, measured on the issuing phase
  (between the first and the last chunk coming back; planning, numbering and the print outputs run once
  in the dispatching process whatever the number of workers) and printed end to end as well.

Targets (issue 4): 10,000 notices in <= 5 min (>= 33 pages/s) on 2 cores, <= 1 GiB per worker, >= 1.8x
with two Celery workers. Baseline of the best naive pipeline: 18 pages/s
(/work/shared/research/pdf-performance-baseline.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from app.batch.options import arrears_options
from app.batch.run import run_arrears
from app.config import Settings
from app.web.main import build_desk
from bench.ledger import make_ledger

ROOT = Path(__file__).resolve().parents[1]
TARGET_PPS = 33.0
TARGET_WORKER_MIB = 1024
TARGET_SCALING = 1.8


def settings_for(tmp: Path) -> Settings:
    tmp.mkdir(parents=True, exist_ok=True)
    return Settings(database_url=f"sqlite:///{tmp / 'index.db'}", output_dir=tmp / "output", docx_workers=0)


def docdesk_batch(tmp: Path, n: int, workers: int, chunk: int) -> dict[str, float]:
    settings = settings_for(tmp)
    ledger = make_ledger(n, seed=7).save(tmp / "ledger.xlsx").read_bytes()
    desk = build_desk(settings)
    project = settings.load_projects()["HL"]
    opts = arrears_options(project, dt.date(2026, 11, 1), workers=workers, chunk_size=chunk)
    t = time.perf_counter()
    result = run_arrears(desk, ledger, opts, tmp / "batches", make_desk=partial(build_desk, settings))
    wall = time.perf_counter() - t
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "notices": len(result.issued),
        "pages": result.pages,
        "wall": wall,
        "pps": result.pages / wall,
        "worker_mib": children,
        "parent_mib": parent,
        "print_mb": result.outputs["print_pdf"].stat().st_size / 1e6,
        "docx_dir": str(settings.output_dir),
    }


def libreoffice(docx: list[Path], tmp: Path) -> float:
    """docs/s of two batched soffice instances converting the files (half each, concurrently)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is not installed")
    tmp.mkdir(parents=True, exist_ok=True)
    halves = [docx[0::2], docx[1::2]]
    for i in range(2):  # warm profiles (first start creates them), not timed
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{tmp}/lo-profile-{i}", "--headless", "--version"],
            capture_output=True,
            timeout=120,
        )
    t = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                soffice,
                f"-env:UserInstallation=file://{tmp}/lo-profile-{i}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp / f"lo-{i}"),
                *map(str, half),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i, half in enumerate(halves)
    ]
    for p in procs:
        p.wait(timeout=3600)
    wall = time.perf_counter() - t
    done = sum(len(list((tmp / f"lo-{i}").glob("*.pdf"))) for i in range(2))
    return done / wall


def _one_weasyprint(args: tuple[str, str]) -> int:
    html, out = args
    from app.render.pdf import render_pdf

    return render_pdf(html, Path(out), ROOT / "templates")


def weasyprint_per_notice(tmp: Path, n: int) -> float:
    """pages/s of one WeasyPrint call per notice, in two processes."""
    from app.registry import load_catalogue
    from app.render.html import render_html
    from app.render.model import Letterhead, build_document
    from app.validation import validate_submission

    tmp.mkdir(parents=True, exist_ok=True)
    cat = load_catalogue(ROOT / "forms")
    form = cat.forms["arrears-reminder-1"]
    data = validate_submission(form, cat.examples[form.id])
    lh = Letterhead(company="海亮物业管理有限公司", project_name="海亮·锦华花园", project_code="HL")
    jobs = []
    for i in range(n):
        doc = build_document(
            form,
            data,
            number=f"HL-CK1-2026-{i + 1:05d}",
            issue_date=dt.date(2026, 11, 1),
            letterhead=lh,
            verify_url=f"http://127.0.0.1:8000/v/{i:020d}",
        )
        jobs.append((render_html(doc, ROOT / "templates"), str(tmp / f"wp-{i}.pdf")))
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_one_weasyprint, jobs[:2]))  # warm both workers (imports, fonts), not timed
        t = time.perf_counter()
        pages = sum(pool.map(_one_weasyprint, jobs, chunksize=4))
    return pages / (time.perf_counter() - t)


def celery_run(tmp: Path, n: int, processes: int) -> tuple[float, float]:
    """pages/s of a batch whose chunks are issued by `processes` Celery workers of one process each.

    Two figures: end to end (planning, numbering and the print outputs in this process included) and
    the issuing phase alone (notices issued between the first and the last chunk coming back), which
    is the part more machines speed up.
    """
    from app.batch import tasks

    settings = settings_for(tmp)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DOCDESK_DATABASE_URL": settings.database_url,
        "DOCDESK_OUTPUT_DIR": str(settings.output_dir),
        "DOCDESK_CELERY_QUEUE": queue,
        "DOCDESK_REDIS_URL": tasks.REDIS_URL,
    }
    desk = build_desk(settings)  # migrates the database before the workers start
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "app.batch.tasks",
                "worker",
                "--concurrency",
                "1",
                "-Q",
                queue,
                "-n",
                f"bench{i}-{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for i in range(processes)
    ]
    try:
        tasks.celery_app.conf.task_default_queue = queue
        ledger = make_ledger(n, seed=9).save(tmp / "ledger.xlsx").read_bytes()
        opts = arrears_options(settings.load_projects()["HL"], dt.date(2026, 11, 1), chunk_size=25)
        time.sleep(8)  # let the workers load the forms before the clock starts
        marks: list[tuple[int, float]] = []
        t = time.perf_counter()
        result = run_arrears(
            desk,
            ledger,
            opts,
            tmp / "batches",
            dispatch=tasks.dispatch,
            progress=lambda done, total: marks.append((done, time.perf_counter())),
        )
        wall = time.perf_counter() - t
        (first, t_first), (last, t_last) = marks[0], marks[-1]
        return result.pages / wall, (last - first) / (t_last - t_first)
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
            w.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="households in arrears = notices")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--sample", type=int, default=200, help="notices for the LibreOffice and per-call WeasyPrint runs")
    ap.add_argument("--celery", type=int, default=0, help="notices for the 1-vs-2 Celery worker measurement")
    args = ap.parse_args()
    print(
        f"DocDesk batch benchmark: {args.n} notices, {args.workers} workers, chunk {args.chunk}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp_name:
        tmp = Path(tmp_name)
        d = docdesk_batch(tmp / "docdesk", args.n, args.workers, args.chunk)
        print(
            f"docdesk   {d['notices']:.0f} notices, {d['pages']:.0f} pages in {d['wall']:.1f} s = "
            f"{d['pps']:.1f} pages/s; peak RSS worker {d['worker_mib']:.0f} MiB, parent {d['parent_mib']:.0f} MiB; "
            f"print PDF {d['print_mb']:.1f} MB"
        )
        docx = sorted(Path(d["docx_dir"]).glob("2026/arrears-reminder-1/*.docx"))[: args.sample]
        lo = libreoffice(docx, tmp / "lo")
        print(
            f"LibreOffice, 2 batched soffice instances, {len(docx)} notices: {lo:.1f} pages/s "
            f"(extrapolated to {args.n}: {args.n / lo / 60:.1f} min)"
        )
        wp = weasyprint_per_notice(tmp / "wp", args.sample)
        print(
            f"WeasyPrint, one call per notice, 2 processes, {args.sample} notices: {wp:.1f} pages/s "
            f"(extrapolated to {args.n}: {args.n / wp / 60:.1f} min)"
        )
        print(
            f"ratios    docdesk/LibreOffice {d['pps'] / lo:.1f}x, docdesk/WeasyPrint-per-notice {d['pps'] / wp:.1f}x, "
            f"docdesk/baseline-18-pages/s {d['pps'] / 18:.2f}x"
        )
        at_10k = 10000 / d["pps"] / 60
        print(
            f"targets   10,000 notices in {at_10k:.1f} min (target <= 5: {'met' if at_10k <= 5 else 'NOT met'}); "
            f"worker {d['worker_mib']:.0f} MiB (target <= {TARGET_WORKER_MIB}: "
            f"{'met' if d['worker_mib'] <= TARGET_WORKER_MIB else 'NOT met'})"
        )
        if args.celery:
            one, one_issuing = celery_run(tmp / "celery-1", args.celery, 1)
            two, two_issuing = celery_run(tmp / "celery-2", args.celery, 2)
            ratio = two_issuing / one_issuing
            print(
                f"celery    {args.celery} notices, end to end: 1 worker {one:.1f} pages/s, 2 workers {two:.1f} pages/s "
                f"= {two / one:.2f}x; issuing phase: {one_issuing:.1f} → {two_issuing:.1f} pages/s = {ratio:.2f}x "
                f"(target >= {TARGET_SCALING}: {'met' if ratio >= TARGET_SCALING else 'NOT met'})"
            )


if __name__ == "__main__":
    main()
