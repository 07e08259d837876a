"""Time the ledger export against pandas + openpyxl on the same rows (see bench/generate.py).

    .venv/bin/pip install -r requirements-bench.txt
    .venv/bin/python -m bench.bench_export                       # builds /tmp/cso-export-bench.db if needed
    .venv/bin/python -m bench.bench_export --db sqlite:////tmp/cso-bench.db --rows 200000,50000
    .venv/bin/python -m bench.bench_export --db postgresql+psycopg://postgres@127.0.0.1:5432/cso_bench

Every measurement runs in its own fresh subprocess, so each peak (``ru_maxrss``) is that
measurement's alone; ``base`` is the process's resident size just before the export starts
(interpreter, app, SQLAlchemy, XlsxWriter or pandas imported), ``peak − base`` what the export
itself added. For each row count:

* ``ours``: ``app.exports.ledger_workbook`` (app/exports/ledger.py) for the first N ledger rows (office scope, by number) —
  the query, the per-chunk look-ups, the 25-column office layout with fills, the 汇总 sheet;
* ``pandas``: the same N rows (built by the same ``iter_ledger_rows``) into a DataFrame, then
  ``DataFrame.to_excel(engine="openpyxl")``; reported as the ``to_excel`` part alone and as the whole.

The ratios compare our whole export with pandas' ``to_excel`` part alone (its query and DataFrame
building not counted) and with pandas' whole.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from operator import attrgetter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

DEFAULT_DB = "sqlite:////tmp/cso-export-bench.db"


def rss_mb():
    """Current resident set size (Linux /proc), in MB."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def make_app(db_url):
    os.environ.setdefault("CSO_INSTANCE_DIR", tempfile.mkdtemp(prefix="cso-bench-"))
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": db_url, "WTF_CSRF_ENABLED": False})


def worker(kind, db_url, rows, out):
    """One measurement, in this (fresh) process; prints one JSON line."""
    app = make_app(db_url)
    from app import exports

    if kind == "pandas":
        import pandas as pd  # noqa: F401  (imported before the base is taken, like XlsxWriter for ours)
        import openpyxl  # noqa: F401
    with app.app_context():
        from app.settings import get_policy

        get_policy()  # warm the app (first query, metadata) outside the timing
        base = rss_mb()
        result = {"kind": kind, "rows": rows, "base_mb": round(base, 1)}
        t0 = time.perf_counter()
        if kind == "ours":
            result["written"] = exports.ledger_workbook(None, {}, out, limit=rows)
            result["seconds"] = time.perf_counter() - t0
        else:
            values = attrgetter(*(c.key for c in exports.LEDGER_COLUMNS))  # named row → column order
            data = [values(row) for row in exports.iter_ledger_rows(None, {}, limit=rows)]
            frame = pd.DataFrame(data, columns=exports.LEDGER_HEADERS)
            del data
            t1 = time.perf_counter()
            frame.to_excel(out, engine="openpyxl", index=False, sheet_name="问题台账")
            t2 = time.perf_counter()
            result.update(written=len(frame), seconds=t2 - t0, to_excel_seconds=t2 - t1, build_seconds=t1 - t0)
        result["peak_mb"] = round(peak_mb(), 1)
        result["added_mb"] = round(peak_mb() - base, 1)
        result["file_mb"] = round(os.path.getsize(out) / 2**20, 1)
    print(json.dumps(result), flush=True)


