"""gunicorn settings of the portal (README "Production deployment"; bench/bench_http.py runs with it).

    gunicorn -c gunicorn.conf.py 'app:create_app()'

Workers: one per core (the portal is CPU-bound in Python; PostgreSQL sits on the same machine in the
benchmarks), threads 2 so a slow request does not hold a whole worker. After each worker has loaded the
app, ``gc.freeze()`` moves everything start-up created into the permanent generation: full collections
then walk only what requests create, which took the HTML ledger pages' p95 from ~300 ms to < 200 ms at
200,000 problems (bench/README.md, issue 11). Every setting can be overridden on the command line or
with GUNICORN_* style environment variables below."""
import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))  # a slow leak cannot grow forever
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # "-" for stdout


def post_worker_init(worker):
    """The app is loaded in this worker: freeze what start-up made (issue 11)."""
    gc.collect()
    gc.freeze()
