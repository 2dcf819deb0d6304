"""Interop with pysaml2 (a real SAML 2.0 SP implementation, using xmlsec1 for signatures):

- metadata we generate for an IdP is loaded by a pysaml2 SP;
- the SP's AuthnRequests (HTTP-Redirect, unsigned and signed) pass our IdP-side checks;
- responses we sign (Response, Assertion, both) are accepted by the pysaml2 SP, unsolicited too;
- the SP metadata pysaml2 generates parses here with the right values.
"""
import json
import shutil
import urllib.parse

import pytest
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.xmldsig import SIG_RSA_SHA256

from conftest import KEYS

IDP = "https://idp.example.test/realms/acme"
SSO = "https://idp.example.test/realms/acme/protocol/saml"
SP = "https://sp.pysaml2.test/metadata"
ACS = "https://sp.pysaml2.test/acs/post"


def idp_metadata(symbolon, tmp_path, signed=True):
    args = ["saml", "metadata", "idp", "--entity-id", IDP, "--sso-url", SSO, "--slo-url", SSO,
            "--cert", str(KEYS / "idp-rsa.crt.pem")]
    if signed:
        args += ["--sign-key", str(KEYS / "idp-rsa.key.pem")]
    xml = symbolon(*args, check=True).stdout
    path = tmp_path / "idp.xml"
    path.write_bytes(xml)
    return path


