"""The province-scale figures of issue 11 on a generated data set (bench/generate.py): the sweep (first
run at a moment, repeat run, a quarter hour later), the weekly and monthly bulletin drafts, and the
home pages of each role — wall time, SQL statements and peak memory growth (a sweep phase: its peak
RSS above the RSS it started from).

    .venv/bin/python -m bench.bench_scale --db postgresql+psycopg://postgres@127.0.0.1:5432/cso_bench
    .venv/bin/python -m bench.bench_scale --db sqlite:////tmp/cso-bench.db --only home --runs 30

The sweep and the bulletins write to the database (reminders, messages, drafts): use a scratch copy.
``--at 2026-12-02T10:00`` the sweep's moment (default: the next working day after the data's day, 10:00).
"""
import argparse
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.generate import PASSWORD  # noqa: E402
from bench.province import counting  # noqa: E402

HOME_LOGINS = ("office", "director", "leader", "dept01", "officer01")


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith(field))


def phase_start():
    """The RSS a phase starts from, with the peak reset (Linux: /proc/self/clear_refs), so that each
    sweep phase's growth is its own and not hidden under an earlier phase's peak. Elsewhere: the peak
    so far (ru_maxrss — a later phase then shows only what goes beyond it)."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return ("hwm", _status_mb("VmRSS:"))
    except OSError:
        return ("maxrss", rss_mb())


def phase_growth(start):
    how, before = start
    return (_status_mb("VmHWM:") if how == "hwm" else rss_mb()) - before


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--at", help="the sweep's moment, local time (YYYY-MM-DDTHH:MM)")
    parser.add_argument("--only", choices=("sweep", "bulletin", "home"), action="append")
    parser.add_argument("--runs", type=int, default=20, help="home page requests per login (after 3 warm-ups)")
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--legacy", action="store_true", help="the row-by-row sweep of bench/legacy_sweep.py (before)")
    parser.add_argument("--chunk", type=int, help="the sweep's chunk size (app.reminders.CHUNK, default 10,000)")
    args = parser.parse_args(argv)
    only = set(args.only or ("sweep", "bulletin", "home"))

    os.environ.setdefault("CSO_INSTANCE_DIR", tempfile.mkdtemp(prefix="cso-bench-"))
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import bulletins, clock, create_app, db, reminders, workdays
    from app.models import Enterprise, Issue

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "WTF_CSRF_ENABLED": False,
                      "LOGIN_RATE_LIMIT": "100000 per minute", "RATELIMIT_ENABLED": False})
    rows = []

    def row(what, seconds, statements, mb, note=""):
        rows.append((what, seconds, statements, mb, note))
        print(f"  {what:<40} {seconds * 1000:10.1f} ms  {statements:6} statements  +{mb:7.1f} MB  {note}", flush=True)

    with app.app_context():
        upgrade()
        sizes = (db.session.scalar(select(func.count()).select_from(Enterprise)),
                 db.session.scalar(select(func.count()).select_from(Issue)))
        dialect = db.engine.dialect.name
        db.session.remove()
        load = [os.getloadavg()[0]]
        if "sweep" in only:
            if args.at:
                moment = datetime.fromisoformat(args.at)
            else:
                day = clock.today() + timedelta(days=1)
                while not workdays.is_workday(day):
                    day += timedelta(days=1)
                moment = datetime.combine(day, datetime.min.time()).replace(hour=10)
            sweep = reminders.sweep
            if args.chunk:
                reminders.CHUNK = args.chunk
            if args.legacy:
                from bench import legacy_sweep

                sweep = legacy_sweep.sweep
            for label, at in (("sweep: first run", moment), ("sweep: repeat run", moment),
                              ("sweep: a quarter hour later", moment + timedelta(minutes=15))):
                start = phase_start()  # the peak above the RSS at the phase's start: the sweep's own
                with counting(db.engine) as c:
                    t = time.perf_counter()
                    summary = sweep(at)
                    seconds = time.perf_counter() - t
                db.session.remove()
                row(label, seconds, c.count, phase_growth(start),
                    f"{summary['reminders']:,} reminders, {summary['messages']:,} messages, "
                    f"{summary['drafted_reports']:,} drafts, {summary['duty_records']:,} duty records; "
                    f"RSS at start {start[1]:.0f} MB")
        if "bulletin" in only:
            import json

            for kind in ("weekly", "monthly"):
                before = rss_mb()
                with counting(db.engine) as c:
                    t = time.perf_counter()
                    b = bulletins.generate(kind)
                    seconds = time.perf_counter() - t
                    size = len(json.dumps(b.data, ensure_ascii=False).encode())
                    xlsx = len(bulletins.workbook(b))
                db.session.remove()
                row(f"bulletin: {kind} draft", seconds, c.count, rss_mb() - before,
                    f"data {size / 1024:.0f} KB, workbook {xlsx / 1024:.0f} KB")
        engine = db.engine
    if "home" in only:  # outside the app context above: each request has its own, as in a server
        if True:
            for login in HOME_LOGINS:
                client = app.test_client()
                resp = client.post("/login/", data={"username": login, "password": args.password})
                if resp.status_code != 302:
                    sys.exit(f"login failed for {login}")
                for _ in range(3):
                    client.get("/")
                times = []
                for _ in range(args.runs):
                    t = time.perf_counter()
                    assert client.get("/").status_code == 200
                    times.append(time.perf_counter() - t)
                with counting(engine) as c:
                    client.get("/")
                times.sort()
                row(f"home page / ({login})", statistics.median(times), c.count, 0.0,
                    f"p95 {times[int(0.95 * (len(times) - 1))] * 1000:.1f} ms, widest statement binds {c.max_params} values")
    load.append(os.getloadavg()[0])
    print(f"\n{dialect}, {sizes[0]:,} enterprises, {sizes[1]:,} issues; load average {load[0]:.2f} before / "
          f"{load[1]:.2f} after; {os.cpu_count()} CPUs\n")
    print("| what | ms | SQL statements | peak RSS growth MB | notes |\n|---|---:|---:|---:|---|")
    for what, seconds, statements, mb, note in rows:
        print(f"| {what} | {seconds * 1000:,.1f} | {statements:,} | {mb:.1f} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