def measure(kind, db_url, rows):
    with tempfile.TemporaryDirectory(prefix="cso-export-bench-") as tmp:
        out = os.path.join(tmp, f"{kind}-{rows}.xlsx")
        proc = subprocess.run(
            [sys.executable, "-m", "bench.bench_export", "--worker", kind, "--db", db_url, "--rows", str(rows),
             "--out", out], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{kind} at {rows} rows failed:\n{proc.stderr[-4000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def issue_count(db_url):
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db_url)
    try:
        if "issue" not in inspect(engine).get_table_names():
            return 0
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM issue")).scalar()
    finally:
        engine.dispose()


def ensure_data(db_url, needed, generate):
    have = issue_count(db_url)
    if have >= needed:
        return have
    if not generate:
        sys.exit(f"{db_url} holds {have:,} issues, fewer than {needed:,}: run bench/generate.py on it, "
                 "or pass --generate to build it here (drops what is in it).")
    print(f"building the data set in {db_url} with bench/generate.py (≈ 2–3 min) …", flush=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "generate.py"), "--db", db_url, "--reset"],
                   cwd=ROOT, check=True)
    return issue_count(db_url)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB, help=f"SQLAlchemy URL (default {DEFAULT_DB})")
    parser.add_argument("--rows", default="200000,50000", help="row counts to measure, comma-separated")
    parser.add_argument("--runs", type=int, default=1, help="measurements per row count and kind (best time kept)")
    parser.add_argument("--generate", action="store_true",
                        help="build the data set with bench/generate.py when the database has too few issues "
                             "(default on for the default database)")
    parser.add_argument("--skip-pandas", action="store_true", help="only time our export")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--worker", choices=["ours", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        return worker(args.worker, args.db, int(args.rows), args.out)

    sizes = [int(n) for n in args.rows.split(",")]
    have = ensure_data(args.db, max(sizes), args.generate or args.db == DEFAULT_DB)
    print(f"database {args.db}: {have:,} issues; python {sys.version.split()[0]}; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}", flush=True)
    results = []
    for rows in sizes:
        for kind in ("ours", "pandas") if not args.skip_pandas else ("ours",):
            best = None
            for _ in range(args.runs):
                r = measure(kind, args.db, rows)
                print(f"  {kind:<6} {rows:>8,} rows  {r['seconds']:7.1f} s  peak {r['peak_mb']:7.1f} MB"
                      f"  (+{r['added_mb']:.1f} MB over {r['base_mb']:.1f} MB)", flush=True)
                if best is None or r["seconds"] < best["seconds"]:
                    best = r
            results.append(best)

    print()
    head = (f"{'rows':>8} | {'ours s':>7} | {'ours peak MB':>12} | {'ours +MB':>8} | {'pandas to_excel s':>17} | "
            f"{'pandas whole s':>14} | {'pandas peak MB':>14} | {'pandas +MB':>10} | {'× to_excel':>10} | {'× whole':>7}")
    print(head)
    print("-" * len(head))
    for rows in sizes:
        ours = next(r for r in results if r["kind"] == "ours" and r["rows"] == rows)
        pd_ = next((r for r in results if r["kind"] == "pandas" and r["rows"] == rows), None)
        if pd_:
            print(f"{rows:>8,} | {ours['seconds']:7.1f} | {ours['peak_mb']:12.1f} | {ours['added_mb']:8.1f} | "
                  f"{pd_['to_excel_seconds']:17.1f} | {pd_['seconds']:14.1f} | {pd_['peak_mb']:14.1f} | "
                  f"{pd_['added_mb']:10.1f} | {pd_['to_excel_seconds'] / ours['seconds']:10.2f} | "
                  f"{pd_['seconds'] / ours['seconds']:7.2f}")
        else:
            print(f"{rows:>8,} | {ours['seconds']:7.1f} | {ours['peak_mb']:12.1f} | {ours['added_mb']:8.1f} | "
                  f"{'—':>17} | {'—':>14} | {'—':>14} | {'—':>10} | {'—':>10} | {'—':>7}")
    ours_runs = [r for r in results if r["kind"] == "ours"]
    if len(ours_runs) > 1:
        lo, hi = min(ours_runs, key=lambda r: r["rows"]), max(ours_runs, key=lambda r: r["rows"])
        print(f"\nours: {hi['rows']:,} rows used {hi['added_mb']:.1f} MB over base, {lo['rows']:,} rows "
              f"{lo['added_mb']:.1f} MB — {hi['rows'] / lo['rows']:.0f}× the rows, "
              f"{hi['added_mb'] - lo['added_mb']:+.1f} MB")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"db": args.db, "issues": have, "results": results}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
