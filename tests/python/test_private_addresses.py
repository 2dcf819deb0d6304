"""Server-side requests an SP tenant can aim (issue 21's webhooks, issue 19's metadata URLs):
by default the SP reaches public addresses only, so that an account's administrator cannot make
it call into the operator's network (SSRF). A URL on 127.0.0.1, `localhost` (a name that
resolves to loopback) or the cloud metadata address is refused before any connection, with a
reason that names the setting; `[sp] allow_private_addresses = true` (or
SYMBOLON_SP_ALLOW_PRIVATE_ADDRESSES) lets the operator allow them. The IdP, whose URLs its own
administrators set, is not limited."""
import os
import subprocess
import time

import requests

from conftest import database_url, symbolon_bin
from test_demo import free_port
from test_metadata_refresh import MetadataServer, idp_metadata
from test_webhooks import Receiver


def start_sp(tmp, allow):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = database_url(tmp / f"data-{allow}")
    cfg = tmp / f"sp-{allow}.toml"
    cfg.write_text(f"""[server]
database_url = "{db}"
[sp]
listen = "127.0.0.1:{port}"
base_url = "{base}"
""" + ("allow_private_addresses = true\n" if allow else ""))
    env = {k: v for k, v in os.environ.items() if k != "SYMBOLON_SP_ALLOW_PRIVATE_ADDRESSES"}
    log = open(tmp / f"sp-{allow}.log", "w")
    proc = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    assert " listening on " in proc.stdout.readline()
    cli = lambda *a: subprocess.run([symbolon_bin(), "sp", "--database-url", db, *a], capture_output=True, text=True, timeout=60, env=env)
    return proc, base, cli


def test_tenants_reach_public_addresses_only_unless_the_operator_allows(tmp_path):
    md, receiver = MetadataServer(), Receiver()
    md.mode, md.doc = "ok", idp_metadata("idp-rsa")
    procs = []
    try:
        for allow in (False, True):
            proc, base, cli = start_sp(tmp_path, allow)
            procs.append(proc)
            account = cli("account", "create", "Acme").stdout.strip()
            key = cli("api-key", "create", "--account", account, "--name", "k").stdout.strip()
            api = requests.Session()
            api.headers["Authorization"] = f"Bearer {key}"
            local_name = md.url.replace("127.0.0.1", "localhost")
            urls = [md.url] if allow else [md.url, local_name, "http://169.254.169.254/latest/meta-data", "http://[::1]:9/md"]
            for url in urls:
                r = api.post(f"{base}/api/v1/identity-providers", json={"name": "From URL", "metadataUrl": url, "allowHttp": True}, timeout=30)
                if allow:
                    assert r.status_code == 201, (url, r.text)
                else:
                    assert r.status_code == 400 and "not a public address" in r.text and "allow_private_addresses" in r.text, (url, r.text)
            if not allow:
                assert not md.requests, "nothing was fetched"
            # A webhook on a private address: stored (the URL is well-formed) but never posted to.
            out = cli("webhook", "--account", account, "add", receiver.url, "--events", "configuration.changed", "--allow-http")
            assert out.returncode == 0, out.stderr
            hook = out.stdout.strip().split("\t")[0]
            cli("webhook", "--account", account, "test", hook)
            if allow:
                receiver.wait(lambda h, b: b["type"] == "webhook.test")
            else:
                deadline = time.time() + 15
                log = ""
                while time.time() < deadline and "not a public address" not in log:
                    time.sleep(0.5)
                    log = cli("webhook", "--account", account, "deliveries").stdout
                assert "not a public address" in log, log
                assert not receiver.seen, "the receiver heard nothing"
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        md.stop()
        receiver.close()
