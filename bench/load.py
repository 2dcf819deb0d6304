#!/usr/bin/env python3
"""HTTP load on a real `symbolon serve` (IdP and SP roles in one process) over loopback, on SQLite
and on PostgreSQL, with wrk as the load generator in a second process. For BENCHMARKS.md.

Paths measured:
- ACS: fresh signed responses, each posted once (minted beforehand with `symbolon saml
  issue-response --count`), with 1, 10 and 100 accounts trusting the issuing IdP (the first
  maps the user's group to a role; the others trust the IdP and grant nothing);
- ACS, forged: responses from the same issuer signed by another key, with 1 and 100 accounts;
- IdP-initiated SSO with an SSO session (one RSA-2048 signature per request);
- the IdP's realm descriptor (public, signed);
- the SP landing page of a signed-in browser.

Baselines measured in the same run, before and after each backend (their mean is used):
`symbolon saml bench-validate` (in-process validation of the same responses, one thread) and
`openssl speed rsa2048` (sign/s and verify/s, one core).

For each path: requests/s, p50, p99 (wrk), server CPU per request (utime + stime of the server
process from /proc, divided by the requests wrk completed) and the server's RSS at the end.

Usage: bench/load.py [--bin target/release/symbolon] [--seconds 5] [--connections 16]
                     [--backends sqlite,postgres] [--accounts 1,10,100]
Needs wrk (Debian package) and, for PostgreSQL, a server at SYMBOLON_TEST_PG (default: local,
trust authentication).
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
from test_idp_server import form, saml_response  # noqa: E402

PG = os.environ.get("SYMBOLON_TEST_PG", "postgres://postgres@127.0.0.1:5432")
PASSWORD = "bench password 1"
KEYS = os.path.join(ROOT, "testdata", "keys")
BENCH_IDP = "https://idp.bench.test/"
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_database(backend, tmp):
    """The database URL of a benchmark's server: a new PostgreSQL database (its name returned
    too, for `drop_bench_database`) or a SQLite file in `tmp` (name None)."""
    if backend != "postgres":
        return f"sqlite://{tmp}/symbolon.db", None
    name = f"symbolon_bench_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", f'CREATE DATABASE "{name}"'], check=True)
    return f"{PG}/{name}", name


def drop_bench_database(name):
    if name:
        subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wrk(pid, url, seconds, connections, cookie=None, script=None, script_args=(), expect_ok=True):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    if script:
        cmd += ["-s", script]
    cmd += [url]
    if script_args:
        cmd += ["--", *script_args]
    before = cpu_seconds(pid)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - before
    total = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = int(m.group(1)) if m else 0
    if expect_ok and bad:
        raise SystemExit(f"{url}: {bad} of {total} answers were not 2xx/3xx (too few responses minted?)\n{out}")
    if not expect_ok and bad != total:
        raise SystemExit(f"{url}: {total - bad} of {total} forged responses were accepted\n{out}")
    return {"rps": rps, "p50": p50, "p99": p99, "cpu_ms": 1000 * cpu / max(total, 1), "rss": rss_mib(pid), "n": total}


def openssl_rsa(seconds):
    out = subprocess.run(["openssl", "speed", "-seconds", str(seconds), "rsa2048"], capture_output=True, text=True).stdout
    m = re.search(r"^rsa 2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", out, re.M)
    return float(m.group(1)), float(m.group(2))


def in_process(binary, idp_md, sp_entity, acs, sample, seconds):
    out = subprocess.run([binary, "saml", "bench-validate", "--idp-metadata", idp_md, "--sp-entity-id", sp_entity,
                          "--acs-url", acs, "--seconds", str(seconds), sample], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["per_second"]


def baselines(binary, idp_md, sp_entity, acs, sample):
    sign, verify = openssl_rsa(2)
    return {"validate": in_process(binary, idp_md, sp_entity, acs, sample, 2), "sign": sign, "verify": verify}


def mint(binary, sp_md, count, out_path, key="idp-rsa"):
    """`count` fresh responses as url-encoded form bodies, one per line (two minting processes)."""
    half = (count + 1) // 2
    cmd = [binary, "saml", "issue-response", "--key", os.path.join(KEYS, f"{key}.key.pem"),
           "--cert", os.path.join(KEYS, f"{key}.crt.pem"), "--idp-entity-id", BENCH_IDP, "--sp-metadata", sp_md,
           "--name-id", "alice@bench.test", "--attr", "groups=/eng", "--attr", "email=alice@bench.test",
           "--attr", "displayName=Alice Bench", "--count", str(half)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    with open(out_path, "w") as f:
        for p in procs:
            for line in p.stdout:
                f.write("SAMLResponse=" + urllib.parse.quote(line.strip(), safe="") + "\n")
            assert p.wait() == 0
    with open(out_path) as f:
        return urllib.parse.unquote(f.readline().strip().split("=", 1)[1])


def run(args, backend):
    binary = args.bin
    tmp = tempfile.mkdtemp(prefix="symbolon-bench-")
    url, name = bench_database(backend, tmp)
    ip, sp = free_port(), free_port()
    cfg = os.path.join(tmp, "s.toml")
    with open(cfg, "w") as f:
        f.write(f'[server]\ndatabase_url = "{url}"\n[idp]\nlisten = "127.0.0.1:{ip}"\nbase_url = "http://127.0.0.1:{ip}"\n'
                f'[sp]\nlisten = "127.0.0.1:{sp}"\nbase_url = "http://127.0.0.1:{sp}"\n')
    env = {**os.environ, "RUST_LOG": "warn"}
    p = subprocess.Popen([binary, "serve", "--config", cfg], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    rows = []
    try:
        p.stdout.readline()
        p.stdout.readline()

        def cli(*a, stdin=None):
            return subprocess.run([binary, a[0], "--database-url", url, *a[1:]], input=stdin, text=True,
                                  capture_output=True, check=True).stdout

        idle_rss = rss_mib(p.pid)
        # The IdP side: a realm, a user with a group, the SP imported as a client.
        cli("idp", "realm", "create", "bench")
        cli("idp", "user", "add", "--realm", "bench", "alice", "--email", "alice@bench.test", "--password-stdin", stdin=PASSWORD + "\n")
        cli("idp", "group", "add", "--realm", "bench", "/eng")
        cli("idp", "group", "join", "--realm", "bench", "/eng", "alice")
        sp_md = os.path.join(tmp, "sp.xml")
        sp_xml = requests.get(f"http://127.0.0.1:{sp}/saml/metadata", timeout=10).text
        open(sp_md, "w").write(sp_xml)
        sp_entity = re.search(r'entityID="([^"]+)"', sp_xml).group(1)
        acs = re.search(r'AssertionConsumerService[^>]*Location="([^"]+)"', sp_xml).group(1)
        cli("idp", "client", "import", "--realm", "bench", sp_md, "--url-name", "app")
        cli("idp", "client", "add-mapper", "--realm", "bench", sp_entity, "--attribute", "groups", "--source", "group-list-full")
        descriptor = f"http://127.0.0.1:{ip}/realms/bench/protocol/saml/descriptor"
        realm_md = os.path.join(tmp, "realm.xml")
        open(realm_md, "w").write(requests.get(descriptor, timeout=10).text)
        # The SP side: account "Landing" trusts the realm (for the landing page's session);
        # accounts "Acct 1".."Acct N" trust the bench IdP (testdata key), the first maps /eng.
        cli("sp", "account", "create", "Landing")
        cli("sp", "idp", "add", "--account", "Landing", "--metadata", realm_md, "--name", "IdP")
        cli("sp", "idp", "profile", "--account", "Landing", "IdP", "--role-attribute", "groups")
        cli("sp", "idp", "map-group", "--account", "Landing", "IdP", "/eng", "Full Access")
        bench_md = os.path.join(tmp, "bench-idp.xml")
        open(bench_md, "w").write(subprocess.run(
            [binary, "saml", "metadata", "idp", "--entity-id", BENCH_IDP, "--sso-url", "https://idp.bench.test/sso",
             "--cert", os.path.join(KEYS, "idp-rsa.crt.pem")], capture_output=True, text=True, check=True).stdout)
        have = 0

        def accounts(n):
            nonlocal have
            for k in range(have + 1, n + 1):
                cli("sp", "account", "create", f"Acct {k}")
                cli("sp", "idp", "add", "--account", f"Acct {k}", "--metadata", bench_md, "--name", "Bench")
                if k == 1:
                    cli("sp", "idp", "profile", "--account", "Acct 1", "Bench", "--role-attribute", "groups")
                    cli("sp", "idp", "map-group", "--account", "Acct 1", "Bench", "/eng", "Full Access")
            have = max(have, n)

        accounts(1)
        bodies = os.path.join(tmp, "bodies.txt")
        sample = os.path.join(tmp, "sample.b64")
        open(sample, "w").write(mint(binary, sp_md, 2, bodies))
        base = [baselines(binary, bench_md, sp_entity, acs, sample)]
        forged = os.path.join(tmp, "forged.txt")
        mint(binary, sp_md, 400, forged, key="attacker-rsa")
        lua = os.path.join(HERE, "acs.lua")
        for n in args.accounts:
            accounts(n)
            mint(binary, sp_md, args.mint, bodies)
            rows.append((f"ACS, valid, {n} account(s) trusting the IdP", wrk(p.pid, acs, args.seconds, args.connections,
                                                                          script=lua, script_args=(bodies, "2"))))
            if n in (args.accounts[0], args.accounts[-1]):
                rows.append((f"ACS, forged, {n} account(s) trusting the IdP",
                             wrk(p.pid, acs, args.seconds, args.connections, script=lua, script_args=(forged, "2"), expect_ok=False)))
        # IdP-initiated SSO with a session, and the landing page of the SP session it opens.
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
        rows.append(("IdP-initiated SSO with an SSO session", wrk(p.pid, home, args.seconds, args.connections, cookie=idp_cookie)))
        rows.append(("IdP realm descriptor (signed)", wrk(p.pid, descriptor, args.seconds, args.connections)))
        rows.append(("SP landing page with a session", wrk(p.pid, f"http://127.0.0.1:{sp}/", args.seconds, args.connections, cookie=sp_cookie)))
        base.append(baselines(binary, bench_md, sp_entity, acs, sample))
        b = {k: sum(x[k] for x in base) / len(base) for k in base[0]}
        return rows, b, idle_rss
    finally:
        p.terminate()
        p.wait(timeout=10)
        drop_bench_database(name)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--bin", default="target/release/symbolon")
    a.add_argument("--seconds", type=int, default=5)
    a.add_argument("--connections", type=int, default=16)
    a.add_argument("--backends", default="sqlite,postgres")
    a.add_argument("--accounts", default="1,10,100")
    a.add_argument("--mint", type=int, default=0, help="responses minted per ACS run (default: 8,000 per second of load)")
    args = a.parse_args()
    args.accounts = [int(x) for x in args.accounts.split(",")]
    args.mint = args.mint or 8000 * args.seconds
    for backend in args.backends.split(","):
        rows, b, idle = run(args, backend)
        print(f"\n### {backend}: in-process validation {b['validate']:,.0f}/s (one thread); "
              f"openssl rsa2048 {b['sign']:,.0f} sign/s, {b['verify']:,.0f} verify/s (one core); server RSS idle {idle:.1f} MiB\n")
        print("| path | requests/s | p50 | p99 | server CPU per request | RSS after | ratio |")
        print("|---|---|---|---|---|---|---|")
        for label, r in rows:
            if label.startswith("ACS"):
                ratio = f"{r['rps'] / b['validate']:.1%} of in-process validation"
            elif label.startswith("IdP-initiated"):
                ratio = f"{r['rps'] / b['sign']:.1%} of openssl sign"
            else:
                ratio = ""
            print(f"| {label} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | {r['cpu_ms']:.3f} ms | {r['rss']:.1f} MiB | {ratio} |")
        sys.stdout.flush()
        time.sleep(1)


if __name__ == "__main__":
    main()
