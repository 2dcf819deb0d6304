#!/usr/bin/env python3
"""Measures what the README promises a newcomer: the time from `git clone` to the first working
sign-in with the README's run command (`cargo run --release -- demo`), in a fresh clone with a
fresh target directory. Prints the wall time of each phase and the CPU time of the build.

    .venv/bin/python scripts/time-first-sign-in.py [SOURCE]

SOURCE is what to clone (default: this repository, as a file:// URL; over a network add the
download time). Crates already in ~/.cargo/registry are not downloaded again: on a machine that
never built Rust, add the time `cargo fetch` takes (a few hundred crates).
"""
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))
from test_idp_server import saml_response, sign_in  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "file://" + os.path.abspath(os.path.join(HERE, ".."))
    work = tempfile.mkdtemp(prefix="symbolon-first-run-")
    clone = os.path.join(work, "symbolon")
    t0 = time.monotonic()
    subprocess.run(["git", "clone", "--quiet", source, clone], check=True)
    t_clone = time.monotonic()
    idp_port, sp_port = free_port(), free_port()
    log = open(os.path.join(work, "demo.log"), "w")
    env = {k: v for k, v in os.environ.items() if k != "CARGO_TARGET_DIR"}
    demo = subprocess.Popen(
        ["cargo", "run", "--release", "--", "demo", "--idp-port", str(idp_port), "--sp-port", str(sp_port)],
        cwd=clone, stdout=subprocess.PIPE, stderr=log, text=True, env=env,
    )
    try:
        while True:
            line = demo.stdout.readline()
            if not line:
                sys.exit(f"the demo stopped; see {log.name}")
            if line.startswith("listening on "):
                break
        t_listening = time.monotonic()
        info = json.load(open(os.path.join(clone, "symbolon-data", "demo.json")))
        bob = next(u for u in info["users"] if u["username"] == "bob")
        s = requests.Session()
        page = sign_in(s, s.get(info["idpInitiatedUrl"], timeout=30), username=bob["username"], password=bob["password"])
        action, b64, _ = saml_response(page)
        r = s.post(action, data={"SAMLResponse": b64}, timeout=30)
        assert "Welcome, Bob" in r.text, r.text[:300]
        t_signed_in = time.monotonic()
    finally:
        demo.terminate()
        demo.wait(timeout=30)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"clone: {t_clone - t0:.1f} s")
    print(f"build and start (cargo run --release -- demo): {t_listening - t_clone:.1f} s wall, "
          f"{cpu.ru_utime + cpu.ru_stime:.0f} s CPU (user+system, all child processes)")
    print(f"first sign-in (bob, IdP-initiated, through the SP's ACS): {t_signed_in - t_listening:.1f} s")
    print(f"total from git clone to signed in: {t_signed_in - t0:.1f} s ({(t_signed_in - t0) / 60:.1f} min) "
          f"on {os.cpu_count()} cores")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
