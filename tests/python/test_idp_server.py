"""The identity provider server, end to end over HTTP on 127.0.0.1, with pysaml2 as the SP.

The server runs as `symbolon idp serve` on a free port; the realm, users and clients are set up
with `symbolon idp ...` on the same SQLite data directory while it runs.
"""
import base64
import html.parser
import json
import os
import re
import shutil
import subprocess
import urllib.parse
import zlib

import pytest
import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.xmldsig import SIG_RSA_SHA256

from conftest import database_url, KEYS, symbolon_bin

PASSWORD = "correct horse battery"


class Forms(html.parser.HTMLParser):
    """Every form's action and fields."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            # As a browser does: an unchecked box is not sent.
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")


def form(page: str, action_contains: str = ""):
    """The first form (whose action contains `action_contains`, when given)."""
    p = Forms()
    p.feed(page)
    matching = [f for f in p.forms if action_contains in (f["action"] or "")]
    assert matching, page[:500]
    return matching[0]


class Idp:
    def __init__(self, tmp):
        self.dir = tmp / "data"
        self.db = ["--database-url", database_url(self.dir)]
        # The server logs each request to standard error: a file, never an undrained pipe.
        self.log_path = tmp / "idp.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([symbolon_bin(), "idp", *self.db, "serve", "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), line + self.log_path.read_text()
        self.base = line.split()[2]

    def cli(self, *args, stdin=None):
        out = subprocess.run([symbolon_bin(), "idp", *self.db, *args], input=stdin, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def events(self, realm):
        return self.cli("events", realm, "--limit", "200")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def sp(tmp, idp, name, signed=False, realm="acme"):
    entity = f"https://{name}.test/metadata"
    md = tmp / f"idp-{name}.xml"
    md.write_bytes(requests.get(f"{idp.base}/realms/{realm}/protocol/saml/descriptor", timeout=10).content)
    conf = {
        "entityid": entity,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(f"https://{name}.test/acs", BINDING_HTTP_POST)]},
            "allow_unsolicited": True, "authn_requests_signed": signed,
            "want_assertions_signed": True, "want_response_signed": True,
        }},
        "metadata": {"local": [str(md)]},
        "key_file": str(KEYS / "idp-rsa-next.key.pem"), "cert_file": str(KEYS / "idp-rsa-next.crt.pem"),
        "xmlsec_binary": shutil.which("xmlsec1"), "allow_unknown_attributes": True, "accepted_time_diff": 60,
    }
    cfg = SPConfig()
    cfg.load(conf)
    sp_md = tmp / f"sp-{name}.xml"
    sp_md.write_bytes(create_metadata_string(None, config=cfg, sign=False))
    idp.cli("client", "import", "--realm", realm, str(sp_md), "--url-name", name)
    return Saml2Client(config=cfg)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("idp")
    idp = Idp(tmp)
    idp.cli("realm", "create", "acme", "--display-name", "Acme Corp")
    idp.cli("user", "add", "--realm", "acme", "alice", "--email", "alice@acme.test", "--password-stdin", stdin=PASSWORD + "\n")
    idp.cli("user", "add", "--realm", "acme", "mallory", "--email", "mallory@acme.test", "--password-stdin", stdin=PASSWORD + "\n")
    clients = {"plain": sp(tmp, idp, "plain"), "strict": sp(tmp, idp, "strict", signed=True)}
    yield idp, clients
    idp.stop()


def sign_in(session, page, username="alice", password=PASSWORD, expect=200):
    f = form(page.text, "/login-actions/authenticate")
    assert f["fields"]["flow"] and f["fields"]["csrf"]
    r = session.post(f["action"], data={**f["fields"], "username": username, "password": password}, timeout=30)
    assert r.status_code == expect, r.text[:300]
    return r


def meta_refresh(page):
    """Where a "Continue" page (meta refresh) sends the browser, or None."""
    m = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', page.text)
    return html.unescape(m.group(1)) if m else None


def follow(session, page, hops=None):
    """Follow meta refreshes as a browser does (requests follows only HTTP redirects); the URLs
    visited go to `hops`."""
    for _ in range(10):
        if hops is not None:
            hops.extend(h.headers.get("Location", "") for h in page.history)
        url = meta_refresh(page)
        if not url:
            return page
        if hops is not None:
            hops.append(url)
        page = session.get(url, timeout=30)
    raise AssertionError("too many hops")


def saml_response(page):
    f = form(page.text)
    assert "SAMLResponse" in f["fields"], page.text[:300]
    return f["action"], f["fields"]["SAMLResponse"], f["fields"].get("RelayState")


def test_descriptor_and_not_found(env):
    idp, _ = env
    r = requests.get(f"{idp.base}/realms/acme/protocol/saml/descriptor", timeout=10)
    assert r.status_code == 200 and b'entityID="' + f"{idp.base}/realms/acme".encode() + b'"' in r.content
    assert requests.get(f"{idp.base}/realms/nope/protocol/saml/descriptor", timeout=10).status_code == 404
    assert requests.get(f"{idp.base}/realms/ACME/protocol/saml/descriptor", timeout=10).status_code == 404, "case-sensitive"
    assert requests.get(f"{idp.base}/realms/acme/protocol/saml/clients/nope", timeout=10).status_code == 404


def test_sp_initiated_then_sso_session_reused(env):
    idp, clients = env
    c = clients["plain"]
    s = requests.Session()
    req_id, info = c.prepare_for_authenticate(entityid=f"{idp.base}/realms/acme", relay_state="/after", binding=BINDING_HTTP_REDIRECT)
    login = s.get(dict(info["headers"])["Location"], timeout=30)
    assert login.status_code == 200 and "Sign in to Acme Corp" in login.text
    assert "script-src" not in login.headers["Content-Security-Policy"]
    page = sign_in(s, login)
    action, b64, relay = saml_response(page)
    assert action == "https://plain.test/acs" and relay == "/after"
    assert "sha256-" in page.headers["Content-Security-Policy"]
    resp = c.parse_authn_request_response(b64, BINDING_HTTP_POST, outstanding={req_id: "/after"})
    assert resp.name_id.text == "alice"
    # The same browser, a second request: no login page, straight back with a response.
    req2, info2 = c.prepare_for_authenticate(entityid=f"{idp.base}/realms/acme", binding=BINDING_HTTP_REDIRECT)
    again = s.get(dict(info2["headers"])["Location"], timeout=30)
    _, b64, _ = saml_response(again)
    resp2 = c.parse_authn_request_response(b64, BINDING_HTTP_POST, outstanding={req2: "/"})
    assert resp2.name_id.text == "alice"
    assert resp2.session_info()["session_index"] == resp.session_info()["session_index"]
    events = idp.events("acme")
    assert "\tLOGIN\talice" in events and "\tSAML_RESPONSE\talice" in events


def test_idp_initiated_with_relay_state(env):
    idp, clients = env
    s = requests.Session()
    login = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", params={"RelayState": "/dashboard"}, timeout=30)
    assert login.status_code == 200
    _, b64, relay = saml_response(sign_in(s, login))
    assert relay == "/dashboard"
    resp = clients["plain"].parse_authn_request_response(b64, BINDING_HTTP_POST)
    assert resp.name_id.text == "alice"
    assert resp.in_response_to is None


def test_signed_requests_required_by_sp_metadata(env):
    idp, clients = env
    c = clients["strict"]
    # The SP's metadata says AuthnRequestsSigned: an unsigned request is refused with a page, never a redirect.
    req_id, info = c.prepare_for_authenticate(entityid=f"{idp.base}/realms/acme", binding=BINDING_HTTP_REDIRECT, sign=False)
    r = requests.get(dict(info["headers"])["Location"], allow_redirects=False, timeout=30)
    assert r.status_code == 400 and "cannot be accepted" in r.text
    req_id, info = c.prepare_for_authenticate(entityid=f"{idp.base}/realms/acme", binding=BINDING_HTTP_REDIRECT, sign=True, sigalg=SIG_RSA_SHA256)
    s = requests.Session()
    login = s.get(dict(info["headers"])["Location"], timeout=30)
    _, b64, _ = saml_response(sign_in(s, login))
    assert c.parse_authn_request_response(b64, BINDING_HTTP_POST, outstanding={req_id: "/"}).name_id.text == "alice"
    # A tampered signed request is refused.
    tampered = dict(info["headers"])["Location"].replace("SigAlg=", "RelayState=x&SigAlg=")
    assert requests.get(tampered, timeout=30).status_code == 400


def test_wrong_password_then_temporary_lockout(env):
    idp, _ = env
    s = requests.Session()
    login = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", timeout=30)
    page = login
    for _ in range(4):
        page = sign_in(s, page, username="mallory", password="not the password", expect=401)
        assert "Invalid username or password." in page.text
        assert 'value="mallory"' in page.text, "the form keeps the username"
    page = sign_in(s, page, username="mallory", password="not the password", expect=401)
    # Locked now: even the right password is refused for a while.
    locked = sign_in(s, page, username="mallory", password=PASSWORD, expect=429)
    assert "Too many failed attempts" in locked.text
    assert "temporarily locked" in idp.events("acme")


def test_csrf_and_expired_flows_are_refused(env):
    idp, _ = env
    s = requests.Session()
    login = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", timeout=30)
    f = form(login.text)
    bad = s.post(f["action"], data={**f["fields"], "csrf": "0" * 64, "username": "alice", "password": PASSWORD}, timeout=30)
    assert bad.status_code == 403
    missing = s.post(f["action"], data={"flow": f["fields"]["flow"], "username": "alice", "password": PASSWORD}, timeout=30)
    assert missing.status_code == 403
    cross = s.post(f["action"], data={**f["fields"], "username": "alice", "password": PASSWORD}, headers={"Origin": "https://evil.test"}, timeout=30)
    assert cross.status_code == 403
    gone = s.post(f["action"], data={"flow": "nope", "csrf": "x", "username": "alice", "password": PASSWORD}, timeout=30)
    assert gone.status_code == 400


def redirect_request(idp, xml: str, relay=None):
    deflated = zlib.compress(xml.encode())[2:-4]
    q = {"SAMLRequest": base64.b64encode(deflated).decode()}
    if relay is not None:
        q["RelayState"] = relay
    return f"{idp.base}/realms/acme/protocol/saml?{urllib.parse.urlencode(q)}"


def authn_request(idp, acs="https://plain.test/acs", issuer="https://plain.test/metadata"):
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
            f'ID="_r1" Version="2.0" IssueInstant="{now}" AssertionConsumerServiceURL="{acs}">'
            f'<saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>')


def test_bad_requests_get_an_error_page_never_a_redirect(env):
    idp, _ = env
    cases = {
        "unknown ACS": redirect_request(idp, authn_request(idp, acs="https://evil.test/acs")),
        "unknown client": redirect_request(idp, authn_request(idp, issuer="https://stranger.test")),
        "DOCTYPE": redirect_request(idp, '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + authn_request(idp)),
        "RelayState too long": redirect_request(idp, authn_request(idp), relay="r" * 2000),
        "not deflated": f"{idp.base}/realms/acme/protocol/saml?SAMLRequest=" + urllib.parse.quote(base64.b64encode(authn_request(idp).encode())),
    }
    for what, url in cases.items():
        r = requests.get(url, allow_redirects=False, timeout=30)
        assert r.status_code == 400, (what, r.status_code)
        assert "Location" not in r.headers
    # The good one, for contrast, shows the login page.
    assert requests.get(redirect_request(idp, authn_request(idp)), timeout=30).status_code == 200
    # POST binding: oversize and DOCTYPE bodies.
    big = requests.post(f"{idp.base}/realms/acme/protocol/saml", data={"SAMLRequest": "A" * 3_000_000}, timeout=30)
    assert big.status_code in (400, 413)
    doc = base64.b64encode(('<!DOCTYPE x>' + authn_request(idp)).encode()).decode()
    assert requests.post(f"{idp.base}/realms/acme/protocol/saml", data={"SAMLRequest": doc}, timeout=30).status_code == 400
    events = idp.events("acme")
    for reason in ["not one of the client's registered endpoints", "unknown client", "DTD", "RelayState"]:
        assert reason in events, (reason, events)


def test_seed_guide_through_the_admin_rest_api(env, tmp_path):
    idp, _ = env
    token = idp.cli("token", "create", "--name", "ci").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    base = f"{idp.base}/admin/realms"
    # Unauthenticated, wrong or revoked tokens get 401 with a JSON body.
    assert requests.get(base, timeout=10).status_code == 401
    assert requests.get(base, headers={"Authorization": "Bearer sym_" + "0" * 64}, timeout=10).status_code == 401
    assert any(r["realm"] == "acme" for r in api.get(base, timeout=10).json())
    assert api.post(base, json={"realm": "mpas", "displayName": "Multi-Pass"}, timeout=10).status_code == 201
    assert api.post(base, json={"realm": "mpas"}, timeout=10).status_code == 409
    assert api.get(f"{base}/nope/clients", timeout=10).status_code == 404

    # Import a Client: the SP's metadata through the description converter, then save.
    sp_md = subprocess.run([symbolon_bin(), "saml", "metadata", "sp", "--entity-id", "https://portal.trend.test/saml/metadata",
                            "--acs-url", "https://portal.trend.test/saml/acs"], capture_output=True, check=True).stdout
    rep = api.post(f"{base}/mpas/client-description-converter", data=sp_md, timeout=10).json()
    assert rep["clientId"] == "https://portal.trend.test/saml/metadata"
    assert rep["attributes"]["saml_assertion_consumer_url_post"] == "https://portal.trend.test/saml/acs"
    assert "findings" in rep
    assert api.get(f"{base}/mpas/clients", timeout=10).json() == [], "the converter saves nothing"
    rep.pop("findings")
    rep["baseUrl"] = f"{idp.base}/realms/mpas/protocol/saml/clients/trendmicro"
    rep["attributes"]["saml_idp_initiated_sso_url_name"] = "trendmicro"
    rep["attributes"]["saml_name_id_format"] = "email"
    r = api.post(f"{base}/mpas/clients", json=rep, timeout=10)
    assert r.status_code == 201, r.text
    client_path = r.headers["Location"]
    saved = api.get(f"{idp.base}{client_path}", timeout=10).json()
    assert saved["baseUrl"].endswith("/clients/trendmicro")
    assert saved["attributes"]["saml_idp_initiated_sso_url_name"] == "trendmicro"
    # Edit and save; a bad value is refused with the reason.
    saved["description"] = "Trend Vision One"
    assert api.put(f"{idp.base}{client_path}", json=saved, timeout=10).status_code == 204
    saved["attributes"]["saml_name_id_format"] = "bogus"
    bad = api.put(f"{idp.base}{client_path}", json=saved, timeout=10)
    assert bad.status_code == 400 and "saml_name_id_format" in bad.json()["error_description"]

    # A user, with a password, through the API; reset it.
    r = api.post(f"{base}/mpas/users", json={"username": "carol", "email": "carol@mpas.test", "attributes": {"groups": ["/eng", "/ops"]},
                                            "credentials": [{"type": "password", "value": "first password!"}]}, timeout=10)
    assert r.status_code == 201, r.text
    uid = r.headers["Location"].rsplit("/", 1)[1]
    users = api.get(f"{base}/mpas/users", params={"username": "CAROL"}, timeout=10).json()
    assert users[0]["id"] == uid and users[0]["attributes"]["groups"] == ["/eng", "/ops"]
    assert api.put(f"{base}/mpas/users/{uid}/reset-password", json={"type": "password", "value": PASSWORD}, timeout=10).status_code == 204

    # Realm Settings > SAML 2.0 Identity Provider Metadata, and the keys behind it.
    assert b"/realms/mpas" in requests.get(f"{idp.base}/realms/mpas/protocol/saml/descriptor", timeout=10).content
    keys = api.get(f"{base}/mpas/keys", timeout=10).json()["keys"]
    assert [k["status"] for k in keys] == ["ACTIVE"]

    # The Home URL works: IdP-initiated SSO to the client made through the API.
    s = requests.Session()
    login = s.get(saved["baseUrl"], timeout=30)
    f = form(login.text)
    page = s.post(f["action"], data={**f["fields"], "username": "carol", "password": PASSWORD}, timeout=30)
    action, b64, _ = saml_response(page)
    assert action == "https://portal.trend.test/saml/acs"
    assert b"carol@mpas.test</saml:NameID>" in base64.b64decode(b64)

    # Every change is an event, attributed to the token.
    events = api.get(f"{base}/mpas/events", params={"type": "ADMIN"}, timeout=10).json()
    details = " | ".join(e["details"] for e in events)
    for what in ["created realm mpas", "created client", "updated client", "created user carol", "set the password of carol"]:
        assert what in details, (what, details)
    assert all(e["actor"] in ("token:ci", "cli") for e in events)
    # A revoked token stops working.
    token_id = idp.cli("token", "list").splitlines()[0].split("\t")[0]
    idp.cli("token", "revoke", token_id)
    assert api.get(base, timeout=10).status_code == 401


def test_restricted_client_admits_only_assigned_users_and_groups(env):
    idp, clients = env
    cid = "https://plain.test/metadata"
    idp.cli("group", "add", "--realm", "acme", "/eng/platform")
    idp.cli("group", "join", "--realm", "acme", "/eng/platform", "alice")
    idp.cli("client", "add-mapper", "--realm", "acme", cid, "--attribute", "groups", "--source", "group-list-full")
    idp.cli("client", "restrict", "--realm", "acme", cid)
    idp.cli("client", "assign", "--realm", "acme", cid, "group:/eng")
    assert "group /eng (and subgroups)" in idp.cli("client", "access", "--realm", "acme", cid)
    try:
        # oscar is in no group: a clear page and an event, never an assertion.
        s = requests.Session()
        login = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", timeout=30)
        idp.cli("user", "add", "--realm", "acme", "oscar", "--email", "oscar@acme.test", "--password-stdin", stdin=PASSWORD + "\n")
        denied = sign_in(s, login, username="oscar", expect=403)
        assert "not allowed to use this application" in denied.text
        assert "SAMLResponse" not in denied.text
        # A time and a reference the administrator finds in the events (issue 17).
        ref = re.search(r'<dd id="reference">([0-9A-F]{10})</dd>', denied.text).group(1)
        assert re.search(r'<dd id="refused-at">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</dd>', denied.text), denied.text
        assert f"user is not assigned to this client (reference {ref})" in idp.events("acme")
        # alice is in /eng/platform, under /eng: admitted, with her groups in the assertion.
        s = requests.Session()
        login = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", timeout=30)
        _, b64, _ = saml_response(sign_in(s, login))
        resp = clients["plain"].parse_authn_request_response(b64, BINDING_HTTP_POST)
        assert resp.get_identity()["groups"] == ["/eng/platform"]
    finally:
        idp.cli("client", "open", "--realm", "acme", cid)


def test_groups_and_client_access_through_the_rest_api(env):
    idp, _ = env
    token = idp.cli("token", "create", "--name", "access").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    base = f"{idp.base}/admin/realms/acme"
    assert api.post(f"{base}/groups", json={"path": "/sales/emea"}, timeout=10).status_code == 201
    groups = {g["path"]: g for g in api.get(f"{base}/groups", timeout=10).json()}
    assert {"/sales", "/sales/emea"} <= set(groups) and groups["/sales/emea"]["name"] == "emea"
    api.post(f"{base}/users", json={"username": "zoe", "credentials": [{"type": "password", "value": PASSWORD}]}, timeout=10)
    zoe = api.get(f"{base}/users", params={"username": "zoe"}, timeout=10).json()[0]
    assert api.put(f"{base}/users/{zoe['id']}/groups/{groups['/sales/emea']['id']}", timeout=10).status_code == 204
    assert [g["path"] for g in api.get(f"{base}/users/{zoe['id']}/groups", timeout=10).json()] == ["/sales/emea"]
    client = api.get(f"{base}/clients", params={"clientId": "https://strict.test/metadata"}, timeout=10).json()[0]
    access = f"{base}/clients/{client['id']}/access"
    assert api.get(access, timeout=10).json() == {"restricted": False, "summary": ["everyone in the realm"]}
    assert api.put(access, json={"restricted": True}, timeout=10).status_code == 204
    assert api.put(f"{access}/groups/{groups['/sales']['id']}", timeout=10).status_code == 204
    assert api.get(access, timeout=10).json()["summary"] == ["group /sales (and subgroups)"]
    assert api.put(f"{access}/teams/x", timeout=10).status_code == 404
    assert api.delete(f"{access}/groups/{groups['/sales']['id']}", timeout=10).status_code == 204
    assert api.put(access, json={"restricted": False}, timeout=10).status_code == 204
    events = " | ".join(e["details"] for e in api.get(f"{base}/events", params={"type": "ADMIN"}, timeout=10).json())
    for what in ["created group /sales/emea", "added zoe to group /sales/emea", "assigned to group /sales", "unassigned from group /sales"]:
        assert what in events, what


def test_seed_guide_through_the_admin_console(env):
    idp, _ = env
    idp.cli("realm", "create", "master")
    idp.cli("user", "add", "--realm", "master", "admin", "--password-stdin", stdin="admin password 1\n")
    s = requests.Session()
    r = s.get(f"{idp.base}/admin/", timeout=10)
    assert r.url.endswith("/admin/login") and "Symbolon administration" in r.text
    f = form(r.text, "/admin/login")
    bad = s.post(f"{idp.base}/admin/login", data={**f["fields"], "username": "admin", "password": "wrong"}, timeout=10)
    assert bad.status_code == 401 and "Invalid username or password." in bad.text
    ok = s.post(f"{idp.base}/admin/login", data={**f["fields"], "username": "admin", "password": "admin password 1"}, timeout=10)
    assert ok.status_code == 200 and "Choose a realm" in ok.text and "/admin/console/acme/clients" in ok.text
    assert "SameSite=Strict" in ok.history[0].headers["Set-Cookie"]

    # Clients > Import a Client, with the SP's metadata file.
    page = s.get(f"{idp.base}/admin/console/acme/clients/import", timeout=10)
    csrf = form(page.text, "/clients/import")["fields"]["csrf"]
    sp_md = subprocess.run([symbolon_bin(), "saml", "metadata", "sp", "--entity-id", "https://vision.trend.test/saml",
                            "--acs-url", "https://vision.trend.test/saml/acs"], capture_output=True, check=True).stdout
    empty = s.post(f"{idp.base}/admin/console/acme/clients/import", files={"csrf": (None, csrf), "metadata": (None, "")}, timeout=10)
    assert "Choose a metadata file" in empty.text
    garbage = s.post(f"{idp.base}/admin/console/acme/clients/import", files={"csrf": (None, csrf), "metadata": (None, "<not metadata/>")}, timeout=10)
    assert "not usable SAML metadata" in garbage.text and "&#60;not metadata/&#62;" in garbage.text, "the pasted input is kept, escaped"
    imported = s.post(f"{idp.base}/admin/console/acme/clients/import", files={"csrf": (None, csrf), "file": ("trend.xml", sp_md, "application/xml")}, timeout=10)
    assert imported.status_code == 200 and "Imported client https://vision.trend.test/saml" in imported.text
    action = form(imported.text, "/admin/console/acme/clients/")["action"]

    # Home URL and IDP-Initiated SSO URL Name, Save; a wrong value is reported next to its field.
    fields = form(imported.text, "/admin/console/acme/clients/")["fields"]
    home = f"{idp.base}/realms/acme/protocol/saml/clients/visionone"
    data = {**fields, "home_url": home, "url_name": "visionone", "name_id_format": "email", "sign_documents": "on", "sign_assertions": "on", "enabled": "on", "lifespan": "abc"}
    wrong = s.post(f"{idp.base}{action}" if action.startswith("/") else action, data=data, timeout=10)
    assert wrong.status_code == 400 and "between 10 and 86400" in wrong.text and 'value="visionone"' in wrong.text
    data["lifespan"] = ""
    saved = s.post(f"{idp.base}{action}" if action.startswith("/") else action, data=data, timeout=10)
    assert saved.status_code == 200 and "Saved." in saved.text, re.findall(r'field-error"[^>]*>([^<]*)<', saved.text)
    assert "visionone" in s.get(f"{idp.base}/admin/console/acme/clients", timeout=10).text
    # The Home URL now signs users in to it.
    login = requests.get(home, timeout=10)
    assert login.status_code == 200 and "Sign in to Acme Corp" in login.text

    # Realm Settings > SAML 2.0 Identity Provider Metadata.
    settings = s.get(f"{idp.base}/admin/console/acme/settings", timeout=10).text
    assert "SAML 2.0 Identity Provider Metadata" in settings
    assert f'href="{idp.base}/realms/acme/protocol/saml/descriptor"' in settings
    # Keys, users, events (filtered), all behind the session.
    assert "active" in s.get(f"{idp.base}/admin/console/acme/keys", timeout=10).text
    assert "alice" in s.get(f"{idp.base}/admin/console/acme/users", params={"sort": "0"}, timeout=10).text
    ev = s.get(f"{idp.base}/admin/console/acme/events", params={"type": "ADMIN"}, timeout=10).text
    assert "imported client https://vision.trend.test/saml" in ev and "settings (console)" in ev
    # Without the CSRF token a change is refused; without the session, the console redirects.
    assert s.post(f"{idp.base}{action}" if action.startswith("/") else action, data={**data, "csrf": "x"}, timeout=10).status_code == 403
    assert requests.get(f"{idp.base}/admin/console/acme/clients", timeout=10).url.endswith("/admin/login")
    out = s.post(f"{idp.base}/admin/logout", data={"csrf": fields["csrf"]}, timeout=10)
    assert out.url.endswith("/admin/login")
    assert s.get(f"{idp.base}/admin/console/", timeout=10).url.endswith("/admin/login")


def test_disabled_users_and_clients_get_no_assertion(env):
    idp, clients = env
    idp.cli("user", "add", "--realm", "acme", "dora", "--email", "dora@acme.test", "--password-stdin", stdin=PASSWORD + "\n")
    s = requests.Session()
    login = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", timeout=30)
    saml_response(sign_in(s, login, username="dora"))  # works while enabled, and opens an SSO session
    idp.cli("user", "disable", "--realm", "acme", "dora")
    # The existing SSO session is not honoured: back to the login page, and the login is refused.
    again = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", timeout=30)
    assert again.status_code == 200 and "SAMLResponse" not in again.text
    refused = sign_in(s, again, username="dora", expect=401)
    assert "SAMLResponse" not in refused.text
    idp.cli("user", "enable", "--realm", "acme", "dora")
    assert "disabled user dora" in idp.events("acme") and "enabled user dora" in idp.events("acme")

    # A disabled client: IdP-initiated gets a page, SP-initiated a 400 page; no assertion either way.
    token = idp.cli("token", "create", "--name", "disable").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    rep = api.get(f"{idp.base}/admin/realms/acme/clients", params={"clientId": "https://plain.test/metadata"}, timeout=10).json()[0]
    rep["enabled"] = False
    assert api.put(f"{idp.base}/admin/realms/acme/clients/{rep['id']}", json=rep, timeout=10).status_code == 204
    try:
        r = requests.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", timeout=30)
        assert r.status_code == 403 and "disabled" in r.text
        _, info = clients["plain"].prepare_for_authenticate(entityid=f"{idp.base}/realms/acme", binding=BINDING_HTTP_REDIRECT)
        r = requests.get(dict(info["headers"])["Location"], allow_redirects=False, timeout=30)
        assert r.status_code == 400 and "Location" not in r.headers
        assert "the client is disabled" in idp.events("acme")
    finally:
        rep["enabled"] = True
        api.put(f"{idp.base}/admin/realms/acme/clients/{rep['id']}", json=rep, timeout=10)
    # The user API: update the profile, the username cannot change.
    users = api.get(f"{idp.base}/admin/realms/acme/users", params={"username": "dora"}, timeout=10).json()
    dora = users[0]
    dora["firstName"] = "Dora"
    assert api.put(f"{idp.base}/admin/realms/acme/users/{dora['id']}", json=dora, timeout=10).status_code == 204
    assert api.get(f"{idp.base}/admin/realms/acme/users/{dora['id']}", timeout=10).json()["firstName"] == "Dora"
    dora["username"] = "someone-else"
    assert api.put(f"{idp.base}/admin/realms/acme/users/{dora['id']}", json=dora, timeout=10).status_code == 400


def test_persistent_name_id_is_stable_and_opaque(env):
    idp, _ = env
    token = idp.cli("token", "create", "--name", "persistent").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    rep = api.get(f"{idp.base}/admin/realms/acme/clients", params={"clientId": "https://plain.test/metadata"}, timeout=10).json()[0]
    old = rep["attributes"]["saml_name_id_format"]
    rep["attributes"]["saml_name_id_format"] = "persistent"
    assert api.put(f"{idp.base}/admin/realms/acme/clients/{rep['id']}", json=rep, timeout=10).status_code == 204
    try:
        values = []
        for _ in range(2):
            s = requests.Session()
            login = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", timeout=30)
            _, b64, _ = saml_response(sign_in(s, login))
            xml = base64.b64decode(b64).decode()
            assert 'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"' in xml
            values.append(xml.split('nameid-format:persistent">')[1].split("<")[0])
        assert values[0] == values[1] and "alice" not in values[0] and len(values[0]) == 41
    finally:
        rep["attributes"]["saml_name_id_format"] = old
        api.put(f"{idp.base}/admin/realms/acme/clients/{rep['id']}", json=rep, timeout=10)


def console_session(idp):
    """A signed-in console session (the master realm and its admin are created when missing)."""
    for args, stdin in ((["realm", "create", "master"], None),
                        (["user", "add", "--realm", "master", "admin", "--password-stdin"], "admin password 1\n")):
        subprocess.run([symbolon_bin(), "idp", *idp.db, *args], input=stdin, capture_output=True, text=True)
    s = requests.Session()
    f = form(s.get(f"{idp.base}/admin/login", timeout=10).text, "/admin/login")
    r = s.post(f"{idp.base}/admin/login", data={**f["fields"], "username": "admin", "password": "admin password 1"}, timeout=10)
    assert r.status_code == 200 and "Choose a realm" in r.text
    return s


def test_console_sign_in_success_clears_failed_attempts(env):
    idp, _ = env
    console_session(idp)  # the master realm exists
    subprocess.run([symbolon_bin(), "idp", *idp.db, "user", "add", "--realm", "master", "ops", "--password-stdin"],
                   input="ops password 1\n", capture_output=True, text=True, check=True)
    s = requests.Session()

    def attempt(password):
        f = form(s.get(f"{idp.base}/admin/login", timeout=10).text, "/admin/login")
        return s.post(f"{idp.base}/admin/login", data={**f["fields"], "username": "ops", "password": password}, timeout=10).status_code

    for _ in range(2):
        assert [attempt("wrong") for _ in range(4)] == [401] * 4
        # Four typos and then the right password: signed in, and the count starts again.
        assert attempt("ops password 1") == 200
    assert [attempt("wrong") for _ in range(5)] == [401] * 5
    assert attempt("ops password 1") == 429


def test_console_users_and_groups(env):
    idp, _ = env
    s = console_session(idp)
    base = f"{idp.base}/admin/console/acme"
    users = s.get(f"{base}/users", timeout=10)
    add = form(users.text, "/users")
    # Errors next to the field, input kept.
    r = s.post(f"{idp.base}{add['action']}", data={**add["fields"], "username": "", "email": "x@acme.test"}, timeout=10)
    assert r.status_code == 400 and "Enter a username." in r.text and 'value="x@acme.test"' in r.text
    r = s.post(f"{idp.base}{add['action']}", data={**add["fields"], "username": "erin", "password": "short"}, timeout=10)
    assert r.status_code == 400 and "at least 8 characters" in r.text and 'value="erin"' in r.text
    r = s.post(f"{idp.base}{add['action']}", data={**add["fields"], "username": "alice"}, timeout=10)
    assert r.status_code == 400 and "already exists" in r.text
    r = s.post(f"{idp.base}{add['action']}", data={**add["fields"], "username": "Erin", "email": "erin@acme.test", "first_name": "Erin", "password": PASSWORD}, timeout=10)
    assert r.status_code == 200 and "Added user erin." in r.text
    # Groups page.
    g = form(s.get(f"{base}/groups", timeout=10).text, "/groups")
    r = s.post(f"{idp.base}{g['action']}", data={**g["fields"], "path": "//"}, timeout=10)
    assert r.status_code == 400 and "must look like" in r.text
    r = s.post(f"{idp.base}{g['action']}", data={**g["fields"], "path": "/support/tier1"}, timeout=10)
    assert "Group /support/tier1 is ready." in r.text and "/support" in r.text
    # The user's page: profile, password, group.
    page = s.get(f"{base}/users/erin", timeout=10)
    prof = form(page.text, "/users/erin")
    unchecked = {k: v for k, v in prof["fields"].items() if k != "enabled"}
    r = s.post(f"{idp.base}{prof['action']}", data={**unchecked, "action": "profile", "email": "erin@acme.test", "last_name": "Example"}, timeout=10)
    assert "Saved." in r.text and 'value="Example"' in r.text
    import re
    row = re.search(r"<tr><td><a [^>]*>erin</a></td>.*?</tr>", s.get(f"{base}/users", timeout=10).text)
    assert row and row.group(0).endswith("<td>no</td></tr>"), "enabled left unchecked: disabled"
    r = s.post(f"{idp.base}{prof['action']}", data={"csrf": prof["fields"]["csrf"], "action": "password", "password": "short"}, timeout=10)
    assert r.status_code == 400 and "at least 8 characters" in r.text
    r = s.post(f"{idp.base}{prof['action']}", data={"csrf": prof["fields"]["csrf"], "action": "join", "group": "/support/tier1"}, timeout=10)
    assert "Added to /support/tier1." in r.text
    assert "/support/tier1" in s.get(f"{base}/users", timeout=10).text
    events = idp.events("acme")
    assert "\tADMIN\tadmin\t\tcreated user erin" in events and "added erin to group /support/tier1" in events


def test_console_key_rollover_with_confirmation(env):
    idp, _ = env
    import re
    s = console_session(idp)
    idp.cli("realm", "create", "rollover")
    base = f"{idp.base}/admin/console/rollover/keys"
    published = lambda: requests.get(f"{idp.base}/realms/rollover/protocol/saml/descriptor", timeout=10).text.count("<ds:X509Certificate>") - 1  # one is in the signature
    page = s.get(base, timeout=10)
    csrf = form(page.text, "/keys/next")["fields"]["csrf"]
    old_kid = re.search(r"<code>([0-9a-f]+)</code></td><td>active", page.text).group(1)
    r = s.post(f"{base}/next", data={"csrf": csrf, "alg": "ec-p256"}, timeout=10)
    assert "Added next key" in r.text and published() == 2
    new_kid = re.search(r"<code>([0-9a-f]+)</code></td><td>next", r.text).group(1)
    r = s.post(f"{base}/{new_kid}/promote", data={"csrf": csrf}, timeout=10)
    assert f"Make key {new_kid} the signing key?" in r.text, "a confirmation first"
    r = s.post(f"{base}/{new_kid}/promote", data={"csrf": csrf, "confirm": "yes"}, timeout=10)
    assert "now signs" in r.text and f"<code>{old_kid}</code></td><td>passive" in r.text
    # Retiring asks first; a POST without the confirmation only shows the question.
    confirm = s.get(f"{base}/{old_kid}/retire", timeout=10)
    assert f"Retire key {old_kid}?" in confirm.text and "cannot be undone" in confirm.text and ">Cancel<" in confirm.text
    r = s.post(f"{base}/{old_kid}/retire", data={"csrf": csrf}, timeout=10)
    assert f"Retire key {old_kid}?" in r.text and published() == 2
    r = s.post(f"{base}/{old_kid}/retire", data={"csrf": csrf, "confirm": "yes"}, timeout=10)
    assert f"Key {old_kid} retired." in r.text and published() == 1
    # The active key has no retire action, and refuses one posted directly.
    r = s.post(f"{base}/{new_kid}/retire", data={"csrf": csrf, "confirm": "yes"}, timeout=10)
    assert "cannot be retired" in r.text
    assert s.post(f"{base}/{new_kid}/promote", data={"csrf": "wrong"}, timeout=10).status_code == 403
    events = idp.events("rollover")
    for what in ["added next key", "promoted key", "retired key"]:
        assert what in events, what


def test_console_client_access_mappers_and_roles(env, tmp_path):
    """Client access assignments, mappers and realm roles through the console; the role-list
    mapper then carries the user's roles (direct and through a parent group) into the assertion."""
    import re
    idp, _ = env
    client = sp(tmp_path, idp, "rolesapp")
    cid = "https://rolesapp.test/metadata"
    idp.cli("group", "add", "--realm", "acme", "/audit/emea")
    idp.cli("user", "add", "--realm", "acme", "rita", "--email", "rita@acme.test", "--password-stdin", stdin=PASSWORD + "\n")
    idp.cli("group", "join", "--realm", "acme", "/audit/emea", "rita")
    s = console_session(idp)
    base = f"{idp.base}/admin/console/acme"
    clients = s.get(f"{base}/clients", timeout=10).text
    row_id = re.search(r'href="/admin/console/acme/clients/([^"]+)">' + re.escape(cid), clients).group(1)
    page = s.get(f"{base}/clients/{row_id}", timeout=10).text
    csrf = form(page, f"/clients/{row_id}")["fields"]["csrf"]
    access = f"{base}/clients/{row_id}/access"
    mappers = f"{base}/clients/{row_id}/mappers"

    # Restrict, assign a group; a bad subject is reported next to the field.
    r = s.post(access, data={"csrf": csrf, "action": "restrict"}, timeout=10)
    assert "Only assigned users and groups" in r.text and "Nobody is assigned yet" in r.text
    r = s.post(access, data={"csrf": csrf, "action": "assign", "who": "group:/nowhere"}, timeout=10)
    assert r.status_code == 400 and 'id="who-error"' in r.text and "no group /nowhere" in r.text
    r = s.post(access, data={"csrf": csrf, "action": "assign", "who": "group:/audit"}, timeout=10)
    assert "Assigned group /audit." in r.text and "Group /audit (and subgroups)" in r.text
    r = s.post(access, data={"csrf": csrf, "action": "assign", "who": "user:alice"}, timeout=10)
    assert "User alice" in r.text
    # Removing an assignment asks first; only the confirmed request changes anything.
    r = s.post(access, data={"csrf": csrf, "action": "unassign", "who": "user:alice"}, timeout=10)
    assert "Remove user alice from" in r.text and ">Cancel<" in r.text
    confirm = form(r.text, "/access")
    assert confirm["fields"]["who"] == "user:alice" and confirm["fields"]["confirm"] == "yes"
    assert "user alice" in idp.cli("client", "access", "--realm", "acme", cid)
    r = s.post(f"{idp.base}{confirm['action']}", data=confirm["fields"], timeout=10)
    assert "Removed user alice." in r.text
    assert "user alice" not in idp.cli("client", "access", "--realm", "acme", cid)
    assert s.post(access, data={"csrf": "forged", "action": "open"}, timeout=10).status_code == 403

    # Mappers: errors next to the field with the input kept; then a role list and a property.
    r = s.post(mappers, data={"csrf": csrf, "action": "add", "attribute": "dept", "kind": "user-attribute", "param": ""}, timeout=10)
    assert r.status_code == 400 and 'id="mapper-error"' in r.text and "needs a user attribute name" in r.text and 'value="dept"' in r.text
    r = s.post(mappers, data={"csrf": csrf, "action": "add", "attribute": "x", "kind": "user-property", "param": "password"}, timeout=10)
    assert r.status_code == 400 and "unknown user property" in r.text
    r = s.post(mappers, data={"csrf": csrf, "action": "add", "attribute": "roles", "kind": "role-list", "name_format": "basic"}, timeout=10)
    assert "Mapper roles added." in r.text
    r = s.post(mappers, data={"csrf": csrf, "action": "add", "attribute": "roles", "kind": "group-list"}, timeout=10)
    assert r.status_code == 400 and "already has a mapper" in r.text
    r = s.post(mappers, data={"csrf": csrf, "action": "add", "attribute": "mail", "kind": "user-property", "param": "email"}, timeout=10)
    assert "Mapper mail added." in r.text
    r = s.post(mappers, data={"csrf": csrf, "action": "delete", "name": "mail"}, timeout=10)
    assert "Delete mapper mail?" in r.text
    r = s.post(mappers, data={"csrf": csrf, "action": "delete", "name": "mail", "confirm": "yes"}, timeout=10)
    assert "Mapper mail deleted." in r.text and "<td>mail</td>" not in r.text

    # Signature algorithm: a listed one is saved, anything else is refused next to the field.
    settings = form(s.get(f"{base}/clients/{row_id}", timeout=10).text, f"/clients/{row_id}")["fields"]
    r = s.post(f"{base}/clients/{row_id}", data={**settings, "sig_alg": "rsa-sha1"}, timeout=10)
    assert r.status_code == 400 and 'id="sig_alg-error"' in r.text
    r = s.post(f"{base}/clients/{row_id}", data={**settings, "sig_alg": "rsa-sha512", "enabled": "on", "sign_documents": "on", "sign_assertions": "on"}, timeout=10)
    assert "Saved." in r.text and '<option value="rsa-sha512" selected>' in r.text

    # Roles: add (empty name refused next to the field), grant to a parent group and to a user.
    roles = f"{base}/roles"
    r = s.post(roles, data={"csrf": csrf, "action": "add", "name": "", "description": "x"}, timeout=10)
    assert r.status_code == 400 and 'id="name-error"' in r.text and 'value="x"' in r.text
    for name in ("auditor", "viewer", "temp"):
        assert f"Role {name} created." in s.post(roles, data={"csrf": csrf, "action": "add", "name": name}, timeout=10).text
    assert "already exists" in s.post(roles, data={"csrf": csrf, "action": "add", "name": "auditor"}, timeout=10).text
    assert "Granted auditor to group /audit." in s.post(roles, data={"csrf": csrf, "action": "grant", "role": "auditor", "who": "group:/audit"}, timeout=10).text
    assert "Granted viewer to user rita." in s.post(roles, data={"csrf": csrf, "action": "grant", "role": "viewer", "who": "user:rita"}, timeout=10).text
    assert "Granted temp to user rita." in s.post(roles, data={"csrf": csrf, "action": "grant", "role": "temp", "who": "user:rita"}, timeout=10).text
    r = s.post(roles, data={"csrf": csrf, "action": "grant", "role": "viewer", "who": "user:nobody"}, timeout=10)
    assert r.status_code == 400 and 'id="who-error"' in r.text
    r = s.post(roles, data={"csrf": csrf, "action": "delete", "role": "temp"}, timeout=10)
    assert "Delete role temp?" in r.text
    assert "Role temp deleted." in s.post(roles, data={"csrf": csrf, "action": "delete", "role": "temp", "confirm": "yes"}, timeout=10).text
    assert "auditor, viewer (directly or through a group)" in s.get(f"{base}/users/rita", timeout=10).text

    # rita is in /audit/emea (assigned through /audit): admitted, her roles in the assertion.
    b = requests.Session()
    login = b.get(f"{idp.base}/realms/acme/protocol/saml/clients/rolesapp", timeout=30)
    _, b64, _ = saml_response(sign_in(b, login, username="rita"))
    xml = base64.b64decode(b64)
    assert b"rsa-sha512" in xml
    identity = client.parse_authn_request_response(b64, BINDING_HTTP_POST).get_identity()
    assert identity["roles"] == ["auditor", "viewer"]
    # alice is not assigned any more.
    b = requests.Session()
    login = b.get(f"{idp.base}/realms/acme/protocol/saml/clients/rolesapp", timeout=30)
    assert "SAMLResponse" not in sign_in(b, login, expect=403).text
    events = idp.events("acme")
    for what in ["assigned to group /audit", "unassigned from user alice", "added mapper roles", "removed mapper mail",
                 "created role auditor", "granted role auditor to group /audit", "deleted role temp"]:
        assert what in events, what


