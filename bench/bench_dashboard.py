"""Time the leaders' dashboard and the large export as a background job on a generated data set.

    .venv/bin/python -m bench.bench_dashboard --db postgresql+psycopg://postgres@127.0.0.1:5432/cso_bench --runs 20

In one process through Flask's test client, as bench_ledger does (server time: routing, login
check, SQL, serialisation, rendering). Scenarios: the full page ``/dashboard/`` (every chart) as the
office, a department and an officer, and each chart endpoint ``/api/v1/dashboard/<chart>`` as the
office — median, p95, SQL statements per request. Then the ledger export over the threshold: the
time of the request that starts the job (it counts the rows and answers 302), the job run in a
thread of this process as the worker would (``app.jobs.rules.run``) while the main thread samples
the job row (how often ``progress_at`` moves) and the process's resident memory.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.bench_ledger import percentile  # noqa: E402
from bench.generate import PASSWORD  # noqa: E402

TARGET_MEDIAN = 300  # ms, every dashboard scenario (issue 14)
TARGET_START = 200  # ms, the request that starts the large export
TARGET_PROGRESS = 2.0  # s, the longest gap between two progress writes


def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def policy_data():
    """What the policy funnel works on: items in force today, their criteria rows, the enterprises."""
    from sqlalchemy import func, select

    from app import clock, db
    from app.models import Enterprise
    from app.policies.models import PolicyCriterion, PolicyItem
    from app.policies.rules import item_in_force

    live = select(PolicyItem.id).where(item_in_force(clock.today()))
    items = db.session.scalar(select(func.count()).select_from(live.subquery()))
    criteria = db.session.scalar(select(func.count()).select_from(PolicyCriterion).where(PolicyCriterion.item_id.in_(live)))
    ents = db.session.scalar(select(func.count()).select_from(Enterprise))
    return f"{items} benefit items in force ({criteria} criteria rows), {ents:,} enterprises"


def add_items(n):
    """``n`` in-force items under one benchmark policy (skipped when it exists), through app.policies.rules as
    the office: criteria cycling over every kind and one to three values of the roster's own values."""
    from flask import current_app
    from sqlalchemy import func, select

    from app import db
    from app.models import Department, Enterprise
    from app.policies import rules
    from app.policies.models import Policy

    if db.session.scalar(select(Policy.id).where(Policy.doc_number == "基准〔2026〕1号")) is not None:
        return
    office = current_app.appbuilder.sm.find_user(username="office")
    dept = db.session.scalar(select(Department.id).order_by(Department.id).limit(1))

    def common(column):
        return [v for v in db.session.scalars(select(column).where(column.is_not(None)).group_by(column)
                                              .order_by(func.count().desc()).limit(6)) if v]

    values = {"industries": common(Enterprise.industry), "categories": common(Enterprise.category),
              "subdistricts": common(Enterprise.subdistrict), "sizes": ["large", "medium", "small", "micro"]}
    policy = rules.create_policy(office, {"title": "基准测试政策", "doc_number": "基准〔2026〕1号", "level": "district"})
    keys = list(values)
    for i in range(n):
        criteria = {}
        for k, key in enumerate(keys):
            if (i >> k) & 1 and values[key]:  # every combination of kinds in turn, none for i % 16 == 0
                vs = values[key]
                criteria[key] = [vs[(i + j) % len(vs)] for j in range(1 + i % 3)]
        rules.create_item(office, policy.id, {"name": f"基准事项{i + 1}", "benefit": "基准", "cash_mode": "apply",
                                              "department": dept, **criteria})
    db.session.commit()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--no-export", action="store_true", help="skip the export job")
    parser.add_argument("--only", help="only scenarios whose name contains this text")
    parser.add_argument("--extra-items", type=int, default=0,
                        help="first add this many in-force benefit items with varied criteria (once per database; "
                             "the policy funnel's cost grows with the items × enterprises)")
    args = parser.parse_args(argv)

    os.environ.setdefault("CSO_INSTANCE_DIR", tempfile.mkdtemp(prefix="cso-bench-"))
    from flask_migrate import upgrade
    from sqlalchemy import event, func, select

    from app import create_app, db
    from app.dashboard import charts
    from app.jobs import rules
    from app.jobs.models import Job
    from app.models import Issue

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "WTF_CSRF_ENABLED": False,
                      "LOGIN_RATE_LIMIT": "100000 per minute", "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        issues = db.session.scalar(select(func.count()).select_from(Issue))
        if args.extra_items:
            add_items(args.extra_items)
        policy_size = policy_data()
        from app.models import Enterprise
        top_industry = db.session.scalar(select(Enterprise.industry).where(Enterprise.industry.is_not(None)).group_by(
            Enterprise.industry).order_by(func.count().desc()).limit(1))
        dialect = db.engine.dialect.name
        engine = db.engine
        db.session.remove()
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    clients = {}

    def client(login, api):
        key = (login, api)
        if key not in clients:
            c = app.test_client()
            if api:
                r = c.post("/api/v1/security/login", json={"username": login, "password": args.password,
                                                           "provider": "db", "refresh": False})
                clients[key] = (c, {"Authorization": "Bearer " + r.get_json()["access_token"]})
            else:
                r = c.post("/login/", data={"username": login, "password": args.password})
                assert r.status_code == 302, f"login failed for {login}"
                clients[key] = (c, {})
        return clients[key]

    scenarios = [(f"page /dashboard/ ({u})", u, False, "/dashboard/") for u in ("office", "dept01", "officer01")]
    scenarios += [("page /dashboard/?render=server (office, every chart in the page)", "office", False,
                   "/dashboard/?render=server")]
    scenarios += [(f"API /api/v1/dashboard/{name}", "office", True, f"/api/v1/dashboard/{name}") for name in charts.CHARTS]
    if top_industry:  # the charts whose filters go through the enterprise (visits, notices, answers, pairs)
        query = urlencode({"industry": top_industry, "period": "year"})
        scenarios += [(f"API /api/v1/dashboard/{name}?industry=… (the commonest)", "office", True,
                       f"/api/v1/dashboard/{name}?{query}") for name in ("heatmap", "units", "radar", "policy")]
    scenarios += [("API /api/v1/policy_delivery/unaware (office, 应知未知)", "office", True, "/api/v1/policy_delivery/unaware"),
                  ("page /policies/deliveries/uptake?current=1 (office, 申兑清单)", "office", False,
                   "/policies/deliveries/uptake?current=1&status=applied,accepted,paid,rejected")]
    load_before = os.getloadavg()[0]
    print(f"{dialect}: {issues:,} issues; {policy_size}; {args.runs} runs after 2 warm-ups; "
          f"load average {load_before:.2f}", flush=True)
    results = []
    for name, login, api, path in scenarios:
        if args.only and args.only not in name:
            continue
        c, headers = client(login, api)
        for _ in range(2):
            assert c.get(path, headers=headers).status_code == 200, path
        statements.clear()
        c.get(path, headers=headers)
        count = len(statements)
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            c.get(path, headers=headers)
            times.append((time.perf_counter() - t) * 1000)
        med, p95 = statistics.median(times), percentile(times, 95)
        results.append((name, med, p95, count))
        print(f"  {name:<46} median {med:7.1f}  p95 {p95:7.1f}  statements {count}", flush=True)
    load_after = os.getloadavg()[0]

    job_report = None
    if not args.no_export:
        with app.app_context():
            db.session.execute(Job.__table__.delete())
            db.session.commit()
        sent = []
        rules.dispatch = lambda job: sent.append((job.id, job.task_id))  # this process is the worker
        c, _ = client("office", False)
        c.get("/export/ledger?status=closed&order=number")  # warm the path (small exports are instant … or a job)
        with app.app_context():
            db.session.execute(Job.__table__.delete())
            db.session.commit()
        sent.clear()
        t = time.perf_counter()
        resp = c.get("/export/ledger")
        start_ms = (time.perf_counter() - t) * 1000
        assert resp.status_code == 302 and sent, resp.status_code
        job_id, task_id = sent[0]
        rss0 = rss_mb()
        done = threading.Event()

        def work():
            with app.app_context():
                rules.run(job_id, task_id)
                db.session.remove()
            done.set()

        worker = threading.Thread(target=work)
        t0 = time.monotonic()
        worker.start()
        seen, rss_peak = [], rss0
        with app.app_context():
            while not done.is_set():
                row = db.session.execute(select(Job.state, Job.done, Job.total, Job.progress_at).where(Job.id == job_id)).one()
                db.session.rollback()
                if not seen or row.progress_at != seen[-1][3]:
                    seen.append((time.monotonic() - t0, row.done, row.total, row.progress_at))
                rss_peak = max(rss_peak, rss_mb())
                time.sleep(0.1)
            final = db.session.execute(select(Job.state, Job.done, Job.total).where(Job.id == job_id)).one()
            db.session.remove()
        worker.join()
        elapsed = time.monotonic() - t0
        running = [s for s in seen if s[1] is not None]
        gaps = [b[0] - a[0] for a, b in zip(running, running[1:])]
        job_report = {"start_ms": start_ms, "elapsed_s": elapsed, "state": final.state, "rows": final.done,
                      "updates": len(running), "max_gap_s": max(gaps) if gaps else None,
                      "rss_start_mb": rss0, "rss_peak_mb": rss_peak,
                      "done_samples": [s[1] for s in running][:12]}
        print(f"\n  export job: start request {start_ms:.0f} ms; {final.state} {final.done:,} rows in {elapsed:.1f} s; "
              f"{len(running)} progress writes seen, longest gap {job_report['max_gap_s'] or 0:.2f} s; "
              f"RSS {rss0:.0f} → peak {rss_peak:.0f} MB", flush=True)

    print(f"\n{dialect} — {issues:,} issues; load average {load_before:.2f} before / {load_after:.2f} after "
          f"({os.cpu_count()} CPUs)\n")
    print("| scenario | median ms | p95 ms | SQL statements | target (median < 300 ms) |")
    print("|---|---:|---:|---:|---|")
    ok = True
    for name, med, p95, count in results:
        met = med < TARGET_MEDIAN
        ok &= met
        print(f"| {name} | {med:.1f} | {p95:.1f} | {count} | {'met' if met else 'MISSED'} |")
    if job_report:
        met = job_report["start_ms"] < TARGET_START and (job_report["max_gap_s"] or 0) <= TARGET_PROGRESS
        ok &= met and job_report["state"] == "done"
        print(f"\n| export job | start request ms | rows | job s | progress writes | longest gap s | RSS start → peak MB |\n"
              f"|---|---:|---:|---:|---:|---:|---|\n| ledger, office | {job_report['start_ms']:.0f} | "
              f"{job_report['rows']:,} | {job_report['elapsed_s']:.1f} | {job_report['updates']} | "
              f"{job_report['max_gap_s'] or 0:.2f} | {job_report['rss_start_mb']:.0f} → {job_report['rss_peak_mb']:.0f} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
