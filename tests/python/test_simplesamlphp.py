"""Interop with SimpleSAMLphp (Debian's simplesamlphp 1.19, a widely deployed SAML
implementation in PHP with its own XML security library, xmlseclibs), run on 127.0.0.1 by PHP's
built-in server with a configuration of the test's own (tests/python/simplesamlphp.py).

SimpleSAMLphp as a service provider of our IdP: it signs its AuthnRequests (Redirect binding,
RSA-SHA256), our IdP signs the assertion and encrypts it to SimpleSAMLphp's key (AES-256-GCM,
RSA-OAEP), SimpleSAMLphp decrypts and verifies it and hands its application the attributes;
IdP-initiated sign-in with RelayState; single logout started on either side, each side checking
the other's signatures.

SimpleSAMLphp as the identity provider of an account of our SP: SP-initiated sign-in with our
signed AuthnRequest (which it checks), its persistent NameID and attributes mapped to a role;
its encryption (AES-128-CBC only) refused until the account opts in; single logout from our SP."""
import base64
import urllib.parse

import pytest
import requests

from simplesamlphp import SimpleSamlPhp, available
from test_idp_server import PASSWORD, Idp, follow, form, meta_refresh, saml_response, sign_in

# Not installed is a failure with the fix, never a skip: scripts/test.sh installs it.
assert available(), "SimpleSAMLphp is not installed: run scripts/test.sh, which installs Debian's simplesamlphp, php-cli, php-xml and php-mbstring"


@pytest.fixture(scope="module")
def idp_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ssp-idp")
    idp = Idp(tmp)
    idp.cli("realm", "create", "ssp", "--display-name", "SSP interop")
    idp.cli("user", "add", "--realm", "ssp", "alice", "--email", "alice@ssp.test", "--password-stdin", stdin=PASSWORD + "\n")
    descriptor = tmp / "idp.xml"
    descriptor.write_bytes(requests.get(f"{idp.base}/realms/ssp/protocol/saml/descriptor", timeout=10).content)
    ssp = SimpleSamlPhp(tmp / "ssp", remote_idp_xml=descriptor, idp_entity=f"{idp.base}/realms/ssp")
    sp_md = tmp / "ssp-sp.xml"
    sp_md.write_bytes(ssp.sp_metadata())
    idp.cli("client", "import", "--realm", "ssp", str(sp_md), "--url-name", "ssp")
    idp.cli("client", "add-mapper", "--realm", "ssp", ssp.sp_entity, "--attribute", "email", "--source", "user-property:email")
    yield idp, ssp
    ssp.stop()
    idp.stop()


def post_response(session, page):
    action, b64, relay = saml_response(page)
    data = {"SAMLResponse": b64}
    if relay is not None:
        data["RelayState"] = relay
    return action, session.post(action, data=data, timeout=30)


def test_simplesamlphp_sp_signs_in_through_our_idp(idp_env):
    idp, ssp = idp_env
    s = requests.Session()
    login = s.get(f"{ssp.base}/app.php", timeout=30)
    # SimpleSAMLphp sent a signed AuthnRequest over the Redirect binding; our IdP checked it
    # against the certificate from SimpleSAMLphp's metadata and shows the login page.
    assert login.url.startswith(f"{idp.base}/realms/ssp/protocol/saml"), (login.url, ssp.logs())
    first = login.history[-1].headers["location"] if login.history else login.url
    assert "Signature=" in first and "SigAlg=" in first, first
    page = sign_in(s, login)
    sent = base64.b64decode(saml_response(page)[1])
    # Encrypted to the key in SimpleSAMLphp's metadata (AES-GCM, RSA-OAEP), signed inside.
    assert b"EncryptedAssertion" in sent and b"xmlenc11#aes256-gcm" in sent and b"rsa-oaep-mgf1p" in sent, sent[:600]
    action, r = post_response(s, page)
    assert action.startswith(f"{ssp.base}/module.php/saml/sp/saml2-acs.php/default-sp")
    assert r.status_code == 200, r.text[:1000] + ssp.logs()
    who = r.json()
    assert who["idp"] == f"{idp.base}/realms/ssp"
    assert who["nameid"], who
    assert who["attributes"]["email"] == ["alice@ssp.test"], who
    assert "Decryption with key #0 succeeded" in ssp.logs()


