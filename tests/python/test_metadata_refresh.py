"""Metadata by URL with scheduled refresh (issue 19), against a small HTTP server of the test's
own on 127.0.0.1 serving changing documents, and a real `symbolon serve` (SP role) whose
scheduler refreshes every two seconds:
- an identity provider added from a URL; its certificate rotation is picked up with no
  administrator action (a response signed with the new key is refused before, accepted after),
  with the change in the account's audit log and `symbolon jobs`;
- conditional GET: an unchanged document is answered 304 and nothing changes;
- a tampered signed document, a 50 MB document, a slow server and a redirect to another scheme
  are refused with the reason shown, and the last good metadata stays in use;
- https is required unless allowed for the entry; a redirect to another scheme is refused."""
import http.server
import json
import subprocess
import threading
import time

import pytest
import requests

from conftest import KEYS, database_url, symbolon_bin
from test_demo import free_port

IDP = "https://idp.refresh.test/realms/acme"


class MetadataServer:
    """Serves `self.doc` at /md.xml with an ETag; `mode` makes it slow, huge or a redirect."""

    def __init__(self):
        self.doc = b""
        self.mode = "ok"
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("If-None-Match")))
                if outer.mode == "slow":
                    time.sleep(4)
                if outer.mode == "redirect-https":
                    self.send_response(302)
                    self.send_header("Location", "https://127.0.0.1:1/md.xml")
                    self.end_headers()
                    return
                if outer.mode == "huge":
                    size = 50 * 1024 * 1024
                    self.send_response(200)
                    self.send_header("Content-Type", "application/samlmetadata+xml")
                    self.end_headers()
                    chunk = b" " * 65536
                    try:
                        self.wfile.write(b"<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata'>")
                        for _ in range(size // len(chunk)):
                            self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                etag = '"%d"' % (hash(outer.doc) & 0xFFFFFFFF)
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(outer.doc)))
                self.end_headers()
                self.wfile.write(outer.doc)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/md.xml"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


