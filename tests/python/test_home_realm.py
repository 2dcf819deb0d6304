"""Home-realm discovery at the SP (issue 21): an account claims an email domain for one of its
identity providers, proves it with a DNS TXT record (looked up for real, from a name server of
the test's own on 127.0.0.1) or the operator vouches for it, and from then on the sign-in page
asks for the email address first: an address at the verified domain goes straight to that
account's identity provider (SP-initiated sign-in, to the end), a native user or anyone else
gets the password page. A domain is verified for one account only; removing the claim brings
the one-page form back. Through the CLI and the REST API."""
import re
import socket
import struct
import threading
import urllib.parse

import pytest
import requests

from test_idp_server import form, saml_response, sign_in
from test_sp_server import env  # noqa: F401  (a seeded IdP + SP of this module's own)


class TxtServer:
    """A name server on 127.0.0.1 (UDP) answering TXT questions from a table; any other name is
    NXDOMAIN. Enough DNS (RFC 1035 section 4) for one question per message."""

    def __init__(self):
        self.records = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.questions = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            self.sock.sendto(self.answer(data), peer)

    def answer(self, q):
        (ident,) = struct.unpack(">H", q[:2])
        labels, i = [], 12
        while q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode().lower())
            i += 1 + q[i]
        question = q[12:i + 5]
        qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
        name = ".".join(labels)
        self.questions.append((name, qtype))
        texts = self.records.get(name)
        if texts is None:
            return struct.pack(">HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question
        answers = b""
        if qtype == 16:
            for t in texts:
                raw = t.encode()
                rdata = b"".join(bytes([len(raw[j:j + 255])]) + raw[j:j + 255] for j in range(0, len(raw), 255))
                answers += struct.pack(">HHHIH", 0xC00C, 16, 1, 60, len(rdata)) + rdata
        count = len(texts) if qtype == 16 else 0
        return struct.pack(">HHHHHH", ident, 0x8180, 1, count, 0, 0) + question + answers

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def dns():
    server = TxtServer()
    yield server
    server.close()


def asks_for_password(page):
    return 'name="password"' in page.text


def step_one(base, email):
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=10)
    f = form(page.text, "/login")
    assert "password" not in f["fields"]
    return s, s.post(f"{base}/login", data={**f["fields"], "email": email}, allow_redirects=False, timeout=10)


def test_a_verified_domain_sends_its_people_to_their_identity_provider(env, dns):
    idp, sp, ids, _ = env
    base = sp.base
    assert asks_for_password(requests.get(f"{base}/login", timeout=10)), "no verified domain: the one-page form"
    # Claimed, not yet proved: nothing changes.
    out = sp.cli("domain", "add", "--account", "Acme Dev", "Corp.Test.", "--idp", "Multi-Pass")
    record = out.strip()
    assert re.fullmatch(r"symbolon-domain-verification=[0-9a-f]{64}", record), out
    assert asks_for_password(requests.get(f"{base}/login", timeout=10))
    # A TXT record that is not the claim's does not prove it (looked up for real).
    dns.records["corp.test"] = ["v=spf1 -all", "symbolon-domain-verification=" + "0" * 64]
    bad = sp.cli("domain", "verify", "--account", "Acme Dev", "corp.test", "--dns-server", dns.addr, ok=False)
    assert bad.returncode == 1 and "no TXT record" in bad.stderr, bad.stderr
    assert ("corp.test", 16) in dns.questions
    dns.records["corp.test"].append(record)
    ok = sp.cli("domain", "verify", "--account", "Acme Dev", "corp.test", "--dns-server", dns.addr)
    assert "verified" in ok
    listed = sp.cli("domain", "list", "--account", "Acme Dev")
    assert listed.startswith("corp.test\tMulti-Pass\tverified "), listed
    # Another account may claim the domain, but not have it verified too.
    sp.cli("domain", "add", "--account", "Acme Prod", "corp.test", "--idp", "Multi-Pass")
    twice = sp.cli("domain", "verify", "--account", "Acme Prod", "corp.test", "--without-dns", ok=False)
    assert twice.returncode == 1 and "verified for another account" in twice.stderr, twice.stderr

    # The sign-in page now asks for the address first; dave of corp.test goes to the IdP and
    # comes back signed in to Acme Dev.
    first = requests.get(f"{base}/login", timeout=10)
    assert not asks_for_password(first) and 'type="email"' in first.text
    s, r = step_one(base, "Dave@Corp.Test")
    assert r.status_code == 303, r.text[:300]
    idp_id = next(i["id"] for i in sp_api(sp, "Acme Dev").get(f"{base}/api/v1/identity-providers", timeout=10).json())
    assert r.headers["Location"] == f"/saml/login?idp={idp_id}"
    to_idp = s.get(urllib.parse.urljoin(base, r.headers["Location"]), timeout=10)
    assert to_idp.url.startswith(f"{idp.base}/realms/mpas/protocol/saml"), to_idp.url
    action, b64, relay = saml_response(sign_in(s, to_idp, username="dave"))
    home = s.post(action, data={"SAMLResponse": b64, "RelayState": relay}, timeout=30)
    assert '<dd id="account">Acme Dev</dd>' in home.text, home.text[:1500]

    # carol (a native master administrator of Acme Prod) and strangers get the password page.
    for who in ("carol@corp.test", "someone@elsewhere.test"):
        _, page = step_one(base, who)
        assert page.status_code == 200 and asks_for_password(page), who
        assert f'value="{who}"' in page.text
    _, empty = step_one(base, " ")
    assert empty.status_code == 400 and not asks_for_password(empty)
    # The one-page post (email and password together) still signs a native user in.
    s = requests.Session()
    f = form(s.get(f"{base}/login", timeout=10).text, "/login")
    home = s.post(f"{base}/login", data={**f["fields"], "email": "carol@corp.test", "password": "carol native pw"}, timeout=30)
    assert '<dd id="account">Acme Prod</dd>' in home.text

    # Through the REST API: listed, and removed; the one-page form is back.
    api = sp_api(sp, "Acme Dev")
    domains = api.get(f"{base}/api/v1/domains", timeout=10).json()
    assert domains == [{"domain": "corp.test", "identityProvider": "Multi-Pass", "verified": True,
                        "verifiedAt": domains[0]["verifiedAt"], "txtRecord": record}]
    assert api.post(f"{base}/api/v1/domains/corp.test/verify", timeout=10).status_code == 200, "already verified"
    assert api.post(f"{base}/api/v1/domains/other.test/verify", timeout=10).status_code == 404, "not claimed: no lookup"
    assert api.delete(f"{base}/api/v1/domains/corp.test", timeout=10).status_code == 204
    assert api.delete(f"{base}/api/v1/domains/corp.test", timeout=10).status_code == 404
    assert asks_for_password(requests.get(f"{base}/login", timeout=10))
    # Now Acme Prod can have it verified; every change is in the audit log.
    assert "verified" in sp.cli("domain", "verify", "--account", "Acme Prod", "corp.test", "--without-dns")
    audit = sp.cli("audit", "export", "--account", "Acme Dev")
    assert "claimed domain corp.test" in audit and "verified domain corp.test by its DNS TXT record" in audit
    assert "removed domain corp.test" in audit


