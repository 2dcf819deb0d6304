"""Passkeys at the identity provider over HTTP, with a software authenticator written here (P-256
keys from `cryptography`, CBOR and authenticator data built by hand) and pysaml2 as the SP.

`symbolon idp serve` runs under a host name (http://localhost:PORT: WebAuthn needs one, not an IP
address). Covered: registration in the account console, passwordless IdP- and SP-initiated
sign-in (AuthnContextClassRef REFEDS MFA, FIDO when asked for), a replayed or foreign answer, a
cloned authenticator, a wrong origin, missing user verification, an unknown credential, garbage,
a forged form; the passkey-only realm (password refused; the first passkey registered with the
password); the required action; the administrators' REST API and CLI.
"""
import base64
import hashlib
import html
import json
import os
import re
import socket
import subprocess
import urllib.parse
import zlib

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from saml2 import BINDING_HTTP_POST

from conftest import database_url, symbolon_bin
from test_idp_server import authn_class, form, saml_response, sign_in, PASSWORD
from test_idp_server import sp as pysaml2_sp

MFA = "https://refeds.org/profile/mfa"
FIDO = "urn:rsa:names:tc:SAML:2.0:ac:classes:FIDO"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def cbor(v) -> bytes:
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        return head(3, len(v.encode())) + v.encode()
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