def test_rest_api_with_the_console_session_and_csrf(env):
    """The admin REST API also takes the console session, with its CSRF token in X-CSRF-Token;
    roles, role mappings and protocol mappers in Keycloak's shapes."""
    import re
    idp, _ = env
    s = console_session(idp)
    page = s.get(f"{idp.base}/admin/console/acme/clients", timeout=10).text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    api = f"{idp.base}/admin/realms/acme"
    # The session alone is not enough, nor a wrong token, nor another origin.
    assert s.get(f"{api}/roles", timeout=10).status_code == 403
    assert s.get(f"{api}/roles", headers={"X-CSRF-Token": "x" * len(csrf)}, timeout=10).status_code == 403
    assert s.post(f"{api}/roles", json={"name": "evil"}, headers={"X-CSRF-Token": csrf, "Origin": "https://evil.test"}, timeout=10).status_code == 403
    assert requests.get(f"{api}/roles", headers={"X-CSRF-Token": csrf}, timeout=10).status_code == 401
    s.headers["X-CSRF-Token"] = csrf
    r = s.post(f"{api}/roles", json={"name": "billing", "description": "Invoices"}, timeout=10)
    assert r.status_code == 201 and r.headers["Location"].endswith("/roles/billing")
    assert s.post(f"{api}/roles", json={"name": "billing"}, timeout=10).status_code == 409
    assert s.post(f"{api}/roles", json={"name": "bad name!"}, timeout=10).status_code == 400
    assert s.get(f"{api}/roles/billing", timeout=10).json()["description"] == "Invoices"
    # Role mappings for a user and a group.
    mallory = s.get(f"{api}/users", params={"username": "mallory"}, timeout=10).json()[0]
    mappings = f"{api}/users/{mallory['id']}/role-mappings/realm"
    assert s.post(mappings, json=[{"name": "billing"}], timeout=10).status_code == 204
    assert [r["name"] for r in s.get(mappings, timeout=10).json()] == ["billing"]
    assert s.post(mappings, json=[{"name": "billing"}, {"name": "nope"}], timeout=10).status_code == 404
    assert s.delete(mappings, json=[{"name": "billing"}], timeout=10).status_code == 204
    assert s.get(mappings, timeout=10).json() == []
    assert s.get(f"{api}/teams/x/role-mappings/realm", timeout=10).status_code == 404
    # Protocol mappers of a client.
    client = s.get(f"{api}/clients", params={"clientId": "https://plain.test/metadata"}, timeout=10).json()[0]
    models = f"{api}/clients/{client['id']}/protocol-mappers/models"
    rep = {"name": "role list", "protocol": "saml", "protocolMapper": "saml-role-list-mapper",
           "config": {"attribute.name": "Role", "attribute.nameformat": "URI Reference"}}
    r = s.post(models, json=rep, timeout=10)
    assert r.status_code == 201, r.text
    got = s.get(f"{idp.base}{r.headers['Location']}", timeout=10).json()
    assert got["protocolMapper"] == "saml-role-list-mapper" and got["config"]["attribute.nameformat"] == "URI Reference"
    assert s.post(models, json=rep, timeout=10).status_code == 409
    bad = s.post(models, json={**rep, "name": "x", "protocolMapper": "oidc-thing"}, timeout=10)
    assert bad.status_code == 400 and "not supported" in bad.json()["error_description"]
    bad = s.post(models, json={**rep, "name": "y", "config": {"attribute.name": "Y", "attribute.nameformat": "weird"}}, timeout=10)
    assert bad.status_code == 400
    assert "role list" in [m["name"] for m in s.get(models, timeout=10).json()]
    assert s.delete(f"{models}/role%20list", timeout=10).status_code == 204
    assert s.delete(f"{models}/role%20list", timeout=10).status_code == 404
    assert s.delete(f"{api}/roles/billing", timeout=10).status_code == 204
    assert s.delete(f"{api}/roles/billing", timeout=10).status_code == 404
    events = idp.events("acme")
    assert "\tADMIN\tadmin\t\tcreated role billing" in events and "revoked role billing from user mallory" in events


