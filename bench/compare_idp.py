#!/usr/bin/env python3
"""Two builds of the IdP side by side, interleaved, in one run: IdP-initiated SSO with an SSO
session (one RSA-2048 signature per request) and the realm descriptor, each driven by wrk from a
second process against a real `symbolon serve` (IdP role) per build, on SQLite or PostgreSQL;
`openssl speed rsa2048` measured between the rounds. For BENCHMARKS.md.

For each path and build: requests/s, p50, p99 and the server's CPU per request (utime + stime
from /proc over the run, divided by the requests wrk completed), the median over the rounds;
and the ratio of IdP SSO requests/s to openssl's RSA-2048 signs/s on one core.

Usage: bench/compare_idp.py --before BIN --after BIN [--rounds 5] [--seconds 4]
                            [--connections 16] [--backend sqlite|postgres]
Needs wrk and, for PostgreSQL, a server at SYMBOLON_TEST_PG (default: local, trust auth).
"""
import argparse
import os
import statistics
import subprocess
import tempfile

import requests

from load import PASSWORD, bench_database, drop_bench_database, form, free_port, openssl_rsa, saml_response, wrk


class Server:
    def __init__(self, binary, backend):
        self.tmp = tempfile.mkdtemp(prefix="symbolon-cmp-")
        self.url, self.name = bench_database(backend, self.tmp)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cfg = os.path.join(self.tmp, "s.toml")
        with open(cfg, "w") as f:
            f.write(f'[server]\ndatabase_url = "{self.url}"\n[idp]\nlisten = "127.0.0.1:{self.port}"\nbase_url = "{self.base}"\n')
        self.bin = binary
        env = {**os.environ, "RUST_LOG": "warn"}
        self.p = subprocess.Popen([binary, "serve", "--config", cfg], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, env=env)
        self.p.stdout.readline()
        cli = self.cli
        cli("realm", "create", "bench")
        cli("user", "add", "--realm", "bench", "alice", "--email", "alice@bench.test", "--password-stdin", stdin=PASSWORD + "\n")
        cli("group", "add", "--realm", "bench", "/eng")
        cli("group", "join", "--realm", "bench", "/eng", "alice")
        md = os.path.join(self.tmp, "sp.xml")
        with open(md, "w") as f:
            f.write('<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.bench.test/metadata">'
                    '<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
                    '<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
                    'Location="https://sp.bench.test/acs" index="0"/></SPSSODescriptor></EntityDescriptor>')
        cli("client", "import", "--realm", "bench", md, "--url-name", "app")
        cli("client", "add-mapper", "--realm", "bench", "https://sp.bench.test/metadata", "--attribute", "groups",
            "--source", "group-list-full")
        self.home = f"{self.base}/realms/bench/protocol/saml/clients/app"
        self.descriptor = f"{self.base}/realms/bench/protocol/saml/descriptor"
        s = requests.Session()
        page = s.get(self.home, timeout=10)
        f = form(page.text)
        r = s.post(f["action"], data={**f["fields"], "username": "alice", "password": PASSWORD}, timeout=10)
        saml_response(r)
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies if c.name.startswith("SYMBOLON_IDP_SESSION"))
        assert self.cookie

    def cli(self, *a, stdin=None):
        return subprocess.run([self.bin, "idp", "--database-url", self.url, *a], input=stdin, text=True,
                              capture_output=True, check=True).stdout

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=10)
        drop_bench_database(self.name)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--before", required=True)
    a.add_argument("--after", required=True)
    a.add_argument("--rounds", type=int, default=5)
    a.add_argument("--seconds", type=int, default=4)
    a.add_argument("--connections", type=int, default=16)
    a.add_argument("--backend", default="sqlite")
    args = a.parse_args()
    servers = {"before": Server(args.before, args.backend), "after": Server(args.after, args.backend)}
    paths = {"IdP-initiated SSO with an SSO session": lambda s: (s.home, s.cookie),
             "IdP realm descriptor (signed)": lambda s: (s.descriptor, None)}
    runs = {(p, b): [] for p in paths for b in servers}
    signs = []
    try:
        for i in range(args.rounds):
            signs.append(openssl_rsa(1)[0])
            # Interleaved, and the order alternates from round to round.
            order = list(servers) if i % 2 == 0 else list(reversed(servers))
            for label, target in paths.items():
                for b in order:
                    url, cookie = target(servers[b])
                    runs[(label, b)].append(wrk(servers[b].p.pid, url, args.seconds, args.connections, cookie=cookie))
        signs.append(openssl_rsa(1)[0])
    finally:
        for s in servers.values():
            s.stop()
    sign = statistics.median(signs)
    print(f"\n### {args.backend}: {args.rounds} interleaved rounds of {args.seconds} s, {args.connections} connections; "
          f"openssl rsa2048 {sign:,.0f} sign/s (one core, median)\n")
    print("| path | build | requests/s | p50 | p99 | server CPU per request | of openssl sign |")
    print("|---|---|---|---|---|---|---|")
    for label in paths:
        cpu = {}
        for b in servers:
            rs = runs[(label, b)]
            rps = statistics.median(r["rps"] for r in rs)
            cpu[b] = statistics.median(r["cpu_ms"] for r in rs)
            mid = sorted(rs, key=lambda r: r["rps"])[len(rs) // 2]
            share = f"{rps / sign:.1%}" if label.startswith("IdP-initiated") else ""
            print(f"| {label} | {b} | {rps:,.0f} | {mid['p50']} | {mid['p99']} | {cpu[b]:.3f} ms | {share} |")
        print(f"| {label} | CPU before/after | | | | {cpu['before'] / cpu['after']:.2f}x | |")


if __name__ == "__main__":
    main()