def idp_metadata(cert, sign_key=None):
    args = [symbolon_bin(), "saml", "metadata", "idp", "--entity-id", IDP, "--sso-url", f"{IDP}/sso", "--cert", str(KEYS / f"{cert}.crt.pem")]
    if sign_key:
        args += ["--sign-key", str(KEYS / f"{sign_key}.key.pem")]
    out = subprocess.run(args, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


class Sp:
    def __init__(self, tmp):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = database_url(tmp / "data")
        cfg = tmp / "sp.toml"
        cfg.write_text(f"""[server]
database_url = "{self.db}"
[sp]
listen = "127.0.0.1:{self.port}"
base_url = "{self.base}"
metadata_refresh_secs = 2
metadata_check_secs = 1
metadata_fetch_timeout_secs = 2
""")
        self.log = open(tmp / "sp.log", "w")
        self.proc = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        assert " listening on " in line, line

    def cli(self, *args, ok=True):
        out = subprocess.run([symbolon_bin(), "sp", "--database-url", self.db, *args], capture_output=True, text=True, timeout=60)
        if ok:
            assert out.returncode == 0, out.stderr
        return out

    def source(self, account, idp):
        return dict(l.split("\t", 1) for l in self.cli("idp", "source", "--account", account, idp).stdout.splitlines())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("refresh")
    sp = Sp(tmp)
    md = MetadataServer()
    yield sp, md, tmp
    sp.stop()
    md.stop()


def response(sp, tmp, key):
    sp_md = tmp / "sp-md.xml"
    sp_md.write_bytes(requests.get(f"{sp.base}/saml/metadata", timeout=10).content)
    out = subprocess.run([symbolon_bin(), "saml", "issue-response", "--key", str(KEYS / f"{key}.key.pem"), "--cert", str(KEYS / f"{key}.crt.pem"),
                          "--idp-entity-id", IDP, "--sp-metadata", str(sp_md), "--name-id", "pat@refresh.test", "--attr", "groups=staff",
                          "--sign", "assertion", "--base64"], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().decode()


def until(check, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        v = check()
        if v:
            return v
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_rotation_is_picked_up_without_an_administrator(env):
    sp, md, tmp = env
    md.doc = idp_metadata("idp-rsa")
    acc = sp.cli("account", "create", "Rotating Co").stdout.strip()
    # https is required unless allowed for this entry.
    refused = sp.cli("idp", "add", "--account", acc, "--name", "Acme IdP", "--metadata-url", md.url, ok=False)
    assert refused.returncode == 1 and "only https:// URLs" in refused.stderr
    sp.cli("idp", "add", "--account", acc, "--name", "Acme IdP", "--metadata-url", md.url, "--allow-http")
    sp.cli("idp", "profile", "--account", acc, "Acme IdP", "--role-attribute", "groups")
    sp.cli("idp", "map-group", "--account", acc, "Acme IdP", "staff", "Read Only")
    src = sp.source(acc, "Acme IdP")
    assert src["url"] == md.url and src["failures"] == "0" and src["changed"] != "never"

    ok = requests.post(f"{sp.base}/saml/acs", data={"SAMLResponse": response(sp, tmp, "idp-rsa")}, timeout=30)
    assert ok.status_code == 200, ok.text[:400]
    rotated = response(sp, tmp, "idp-rsa-next")
    assert requests.post(f"{sp.base}/saml/acs", data={"SAMLResponse": rotated}, timeout=30).status_code == 403

    # The IdP rotates its key; within a few scheduler ticks the SP trusts the new one.
    md.doc = idp_metadata("idp-rsa-next")
    until(lambda: "signing certificate added" in "".join(
        a["detail"] for a in map(json.loads, sp.cli("audit", "export", "--account", acc).stdout.splitlines())))
    ok = requests.post(f"{sp.base}/saml/acs", data={"SAMLResponse": response(sp, tmp, "idp-rsa-next")}, timeout=30)
    assert ok.status_code == 200, ok.text[:400]
    audit = [json.loads(l) for l in sp.cli("audit", "export", "--account", acc).stdout.splitlines()]
    change = [a for a in audit if "refreshed from" in a["detail"]][-1]
    assert "signing certificate removed" in change["detail"] and change["principal"].endswith("system/metadata-refresh")
    jobs = subprocess.run([symbolon_bin(), "jobs", "--database-url", sp.db], capture_output=True, text=True, timeout=60)
    assert "sp:metadata-refresh" in jobs.stdout, jobs.stdout + jobs.stderr
    # Unchanged afterwards: conditional requests are answered 304.
    n = len(md.requests)
    until(lambda: any(inm for _, inm in md.requests[n:]))


def test_bad_documents_keep_the_last_good_metadata(env):
    sp, md, tmp = env
    md.mode = "ok"
    md.doc = idp_metadata("idp-rsa", sign_key="idp-ec-p256")
    acc = sp.cli("account", "create", "Signed Co").stdout.strip()
    signer = tmp / "signer.crt.pem"
    signer.write_bytes((KEYS / "idp-ec-p256.crt.pem").read_bytes())
    # Unsigned while a signing certificate is pinned: refused at once.
    unsigned_md = idp_metadata("idp-rsa")
    md.doc = unsigned_md
    refused = sp.cli("idp", "add", "--account", acc, "--name", "Fed", "--metadata-url", md.url, "--allow-http",
                     "--metadata-signing-cert", str(signer), ok=False)
    assert refused.returncode == 1 and "not signed" in refused.stderr
    md.doc = idp_metadata("idp-rsa", sign_key="idp-ec-p256")
    sp.cli("idp", "add", "--account", acc, "--name", "Fed", "--metadata-url", md.url, "--allow-http", "--metadata-signing-cert", str(signer))
    assert sp.source(acc, "Fed")["signed"] == "true"
    good = sp.cli("idp", "list", "--account", acc).stdout

    def failing(reason_part):
        until(lambda: reason_part in sp.source(acc, "Fed")["last_error"], seconds=20)
        assert sp.cli("idp", "list", "--account", acc).stdout == good, "the last good metadata stays"

    # A signed document altered after signing (another certificate swapped in).
    tampered = md.doc
    cert_b64 = "".join((KEYS / "idp-rsa.crt.pem").read_text().strip().splitlines()[1:-1]).encode()
    attacker_b64 = "".join((KEYS / "attacker-rsa.crt.pem").read_text().strip().splitlines()[1:-1]).encode()
    assert cert_b64 in tampered
    md.doc = tampered.replace(cert_b64, attacker_b64)
    failing("does not verify")
    audit = [json.loads(l) for l in sp.cli("audit", "export", "--account", acc).stdout.splitlines()]
    assert any("failed; the last good metadata stays in use" in a["detail"] for a in audit)
    # 50 MB: refused while reading.
    md.mode = "huge"
    failing("larger than")
    # A server that does not answer in time.
    md.mode = "slow"
    failing("no answer within")
    # A redirect from http to https is another scheme: refused.
    md.mode = "redirect-https"
    failing("redirect")
    # Back to a good document: the failures clear.
    md.mode = "ok"
    md.doc = idp_metadata("idp-rsa", sign_key="idp-ec-p256")
    until(lambda: sp.source(acc, "Fed")["failures"] == "0", seconds=40)
    assert sp.source(acc, "Fed")["last_error"] == ""


class IdpServer:
    def __init__(self, tmp):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = database_url(tmp / "idp-data")
        cfg = tmp / "idp.toml"
        cfg.write_text(f"""[server]
database_url = "{self.db}"
[idp]
listen = "127.0.0.1:{self.port}"
base_url = "{self.base}"
metadata_refresh_secs = 2
metadata_check_secs = 1
metadata_fetch_timeout_secs = 2
""")
        self.log = open(tmp / "idp.log", "w")
        self.proc = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        assert " listening on " in line, line

    def cli(self, *args, ok=True):
        out = subprocess.run([symbolon_bin(), "idp", "--database-url", self.db, *args], capture_output=True, text=True, timeout=60)
        if ok:
            assert out.returncode == 0, out.stderr
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def sp_metadata(acs, cert):
    out = subprocess.run([symbolon_bin(), "saml", "metadata", "sp", "--entity-id", "https://sp.refresh.test/metadata", "--acs-url", acs,
                          "--cert", str(KEYS / f"{cert}.crt.pem")], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_an_idp_client_follows_its_metadata_url(tmp_path):
    """The IdP side: a client imported from a URL picks up the SP's new ACS and certificate with no
    administrator action; a broken document keeps the last good one, with one event."""
    md = MetadataServer()
    idp = IdpServer(tmp_path)
    try:
        md.doc = sp_metadata("https://sp.refresh.test/acs", "idp-rsa")
        idp.cli("realm", "create", "acme")
        refused = idp.cli("client", "import", "--realm", "acme", "--metadata-url", md.url, ok=False)
        assert refused.returncode == 1 and "only https:// URLs" in refused.stderr
        idp.cli("client", "import", "--realm", "acme", "--metadata-url", md.url, "--allow-http", "--url-name", "app")
        assert "https://sp.refresh.test/acs" in idp.cli("client", "list", "--realm", "acme").stdout + md.doc.decode()
        md.doc = sp_metadata("https://sp.refresh.test/acs-moved", "idp-rsa-next")
        events = lambda: idp.cli("events", "acme", "--limit", "200").stdout
        until(lambda: "acs-moved" in events(), seconds=20)
        ev = events()
        assert "signing certificate added" in ev and "metadata-refresh" in ev, ev
        md.doc = b"<not metadata"
        until(lambda: "failed; the last good metadata stays in use" in events(), seconds=20)
        time.sleep(3)
        assert events().count("failed; the last good metadata stays in use") == 1, "recorded once"
        jobs = subprocess.run([symbolon_bin(), "jobs", "--database-url", idp.db], capture_output=True, text=True, timeout=60).stdout
        assert "idp:metadata-refresh" in jobs and "idp:certificate-expiry" in jobs, jobs
        # The admin REST converter takes the URL too (https unless allowed), and saves nothing.
        md.doc = sp_metadata("https://sp.refresh.test/acs-3", "idp-rsa")
        token = idp.cli("token", "create", "--name", "refresh").stdout.strip()
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        conv = f"{idp.base}/admin/realms/acme/client-description-converter"
        r = api.post(conv, data=md.url, timeout=30)
        assert r.status_code == 400 and "only https:// URLs" in r.text, r.text
        r = api.post(conv, params={"allowHttp": "true"}, data=md.url, timeout=30)
        assert r.status_code == 200 and r.json()["clientId"] == "https://sp.refresh.test/metadata", r.text
        rep = r.json()
        # The representation names the URL, so a client created from it keeps following it.
        assert rep["attributes"]["saml.metadata.url"] == md.url and rep["attributes"]["saml.metadata.allowHttp"] == "true"
        clients = f"{idp.base}/admin/realms/acme/clients"
        old = api.get(clients, params={"clientId": rep["clientId"]}, timeout=10).json()[0]
        assert api.delete(f"{clients}/{old['id']}", timeout=10).status_code == 204
        rep.pop("findings", None)
        created = api.post(clients, json=rep, timeout=10)
        assert created.status_code == 201, created.text
        location = created.headers["Location"]
        new = api.get(location if location.startswith("http") else idp.base + location, timeout=10).json()
        assert new["attributes"]["saml.metadata.url"] == md.url
        md.doc = sp_metadata("https://sp.refresh.test/acs-4", "idp-rsa")
        until(lambda: "acs-4" in events(), seconds=20)
        # An https-only URL without allowHttp is refused with the reason; empty stops refreshing.
        bad = dict(new, attributes={**new["attributes"], "saml.metadata.allowHttp": "false"})
        r = api.put(f"{clients}/{new['id']}", json=bad, timeout=10)
        assert r.status_code == 400 and "saml.metadata.url must be an https:// URL" in r.text, r.text
        stop = dict(new, attributes={**new["attributes"], "saml.metadata.url": ""})
        assert api.put(f"{clients}/{new['id']}", json=stop, timeout=10).status_code == 204
        assert "saml.metadata.url" not in api.get(f"{clients}/{new['id']}", timeout=10).json()["attributes"]
    finally:
        idp.stop()
        md.stop()


def test_the_rest_api_adds_an_identity_provider_from_a_url(env):
    sp, md, _ = env
    md.mode = "ok"
    md.doc = idp_metadata("idp-rsa")
    acc = sp.cli("account", "create", "Api Co").stdout.strip()
    key = sp.cli("api-key", "create", "--account", acc, "--name", "refresh").stdout.strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    r = api.post(f"{sp.base}/api/v1/identity-providers", json={"name": "From URL", "metadataUrl": md.url}, timeout=30)
    assert r.status_code == 400 and "only https:// URLs" in r.text, r.text
    r = api.post(f"{sp.base}/api/v1/identity-providers", json={"name": "From URL", "metadataUrl": md.url, "allowHttp": True}, timeout=30)
    assert r.status_code == 201, r.text
    assert r.json()["entityId"] == IDP
    assert sp.source(acc, "From URL")["url"] == md.url