def test_requested_authn_context_that_cannot_be_met_gets_no_authn_context(env):
    """Asked for what it cannot give (a passkey, an unknown class, better than MFA), the IdP answers
    the SAML status NoAuthnContext (signed, at the ACS, no assertion), never a silently weaker
    sign-in; what it can meet goes to the login page (MFA: see the TOTP test)."""
    import xml.etree.ElementTree as ET

    idp, _ = env

    def with_context(comparison, *classes):
        refs = "".join(f"<saml:AuthnContextClassRef>{c}</saml:AuthnContextClassRef>" for c in classes)
        return authn_request(idp).replace("</samlp:AuthnRequest>", f'<samlp:RequestedAuthnContext Comparison="{comparison}">{refs}</samlp:RequestedAuthnContext></samlp:AuthnRequest>')

    # Neither a password nor password + TOTP meets these (this realm's policy offers no passkeys).
    for comparison, classes in [("exact", ["urn:rsa:names:tc:SAML:2.0:ac:classes:FIDO"]),
                                ("exact", ["urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"]),
                                ("better", ["https://refeds.org/profile/mfa"])]:
        r = requests.get(redirect_request(idp, with_context(comparison, *classes), relay="keep"), timeout=30)
        action, b64, relay = saml_response(r)
        assert action == "https://plain.test/acs" and relay == "keep"
        doc = ET.fromstring(base64.b64decode(b64))
        ns = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}
        codes = [c.get("Value") for c in doc.iter("{urn:oasis:names:tc:SAML:2.0:protocol}StatusCode")]
        assert codes == ["urn:oasis:names:tc:SAML:2.0:status:Responder", "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"], codes
        assert doc.get("InResponseTo") == "_r1" and doc.find("saml:Assertion", ns) is None
        assert doc.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None, "the status is signed"
    # What a password sign-in meets goes to the login page as usual.
    ok = with_context("minimum", "urn:oasis:names:tc:SAML:2.0:ac:classes:Password")
    assert 'name="password"' in requests.get(redirect_request(idp, ok), timeout=30).text
    assert "cannot be met: NoAuthnContext" in idp.events("acme")