class SoftPasskey:
    """A platform authenticator with one resident P-256 credential."""

    def __init__(self, origin, rp_id="localhost"):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cred_id = os.urandom(32)
        self.counter = 0
        self.origin, self.rp_id = origin, rp_id
        self.user_handle = b""
        self.uv = True

    def flags(self):
        return 0x01 | (0x04 if self.uv else 0)

    def client_data(self, kind, options):
        challenge = json.loads(options)["publicKey"]["challenge"]
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}).encode()

    def create(self, options):
        o = json.loads(options)["publicKey"]
        self.user_handle = unb64u(o["user"]["id"])
        n = self.key.public_key().public_numbers()
        cose = cbor({1: 2, 3: -7, -1: 1, -2: n.x.to_bytes(32, "big"), -3: n.y.to_bytes(32, "big")})
        auth = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([self.flags() | 0x40]) + self.counter.to_bytes(4, "big")
                + bytes(16) + len(self.cred_id).to_bytes(2, "big") + self.cred_id + cose)
        att = cbor({"fmt": "none", "attStmt": {}, "authData": auth})
        return json.dumps({"id": b64u(self.cred_id), "rawId": b64u(self.cred_id), "type": "public-key", "extensions": {},
                           "response": {"attestationObject": b64u(att), "clientDataJSON": b64u(self.client_data("webauthn.create", options)),
                                        "transports": ["internal"]}})

    def get(self, options, counter=None):
        if counter is None:
            self.counter += 1
            counter = self.counter
        auth = hashlib.sha256(self.rp_id.encode()).digest() + bytes([self.flags()]) + counter.to_bytes(4, "big")
        cd = self.client_data("webauthn.get", options)
        sig = self.key.sign(auth + hashlib.sha256(cd).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps({"id": b64u(self.cred_id), "rawId": b64u(self.cred_id), "type": "public-key", "extensions": {},
                           "response": {"authenticatorData": b64u(auth), "clientDataJSON": b64u(cd), "signature": b64u(sig),
                                        "userHandle": b64u(self.user_handle)}})


def options_of(page_text, form_id):
    m = re.search(rf'<form[^>]*id="{form_id}"[^>]*data-options="([^"]*)"', page_text)
    assert m, page_text[:800]
    return html.unescape(m.group(1))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Idp:
    def __init__(self, tmp):
        port = free_port()
        self.base = f"http://localhost:{port}"
        self.db = ["--database-url", database_url(tmp / "data")]
        self.log_path = tmp / "idp.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([symbolon_bin(), "idp", *self.db, "serve", "--listen", f"127.0.0.1:{port}", "--base-url", self.base],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), line + self.log_path.read_text()

    def cli(self, *args, stdin=None, ok=True):
        out = subprocess.run([symbolon_bin(), "idp", *self.db, *args], input=stdin, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 or not ok, out.stderr
        return out.stdout

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("passkeys")
    idp = Idp(tmp)
    idp.cli("realm", "create", "pk", "--display-name", "Multi-Pass")
    idp.cli("realm", "policy", "pk", "passkey-or-password")
    for u in ("pat", "quinn", "rae", "sam"):
        idp.cli("user", "add", "--realm", "pk", u, "--email", f"{u}@pk.test", "--password-stdin", stdin=PASSWORD + "\n")
    sp = pysaml2_sp(tmp, idp, "app", realm="pk")
    yield idp, sp
    idp.stop()


def register_in_account_console(idp, username, name="My key"):
    """Sign in to the account console with the password and register a new software passkey."""
    s = requests.Session()
    page = sign_in(s, s.get(f"{idp.base}/realms/pk/account", timeout=30), username=username)
    assert "Your account" in page.text
    key = SoftPasskey(idp.base)
    f = form(page.text, "/account/passkeys")
    r = s.post(f"{idp.base}/realms/pk/account/passkeys", timeout=30,
               data={"csrf": f["fields"]["csrf"], "action": "register", "name": name,
                     "credential": key.create(options_of(page.text, "passkey-register"))})
    assert r.status_code == 200 and "Passkey added." in r.text, r.text[:500]
    return key, s


def passkey_sign_in(session, login_page, key, expect=200, **kw):
    """Answer a login page's passkey challenge with `key`."""
    f = form(login_page.text, "/login-actions/passkey")
    answer = kw.pop("answer", None) or key.get(options_of(login_page.text, "passkey-signin"), **kw)
    r = session.post(f["action"], data={**f["fields"], "credential": answer}, timeout=30)
    assert r.status_code == expect, r.text[:600]
    return r


def events(idp):
    return idp.cli("events", "pk", "--limit", "300")


def fresh_login(idp):
    s = requests.Session()
    return s, s.get(f"{idp.base}/realms/pk/protocol/saml/clients/app", timeout=30)


def test_register_then_passwordless_sign_in_and_every_refusal(env):
    idp, sp = env
    key, _ = register_in_account_console(idp, "pat", "Laptop")
    assert 'registered a passkey "Laptop"' in events(idp)
    # The login page offers the passkey (button and autofill) beside the password; only this
    # server's own script may run.
    s, login = fresh_login(idp)
    assert "Sign in with a passkey" in login.text and 'autocomplete="username webauthn"' in login.text
    csp = login.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp
    page = passkey_sign_in(s, login, key)
    refs, codes = authn_class(page)
    assert refs == [MFA] and codes == ["urn:oasis:names:tc:SAML:2.0:status:Success"]
    _, b64, _ = saml_response(page)
    assert sp.parse_authn_request_response(b64, BINDING_HTTP_POST).name_id.text == "pat"
    assert "\tLOGIN\tpat\thttps://app.test/metadata\tpasskey (Laptop)" in events(idp)
    answered = key.get(options_of(login.text, "passkey-signin"), counter=key.counter)

    # The same answer again: the flow is gone. A recorded answer on a new page: another challenge.
    f = form(login.text, "/login-actions/passkey")
    assert s.post(f["action"], data={**f["fields"], "credential": answered}, timeout=30).status_code == 400
    s, login = fresh_login(idp)
    r = passkey_sign_in(s, login, key, expect=401, answer=answered)
    assert "another challenge" in r.text
    # A clone: the same key with a counter that did not move forward.
    s, login = fresh_login(idp)
    r = passkey_sign_in(s, login, key, expect=401, counter=key.counter)
    assert "signature counter did not move forward" in r.text
    # From then on the passkey is suspended, even for an answer whose counter moved past the
    # stored one (the clone's next try, or the real key): until the flag is cleared (issue 14).
    s, login = fresh_login(idp)
    r = passkey_sign_in(s, login, key, expect=401, counter=key.counter + 10)
    assert "suspended" in r.text
    token = idp.cli("token", "create", "--name", "clone-flag").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    base = f"{idp.base}/admin/realms/pk"
    uid = next(u["id"] for u in api.get(f"{base}/users", timeout=10).json() if u["username"] == "pat")
    flagged = [c for c in api.get(f"{base}/users/{uid}/credentials", timeout=10).json() if c.get("flaggedDate")]
    assert len(flagged) == 1
    assert api.post(f"{base}/users/{uid}/credentials/nope/clear-flag", timeout=10).status_code == 404
    assert api.post(f"{base}/users/{uid}/credentials/{flagged[0]['id']}/clear-flag", timeout=10).status_code == 204
    assert not any(c.get("flaggedDate") for c in api.get(f"{base}/users/{uid}/credentials", timeout=10).json())
    assert "cleared the possible-clone flag" in events(idp)
    key.counter += 20
    # A phishing site's origin; an authenticator that skipped user verification.
    phished = SoftPasskey("http://localhost.evil.test")
    phished.key, phished.cred_id, phished.user_handle, phished.counter = key.key, key.cred_id, key.user_handle, key.counter
    s, login = fresh_login(idp)
    assert "another site (origin" in passkey_sign_in(s, login, phished, expect=401).text
    key.uv = False
    s, login = fresh_login(idp)
    assert "user verification" in passkey_sign_in(s, login, key, expect=401).text
    key.uv = True
    # A credential nobody registered; garbage; a forged form.
    stranger = SoftPasskey(idp.base)
    stranger.user_handle = key.user_handle
    s, login = fresh_login(idp)
    assert "unknown passkey" in passkey_sign_in(s, login, stranger, expect=401).text
    for garbage in ["", "not json", "{}", json.dumps({"id": "x", "rawId": "x", "type": "public-key", "response": {}})]:
        s, login = fresh_login(idp)
        assert passkey_sign_in(s, login, key, expect=401, answer=garbage or " ").status_code == 401
    s, login = fresh_login(idp)
    f = form(login.text, "/login-actions/passkey")
    forged = s.post(f["action"], data={**f["fields"], "csrf": "forged", "credential": key.get(options_of(login.text, "passkey-signin"))}, timeout=30)
    assert forged.status_code == 403
    ev = events(idp)
    for code in ("wrong-challenge", "counter-not-forward", "wrong-origin", "user-not-verified", "unknown-credential", "bad-response"):
        assert f"passkey refused ({code})" in ev, code
    # The real authenticator still works (nothing was recorded by the refusals).
    s, login = fresh_login(idp)
    key.counter += 5
    assert authn_class(passkey_sign_in(s, login, key))[0] == [MFA]
    cred = idp.cli("user", "credentials", "--realm", "pk", "pat")
    assert f"Laptop\tcounter {key.counter}\tdevice-bound" in cred, cred


def redirect(idp, xml):
    q = urllib.parse.urlencode({"SAMLRequest": base64.b64encode(zlib.compress(xml.encode())[2:-4]).decode()})
    return f"{idp.base}/realms/pk/protocol/saml?{q}"


def request_for(idp, comparison, cls, rid):
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return redirect(idp, f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
                         f'ID="{rid}" Version="2.0" IssueInstant="{now}" AssertionConsumerServiceURL="https://app.test/acs">'
                         f'<saml:Issuer>https://app.test/metadata</saml:Issuer><samlp:RequestedAuthnContext Comparison="{comparison}">'
                         f'<saml:AuthnContextClassRef>{cls}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>')


def test_fido_is_met_by_a_passkey_alone_and_classes_are_never_overclaimed(env):
    idp, sp = env
    key, _ = register_in_account_console(idp, "sam")
    s = requests.Session()
    login = s.get(request_for(idp, "exact", FIDO, "_f1"), timeout=30)
    assert "This application asks for a passkey." in login.text and 'name="password"' not in login.text
    # A password posted anyway is refused.
    f = form(login.text, "/login-actions/passkey")
    pw = s.post(f"{idp.base}/realms/pk/login-actions/authenticate", data={**f["fields"], "username": "sam", "password": PASSWORD}, timeout=30)
    assert pw.status_code == 403 and "a password cannot be used" in pw.text
    # Each page render issues a new challenge (the old one is gone): answer the newest page.
    stale = passkey_sign_in(s, login, key, expect=401)
    assert "another challenge" in stale.text
    page = passkey_sign_in(s, stale, key)
    refs, _ = authn_class(page)
    assert refs == [FIDO]
    _, b64, _ = saml_response(page)
    assert sp.parse_authn_request_response(b64, BINDING_HTTP_POST, outstanding={"_f1": "/"}).name_id.text == "sam"
    # The passkey session serves "better than MFA" (FIDO) and "exact MFA" (MFA) at once...
    refs, _ = authn_class(s.get(request_for(idp, "better", MFA, "_f2"), timeout=30))
    assert refs == [FIDO]
    refs, _ = authn_class(s.get(request_for(idp, "exact", MFA, "_f3"), timeout=30))
    assert refs == [MFA]
    # ...but never claims a password it did not use: exact PasswordProtectedTransport asks again.
    again = s.get(request_for(idp, "exact", PPT, "_f4"), timeout=30)
    assert 'name="password"' in again.text
    refs, _ = authn_class(sign_in(s, again, username="sam"))
    assert refs == [PPT]
    # A password-only sign-in never meets FIDO: asked for "minimum FIDO" in a fresh browser, the
    # page offers the passkey only.
    s2 = requests.Session()
    assert 'name="password"' not in s2.get(request_for(idp, "minimum", FIDO, "_f5"), timeout=30).text


def test_passkey_only_realm(env):
    idp, sp = env
    key, _ = register_in_account_console(idp, "quinn", "Quinn's key")
    idp.cli("realm", "policy", "pk", "passkey-only")
    try:
        # quinn has a passkey: the password is refused, the passkey signs in.
        s, login = fresh_login(idp)
        assert "No passkey yet? Sign in with your password to register one" in login.text
        r = sign_in(s, login, username="quinn", expect=403)
        assert "accepts passkeys only" in r.text
        assert authn_class(passkey_sign_in(s, r, key))[0] == [MFA]
        # rae has none: the password only leads to registering one, then she signs in with it.
        s, login = fresh_login(idp)
        enrol = sign_in(s, login, username="rae")
        assert "Register a passkey" in enrol.text and "SAMLResponse" not in enrol.text
        rae = SoftPasskey(idp.base)
        f = form(enrol.text, "/login-actions/register-passkey")
        opts = options_of(enrol.text, "passkey-register")
        bad = s.post(f["action"], data={**f["fields"], "name": "  ", "credential": rae.create(opts)}, timeout=30)
        assert bad.status_code == 400 and "Give the passkey a name." in bad.text
        f = form(bad.text, "/login-actions/register-passkey")
        done = s.post(f["action"], data={**f["fields"], "name": "Rae's phone", "credential": rae.create(options_of(bad.text, "passkey-register"))}, timeout=30)
        assert done.status_code == 200 and "Your passkey is registered. Now sign in with it." in done.text
        assert "SAMLResponse" not in done.text, "the password alone never reaches the application"
        refs, _ = authn_class(passkey_sign_in(s, done, rae))
        assert refs == [MFA]
        ev = events(idp)
        assert 'rae registered a passkey "Rae\'s phone" at sign-in (required action)' in ev
        assert "password sign-in is disabled in this realm (passkey only)" in ev
        # Now her password is refused too.
        s, login = fresh_login(idp)
        sign_in(s, login, username="rae", expect=403)
    finally:
        idp.cli("realm", "policy", "pk", "passkey-or-password")


def test_required_action_and_the_administrators_api(env):
    idp, _ = env
    token = idp.cli("token", "create", "--name", "passkeys").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    base = f"{idp.base}/admin/realms/pk"
    assert api.get(f"{base}/authentication-policy", timeout=10).json() == {"policy": "passkey-or-password"}
    bad = api.put(f"{base}/authentication-policy", json={"policy": "magic"}, timeout=10)
    assert bad.status_code == 400 and "unknown policy" in bad.json()["error_description"]
    users = {u["username"]: u["id"] for u in api.get(f"{base}/users", timeout=10).json()}
    uid = users["quinn"]
    # Require quinn to register another passkey at the next sign-in (through the API).
    assert api.put(f"{base}/users/{uid}/required-actions", json=["nope"], timeout=10).status_code == 400
    assert api.put(f"{base}/users/{uid}/required-actions", json=["register-passkey"], timeout=10).status_code == 204
    assert api.get(f"{base}/users/{uid}/required-actions", timeout=10).json() == ["register-passkey"]
    s, login = fresh_login(idp)
    enrol = sign_in(s, login, username="quinn")
    assert "Register a passkey" in enrol.text
    second = SoftPasskey(idp.base)
    f = form(enrol.text, "/login-actions/register-passkey")
    page = s.post(f["action"], data={**f["fields"], "name": "Backup key", "credential": second.create(options_of(enrol.text, "passkey-register"))}, timeout=30)
    # Registered, the sign-in goes on to the application with what was used: a password.
    refs, _ = authn_class(page)
    assert refs == [PPT]
    assert api.get(f"{base}/users/{uid}/required-actions", timeout=10).json() == []
    creds = api.get(f"{base}/users/{uid}/credentials", timeout=10).json()
    kinds = sorted((c["type"], c.get("userLabel")) for c in creds)
    assert kinds == [("password", None), ("webauthn-passwordless", "Backup key"), ("webauthn-passwordless", "Quinn's key")], kinds
    assert all("passkey" not in json.dumps(c).lower() or c["type"] == "webauthn-passwordless" for c in creds)
    backup = next(c["id"] for c in creds if c.get("userLabel") == "Backup key")
    assert api.delete(f"{base}/users/{uid}/credentials/{backup}", timeout=10).status_code == 204
    assert api.delete(f"{base}/users/{uid}/credentials/{backup}", timeout=10).status_code == 404
    assert api.delete(f"{base}/users/{uid}/credentials/password", timeout=10).status_code == 400
    # A reset removes every passkey and signs quinn out everywhere.
    r = api.post(f"{base}/users/{uid}/reset-credentials", timeout=10)
    assert r.status_code == 200 and r.json()["passkeysRemoved"] == 1 and r.json()["sessionsSignedOut"] >= 1, r.text
    assert [c["type"] for c in api.get(f"{base}/users/{uid}/credentials", timeout=10).json()] == ["password"]
    # The session from before the reset is no longer honoured.
    assert 'name="password"' in s.get(f"{idp.base}/realms/pk/protocol/saml/clients/app", timeout=30).text
    ev = events(idp)
    assert "token:passkeys" in ev and "reset the credentials of quinn" in ev
    # Without a token: nothing.
    assert requests.get(f"{base}/users/{uid}/credentials", timeout=10).status_code == 401


def test_a_password_realm_offers_no_passkeys(env):
    idp, _ = env
    if "plain\t" not in idp.cli("realm", "list"):
        idp.cli("realm", "create", "plain")
    s = requests.Session()
    page = s.get(f"{idp.base}/realms/plain/account", timeout=30)
    assert "passkey" not in page.text.lower() and "script-src" not in page.headers["Content-Security-Policy"]
    f = form(page.text, "/login-actions/authenticate")
    r = s.post(f"{idp.base}/realms/plain/login-actions/passkey", data={**f["fields"], "credential": "{}"}, timeout=30)
    assert r.status_code == 400 and "Passkeys are not used in this realm." in r.text


def test_a_registration_link_gives_a_user_without_a_password_a_passkey(env):
    """Passwords are optional: uma has none. The administrator's one-time link lets her register
    a passkey (opening it does not use it up; a failed attempt does not either; a registration
    does), and then the passkey signs her in."""
    idp, _ = env
    idp.cli("user", "add", "--realm", "pk", "uma", "--email", "uma@pk.test")
    token = idp.cli("token", "create", "--name", "links").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    uid = next(u["id"] for u in api.get(f"{idp.base}/admin/realms/pk/users", params={"username": "uma"}, timeout=10).json())
    link = api.post(f"{idp.base}/admin/realms/pk/users/{uid}/registration-link", timeout=10).json()
    assert link["url"].startswith(f"{idp.base}/realms/pk/login-actions/register?token=") and link["expiresAt"] > 0
    # A link previewer fetching it first uses nothing up.
    assert requests.get(link["url"], timeout=30).status_code == 200
    s = requests.Session()
    page = s.get(link["url"], timeout=30)
    assert page.status_code == 200 and "Register a passkey" in page.text and "uma" in page.text
    key = SoftPasskey(idp.base)
    f = form(page.text, "/login-actions/register-passkey")
    # A failed attempt (an answer to another challenge) leaves the link usable.
    other = requests.get(link["url"], timeout=30)
    failed = s.post(f["action"], data={**f["fields"], "name": "Uma's key", "credential": key.create(options_of(other.text, "passkey-register"))}, timeout=30)
    assert failed.status_code == 400 and "another challenge" in failed.text
    f = form(failed.text, "/login-actions/register-passkey")
    done = s.post(f["action"], data={**f["fields"], "name": "Uma's key", "credential": key.create(options_of(failed.text, "passkey-register"))}, timeout=30)
    assert done.status_code == 200 and "Your passkey is registered. Now sign in with it." in done.text, done.text[:600]
    # The passkey signs her in to her account console (the link was not an application's).
    console = passkey_sign_in(s, done, key)
    assert "Your account" in console.text and "uma" in console.text
    # Used once: the link is gone; a made-up token is refused alike.
    assert requests.get(link["url"], timeout=30).status_code == 410
    assert requests.get(f"{idp.base}/realms/pk/login-actions/register?token=nope", timeout=30).status_code == 410
    assert 'uma registered a passkey "Uma\'s key" with a registration link' in events(idp)
    # And from the CLI; refused where the realm does not use passkeys.
    assert idp.cli("user", "registration-link", "--realm", "pk", "uma", "--base-url", idp.base).startswith(f"{idp.base}/realms/pk/login-actions/register?token=")
    if "plain\t" not in idp.cli("realm", "list"):
        idp.cli("realm", "create", "plain")
    idp.cli("user", "add", "--realm", "plain", "vic")
    out = subprocess.run([symbolon_bin(), "idp", *idp.db, "user", "registration-link", "--realm", "plain", "vic", "--base-url", idp.base], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "does not use passkeys" in out.stderr


def test_account_console_renames_and_removes_passkeys_of_its_own_user_only(env):
    idp, _ = env
    idp.cli("user", "add", "--realm", "pk", "wes", "--password-stdin", stdin=PASSWORD + "\n")
    key, s = register_in_account_console(idp, "wes", "Old name")
    page = s.get(f"{idp.base}/realms/pk/account", timeout=30)
    csrf = form(page.text, "/account/passkeys")["fields"]["csrf"]
    pid = re.search(r'name="id" value="([^"]+)"', page.text).group(1)
    url = f"{idp.base}/realms/pk/account/passkeys"
    # Rename: checked, then saved.
    bad = s.post(url, data={"csrf": csrf, "action": "rename", "id": pid, "name": "x" * 65}, timeout=30)
    assert bad.status_code == 400 and "too long" in bad.text
    ok = s.post(url, data={"csrf": csrf, "action": "rename", "id": pid, "name": "Desk key"}, timeout=30)
    assert ok.status_code == 200 and "Passkey renamed." in ok.text and "Desk key" in ok.text
    # Another user's passkey is out of reach; a forged form is refused.
    other, s2 = register_in_account_console(idp, "pat", "Pat's second")
    csrf2 = form(s2.get(f"{idp.base}/realms/pk/account", timeout=30).text, "/account/passkeys")["fields"]["csrf"]
    assert s2.post(url, data={"csrf": csrf2, "action": "rename", "id": pid, "name": "mine"}, timeout=30).status_code == 400
    assert s2.post(url, data={"csrf": csrf2, "action": "remove", "id": pid, "confirm": "yes"}, timeout=30).status_code == 400
    assert s.post(url, data={"csrf": "forged", "action": "remove", "id": pid, "confirm": "yes"}, timeout=30).status_code == 403
    # Remove asks first, then removes; the passkey no longer signs in.
    ask = s.post(url, data={"csrf": csrf, "action": "remove", "id": pid}, timeout=30)
    assert ask.status_code == 200 and "Remove the passkey “Desk key”?" in ask.text
    assert "Desk key" in idp.cli("user", "credentials", "--realm", "pk", "wes")
    gone = s.post(url, data={"csrf": csrf, "action": "remove", "id": pid, "confirm": "yes"}, timeout=30)
    assert gone.status_code == 200 and "Passkey removed." in gone.text and "No passkey yet." in gone.text
    s3, login = fresh_login(idp)
    assert "unknown passkey" in passkey_sign_in(s3, login, key, expect=401).text
    ev = events(idp)
    assert 'wes renamed a passkey to "Desk key"' in ev and 'wes removed the passkey "Desk key"' in ev