def test_idp_initiated_sign_in_reaches_the_simplesamlphp_application(idp_env):
    idp, ssp = idp_env
    s = requests.Session()
    app = f"{ssp.base}/app.php"
    login = s.get(f"{idp.base}/realms/ssp/protocol/saml/clients/ssp", params={"RelayState": app}, timeout=30)
    page = sign_in(s, login)
    action, r = post_response(s, page)
    # Unsolicited: SimpleSAMLphp accepts it (no InResponseTo) and sends the browser to RelayState.
    assert r.status_code == 200 and r.url == app, r.text[:1000] + ssp.logs()
    assert r.json()["attributes"]["email"] == ["alice@ssp.test"]


def test_single_logout_started_by_simplesamlphp_ends_the_idp_session(idp_env):
    idp, ssp = idp_env
    s = requests.Session()
    page = sign_in(s, s.get(f"{ssp.base}/app.php", timeout=30))
    _, r = post_response(s, page)
    assert r.json()["nameid"]
    at_idp = s.get(f"{ssp.base}/app.php", params={"logout": "1"}, timeout=30)
    # SimpleSAMLphp's signed LogoutRequest went to our IdP (Redirect binding), which ended the
    # session and answers with a signed LogoutResponse (Redirect, through a Continue page).
    assert at_idp.history and at_idp.history[-1].headers["location"].startswith(f"{idp.base}/realms/ssp/protocol/saml?SAMLRequest=")
    back_to_sp = meta_refresh(at_idp)
    assert back_to_sp and "/module.php/saml/sp/saml2-logout.php/default-sp?SAMLResponse=" in back_to_sp, at_idp.text[:500]
    assert "Signature=" in back_to_sp and "SigAlg=" in back_to_sp
    # SimpleSAMLphp checks that signature: a forged one is refused ...
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back_to_sp).query))
    sig = bytearray(base64.b64decode(q["Signature"]))
    sig[10] ^= 1
    forged = back_to_sp.split("?")[0] + "?" + urllib.parse.urlencode({**q, "Signature": base64.b64encode(bytes(sig)).decode()})
    refused = s.get(forged, timeout=30)
    assert "signed out" not in refused.text and "Unhandled exception" in refused.text, refused.text[:300]
    assert "Unable to validate signature on query string" in ssp.logs()
    # ... and ours accepted, after which SimpleSAMLphp sends the browser back to the application.
    done = s.get(back_to_sp, timeout=30)
    assert done.status_code == 200 and done.text == "signed out\n", done.text[:1000] + ssp.logs()
    assert "LOGOUT" in idp.events("ssp")
    # The IdP session is gone: the IdP-initiated URL asks for a password again.
    again = s.get(f"{idp.base}/realms/ssp/protocol/saml/clients/ssp", timeout=30)
    assert "/login-actions/authenticate" in again.text
    # And the application's session too.
    back = s.get(f"{ssp.base}/app.php", timeout=30)
    assert back.url.startswith(f"{idp.base}/realms/ssp/protocol/saml")


