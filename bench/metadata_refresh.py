#!/usr/bin/env python3
"""Refreshing 1,000 metadata URLs (issue 19): the IdP's `idp:metadata-refresh` job over 1,000
clients whose SP metadata comes from a local HTTP server, in three rounds:

  new        every URL fetched for the first time (200) and imported into its client;
  unchanged  every URL answers 304 Not Modified (conditional GET with the stored ETag);
  changed    every document changed (a moved ACS): fetched (200), compared, re-imported, and the
             change recorded as an event.

Each round is one job run in a freshly started `symbolon serve` (the first tick of the job runs
at start; the process stopped before gave up its job leases), so that the server's CPU time (utime+stime from /proc, rusage of that process) is the
run's plus a start-up of a few milliseconds, printed beside the start-up alone. The metadata
server is a Python thread pool in this process; its CPU is not counted. Loopback only.

Usage: bench/metadata_refresh.py [--bin target/release/symbolon] [--clients 1000]
"""
import argparse
import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
CERT = os.path.join(HERE, "..", "testdata", "keys", "idp-rsa-next.crt.pem")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Docs:
    """Serves /sp/{i}.xml: SP metadata of client i, with an ETag; `version` changes them all."""

    def __init__(self, binary, n):
        self.version = 1
        self.n = n
        self.hits = {"200": 0, "304": 0}
        self.template = {}
        for v in (1, 2):
            out = subprocess.run([binary, "saml", "metadata", "sp", "--entity-id", "https://spNNNN.bench.test/metadata",
                                  "--acs-url", f"https://spNNNN.bench.test/acs-v{v}", "--cert", CERT],
                                 capture_output=True, check=True)
            self.template[v] = out.stdout
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this, Nagle's algorithm and
            # delayed ACKs add 40 ms to every 200 on a kept-alive connection.
            disable_nagle_algorithm = True

            def log_message(self, *a):
                pass

            def do_GET(self):
                i = self.path.removeprefix("/sp/").removesuffix(".xml")
                body = outer.template[outer.version].replace(b"NNNN", i.encode())
                etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
                if self.headers.get("If-None-Match") == etag:
                    outer.hits["304"] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                outer.hits["200"] += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


class Server:
    """`symbolon serve` (IdP role) on SQLite; `check` is metadata_check_secs (the job's period)."""

    def __init__(self, binary, tmp, port, refresh_secs):
        cfg = os.path.join(tmp, "symbolon.toml")
        with open(cfg, "w") as f:
            f.write(f"""[server]
database_url = "sqlite://{tmp}/symbolon.db"
[idp]
listen = "127.0.0.1:{port}"
base_url = "http://127.0.0.1:{port}"
metadata_refresh_secs = {refresh_secs}
metadata_check_secs = 3600
""")
        self.base = f"http://127.0.0.1:{port}"
        self.started = time.monotonic()
        self.proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(tmp, "server.log"), "a"), text=True,
                                     env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")})
        assert "listening" in self.proc.stdout.readline()

    def job_runs(self):
        text = requests.get(f"{self.base}/metrics", timeout=10).text
        runs, seconds = 0.0, 0.0
        for line in text.splitlines():
            if line.startswith('symbolon_job_runs_total{job="idp:metadata-refresh"'):
                runs += float(line.rsplit(" ", 1)[1])
            if line.startswith('symbolon_job_duration_seconds_sum{job="idp:metadata-refresh"}'):
                seconds = float(line.rsplit(" ", 1)[1])
        return runs, seconds

    def wait_for_run(self, timeout=600):
        while time.monotonic() - self.started < timeout:
            runs, seconds = self.job_runs()
            if runs >= 1:
                return seconds
            time.sleep(0.05)
        raise SystemExit("the refresh run did not finish")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--bin", default="target/release/symbolon")
    a.add_argument("--clients", type=int, default=1000)
    args = a.parse_args()
    tmp = tempfile.mkdtemp(prefix="symbolon-refresh-bench-")
    port = free_port()
    docs = Docs(args.bin, args.clients)
    db = f"sqlite://{tmp}/symbolon.db"
    subprocess.run([args.bin, "idp", "--database-url", db, "realm", "create", "bench"], check=True, capture_output=True)
    token = subprocess.run([args.bin, "idp", "--database-url", db, "token", "create", "--name", "bench"], check=True,
                           capture_output=True, text=True).stdout.strip()
    # A start-up alone, for scale (no client yet).
    results = {}
    idle = Server(args.bin, tmp, port, refresh_secs=604800)
    idle.wait_for_run()
    results["start-up only"] = (0, 0, 0.0, cpu_seconds(idle.proc.pid))
    idle.stop()
    # Set-up: 1,000 clients created through the REST API, each naming its metadata URL (due at
    # once); the job does not run while they are made (its period is an hour, its first tick
    # found nothing).
    s = Server(args.bin, tmp, port, refresh_secs=604800)
    s.wait_for_run()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    for i in range(args.clients):
        r = api.post(f"{s.base}/admin/realms/bench/clients", json={
            "clientId": f"https://sp{i}.bench.test/metadata", "protocol": "saml",
            "assertionConsumerServices": [{"binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                                           "location": "https://placeholder.bench.test/acs", "index": 0}],
            "attributes": {"saml.metadata.url": f"{docs.base}/sp/{i}.xml", "saml.metadata.allowHttp": "true"}}, timeout=30)
        assert r.status_code == 201, r.text
    s.stop()
    for label, version, refresh_secs in [("new", 1, 604800), ("unchanged", 1, 1), ("changed", 2, 1)]:
        docs.version = version
        before = dict(docs.hits)
        time.sleep(1.1)  # every client is due again (interval 1 s) for the later rounds
        srv = Server(args.bin, tmp, port, refresh_secs=refresh_secs)
        seconds = srv.wait_for_run()
        cpu = cpu_seconds(srv.proc.pid)
        srv.stop()
        results[label] = (docs.hits["200"] - before["200"], docs.hits["304"] - before["304"], seconds, cpu)
    print(f"{args.clients} clients refreshed from metadata URLs, one job run per round ({args.bin}):")
    print(f"{'round':<14}{'200':>6}{'304':>6}{'run (s)':>10}{'server CPU (s)':>16}{'run CPU per URL (ms)':>22}")
    base = results["start-up only"][3]
    for label, (ok, nm, seconds, cpu) in results.items():
        # Per URL: the run's CPU beyond a start-up's.
        per = 1000 * max(cpu - base, 0.0) / args.clients if label != "start-up only" else 0.0
        print(f"{label:<14}{ok:>6}{nm:>6}{seconds:>10.2f}{cpu:>16.2f}{per:>22.3f}")
    events = subprocess.run([args.bin, "idp", "--database-url", db, "events", "bench", "--limit", "5000"],
                            capture_output=True, text=True, check=True).stdout
    print(f"events mentioning acs-v2 (the changed round's diffs): {events.count('acs-v2')}")
    json.dump(results, open(os.path.join(tmp, "results.json"), "w"))


if __name__ == "__main__":
    sys.exit(main())
