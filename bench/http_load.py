#!/usr/bin/env python3
"""HTTP load on a real `symbolon serve` (release build) over loopback, on SQLite and on
PostgreSQL, with wrk. Two hot paths:

- IdP: IdP-initiated SSO with an SSO session (session, user, client, groups and key read from the
  store; one RSA-2048 signature; the auto-submit page), `GET /realms/bench/protocol/saml/clients/app`.
- SP: the landing page of a signed-in browser (session read from the store), `GET /`.

Usage: bench/http_load.py [--bin target/release/symbolon] [--seconds 10] [--connections 16]
Needs wrk (Debian package) and, for PostgreSQL, a server at SYMBOLON_TEST_PG (default: local,
trust authentication). Prints a Markdown table for BENCHMARKS.md.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "python"))
from test_idp_server import form, saml_response  # noqa: E402

PG = os.environ.get("SYMBOLON_TEST_PG", "postgres://postgres@127.0.0.1:5432")
PASSWORD = "bench password 1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, cookie, seconds, connections):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert not non2xx, out
    return rps, p50, p99


def run(binary, backend, seconds, connections):
    tmp = tempfile.mkdtemp(prefix="symbolon-bench-")
    if backend == "postgres":
        name = f"symbolon_bench_{uuid.uuid4().hex[:8]}"
        subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", f'CREATE DATABASE "{name}"'], check=True)
        url = f"{PG}/{name}"
    else:
        url = f"sqlite://{tmp}/symbolon.db"
    ip, sp = free_port(), free_port()
    cfg = os.path.join(tmp, "s.toml")
    with open(cfg, "w") as f:
        f.write(f'[server]\ndatabase_url = "{url}"\n[idp]\nlisten = "127.0.0.1:{ip}"\nbase_url = "http://127.0.0.1:{ip}"\n'
                f'[sp]\nlisten = "127.0.0.1:{sp}"\nbase_url = "http://127.0.0.1:{sp}"\n')
    env = {**os.environ, "RUST_LOG": "warn"}
    p = subprocess.Popen([binary, "serve", "--config", cfg], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        p.stdout.readline()
        p.stdout.readline()
        cli = lambda side, *a, stdin=None: subprocess.run([binary, side, "--database-url", url, *a], input=stdin, text=True,
                                                          capture_output=True, check=True).stdout
        cli("idp", "realm", "create", "bench")
        cli("idp", "user", "add", "--realm", "bench", "alice", "--email", "alice@bench.test", "--password-stdin", stdin=PASSWORD + "\n")
        cli("idp", "group", "add", "--realm", "bench", "/eng")
        cli("idp", "group", "join", "--realm", "bench", "/eng", "alice")
        md = os.path.join(tmp, "sp.xml")
        open(md, "w").write(requests.get(f"http://127.0.0.1:{sp}/saml/metadata", timeout=10).text)
        cli("idp", "client", "import", "--realm", "bench", md, "--url-name", "app")
        cli("idp", "client", "add-mapper", "--realm", "bench", f"http://127.0.0.1:{sp}/saml/metadata", "--attribute", "groups", "--source", "group-list-full")
        idp_md = os.path.join(tmp, "idp.xml")
        open(idp_md, "w").write(requests.get(f"http://127.0.0.1:{ip}/realms/bench/protocol/saml/descriptor", timeout=10).text)
        cli("sp", "account", "create", "Bench")
        cli("sp", "idp", "add", "--account", "Bench", "--metadata", idp_md, "--name", "IdP")
        cli("sp", "idp", "profile", "--account", "Bench", "IdP", "--role-attribute", "groups")
        cli("sp", "idp", "map-group", "--account", "Bench", "IdP", "/eng", "Full Access")
        s = requests.Session()
        home = f"http://127.0.0.1:{ip}/realms/bench/protocol/saml/clients/app"
        page = s.get(home, timeout=10)
        f = form(page.text)
        r = s.post(f["action"], data={**f["fields"], "username": "alice", "password": PASSWORD}, timeout=10)
        action, b64, _ = saml_response(r)
        s.post(action, data={"SAMLResponse": b64}, timeout=10)
        idp_cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies if c.name.startswith("SYMBOLON_IDP_SESSION"))
        sp_cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies if c.name == "SYMBOLON_SP_SESSION")
        assert idp_cookie and sp_cookie
        return {
            "idp": wrk(home, idp_cookie, seconds, connections),
            "sp": wrk(f"http://127.0.0.1:{sp}/", sp_cookie, seconds, connections),
        }
    finally:
        p.terminate()
        p.wait(timeout=10)
        if backend == "postgres":
            subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--bin", default="target/release/symbolon")
    a.add_argument("--seconds", type=int, default=10)
    a.add_argument("--connections", type=int, default=16)
    args = a.parse_args()
    print("| path | store | requests/s | p50 | p99 |")
    print("|---|---|---|---|---|")
    for backend in ("sqlite", "postgres"):
        res = run(args.bin, backend, args.seconds, args.connections)
        for path, label in (("idp", "IdP-initiated SSO with an SSO session (signed response)"), ("sp", "SP landing page with a session")):
            rps, p50, p99 = res[path]
            print(f"| {label} | {backend} | {rps:,.0f} | {p50} | {p99} |")
        time.sleep(1)


if __name__ == "__main__":
    main()