def test_sign_out_everywhere_at_our_idp_ends_the_simplesamlphp_session(idp_env):
    """IdP-started single logout: "Sign out everywhere" in the account console sends
    SimpleSAMLphp a signed LogoutRequest (which it checks, `validate.logout`), SimpleSAMLphp ends
    its session and answers with a signed LogoutResponse that our IdP checks and counts as
    confirmed."""
    idp, ssp = idp_env
    s = requests.Session()
    _, r = post_response(s, sign_in(s, s.get(f"{ssp.base}/app.php", timeout=30)))
    assert r.json()["nameid"]
    account = s.get(f"{idp.base}/realms/ssp/account", timeout=10)
    csrf = form(account.text, "/account/logout")["fields"]["csrf"]
    hops = []
    done = follow(s, s.post(f"{idp.base}/realms/ssp/account/logout", data={"csrf": csrf}, timeout=30), hops)
    assert any(h.startswith(f"{ssp.base}/module.php/saml/sp/saml2-logout.php/default-sp?SAMLRequest=") and "&Signature=" in h for h in hops), hops
    assert done.status_code == 200 and "Signed out" in done.text, done.text[:500] + ssp.logs()
    assert ssp.sp_entity in done.text and "May still be signed in" not in done.text, "SimpleSAMLphp confirmed"
    # SimpleSAMLphp's session ended: the application sends the browser to the IdP again.
    back = s.get(f"{ssp.base}/app.php", timeout=30)
    assert back.url.startswith(f"{idp.base}/realms/ssp/protocol/saml") and "/login-actions/authenticate" in back.text


# SimpleSAMLphp as the identity provider of one of our SP's accounts.

@pytest.fixture(scope="module")
def sp_env(tmp_path_factory):
    from test_sp_server import Sp

    tmp = tmp_path_factory.mktemp("ssp-sp")
    sp = Sp(tmp)
    sp_md = tmp / "our-sp.xml"
    sp_md.write_bytes(requests.get(f"{sp.base}/saml/metadata", timeout=10).content)
    users = {"alice:alice-secret": {"uid": ["alice"], "mail": ["alice@ssp-idp.test"], "displayName": ["Alice Example"],
                                   "eduPersonAffiliation": ["staff", "member"]}}
    ssp = SimpleSamlPhp(tmp / "ssp", remote_sp_xml=sp_md, idp=True, users=users)
    idp_md = tmp / "ssp-idp.xml"
    idp_md.write_bytes(ssp.idp_metadata())
    account = sp.cli("account", "create", "Woodgrove").strip()
    out = sp.cli("idp", "add", "--account", account, "--metadata", str(idp_md), "--name", "SimpleSAMLphp")
    assert f"{ssp.base}/saml2/idp/metadata.php" in out, out
    sp.cli("idp", "profile", "--account", account, "SimpleSAMLphp", "--role-attribute", "eduPersonAffiliation", "--name-attribute", "displayName")
    sp.cli("idp", "map-group", "--account", account, "SimpleSAMLphp", "staff", "Full Access")
    idp_id = next(l.split("\t")[0] for l in sp.cli("idp", "list", "--account", account).splitlines() if "\tSimpleSAMLphp\t" in l)
    yield sp, ssp, account, idp_id
    ssp.stop()
    sp.stop()


def ssp_sign_in(ssp, sp, idp_id, session=None):
    """SP-initiated: our SP's signed AuthnRequest, SimpleSAMLphp's login form, the response
    posted back to our ACS. Returns (the hops to SimpleSAMLphp, the SP's answer)."""
    b = session or requests.Session()
    start = b.get(f"{sp.base}/saml/login", params={"idp": idp_id}, allow_redirects=False, timeout=10)
    assert start.status_code == 303, start.text[:300]
    to_idp = start.headers["Location"]
    login = b.get(to_idp, timeout=30)
    assert "/module.php/core/loginuserpass.php" in login.url, login.url
    f = form(login.text)
    assert "AuthState" in f["fields"], f
    page = b.post(urllib.parse.urljoin(login.url, f["action"] or ""), data={**f["fields"], "username": "alice", "password": "alice-secret"}, timeout=30)
    acs = form(page.text)
    assert "SAMLResponse" in acs["fields"], page.text[:1000] + ssp.logs()
    return b, to_idp, acs, b.post(acs["action"], data=acs["fields"], timeout=30)


