#!/usr/bin/env python3
"""Two builds of the SP's ACS side by side, interleaved, in one run: fresh signed responses, each
posted once, driven by wrk from a second process against a real `symbolon serve` (SP role) per
build, on SQLite or PostgreSQL, with one account trusting the issuing IdP (its group mapped to a
role); the in-process validation rate (`symbolon saml bench-validate`, one thread) measured
between the rounds. For BENCHMARKS.md.

For each build: requests/s, p50, p99 and the server's CPU per request (utime + stime from /proc
over the run, divided by the requests wrk completed), the median over the rounds; and the ratio
of ACS requests/s to the in-process validation rate. Then the same at about half the slower
build's saturated rate (each connection pauses between requests, `bench/acs.lua` with a wrk
`delay()`), where the latency is what a person signing in waits.

Usage: bench/compare_acs.py --before BIN --after BIN [--rounds 5] [--seconds 4]
                            [--connections 16] [--backend sqlite|postgres]
Needs wrk and, for PostgreSQL, a server at SYMBOLON_TEST_PG (default: local, trust auth).
"""
import argparse
import os
import re
import statistics
import subprocess
import tempfile

import requests

from load import BENCH_IDP, HERE, KEYS, bench_database, drop_bench_database, free_port, in_process, mint, wrk


class Server:
    def __init__(self, binary, backend):
        self.tmp = tempfile.mkdtemp(prefix="symbolon-cmp-")
        self.url, self.name = bench_database(backend, self.tmp)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cfg = os.path.join(self.tmp, "s.toml")
        with open(cfg, "w") as f:
            f.write(f'[server]\ndatabase_url = "{self.url}"\n[sp]\nlisten = "127.0.0.1:{self.port}"\nbase_url = "{self.base}"\n')
        self.bin = binary
        env = {**os.environ, "RUST_LOG": "warn"}
        self.p = subprocess.Popen([binary, "serve", "--config", cfg], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, env=env)
        self.p.stdout.readline()
        self.sp_md = os.path.join(self.tmp, "sp.xml")
        sp_xml = requests.get(f"{self.base}/saml/metadata", timeout=10).text
        open(self.sp_md, "w").write(sp_xml)
        self.sp_entity = re.search(r'entityID="([^"]+)"', sp_xml).group(1)
        self.acs = re.search(r'AssertionConsumerService[^>]*Location="([^"]+)"', sp_xml).group(1)
        self.idp_md = os.path.join(self.tmp, "bench-idp.xml")
        open(self.idp_md, "w").write(subprocess.run(
            [binary, "saml", "metadata", "idp", "--entity-id", BENCH_IDP, "--sso-url", "https://idp.bench.test/sso",
             "--cert", os.path.join(KEYS, "idp-rsa.crt.pem")], capture_output=True, text=True, check=True).stdout)
        self.cli("account", "create", "Acct 1")
        self.cli("idp", "add", "--account", "Acct 1", "--metadata", self.idp_md, "--name", "Bench")
        self.cli("idp", "profile", "--account", "Acct 1", "Bench", "--role-attribute", "groups")
        self.cli("idp", "map-group", "--account", "Acct 1", "Bench", "/eng", "Full Access")
        self.bodies = os.path.join(self.tmp, "bodies.txt")

    def validate(self):
        """The in-process validation rate of a freshly minted response (one thread, 1 s)."""
        sample = os.path.join(self.tmp, "sample.b64")
        open(sample, "w").write(mint(self.bin, self.sp_md, 2, os.path.join(self.tmp, "sample.txt")))
        return in_process(self.bin, self.idp_md, self.sp_entity, self.acs, sample, 1)

    def cli(self, *a):
        return subprocess.run([self.bin, "sp", "--database-url", self.url, *a], text=True,
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
    a.add_argument("--mint", type=int, default=0, help="responses minted per run (default: 8,000 per second of load)")
    args = a.parse_args()
    per_run = args.mint or 8000 * args.seconds
    servers = {"before": Server(args.before, args.backend), "after": Server(args.after, args.backend)}
    runs = {(load, b): [] for load in ("saturated", "half") for b in servers}
    validate = []
    lua = os.path.join(HERE, "acs.lua")
    paced = os.path.join(servers["after"].tmp, "acs_paced.lua")
    try:
        for load in ("saturated", "half"):
            if load == "half":
                slower = min(statistics.median(r["rps"] for r in runs[("saturated", b)]) for b in servers)
                pause_ms = max(1, round(args.connections * 1000 / (slower / 2)))
                with open(paced, "w") as f:
                    f.write(open(lua).read() + f"\nfunction delay()\n  return {pause_ms}\nend\n")
            for i in range(args.rounds):
                validate.append(servers["after"].validate())
                # Interleaved, and the order alternates from round to round.
                order = list(servers) if i % 2 == 0 else list(reversed(servers))
                for b in order:
                    s = servers[b]
                    mint(s.bin, s.sp_md, per_run, s.bodies)
                    script = lua if load == "saturated" else paced
                    runs[(load, b)].append(wrk(s.p.pid, s.acs, args.seconds, args.connections, script=script,
                                               script_args=(s.bodies, "2")))
        validate.append(servers["after"].validate())
    finally:
        for s in servers.values():
            s.stop()
    rate = statistics.median(validate)
    print(f"\n### {args.backend}: {args.rounds} interleaved rounds of {args.seconds} s, {args.connections} connections; "
          f"in-process validation {rate:,.0f}/s (one thread, median)\n")
    print("| path | build | requests/s | p50 | p99 | server CPU per request | of in-process validation |")
    print("|---|---|---|---|---|---|---|")
    for load in ("saturated", "half"):
        cpu = {}
        label = ("ACS, valid, 1 account trusting the IdP, " +
                 ("saturated" if load == "saturated" else "at half the slower build's rate"))
        for b in servers:
            rs = runs[(load, b)]
            rps = statistics.median(r["rps"] for r in rs)
            cpu[b] = statistics.median(r["cpu_ms"] for r in rs)
            mid = sorted(rs, key=lambda r: r["rps"])[len(rs) // 2]
            print(f"| {label} | {b} | {rps:,.0f} | {mid['p50']} | {mid['p99']} | {cpu[b]:.3f} ms | {rps / rate:.1%} |")
        print(f"| {label} | CPU before/after | | | | {cpu['before'] / cpu['after']:.2f}x | |")


if __name__ == "__main__":
    main()
