#!/usr/bin/env python3
"""Memory under a mixed soak: the IdP and the SP as two `serve` processes on SQLite, for
--minutes (default 10), with --concurrent (default 50) browsers at once each signing in with a
password at the IdP (Argon2id: 12 MiB per hash), posting the assertion to the SP's ACS, opening
the SP's landing page, and fetching the IdP descriptor. Prints each server's RSS (VmRSS) at the
start, its peak, and at the end, and the sign-ins done and refused with 503 (the hashing queue).
Loopback only; bounded in time.

Usage: bench/soak.py [--bin target/debug/symbolon] [--minutes 10] [--concurrent 50]
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "python"))
from test_idp_server import form, saml_response  # noqa: E402

PASSWORD = "soak password 1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--bin", default="target/debug/symbolon")
    a.add_argument("--minutes", type=float, default=10)
    a.add_argument("--concurrent", type=int, default=50)
    args = a.parse_args()
    tmp = tempfile.mkdtemp(prefix="symbolon-soak-")
    ip, sp = free_port(), free_port()
    env = {**os.environ, "RUST_LOG": "warn"}
    idp_db, sp_db = f"sqlite://{tmp}/idp.db", f"sqlite://{tmp}/sp.db"
    idp = subprocess.Popen([args.bin, "idp", "--database-url", idp_db, "serve", "--listen", f"127.0.0.1:{ip}", "--base-url", f"http://127.0.0.1:{ip}"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    spp = subprocess.Popen([args.bin, "sp", "--database-url", sp_db, "serve", "--listen", f"127.0.0.1:{sp}", "--base-url", f"http://127.0.0.1:{sp}"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        idp.stdout.readline()
        spp.stdout.readline()
        cli = lambda side, db, *a, stdin=None: subprocess.run([args.bin, side, "--database-url", db, *a], input=stdin, text=True,
                                                              capture_output=True, check=True).stdout
        cli("idp", idp_db, "realm", "create", "soak")
        cli("idp", idp_db, "user", "add", "--realm", "soak", "alice", "--email", "alice@soak.test", "--password-stdin", stdin=PASSWORD + "\n")
        cli("idp", idp_db, "group", "add", "--realm", "soak", "/eng")
        cli("idp", idp_db, "group", "join", "--realm", "soak", "/eng", "alice")
        md = os.path.join(tmp, "sp.xml")
        open(md, "w").write(requests.get(f"http://127.0.0.1:{sp}/saml/metadata", timeout=10).text)
        cli("idp", idp_db, "client", "import", "--realm", "soak", md, "--url-name", "app")
        cli("idp", idp_db, "client", "add-mapper", "--realm", "soak", f"http://127.0.0.1:{sp}/saml/metadata", "--attribute", "groups", "--source", "group-list-full")
        idp_md = os.path.join(tmp, "idp.xml")
        descriptor = f"http://127.0.0.1:{ip}/realms/soak/protocol/saml/descriptor"
        open(idp_md, "w").write(requests.get(descriptor, timeout=10).text)
        cli("sp", sp_db, "account", "create", "Soak")
        cli("sp", sp_db, "idp", "add", "--account", "Soak", "--metadata", idp_md, "--name", "IdP")
        cli("sp", sp_db, "idp", "profile", "--account", "Soak", "IdP", "--role-attribute", "groups")
        cli("sp", sp_db, "idp", "map-group", "--account", "Soak", "IdP", "/eng", "Full Access")
        home = f"http://127.0.0.1:{ip}/realms/soak/protocol/saml/clients/app"
        start = {"idp": rss_kib(idp.pid), "sp": rss_kib(spp.pid)}
        peak = dict(start)
        stats = {"signed_in": 0, "busy": 0, "errors": 0}
        lock = threading.Lock()
        deadline = time.monotonic() + args.minutes * 60

        def browser():
            while time.monotonic() < deadline:
                s = requests.Session()
                try:
                    page = s.get(home, timeout=30)
                    f = form(page.text)
                    r = s.post(f["action"], data={**f["fields"], "username": "alice", "password": PASSWORD}, timeout=60)
                    if r.status_code == 503:
                        with lock:
                            stats["busy"] += 1
                        time.sleep(int(r.headers.get("Retry-After", "1")))
                        continue
                    action, b64, _ = saml_response(r)
                    ok = s.post(action, data={"SAMLResponse": b64}, timeout=30).status_code == 200
                    s.get(f"http://127.0.0.1:{sp}/", timeout=30)
                    s.get(descriptor, timeout=30)
                    with lock:
                        stats["signed_in" if ok else "errors"] += 1
                except Exception:
                    with lock:
                        stats["errors"] += 1

        threads = [threading.Thread(target=browser, daemon=True) for _ in range(args.concurrent)]
        for t in threads:
            t.start()
        while time.monotonic() < deadline:
            time.sleep(5)
            peak = {"idp": max(peak["idp"], rss_kib(idp.pid)), "sp": max(peak["sp"], rss_kib(spp.pid))}
        for t in threads:
            t.join(timeout=120)
        end = {"idp": rss_kib(idp.pid), "sp": rss_kib(spp.pid)}
        print(f"{args.minutes:g} minutes, {args.concurrent} concurrent browsers: {stats['signed_in']} sign-ins, "
              f"{stats['busy']} answered 503 (hashing queue full), {stats['errors']} errors")
        print("| server | RSS at start | peak RSS | RSS at the end |")
        print("|---|---|---|---|")
        for k in ("idp", "sp"):
            print(f"| {k} | {start[k] / 1024:.1f} MiB | {peak[k] / 1024:.1f} MiB | {end[k] / 1024:.1f} MiB |")
    finally:
        for p in (idp, spp):
            p.terminate()
            p.wait(timeout=10)


if __name__ == "__main__":
    main()
