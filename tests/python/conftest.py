"""Shared fixtures for the Python interop tests: the symbolon binary, the repo, the corpus."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
KEYS = REPO / "testdata" / "keys"

# The servers the tests start fetch metadata from, and post webhooks to, servers of the tests'
# own on 127.0.0.1, which the SP refuses by default ([sp] allow_private_addresses);
# test_private_addresses.py checks that refusal with this set to false.
os.environ.setdefault("SYMBOLON_SP_ALLOW_PRIVATE_ADDRESSES", "true")


def symbolon_bin() -> str:
    path = os.environ.get("SYMBOLON_BIN") or str(REPO / "target" / "debug" / "symbolon")
    if not os.path.exists(path):
        raise RuntimeError(f"symbolon binary not found at {path}: build it first (cargo build)")
    return path


@pytest.fixture(scope="session")
def symbolon():
    binary = symbolon_bin()

    def run(*args, input=None, check=False):
        proc = subprocess.run([binary, *args], input=input, capture_output=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"symbolon {args} failed: {proc.stderr.decode()}")
        return proc

    return run


# The store the server tests run on: the embedded SQLite file (default) or, with
# SYMBOLON_TEST_BACKEND=postgres, a fresh PostgreSQL database per server on SYMBOLON_TEST_PG
# (default: the local server, trust authentication). scripts/test.sh runs the server suites both ways.
PG_SERVER = os.environ.get("SYMBOLON_TEST_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
_created = []


def backend() -> str:
    return os.environ.get("SYMBOLON_TEST_BACKEND", "sqlite")


def psql(sql: str, server: str = PG_SERVER):
    out = subprocess.run(["psql", f"{server}/postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"psql {sql!r}: {out.stderr}"
    return out.stdout


def postgres_skipped() -> bool:
    """`SYMBOLON_TEST_POSTGRES=0`: every PostgreSQL test is skipped (and reported as skipped)."""
    return os.environ.get("SYMBOLON_TEST_POSTGRES") == "0"


def fresh_pg_database(server: str = PG_SERVER) -> str:
    """A new empty database on the PostgreSQL server; its URL. Dropped when the session ends."""
    import uuid

    if postgres_skipped():
        import pytest

        pytest.skip("PostgreSQL tests skipped (SYMBOLON_TEST_POSTGRES=0)")

    name = f"symbolon_pytest_{uuid.uuid4().hex[:12]}"
    psql(f'CREATE DATABASE "{name}"', server)
    _created.append((server, name))
    return f"{server}/{name}"


def database_url(data_dir: pathlib.Path) -> str:
    """The database URL for a server whose files live in `data_dir`."""
    if backend() == "postgres":
        return fresh_pg_database()
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite://{data_dir}/symbolon.db"


def pytest_sessionfinish(session, exitstatus):
    for server, name in _created:
        subprocess.run(["psql", f"{server}/postgres", "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                       capture_output=True, timeout=60)