def test_simplesamlphp_idp_signs_in_through_our_sp(sp_env):
    sp, ssp, account, idp_id = sp_env
    b, to_idp, acs, r = ssp_sign_in(ssp, sp, idp_id)
    # Our AuthnRequest is signed (Redirect) and SimpleSAMLphp checked it (validate.authnrequest).
    assert to_idp.startswith(f"{ssp.base}/saml2/idp/SSOService.php?SAMLRequest=") and "&Signature=" in to_idp, to_idp
    assert acs["action"] == f"{sp.base}/saml/acs" and acs["fields"].get("RelayState")
    sent = base64.b64decode(acs["fields"]["SAMLResponse"])
    assert b"<saml:Assertion" in sent and b"EncryptedAssertion" not in sent, sent[:800]
    assert r.status_code == 200, r.text[:800]
    assert '<dd id="account">Woodgrove</dd>' in r.text and '<dd id="role">Full Access</dd>' in r.text, r.text[:800]
    assert "Welcome, Alice Example" in r.text
    # The persistent NameID SimpleSAMLphp made is the user's key in SAML Users.
    users = sp.cli("saml-users", "list", "--account", account)
    assert users.count("\tFull Access\t") == 1, users


def test_simplesamlphp_encryption_aes_cbc_is_refused_until_the_account_opts_in(sp_env):
    """SimpleSAMLphp 1.19 encrypts assertions with AES-128-CBC and nothing else; our SP accepts
    CBC only from an identity provider an administrator opted in for (security rule 18)."""
    sp, ssp, account, idp_id = sp_env
    ssp.idp_encryption(True)
    try:
        _, _, acs, r = ssp_sign_in(ssp, sp, idp_id)
        assert b"xmlenc#aes128-cbc" in base64.b64decode(acs["fields"]["SAMLResponse"])
        assert r.status_code == 403 and "could not be accepted" in r.text
        assert "CBC" in sp.cli("audit", "export", "--account", account).split("SignInFailed")[-1]
        sp.cli("idp", "profile", "--account", account, "SimpleSAMLphp", "--role-attribute", "eduPersonAffiliation",
               "--name-attribute", "displayName", "--allow-cbc")
        _, _, _, r = ssp_sign_in(ssp, sp, idp_id)
        assert '<dd id="role">Full Access</dd>' in r.text, r.text[:800]
    finally:
        ssp.idp_encryption(False)
        sp.cli("idp", "profile", "--account", account, "SimpleSAMLphp", "--role-attribute", "eduPersonAffiliation", "--name-attribute", "displayName")


def test_sign_out_at_our_sp_ends_the_simplesamlphp_session(sp_env):
    sp, ssp, _, idp_id = sp_env
    b, _, _, home = ssp_sign_in(ssp, sp, idp_id)
    csrf = form(home.text, "/logout")["fields"]["csrf"]
    hops = []
    out = follow(b, b.post(f"{sp.base}/logout", data={"csrf": csrf}, timeout=30), hops)
    # Our signed LogoutRequest went to SimpleSAMLphp (which checks it: validate.logout), and its
    # signed LogoutResponse, checked by our SP, says Success.
    assert any(h.startswith(f"{ssp.base}/saml2/idp/SingleLogoutService.php?SAMLRequest=") and "&Signature=" in h for h in hops), hops
    assert any(h.startswith(f"{sp.base}/saml/slo?SAMLResponse=") and "&Signature=" in h for h in hops), hops
    assert out.url.startswith(f"{sp.base}/signed-out") and "partial" not in out.url, (out.url, out.text[:500], ssp.logs())
    # SimpleSAMLphp's session ended: a new sign-in shows its login form again.
    again = b.get(b.get(f"{sp.base}/saml/login", params={"idp": idp_id}, allow_redirects=False, timeout=10).headers["Location"], timeout=30)
    assert "/module.php/core/loginuserpass.php" in again.url