def totp_code(secret_b32, at=None, step_offset=0):
    import hashlib
    import hmac
    import time

    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // 30) + step_offset
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    return f"{(int.from_bytes(mac[o:o + 4], 'big') & 0x7FFFFFFF) % 1000000:06d}"


def second_factor(session, page, code, expect=200):
    f = form(page.text, "/login-actions/second-factor")
    r = session.post(f["action"], data={**f["fields"], "code": code}, timeout=30)
    assert r.status_code == expect, r.text[:300]
    return r


def authn_class(page):
    import xml.etree.ElementTree as ET

    _, b64, _ = saml_response(page)
    doc = ET.fromstring(base64.b64decode(b64))
    refs = [e.text for e in doc.iter("{urn:oasis:names:tc:SAML:2.0:assertion}AuthnContextClassRef")]
    codes = [c.get("Value") for c in doc.iter("{urn:oasis:names:tc:SAML:2.0:protocol}StatusCode")]
    return refs, codes


def test_totp_second_factor_and_step_up(env):
    """Password + TOTP gives REFEDS MFA; a code is used once; recovery codes are single-use;
    wrong codes lock the second factor; an SP asking for MFA gets it from a user with a second
    factor and NoAuthnContext from one without, never a password-only assertion."""
    idp, _ = env
    idp.cli("user", "add", "--realm", "acme", "tina", "--email", "tina@acme.test", "--password-stdin", stdin=PASSWORD + "\n")
    out = idp.cli("user", "totp-enrol", "--realm", "acme", "tina")
    fields = [l.split("\t", 1) for l in out.splitlines()]
    secret = next(v for k, v in fields if k == "secret")
    recovery = [v for k, v in fields if k == "recovery"]
    assert len(recovery) == 10 and next(v for k, v in fields if k == "uri").startswith("otpauth://totp/")
    mfa = "https://refeds.org/profile/mfa"

    # Password, then the second step; a wrong code is refused and the page stays.
    s = requests.Session()
    page = sign_in(s, s.get(redirect_request(idp, authn_request(idp)), timeout=30), username="tina")
    assert "Verify it" in page.text and 'name="SAMLResponse"' not in page.text
    # The page says who is signing in; "Not you?" is the same sign-in's login page again.
    assert re.search(r'id="signing-in-as">Signing in as tina · <a href="([^"]+)">Not you\?</a>', page.text)
    other = s.get(idp.base + html.unescape(re.search(r'<a href="([^"]+)">Not you\?</a>', page.text).group(1)), timeout=30)
    assert other.status_code == 200 and form(other.text, "/login-actions/authenticate")["fields"]["flow"] == form(page.text, "/login-actions/second-factor")["fields"]["flow"]
    wrong = second_factor(s, page, "000000" if totp_code(secret) != "000000" else "111111", expect=401)
    assert "not right" in wrong.text
    code = totp_code(secret)
    done = second_factor(s, wrong, code)
    refs, codes = authn_class(done)
    assert refs == [mfa] and codes == ["urn:oasis:names:tc:SAML:2.0:status:Success"]

    # The same code cannot be used again, even within its 30 seconds.
    s2 = requests.Session()
    page = sign_in(s2, s2.get(redirect_request(idp, authn_request(idp)), timeout=30), username="tina")
    second_factor(s2, page, code, expect=401)
    # A recovery code works once.
    page = sign_in(s2, s2.get(redirect_request(idp, authn_request(idp)), timeout=30), username="tina")
    assert authn_class(second_factor(s2, page, recovery[0].upper()))[0] == [mfa]
    s3 = requests.Session()
    page = sign_in(s3, s3.get(redirect_request(idp, authn_request(idp)), timeout=30), username="tina")
    second_factor(s3, page, recovery[0], expect=401)

    # An SP asking for MFA: tina's MFA session answers at once; alice (password only) gets
    # NoAuthnContext after her password; alice's password session is not reused for it.
    wants_mfa = authn_request(idp).replace("</samlp:AuthnRequest>", f'<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>{mfa}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>')
    assert authn_class(s.get(redirect_request(idp, wants_mfa), timeout=30))[0] == [mfa]
    a = requests.Session()
    sign_in(a, a.get(redirect_request(idp, authn_request(idp)), timeout=30))
    again = a.get(redirect_request(idp, wants_mfa), timeout=30)
    assert 'name="password"' in again.text, "step-up: the password-only session is not enough"
    refs, codes = authn_class(sign_in(a, again))
    assert refs == [] and codes[-1] == "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"

    # Five failures in a row within the lockout period (the reused recovery code above, four
    # more here; a success clears the count) lock the second factor: then even the right code
    # is refused.
    s4 = requests.Session()
    page = sign_in(s4, s4.get(redirect_request(idp, authn_request(idp)), timeout=30), username="tina")
    for _ in range(4):
        page = second_factor(s4, page, "999999" if totp_code(secret) != "999999" else "888888", expect=401)
    locked = second_factor(s4, page, totp_code(secret, step_offset=1), expect=429)
    assert "Too many wrong codes" in locked.text
    events = idp.events("acme")
    assert "password+totp" in events and "password+recovery-code" in events and "enrolled a TOTP second factor for tina" in events


