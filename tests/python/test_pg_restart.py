"""PostgreSQL restarted under traffic, on a private cluster this test creates (initdb into a
temporary directory, as the `postgres` user because initdb refuses root, on its own port; never
the machine's shared server): while the database is down requests fail fast and cleanly (503
with a short message, readiness red, nothing half-written); when it is back they succeed again
without restarting Symbolon."""
import glob
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import postgres_skipped, symbolon_bin
from test_demo import free_port

pytestmark = pytest.mark.skipif(postgres_skipped(), reason="PostgreSQL tests skipped (SYMBOLON_TEST_POSTGRES=0)")


def as_postgres(*cmd):
    """Run a PostgreSQL tool as the `postgres` user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120)


class Cluster:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        assert bins, "PostgreSQL server binaries are needed (Debian's postgresql package)"
        self.bin = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="symbolon-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        out = as_postgres(f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")
        assert out.returncode == 0, out.stderr
        self.start()
        out = as_postgres(f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c", "CREATE DATABASE symbolon")
        assert out.returncode == 0, out.stderr
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/symbolon"

    def start(self):
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        out = as_postgres(f"{self.bin}/pg_ctl", "-D", self.data, "-o", opts, "-l", os.path.join(self.dir, "log"), "-w", "start")
        assert out.returncode == 0, out.stderr + out.stdout

    def stop(self):
        out = as_postgres(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        assert out.returncode == 0, out.stderr + out.stdout

    def destroy(self):
        as_postgres(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    c.destroy()


def test_postgres_restart_under_traffic(cluster, tmp_path):
    port = free_port()
    cfg = tmp_path / "s.toml"
    cfg.write_text(f"""[server]
database_url = "{cluster.url}"
acquire_timeout_secs = 1
statement_timeout_secs = 5
[idp]
listen = "127.0.0.1:{port}"
base_url = "http://127.0.0.1:{port}"
""")
    log = open(tmp_path / "serve.log", "w")
    p = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert "listening" in p.stdout.readline()
        subprocess.run([symbolon_bin(), "idp", "--database-url", cluster.url, "realm", "create", "acme"], check=True, capture_output=True)
        token = subprocess.run([symbolon_bin(), "idp", "--database-url", cluster.url, "token", "create", "--name", "t"],
                               check=True, capture_output=True, text=True).stdout.strip()
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        base = f"http://127.0.0.1:{port}"
        descriptor = f"{base}/realms/acme/protocol/saml/descriptor"
        assert requests.get(descriptor, timeout=10).status_code == 200
        assert api.post(f"{base}/admin/realms/acme/users", json={"username": "before"}, timeout=10).status_code == 201

        cluster.stop()
        started = time.monotonic()
        r = requests.get(descriptor, timeout=15)
        assert r.status_code == 503 and "temporarily unavailable" in r.text.lower(), r.text[:300]
        assert time.monotonic() - started < 10, "fails fast, does not hang"
        ready = requests.get(f"{base}/readyz", timeout=15)
        assert ready.status_code == 503
        w = api.post(f"{base}/admin/realms/acme/users", json={"username": "during"}, timeout=15)
        assert w.status_code == 503, w.text
        assert p.poll() is None, "the server keeps running"

        cluster.start()
        deadline = time.monotonic() + 30
        while True:
            r = requests.get(descriptor, timeout=15)
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert r.status_code == 200, "recovers by itself when the database is back"
        assert requests.get(f"{base}/readyz", timeout=10).text == "ready"
        assert api.post(f"{base}/admin/realms/acme/users", json={"username": "after"}, timeout=10).status_code == 201
        names = {u["username"] for u in api.get(f"{base}/admin/realms/acme/users", timeout=10).json()}
        assert {"before", "after"} <= names and "during" not in names
    finally:
        p.terminate()
        p.wait(timeout=10)
        log.close()


def test_database_not_accepting_connections_is_503_everywhere(cluster, tmp_path):
    """During maintenance (`ALTER DATABASE ... ALLOW_CONNECTIONS false`, SQLSTATE 55000 on connect)
    the IdP pages, the admin REST API and the SP metadata answered 500 with no log line of the
    cause. Any failure to get a connection is unavailability: 503 with Retry-After, logged."""
    idp_port, sp_port = free_port(), free_port()
    cfg = tmp_path / "s.toml"
    cfg.write_text(f"""[server]
database_url = "{cluster.url}"
acquire_timeout_secs = 1
[idp]
listen = "127.0.0.1:{idp_port}"
base_url = "http://127.0.0.1:{idp_port}"
[sp]
listen = "127.0.0.1:{sp_port}"
base_url = "http://127.0.0.1:{sp_port}"
""")
    log_path = tmp_path / "serve.log"
    log = open(log_path, "w")
    p = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=log, text=True)
    psql = lambda sql: as_postgres(f"{cluster.bin}/psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-d", "postgres", "-c", sql)
    try:
        assert "listening" in p.stdout.readline()
        subprocess.run([symbolon_bin(), "idp", "--database-url", cluster.url, "realm", "create", "acme"], check=True, capture_output=True)
        token = subprocess.run([symbolon_bin(), "idp", "--database-url", cluster.url, "token", "create", "--name", "t"],
                               check=True, capture_output=True, text=True).stdout.strip()
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        idp, sp = f"http://127.0.0.1:{idp_port}", f"http://127.0.0.1:{sp_port}"
        urls = [(None, f"{idp}/realms/acme/protocol/saml/descriptor"), (None, f"{idp}/realms/acme/account"),
                (api, f"{idp}/admin/realms/acme/users"), (None, f"{sp}/saml/metadata")]
        for s, u in urls:
            assert (s or requests).get(u, timeout=10).status_code == 200, u

        out = psql("ALTER DATABASE symbolon ALLOW_CONNECTIONS false")
        assert out.returncode == 0, out.stderr
        out = psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'symbolon'")
        assert out.returncode == 0, out.stderr
        for _ in range(2):
            for s, u in urls:
                r = (s or requests).get(u, timeout=15)
                assert r.status_code == 503, (u, r.status_code, r.text[:200])
                assert "Retry-After" in r.headers, u
        assert p.poll() is None
        log.flush()
        text = log_path.read_text()
        assert "55000" in text or "not currently accepting connections" in text, text[-2000:]

        out = psql("ALTER DATABASE symbolon ALLOW_CONNECTIONS true")
        assert out.returncode == 0, out.stderr
        deadline = time.monotonic() + 30
        while requests.get(urls[0][1], timeout=15).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        for s, u in urls:
            assert (s or requests).get(u, timeout=10).status_code == 200, u
    finally:
        p.terminate()
        p.wait(timeout=10)
        log.close()
