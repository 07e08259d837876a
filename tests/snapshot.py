"""The seeded test database, put back table by table after each test.

Once the demo district is seeded, every table gets a trigger that writes the table's name into a
log table whenever a row is inserted, changed or deleted — by the test's own requests, by a thread,
by a Celery worker or a CLI subprocess alike — and a copy of every table is kept beside it (a second
SQLite file, or a schema of the same PostgreSQL database). ``restore()`` copies back only the tables
named in the log. So tests commit for real (row locks, version counters, races and other processes
behave as in production) and the next test still finds the seed exactly as it was.

``layer(tables)`` makes the current content of some tables their baseline for a while: a
module-scoped fixture that writes (grants a permission, logs users in) keeps its writes for the
tests of its module; ``unlayer`` puts the seed back under them.
"""
import os
import sqlite3

from sqlalchemy import create_engine, make_url

LOG = "cso_test_dirty"  # SQLite: the log table lives in the tested database itself
SEED, LAYER = "cso_test_seed", "cso_test_layer"  # PostgreSQL: schemas beside public


def for_url(url):
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SQLiteSnapshot(parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return PostgresSnapshot(url)
    raise RuntimeError(f"tests run on SQLite or PostgreSQL, not {parsed.get_backend_name()}")


class SQLiteSnapshot:
    def __init__(self, path):
        self.path, self.seed_path, self.layer_path = path, path + ".seed", path + ".layer"
        self.layered = set()
        self.con = None

    def take(self):
        con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA foreign_keys = OFF")  # rows are copied back table by table
        self.tables = [n for (n,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != ?", (LOG,))]
        con.execute(f"CREATE TABLE IF NOT EXISTS {LOG} (name TEXT PRIMARY KEY)")
        for table in self.tables:
            for op in ("INSERT", "UPDATE", "DELETE"):
                con.execute(f'CREATE TRIGGER IF NOT EXISTS "{LOG}_{table}_{op.lower()}" AFTER {op} ON "{table}" '
                            f"BEGIN INSERT OR IGNORE INTO {LOG} VALUES ('{table}'); END")
        con.execute(f"DELETE FROM {LOG}")
        for path in (self.seed_path, self.layer_path):
            if os.path.exists(path):
                os.remove(path)
        con.execute("VACUUM INTO ?", (self.seed_path,))
        con.execute("ATTACH DATABASE ? AS seed", (self.seed_path,))
        con.execute("ATTACH DATABASE ? AS layer", (self.layer_path,))
        self.sequence = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone() is not None
        self.con = con

    def dirty(self):
        return {n for (n,) in self.con.execute(f"SELECT name FROM {LOG}")}

    def _copy_back(self, tables):
        for table in tables:
            self.con.execute(f'DELETE FROM main."{table}"')
            self.con.execute(f'INSERT INTO main."{table}" SELECT * FROM {"layer" if table in self.layered else "seed"}."{table}"')
        if self.sequence and tables:  # AUTOINCREMENT counters
            marks = ",".join("?" * len(tables))
            self.con.execute(f"DELETE FROM main.sqlite_sequence WHERE name IN ({marks})", tuple(tables))
            self.con.execute(f"INSERT INTO main.sqlite_sequence SELECT * FROM seed.sqlite_sequence WHERE name IN ({marks})",
                             tuple(tables))

    def restore(self, extra=()):
        """Copy back the tables written since the last restore (and ``extra``); returns their names."""
        tables = self.dirty() | set(extra)
        if tables:
            self._transaction(lambda: self._copy_back(sorted(tables)))
        return tables

    def layer(self, tables):
        def run():
            for table in tables:
                self.con.execute(f'DROP TABLE IF EXISTS layer."{table}"')
                self.con.execute(f'CREATE TABLE layer."{table}" AS SELECT * FROM main."{table}"')
            self.con.execute(f"DELETE FROM {LOG}")
        self._transaction(run)
        self.layered |= set(tables)

    def unlayer(self, tables):
        self.layered -= set(tables)
        self.restore(tables)
        self._transaction(lambda: [self.con.execute(f'DROP TABLE IF EXISTS layer."{t}"') for t in tables])

    def _transaction(self, fn):
        self.con.execute("BEGIN IMMEDIATE")
        try:
            fn()
            self.con.execute(f"DELETE FROM {LOG}")  # the copying itself fired the triggers
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def close(self):
        if self.con is not None:
            self.con.close()


class PostgresSnapshot:
    def __init__(self, url):
        self.engine = create_engine(url, pool_size=1)  # each _run is one transaction (SET LOCAL needs one)
        self.layered = set()

    def _run(self, *statements):
        with self.engine.begin() as conn:
            for sql in statements:
                conn.exec_driver_sql(sql)

    def take(self):
        with self.engine.connect() as conn:
            self.tables = list(conn.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").scalars())
        statements = [f"DROP SCHEMA IF EXISTS {SEED} CASCADE", f"DROP SCHEMA IF EXISTS {LAYER} CASCADE",
                      f"CREATE SCHEMA {SEED}", f"CREATE SCHEMA {LAYER}",
                      f"CREATE TABLE {SEED}.{LOG} (name text NOT NULL)",  # no key: concurrent writers never wait on it
                      f"CREATE FUNCTION {SEED}.note_dirty() RETURNS trigger LANGUAGE plpgsql AS "
                      f"$$ BEGIN INSERT INTO {SEED}.{LOG} VALUES (TG_TABLE_NAME); RETURN NULL; END $$"]
        for table in self.tables:
            statements += [f'CREATE TABLE {SEED}."{table}" AS TABLE public."{table}"',
                           f'CREATE TRIGGER {LOG} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public."{table}" '
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {SEED}.note_dirty()"]
        self._run(*statements)
        self.seed_sequences = self._sequences()
        self.sequences = self.seed_sequences

    def _sequences(self):
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT sequencename, coalesce(last_value, start_value), last_value IS NOT NULL "
                                        "FROM pg_sequences WHERE schemaname = 'public'").all()
        if not rows:
            return None
        return "SELECT " + ", ".join(f"setval('public.\"{name}\"', {value}, {str(called).lower()})"
                                     for name, value, called in rows)

    def dirty(self):
        with self.engine.connect() as conn:
            return set(conn.exec_driver_sql(f"SELECT DISTINCT name FROM {SEED}.{LOG}").scalars())

    def restore(self, extra=()):
        """Copy back the tables written since the last restore (and ``extra``), reset the id sequences
        (an insert that was rolled back moves them too); returns the tables' names."""
        tables = sorted(self.dirty() | set(extra))
        statements = ["SET LOCAL session_replication_role = replica",  # no foreign-key checks, no log triggers
                      "SET LOCAL lock_timeout = '30s'"]  # a connection left in a transaction fails loudly
        for table in tables:
            source = LAYER if table in self.layered else SEED
            statements += [f'DELETE FROM public."{table}"', f'INSERT INTO public."{table}" SELECT * FROM {source}."{table}"']
        statements.append(f"DELETE FROM {SEED}.{LOG}")
        if self.sequences:
            statements.append(self.sequences)
        self._run(*statements)
        return set(tables)

    def layer(self, tables):
        statements = []
        for table in tables:
            statements += [f'DROP TABLE IF EXISTS {LAYER}."{table}"', f'CREATE TABLE {LAYER}."{table}" AS TABLE public."{table}"']
        self._run(*statements, f"DELETE FROM {SEED}.{LOG}")
        self.layered |= set(tables)
        self.sequences = self._sequences()  # rows the fixture added keep their ids

    def unlayer(self, tables):
        self.layered -= set(tables)
        if not self.layered:
            self.sequences = self.seed_sequences
        self.restore(tables)
        self._run(*[f'DROP TABLE IF EXISTS {LAYER}."{t}"' for t in tables])

    def close(self):
        self.engine.dispose()