def test_domains_through_the_rest_api(env, dns):
    _, sp, _, _ = env
    base = sp.base
    api = sp_api(sp, "Evil Co")
    r = api.post(f"{base}/api/v1/domains", json={"domain": "evil.test", "identityProvider": "Multi-Pass"}, timeout=10)
    assert r.status_code == 201 and r.headers["Location"] == "/api/v1/domains/evil.test", r.text
    d = r.json()
    assert d["verified"] is False and d["txtRecord"].startswith("symbolon-domain-verification=")
    for bad in ({"domain": "not a domain", "identityProvider": "Multi-Pass"}, {"domain": "x.test", "identityProvider": "nope"}):
        assert api.post(f"{base}/api/v1/domains", json=bad, timeout=10).status_code in (400, 404), bad
    # The server's own lookup uses the configured resolver; this one has none configured
    # that knows evil.test, so the claim stays unproved (an answer, not a hang).
    r = api.post(f"{base}/api/v1/domains/evil.test/verify", timeout=30)
    assert r.status_code in (400, 503) and r.json()["error"], r.text


def sp_api(sp, account):
    key = sp.cli("api-key", "create", "--account", account, "--name", "domains").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    return api


def test_domains_in_the_account_console(env):
    """A master administrator claims, tries to verify and removes a domain in the console; the
    page is in both languages and every change lands in the audit log."""
    _, sp, _, _ = env
    base = sp.base
    s = requests.Session()
    f = form(s.get(f"{base}/login", timeout=10).text, "/login")
    home = s.post(f"{base}/login", data={**f["fields"], "email": "carol@corp.test", "password": "carol native pw"}, timeout=30)
    assert '<dd id="account">Acme Prod</dd>' in home.text
    page = s.get(f"{base}/account/domains", timeout=10)
    assert page.status_code == 200 and 'href="/account/domains" aria-current="page"' in page.text
    assert "<td>corp.test</td><td>Multi-Pass</td><td>Verified " in page.text, page.text[-3000:]
    csrf = form(page.text, "/account/domains")["fields"]["csrf"]
    bad = s.post(f"{base}/account/domains", data={"csrf": csrf, "action": "add", "domain": "not a domain", "idp": "Multi-Pass"}, timeout=10)
    assert bad.status_code == 400 and 'id="domain-error"' in bad.text and 'aria-invalid="true"' in bad.text
    added = s.post(f"{base}/account/domains", data={"csrf": csrf, "action": "add", "domain": "Prod.Test", "idp": "Multi-Pass"}, timeout=10)
    assert added.status_code == 200 and "prod.test claimed" in added.text, added.text[-2000:]
    record = re.search(r"<td>prod\.test</td><td>Multi-Pass</td><td>Not verified</td><td><code>(symbolon-domain-verification=[0-9a-f]{64})</code>", added.text)
    assert record, added.text[-3000:]
    # No DNS here knows prod.test: the claim stays unproved, and the page says why.
    tried = s.post(f"{base}/account/domains", data={"csrf": csrf, "action": "verify", "domain": "prod.test"}, timeout=30)
    assert tried.status_code == 200 and "<td>prod.test</td><td>Multi-Pass</td><td>Not verified</td>" in tried.text
    assert 'class="notice"' in tried.text and "prod.test" in tried.text
    ja = s.get(f"{base}/account/domains?lang=ja", timeout=10)
    assert "<h1>メールドメイン</h1>" in ja.text and "未確認" in ja.text
    confirm = s.post(f"{base}/account/domains", data={"csrf": csrf, "action": "remove", "domain": "prod.test"}, timeout=10)
    assert confirm.status_code == 200 and 'name="confirm"' in confirm.text
    gone = s.post(f"{base}/account/domains", data={"csrf": csrf, "action": "remove", "domain": "prod.test", "confirm": "yes"}, timeout=10)
    assert "prod.test" not in gone.text.split("<table", 1)[1].split("</table>", 1)[0]
    audit = sp.cli("audit", "export", "--account", "Acme Prod")
    assert "claimed domain prod.test" in audit and "removed domain prod.test" in audit
