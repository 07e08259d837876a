"""Small helpers shared by the scale benchmarks (bench/bench_sweep.py …) and tests/test_scale*.py:
generate a province-shaped data set into the app's own database at any scale (the generator of
bench/generate.py, without the reset and demo seed), and count the SQL statements of a call."""
import time
import tracemalloc
from contextlib import contextmanager

from sqlalchemy import event


def generate_into(engine, scale, seed=2026):
    """Bulk-load ``scale`` × the benchmark's province (bench/generate.py) into a database that already
    holds the schema and the demo seed. Returns the generator (its ``today``, ``target``)."""
    from bench.generate import Generator, Loader

    loader = Loader(engine)
    gen = Generator(loader, scale, seed)
    gen.lookups()
    for step in (gen.departments, gen.officers, gen.enterprises, gen.assignments, gen.visits, gen.issues):
        step()
    gen.finish()
    loader.commit()
    loader.close()
    return gen


class Statements:
    """Counts (and keeps the first words of) every statement the engine sends inside the block; an
    executemany counts once, as the database sees one statement prepared and run for many rows."""

    def __init__(self):
        self.count, self.sql, self.max_params, self.widest = 0, [], 0, ""

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self.sql.append(" ".join(statement.split())[:160])
        if not executemany and parameters is not None:  # the most values one statement binds
            if len(parameters) > self.max_params:
                self.max_params, self.widest = len(parameters), " ".join(statement.split())


@contextmanager
def counting(engine):
    counter = Statements()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


@contextmanager
def measured():
    """Wall time (s) and peak Python memory (MB, tracemalloc) of the block: ``with measured() as m: …; m.s, m.mb``."""
    class M:
        s = mb = 0.0

    tracemalloc.start()
    t = time.perf_counter()
    try:
        yield M
    finally:
        M.s = time.perf_counter() - t
        M.mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
