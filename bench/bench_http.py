"""Concurrency bench (issue 11 item 5): gunicorn with the documented config (gunicorn.conf.py) on a
loopback port, and a bounded client — 8 concurrent sessions of different roles, each logged in through
the HTML form and then requesting its role's pages one after another for 30 s — printing requests/s
and p50/p95 per role, per page and overall, and every error. Before the concurrent run each page is
requested ``--alone`` times by its session with no other client (median: the page's own cost, so a slow
p95 can be told apart from queueing behind the other 7 clients on a small machine). gunicorn's access
log (a temporary file) gives each worker's share of the run's requests and the time the server spent on
each page (``%(D)s``: from the request read to the response written, without the wait for a free thread).

Each session keeps its connection open (HTTP keep-alive), so its requests all go to the worker that
accepted it: 8 connections may split 7 / 1 over the 2 workers. ``--close`` sends ``Connection: close``
on every request, as nginx talks to its upstream by default (HTTP/1.0, a new connection per request),
so every request goes to whichever worker accepts it first.

    .venv/bin/python -m bench.bench_http --db postgresql+psycopg://postgres@127.0.0.1:5432/cso_bench
    .venv/bin/python -m bench.bench_http --db sqlite:////tmp/cso-bench.db --seconds 30 --port 5109

The per-address throttling is switched off for the run (RATELIMIT_ENABLED=false): the 8 clients share
127.0.0.1, where in production they would be 8 addresses."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
from bench.generate import PASSWORD  # noqa: E402

SESSIONS = [  # login, pages it cycles through
    ("office", ["/", "/ledger/", "/ledger/?tier=overdue", "/ledger/?page=3"]),
    ("director", ["/", "/ledger/?tier=serious", "/ledger/"]),
    ("leader", ["/", "/ledger/?tier=serious", "/bulletins/"]),
    ("dept01", ["/", "/ledger/", "/ledger/?tier=approaching"]),
    ("dept02", ["/", "/ledger/"]),
    ("officer01", ["/", "/ledger/", "/ledger/?open=1"]),
    ("officer02", ["/", "/ledger/"]),
    ("ent01", ["/", "/ledger/"]),
]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] if values else float("nan")


def login(base, name, password):
    s = requests.Session()
    page = s.get(base + "/login/", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"username": name, "password": password, **({"csrf_token": token.group(1)} if token else {})}
    r = s.post(base + "/login/", data=data, allow_redirects=False, timeout=30)
    if r.status_code != 302 or "/login" in r.headers.get("Location", ""):
        raise SystemExit(f"login failed for {name}: HTTP {r.status_code}")
    return s


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=5109)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--workers", help="override gunicorn.conf.py's workers")
    parser.add_argument("--alone", type=int, default=5,
                        help="requests per page with no other client before the run (median; 0: skip)")
    parser.add_argument("--close", action="store_true",
                        help="a new connection per request (Connection: close), as nginx's default upstream")
    args = parser.parse_args(argv)
    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "DATABASE_URL": args.db, "RATELIMIT_ENABLED": "false",
           "GUNICORN_BIND": f"127.0.0.1:{args.port}", "PORTAL_BASE_URL": base}
    if args.workers:
        env["GUNICORN_WORKERS"] = args.workers
    env.setdefault("CSO_INSTANCE_DIR", "/tmp/cso-bench-http")
    os.makedirs(env["CSO_INSTANCE_DIR"], exist_ok=True)
    logs = tempfile.mkdtemp(prefix="cso-bench-http-")
    access, errlog = os.path.join(logs, "access.log"), open(os.path.join(logs, "error.log"), "w+")
    env["GUNICORN_ACCESSLOG"] = access
    headers = {"Connection": "close"} if args.close else {}
    server = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c", "gunicorn.conf.py",
                               "--access-logformat", '%(p)s %(D)s %(s)s "%(r)s"', "app:create_app()"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errlog)
    try:
        deadline = time.time() + 120
        while True:
            try:
                requests.get(base + "/login/", timeout=60)
                break
            except requests.RequestException:
                if server.poll() is not None or time.time() > deadline:
                    errlog.seek(0)
                    raise SystemExit("gunicorn did not start:\n" + errlog.read()[-3000:])
                time.sleep(0.5)
        sessions = [(name, pages, login(base, name, args.password)) for name, pages in SESSIONS]
        for _name, pages, s in sessions:  # warm every worker's caches a little
            for p in pages:
                s.get(base + p, timeout=60)
        alone = {}
        for name, pages, s in sessions:  # each page on its own: no other client
            for p in pages:
                times = []
                for _ in range(args.alone):
                    t = time.perf_counter()
                    s.get(base + p, timeout=60, allow_redirects=False, headers=headers)
                    times.append((time.perf_counter() - t) * 1000)
                alone[name, p] = statistics.median(times) if times else float("nan")
        results = {name: [] for name, _, _ in sessions}
        by_page = {(name, p): [] for name, pages, _ in sessions for p in pages}
        errors = []
        load_before = os.getloadavg()[0]
        log_from = os.path.getsize(access) if os.path.exists(access) else 0
        stop = time.time() + args.seconds

        def run(name, pages, s):
            i = 0
            while time.time() < stop:
                path = pages[i % len(pages)]
                i += 1
                t = time.perf_counter()
                try:
                    r = s.get(base + path, timeout=60, allow_redirects=False, headers=headers)
                    ok = r.status_code == 200
                except requests.RequestException as exc:
                    ok, r = False, exc
                ms = (time.perf_counter() - t) * 1000
                if ok:
                    results[name].append(ms)
                    by_page[name, path].append(ms)
                else:
                    errors.append((name, path, getattr(r, "status_code", repr(r))))

        threads = [threading.Thread(target=run, args=s) for s in sessions]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        load_after = os.getloadavg()[0]
        time.sleep(0.5)  # the access log's last lines
        with open(access) as fh:
            fh.seek(log_from)
            served = [line.split(" ", 3) for line in fh if line.strip()]
    finally:
        server.terminate()
        server.wait(timeout=30)
        errlog.seek(0)
        tracebacks = [block for block in re.split(r"\n(?=\[)", errlog.read()) if "Traceback" in block]
        errlog.close()
        shutil.rmtree(logs, ignore_errors=True)
    everything = [ms for v in results.values() for ms in v]
    print(f"\n{len(sessions)} sessions, {elapsed:.1f} s, gunicorn -c gunicorn.conf.py"
          f"{' workers=' + args.workers if args.workers else ''}"
          f"{'; Connection: close' if args.close else '; keep-alive'}; load average {load_before:.2f} before / "
          f"{load_after:.2f} after; {os.cpu_count()} CPUs\n")
    print("| session | requests | p50 ms | p95 ms |\n|---|---:|---:|---:|")
    for name, values in results.items():
        print(f"| {name} | {len(values)} | {pct(values, 50):.0f} | {pct(values, 95):.0f} |")
    print(f"| **all** | {len(everything)} ({len(everything) / elapsed:.1f} requests/s) | "
          f"{statistics.median(everything) if everything else float('nan'):.0f} | {pct(everything, 95):.0f} |")
    print("\n| session | page | requests | p50 ms | p95 ms | alone: median ms |\n|---|---|---:|---:|---:|---:|")
    for (name, path), values in by_page.items():
        print(f"| {name} | `{path}` | {len(values)} | {pct(values, 50):.0f} | {pct(values, 95):.0f} | "
              f"{alone.get((name, path), float('nan')):.0f} |")
    workers, server_ms = {}, {}
    for pid, micros, _status, line in served:
        workers[pid] = workers.get(pid, 0) + 1
        path = line.strip('"').split(" ")[1] if " " in line else line
        server_ms.setdefault(path, []).append(int(micros) / 1000)
    print(f"\nrequests per worker (pid): {', '.join(f'{p}: {n}' for p, n in sorted(workers.items()))}")
    print("\n| page | requests | server p50 ms | server p95 ms |\n|---|---:|---:|---:|")
    for path, values in sorted(server_ms.items()):
        print(f"| `{path}` | {len(values)} | {pct(values, 50):.0f} | {pct(values, 95):.0f} |")
    print(f"\nerrors: {len(errors)}" + ("".join(f"\n  {e}" for e in errors[:20])))
    if tracebacks:  # the server's own account of its 500s (gunicorn's error log): the first one
        print(f"\n{len(tracebacks)} tracebacks in gunicorn's error log; the first:\n{tracebacks[0][-3000:]}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