def test_account_console_self_service_totp(env):
    """The user's own account console: sign in there with the realm's login, set up an
    authenticator app (server-rendered QR code, the app proven by a code), get recovery codes once,
    then application sign-ins need the second factor; turning it off asks first."""
    idp, _ = env
    idp.cli("user", "add", "--realm", "acme", "una", "--email", "una@acme.test", "--first-name", "Una", "--password-stdin", stdin=PASSWORD + "\n")
    s = requests.Session()
    login = s.get(f"{idp.base}/realms/acme/account", timeout=30)
    assert "Sign in to Acme Corp" in login.text and "to continue to" not in login.text
    page = sign_in(s, login, username="una")
    assert page.url.endswith("/realms/acme/account") and "Your account" in page.text and 'id="mfa-status">Off' in page.text
    f = form(page.text, "/account/totp")
    # Without the session the console only offers the login.
    assert 'name="password"' in requests.post(f"{idp.base}/realms/acme/account/totp", data={**f["fields"], "action": "setup"}, timeout=30).text
    setup = s.post(f"{idp.base}/realms/acme/account/totp", data={**f["fields"], "action": "setup"}, timeout=30)
    assert "<svg" in setup.text and 'aria-label="QR code' in setup.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', setup.text).group(1)
    cf = form(setup.text, "/account/totp")
    wrong = s.post(f"{idp.base}/realms/acme/account/totp", data={**cf["fields"], "code": "000000" if totp_code(secret) != "000000" else "111111"}, timeout=30)
    assert wrong.status_code == 400 and "not right" in wrong.text and "<svg" in wrong.text
    on = s.post(f"{idp.base}/realms/acme/account/totp", data={**cf["fields"], "code": totp_code(secret)}, timeout=30)
    codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>", on.text)
    assert on.status_code == 200 and "Two-factor authentication is on." in on.text and len(codes) == 10
    assert "10 recovery codes left" in s.get(f"{idp.base}/realms/acme/account", timeout=30).text
    # The answer reloaded (the confirmation sent again): nothing pending, nothing re-enrolled, so
    # the recovery codes shown above stay the ones that work.
    again = s.post(f"{idp.base}/realms/acme/account/totp", data={**cf["fields"], "code": totp_code(secret)}, timeout=30)
    assert again.status_code == 400 and "The set-up expired." in again.text and "<code>" not in again.text
    # Two confirmations at the same instant (another user, a double click): one enrols.
    idp.cli("user", "add", "--realm", "acme", "dbl", "--email", "dbl@acme.test", "--password-stdin", stdin=PASSWORD + "\n")
    v = requests.Session()
    vpage = sign_in(v, v.get(f"{idp.base}/realms/acme/account", timeout=30), username="dbl")
    vsetup = v.post(f"{idp.base}/realms/acme/account/totp", data={**form(vpage.text, "/account/totp")["fields"], "action": "setup"}, timeout=30)
    vsecret = re.search(r'id="totp-secret">([A-Z2-7]+)<', vsetup.text).group(1)
    vdata = {**form(vsetup.text, "/account/totp")["fields"], "code": totp_code(vsecret)}
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as pool:
        both = list(pool.map(lambda _: v.post(f"{idp.base}/realms/acme/account/totp", data=vdata, timeout=30), range(2)))
    assert sorted(r.status_code for r in both) == [200, 400], [r.status_code for r in both]
    # Without the form token nothing changes.
    assert s.post(f"{idp.base}/realms/acme/account/totp", data={"action": "remove", "confirm": "yes", "csrf": "x"}, timeout=30).status_code == 403
    # Application sign-ins now ask for the second factor (the set-up code was used: a recovery code here).
    b = requests.Session()
    step = sign_in(b, b.get(redirect_request(idp, authn_request(idp)), timeout=30), username="una")
    assert "Verify it" in step.text
    assert authn_class(second_factor(b, step, codes[0]))[0] == ["https://refeds.org/profile/mfa"]
    # Turning it off asks first.
    page = s.get(f"{idp.base}/realms/acme/account", timeout=30)
    assert "9 recovery codes left" in page.text
    rf = form(page.text, "/account/totp")
    ask = s.post(f"{idp.base}/realms/acme/account/totp", data={**rf["fields"]}, timeout=30)
    assert "Turn off two-factor authentication?" in ask.text
    off = s.post(f"{idp.base}/realms/acme/account/totp", data={**form(ask.text, "/account/totp")["fields"]}, timeout=30,
                 allow_redirects=False)
    # Post/redirect/get: the change answers 303 to the account page, which says what happened once.
    assert off.status_code == 303 and off.headers["location"] == "/realms/acme/account"
    off = s.get(f"{idp.base}/realms/acme/account", timeout=30)
    assert "Two-factor authentication is off." in off.text and 'id="mfa-status">Off' in off.text
    assert "Two-factor authentication is off." not in s.get(f"{idp.base}/realms/acme/account", timeout=30).text
    assert "una enrolled a TOTP second factor" in idp.events("acme")