def sp_client(tmp_path, idp_md, sign_requests=False, want_assertions_signed=True, want_response_signed=False, decrypt_with=None):
    conf = {
        "entityid": SP,
        "service": {
            "sp": {
                "endpoints": {"assertion_consumer_service": [(ACS, BINDING_HTTP_POST)]},
                "allow_unsolicited": True,
                "authn_requests_signed": sign_requests,
                "want_assertions_signed": want_assertions_signed,
                "want_response_signed": want_response_signed,
                "name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            }
        },
        "metadata": {"local": [str(idp_md)]},
        "key_file": str(KEYS / "idp-rsa-next.key.pem"),
        "cert_file": str(KEYS / "idp-rsa-next.crt.pem"),
        "xmlsec_binary": shutil.which("xmlsec1"),
        "allow_unknown_attributes": True,
        "accepted_time_diff": 60,
    }
    if decrypt_with:
        conf["encryption_keypairs"] = [{"key_file": str(KEYS / f"{decrypt_with}.key.pem"), "cert_file": str(KEYS / f"{decrypt_with}.crt.pem")}]
    cfg = SPConfig()
    cfg.load(conf)
    client = Saml2Client(config=cfg)
    md = create_metadata_string(None, config=cfg, sign=False)
    sp_md = tmp_path / "sp.xml"
    sp_md.write_bytes(md if isinstance(md, bytes) else md.encode())
    return client, sp_md


def redirect_url(info):
    return dict(info["headers"])["Location"]


@pytest.mark.parametrize("signed_metadata", [True, False])
def test_pysaml2_loads_our_idp_metadata(symbolon, tmp_path, signed_metadata):
    client, _ = sp_client(tmp_path, idp_metadata(symbolon, tmp_path, signed_metadata))
    sso = client.metadata.single_sign_on_service(IDP, BINDING_HTTP_REDIRECT)
    assert [s["location"] for s in sso] == [SSO]
    certs = client.metadata.certs(IDP, "idpsso", "signing")
    assert len(certs) == 1


def test_pysaml2_sp_metadata_parses_here(symbolon, tmp_path):
    _, sp_md = sp_client(tmp_path, idp_metadata(symbolon, tmp_path), sign_requests=True)
    out = json.loads(symbolon("saml", "metadata", "show", str(sp_md), check=True).stdout)
    sp = out["entities"][0]
    assert sp["entity_id"] == SP
    assert [a["location"] for a in sp["sp"]["assertion_consumer"]] == [ACS]
    assert sp["sp"]["authn_requests_signed"] is True
    assert len(sp["sp"]["signing_certificates"]) == 1


@pytest.mark.parametrize("signed", [False, True])
def test_pysaml2_authn_request_passes_our_idp_checks(symbolon, tmp_path, signed):
    client, sp_md = sp_client(tmp_path, idp_metadata(symbolon, tmp_path), sign_requests=signed)
    kwargs = {"sign": True, "sigalg": SIG_RSA_SHA256} if signed else {}
    req_id, info = client.prepare_for_authenticate(entityid=IDP, relay_state="/app/home", binding=BINDING_HTTP_REDIRECT, **kwargs)
    url = redirect_url(info)
    assert ("Signature=" in url) == signed
    out = symbolon("saml", "check-request", "--sp-metadata", str(sp_md), "--sso-url", SSO, url)
    assert out.returncode == 0, out.stderr.decode()
    accepted = json.loads(out.stdout)
    assert accepted["id"] == req_id
    assert accepted["issuer"] == SP
    assert accepted["acs_url"] == ACS
    assert accepted["signed"] is signed
    assert accepted["relay_state"] == "/app/home"
    if signed:
        # Tampering with any signed parameter is caught.
        tampered = url.replace("RelayState=%2Fapp%2Fhome", "RelayState=%2Fapp%2Fevil")
        assert tampered != url
        bad = symbolon("saml", "check-request", "--sp-metadata", str(sp_md), "--sso-url", SSO, tampered)
        assert bad.returncode == 1 and b"signature" in bad.stderr
    else:
        # The same unsigned request is refused when this client requires signed requests.
        bad = symbolon("saml", "check-request", "--sp-metadata", str(sp_md), "--sso-url", SSO, "--require-signed", url)
        assert bad.returncode == 1 and b"not signed" in bad.stderr


def test_unknown_acs_in_pysaml2_request_is_refused(symbolon, tmp_path):
    client, sp_md = sp_client(tmp_path, idp_metadata(symbolon, tmp_path))
    _, info = client.prepare_for_authenticate(entityid=IDP, binding=BINDING_HTTP_REDIRECT,
                                              assertion_consumer_service_url="https://evil.test/acs")
    out = symbolon("saml", "check-request", "--sp-metadata", str(sp_md), "--sso-url", SSO, redirect_url(info))
    assert out.returncode == 1 and b"not one of the client's registered endpoints" in out.stderr


@pytest.mark.parametrize("sign", ["both", "assertion", "response"])
def test_pysaml2_accepts_our_response(symbolon, tmp_path, sign):
    client, sp_md = sp_client(tmp_path, idp_metadata(symbolon, tmp_path),
                              want_assertions_signed=sign != "response", want_response_signed=sign != "assertion")
    req_id, _ = client.prepare_for_authenticate(entityid=IDP, binding=BINDING_HTTP_REDIRECT)
    b64 = symbolon("saml", "issue-response", "--key", str(KEYS / "idp-rsa.key.pem"), "--cert", str(KEYS / "idp-rsa.crt.pem"),
                   "--idp-entity-id", IDP, "--sp-metadata", str(sp_md), "--name-id", "alice@example.test",
                   "--attr", "email=alice@example.test", "--attr", "groups=/eng", "--attr", "groups=/eng/platform",
                   "--attr", "displayName=Alice <&> \"Liddell\"",
                   "--in-response-to", req_id, "--sign", sign, "--base64", check=True).stdout.strip()
    resp = client.parse_authn_request_response(b64.decode(), BINDING_HTTP_POST, outstanding={req_id: "/app"})
    assert resp is not None
    assert resp.name_id.text == "alice@example.test"
    ava = resp.get_identity()
    assert ava["groups"] == ["/eng", "/eng/platform"]
    assert ava["displayName"] == ['Alice <&> "Liddell"']
    assert resp.session_info()["session_index"]


def test_pysaml2_accepts_our_unsolicited_response_and_refuses_a_tampered_one(symbolon, tmp_path):
    client, sp_md = sp_client(tmp_path, idp_metadata(symbolon, tmp_path))
    xml = symbolon("saml", "issue-response", "--key", str(KEYS / "idp-rsa.key.pem"), "--cert", str(KEYS / "idp-rsa.crt.pem"),
                   "--idp-entity-id", IDP, "--sp-metadata", str(sp_md), "--name-id", "bob@example.test",
                   "--sign", "assertion", check=True).stdout
    import base64
    resp = client.parse_authn_request_response(base64.b64encode(xml).decode(), BINDING_HTTP_POST)
    assert resp.name_id.text == "bob@example.test"
    tampered = xml.replace(b"bob@example.test</saml:NameID>", b"admin@example.test</saml:NameID>")
    with pytest.raises(Exception):
        client.parse_authn_request_response(base64.b64encode(tampered).decode(), BINDING_HTTP_POST)


@pytest.mark.parametrize("data", ["aes256-gcm", "aes128-gcm", "aes256-cbc"])
def test_pysaml2_decrypts_our_encrypted_assertion(symbolon, tmp_path, data):
    client, sp_md = sp_client(tmp_path, idp_metadata(symbolon, tmp_path), decrypt_with="idp-rsa-next")
    req_id, _ = client.prepare_for_authenticate(entityid=IDP, binding=BINDING_HTTP_REDIRECT)
    issue = ["saml", "issue-response", "--key", str(KEYS / "idp-rsa.key.pem"), "--cert", str(KEYS / "idp-rsa.crt.pem"),
             "--idp-entity-id", IDP, "--sp-metadata", str(sp_md), "--name-id", "alice@example.test",
             "--attr", "groups=/eng", "--in-response-to", req_id, "--sign", "both", "--base64",
             "--encrypt-to", str(KEYS / "idp-rsa-next.crt.pem"), "--data-algorithm", data]
    b64 = symbolon(*issue, check=True).stdout.strip()
    import base64
    assert b"EncryptedAssertion" in base64.b64decode(b64) and b"alice@example.test" not in base64.b64decode(b64)
    resp = client.parse_authn_request_response(b64.decode(), BINDING_HTTP_POST, outstanding={req_id: "/app"})
    assert resp.name_id.text == "alice@example.test"
    assert resp.get_identity()["groups"] == ["/eng"]
    # An SP holding another key cannot read it: pysaml2 either raises or finds no subject.
    other, _ = sp_client(tmp_path, idp_metadata(symbolon, tmp_path), decrypt_with="attacker-rsa")
    try:
        r = other.parse_authn_request_response(b64.decode(), BINDING_HTTP_POST, outstanding={req_id: "/app"})
    except Exception:
        r = None
    assert r is None or getattr(r, "name_id", None) is None, r
