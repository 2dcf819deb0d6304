#!/usr/bin/env python3
"""SCIM through HTTP at the SP (issue 22): one account's `/scim/v2` on a `symbolon sp serve`
(embedded SQLite by default, or `--database-url postgres://...`), driven sequentially over one
keep-alive connection from this process, in phases:

  create     POST /Users, N users (each with a name, an email and the enterprise extension)
  lookup     GET /Users?filter=userName eq "..." (what IdPs ask before every create), N times
  list       GET /Users?filter=<a value filter and a co on the extension>&count=100, 50 times
             (each scans the account's N users in memory)
  patch      PATCH /Users/{id} active false then true, N requests
  group      POST /Groups with all N users as members, then PATCH one member out and in, 20 times

For each phase: requests, wall time, and the server's CPU time (utime+stime of its process from
/proc, which is what rusage reports) per request. The client's CPU is not counted. Loopback only.

Usage: bench/scim_load.py [--bin target/release/symbolon] [--users 2000] [--database-url URL]
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

import requests

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/symbolon")
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--database-url")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="scim-load-")
    db = a.database_url or f"sqlite://{tmp}/symbolon.db"
    cli = lambda *args, stdin=None: subprocess.run([a.bin, "sp", "--database-url", db, *args], input=stdin,
                                                    capture_output=True, text=True, check=True).stdout
    cli("account", "create", "Load Co")
    token = cli("api-key", "create", "--account", "Load Co", "--name", "load", "--scope", "scim").strip()
    port = free_port()
    server = subprocess.Popen([a.bin, "sp", "--database-url", db, "serve", "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert "listening" in server.stdout.readline()
    base = f"http://127.0.0.1:{port}/scim/v2"
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    s.headers["Content-Type"] = "application/scim+json"
    rows = []

    def phase(name, requests_made, fn):
        c0, t0 = cpu_seconds(server.pid), time.perf_counter()
        fn()
        wall, cpu = time.perf_counter() - t0, cpu_seconds(server.pid) - c0
        rows.append((name, requests_made, wall, cpu))

    ids = []

    def create():
        for i in range(a.users):
            r = s.post(f"{base}/Users", json={"schemas": [USER, ENT], "userName": f"user{i}@load.test",
                                              "name": {"givenName": f"G{i}", "familyName": f"F{i % 97}"},
                                              "emails": [{"value": f"user{i}@load.test", "type": "work", "primary": True}],
                                              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": f"D{i % 13}"}})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])

    def lookup():
        for i in range(a.users):
            r = s.get(f"{base}/Users", params={"filter": f'userName eq "user{i}@load.test"'})
            assert r.json()["totalResults"] == 1

    def listing():
        f = f'emails[type eq "work" and value co "@load.test"] and {ENT}:department eq "d7"'
        for _ in range(50):
            r = s.get(f"{base}/Users", params={"filter": f, "count": "100"})
            assert r.status_code == 200 and r.json()["totalResults"] > 0, r.text

    def patch():
        for i, uid in enumerate(ids):
            r = s.patch(f"{base}/Users/{uid}", json={"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": i % 2 == 1}]})
            assert r.status_code == 200, r.text

    gid = []

    def group():
        r = s.post(f"{base}/Groups", json={"schemas": [GROUP], "displayName": "Everyone", "members": [{"value": u} for u in ids]},
                   params={"excludedAttributes": "members"})
        assert r.status_code == 201, r.text
        gid.append(r.json()["id"])
        for i in range(10):
            out = {"schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{ids[i]}"]'}]}
            back = {"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": ids[i]}]}]}
            for body in (out, back):
                r = s.patch(f"{base}/Groups/{gid[0]}", json=body, params={"excludedAttributes": "members"})
                assert r.status_code == 200, r.text

    try:
        phase("create (POST /Users)", a.users, create)
        phase('lookup (userName eq "...")', a.users, lookup)
        phase(f"list (value filter over {a.users} users, 100 per page)", 50, listing)
        phase("patch (active)", a.users, patch)
        phase(f"group of {a.users}: create + 20 member PATCHes", 21, group)
    finally:
        server.terminate()
        server.wait(timeout=10)
    backend = "PostgreSQL" if db.startswith("postgres") else "SQLite"
    print(f"| phase ({backend}, {a.users} users) | requests | wall s | server CPU s | CPU ms per request | requests per CPU-second |")
    print("|---|---|---|---|---|---|")
    for name, n, wall, cpu in rows:
        print(f"| {name} | {n} | {wall:.2f} | {cpu:.2f} | {1000 * cpu / n:.2f} | {n / cpu if cpu else float('inf'):,.0f} |")


if __name__ == "__main__":
    sys.exit(main())