def test_realm_requiring_a_second_factor(env):
    """With the realm's policy at "second factor required", a user without one gets no assertion
    and is sent to the account console to set one up; a password-only session (from the account
    console) is never reused for an application; with TOTP the user signs in with MFA. The policy
    is set in the console (CSRF) or the CLI and recorded."""
    idp, _ = env
    idp.cli("user", "add", "--realm", "acme", "vic", "--password-stdin", stdin=PASSWORD + "\n")
    admin = console_session(idp)
    page = admin.get(f"{idp.base}/admin/console/acme/settings", timeout=10)
    f = form(page.text, "/admin/console/acme/settings")
    assert admin.post(f"{idp.base}/admin/console/acme/settings", data={**f["fields"], "policy": "second-factor", "csrf": "x"}, timeout=10).status_code == 403
    saved = admin.post(f"{idp.base}/admin/console/acme/settings", data={**f["fields"], "policy": "second-factor"}, timeout=10)
    assert "Sign-in policy: Password and a second factor, required." in saved.text
    try:
        assert idp.cli("realm", "policy", "acme").strip() == "second-factor"
        b = requests.Session()
        refused = sign_in(b, b.get(redirect_request(idp, authn_request(idp)), timeout=30), username="vic", expect=403)
        assert "Two-factor authentication required" in refused.text and 'href="/realms/acme/account"' in refused.text
        assert 'name="SAMLResponse"' not in refused.text
        # The account console stays open with the password alone...
        console = sign_in(b, b.get(f"{idp.base}/realms/acme/account", timeout=30), username="vic")
        assert "Your account" in console.text
        # ...but that password-only session does not open an application.
        again = b.get(redirect_request(idp, authn_request(idp)), timeout=30)
        assert 'name="password"' in again.text and 'name="SAMLResponse"' not in again.text
        secret = next(l.split("\t")[1] for l in idp.cli("user", "totp-enrol", "--realm", "acme", "vic").splitlines() if l.startswith("secret\t"))
        step = sign_in(b, again, username="vic")
        assert authn_class(second_factor(b, step, totp_code(secret)))[0] == ["https://refeds.org/profile/mfa"]
        assert "set the sign-in policy to second-factor" in idp.events("acme")
    finally:
        assert idp.cli("realm", "policy", "acme", "password").strip() == "password"


def test_account_console_lists_and_signs_out_sessions(env):
    """The account console lists the user's own sessions (never their IDs) and signs one out:
    that browser's SSO session is no longer honoured; a session that is not the user's cannot be
    signed out."""
    idp, _ = env
    idp.cli("user", "add", "--realm", "acme", "wes", "--password-stdin", stdin=PASSWORD + "\n")
    phone, laptop = requests.Session(), requests.Session()
    sign_in(phone, phone.get(redirect_request(idp, authn_request(idp)), timeout=30), username="wes")
    page = sign_in(laptop, laptop.get(f"{idp.base}/realms/acme/account", timeout=30), username="wes")
    rows = re.findall(r'name="session" value="([0-9a-f]+)"', page.text)
    assert len(rows) == 2 and "(this session)" in page.text
    phone_cookie = next(c.value for c in phone.cookies if c.name.startswith("SYMBOLON_IDP_SESSION"))
    assert phone_cookie not in page.text, "session IDs are bearer secrets: never on the page"
    csrf = form(page.text, "/account/sessions")["fields"]["csrf"]
    # Sign out the phone: the row that is not "this session".
    this_row = re.search(r'<tr><td>[^<]*</td><td>[^<]*\(this session\)</td><td><form[^>]*><input type="hidden" name="csrf" value="[0-9a-f]+"><input type="hidden" name="session" value="([0-9a-f]+)"', page.text).group(1)
    other = next(h for h in rows if h != this_row)
    assert laptop.post(f"{idp.base}/realms/acme/account/sessions", data={"csrf": csrf, "session": "f" * 32}, timeout=30).status_code == 400
    done = laptop.post(f"{idp.base}/realms/acme/account/sessions", data={"csrf": csrf, "session": other}, timeout=30)
    assert "That session is signed out." in done.text and len(re.findall(r'name="session" value=', done.text)) == 1
    again = phone.get(redirect_request(idp, authn_request(idp)), timeout=30)
    assert 'name="password"' in again.text, "the phone's SSO session is gone"


def test_a_passkey_realm_under_an_ip_address_says_why_it_cannot_work(env):
    """This server's base URL is an IP address, which WebAuthn cannot use as a relying party ID:
    a passkey realm offers no passkey there, and a sign-in that needs one says why (never a
    password-only assertion, never a bare 500)."""
    idp, _ = env
    idp.cli("realm", "create", "ipkeys")
    idp.cli("realm", "policy", "ipkeys", "passkey-only")
    idp.cli("user", "add", "--realm", "ipkeys", "ivy", "--password-stdin", stdin=PASSWORD + "\n")
    s = requests.Session()
    login = s.get(f"{idp.base}/realms/ipkeys/account", timeout=30)
    assert login.status_code == 200 and "Sign in with a passkey" not in login.text
    r = sign_in(s, login, username="ivy", expect=503)
    assert "passkeys cannot be used at this address" in r.text and "SAMLResponse" not in r.text


# ---- Security review (issue 14) ----

def test_issue_instant_past_year_9999_is_refused_not_a_dropped_connection(env):
    """A valid xs:dateTime past year 9999 in UTC used to panic the SSO handler before any lookup
    (connection dropped, no event). Now: an error page and an event, by both bindings."""
    idp, _ = env
    for issuer in ("https://stranger.test", "https://plain.test/metadata"):
        xml = re.sub(r'IssueInstant="[^"]+"', 'IssueInstant="9999-12-31T23:59:59-01:00"', authn_request(idp, issuer=issuer))
        r = requests.get(redirect_request(idp, xml), allow_redirects=False, timeout=30)
        assert r.status_code == 400 and "text/html" in r.headers["Content-Type"], r.status_code
        r = requests.post(f"{idp.base}/realms/acme/protocol/saml", data={"SAMLRequest": base64.b64encode(xml.encode()).decode()}, timeout=30)
        assert r.status_code == 400
    assert "IssueInstant is missing or invalid" in idp.events("acme")
    # Request IDs must be xs:ID (NCName).
    bad_id = authn_request(idp).replace('ID="_r1"', "ID=\"_x' or '1'='1\"")
    assert requests.get(redirect_request(idp, bad_id), timeout=30).status_code == 400
    assert "is not an NCName" in idp.events("acme")


def test_name_id_policy_is_honoured_or_invalid_name_id_policy(env):
    """SAML Core 3.4.1.1: the NameID has the requested format, or the answer is the status
    InvalidNameIDPolicy (signed, at the ACS), never silently another format."""
    import xml.etree.ElementTree as ET

    idp, clients = env
    c = clients["plain"]
    s = requests.Session()
    sign_in(s, s.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", timeout=30))
    for fmt, expect in [("urn:oasis:names:tc:SAML:2.0:nameid-format:transient", None),
                        ("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "alice@acme.test"),
                        ("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", None)]:
        req_id, info = c.prepare_for_authenticate(entityid=f"{idp.base}/realms/acme", binding=BINDING_HTTP_REDIRECT, nameid_format=fmt)
        _, b64, _ = saml_response(s.get(dict(info["headers"])["Location"], timeout=30))
        resp = c.parse_authn_request_response(b64, BINDING_HTTP_POST, outstanding={req_id: "/"})
        assert resp.name_id.format == fmt, (fmt, resp.name_id.format)
        if expect:
            assert resp.name_id.text == expect
        else:
            assert resp.name_id.text not in ("alice", "alice@acme.test")
    # A format this IdP cannot issue: InvalidNameIDPolicy at the ACS, no assertion.
    xml = authn_request(idp).replace("</samlp:AuthnRequest>", '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"/></samlp:AuthnRequest>')
    action, b64, _ = saml_response(requests.get(redirect_request(idp, xml), timeout=30))
    doc = ET.fromstring(base64.b64decode(b64))
    codes = [x.get("Value") for x in doc.iter("{urn:oasis:names:tc:SAML:2.0:protocol}StatusCode")]
    assert action == "https://plain.test/acs" and codes[-1] == "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy", codes
    assert doc.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion") is None
    assert doc.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    assert "InvalidNameIDPolicy" in idp.events("acme")


def test_descriptor_advertises_logout_and_assertions_are_signed_by_default(env):
    import xml.etree.ElementTree as ET

    idp, clients = env
    md = requests.get(f"{idp.base}/realms/acme/protocol/saml/descriptor", timeout=10).text
    for binding in ("HTTP-Redirect", "HTTP-POST"):
        assert f'<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:{binding}" Location="{idp.base}/realms/acme/protocol/saml"/>' in md, md
    # A new client (its metadata does not ask for signed assertions) gets them signed too.
    s = requests.Session()
    _, b64, _ = saml_response(sign_in(s, s.get(f"{idp.base}/realms/acme/protocol/saml/clients/plain", timeout=30)))
    doc = ET.fromstring(base64.b64decode(b64))
    a = doc.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
    assert a.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    assert doc.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None


def test_framework_statuses_get_the_product_page(env):
    idp, _ = env
    r = requests.delete(f"{idp.base}/realms/acme/protocol/saml", timeout=10)
    assert r.status_code == 405 and "Not allowed" in r.text and "text/html" in r.headers["Content-Type"]
    r = requests.get(f"{idp.base}/no/such/page", timeout=10)
    assert r.status_code == 404 and "Page not found" in r.text
    # `idp serve` writes an access log (issue 15): one line per request, plain text without colour
    # codes when standard error is not a terminal, never the query string.
    requests.get(f"{idp.base}/no/such/page?secret=1", timeout=10)
    log = idp.log_path.read_text()
    lines = [l for l in log.splitlines() if "symbolon::access" in l and 'path="/no/such/page"' in l]
    assert len(lines) >= 2 and all("status=404" in l and "method=GET" in l for l in lines), log[-2000:]
    assert "\x1b[" not in log and "secret=1" not in log
    r = requests.get(f"{idp.base}/realms/acme/protocol/saml?x=" + "a" * 40_000, timeout=10)
    assert r.status_code == 414 and "Address too long" in r.text
    r = requests.get(f"{idp.base}/healthz", headers={"X-Big": "b" * 70_000}, timeout=10)
    assert r.status_code == 431 and "headers too large" in r.text
    # Beyond hyper's own limits (it answers before the router sees the request): the same pages.
    for head, status, title in hyper_answers(idp.base):
        reply = raw_request(idp.base, head)
        assert reply.startswith(f"HTTP/1.1 {status} ".encode()), reply[:200]
        assert title.encode() in reply and b"content-security-policy: default-src 'none'" in reply.lower(), reply[:600]


def hyper_answers(base):
    """Requests hyper itself refuses (a request line over 64 KiB, more than 100 headers, a
    malformed line), with the status and the product page's title. (A head over hyper's read
    buffer takes the same path as too many headers; sending one races the reset of a connection
    closed with unread data, so it is not sent here.)"""
    host = urllib.parse.urlsplit(base).netloc
    many = "".join(f"X-H{i}: v\r\n" for i in range(150))
    return [
        (f"GET /?x={'a' * 70_000} HTTP/1.1\r\nHost: {host}\r\n\r\n", 414, "Address too long"),
        (f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n{many}\r\n", 431, "headers too large"),
        ("GET /healthz HTTP/1.1\r\nHost \x01 nonsense\r\n\r\n", 400, "Bad request"),
    ]


def raw_request(base, head):
    """Send `head` on a fresh connection and read the answer until the server closes it."""
    import socket
    u = urllib.parse.urlsplit(base)
    with socket.create_connection((u.hostname, u.port), timeout=10) as c:
        try:
            c.sendall(head.encode("latin-1"))
        except OSError:
            pass  # the server may answer and close before it has read everything
        out = b""
        while True:
            try:
                chunk = c.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out
