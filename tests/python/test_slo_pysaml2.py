"""Single logout with pysaml2 (a real SAML SP implementation, xmlsec1 for signatures) against
our IdP server: a pysaml2 SP's signed LogoutRequest ends the IdP session, the IdP asks the other
pysaml2 SP of that session (which checks our signed LogoutRequest and answers), and the first SP
accepts our signed LogoutResponse; an unsigned LogoutRequest is refused."""
import base64
import shutil
import urllib.parse
import zlib

import pytest
import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from conftest import KEYS
from test_idp_server import PASSWORD, Idp, meta_refresh, saml_response, sign_in


def pysaml2_sp_for(tmp, descriptor_url, import_metadata, name, extra_slo=()):
    """A pysaml2 SP `https://{name}.test/metadata` that trusts the IdP descriptor at
    `descriptor_url` and takes logout over HTTP-Redirect (and `extra_slo`: (URL, binding) pairs);
    its metadata is handed to `import_metadata` (a path) to become the IdP's client."""
    entity = f"https://{name}.test/metadata"
    md = tmp / f"idp-for-{name}.xml"
    md.write_bytes(requests.get(descriptor_url, timeout=10).content)
    conf = {
        "entityid": entity,
        "service": {"sp": {
            "endpoints": {
                "assertion_consumer_service": [(f"https://{name}.test/acs", BINDING_HTTP_POST)],
                "single_logout_service": [(f"https://{name}.test/slo", BINDING_HTTP_REDIRECT), *extra_slo],
            },
            "allow_unsolicited": True, "want_assertions_signed": True,
            "logout_requests_signed": True, "logout_responses_signed": True,
        }},
        "metadata": {"local": [str(md)]},
        "key_file": str(KEYS / "idp-rsa-next.key.pem"), "cert_file": str(KEYS / "idp-rsa-next.crt.pem"),
        "xmlsec_binary": shutil.which("xmlsec1"), "allow_unknown_attributes": True, "accepted_time_diff": 60,
    }
    cfg = SPConfig()
    cfg.load(conf)
    sp_md = tmp / f"sp-{name}.xml"
    sp_md.write_bytes(create_metadata_string(None, config=cfg, sign=False))
    import_metadata(sp_md)
    return Saml2Client(config=cfg)


def pysaml2_sp(tmp, idp, name):
    return pysaml2_sp_for(tmp, f"{idp.base}/realms/slo/protocol/saml/descriptor",
                          lambda md: idp.cli("client", "import", "--realm", "slo", str(md), "--url-name", name), name)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slo")
    idp = Idp(tmp)
    idp.cli("realm", "create", "slo")
    idp.cli("user", "add", "--realm", "slo", "alice", "--email", "alice@slo.test", "--password-stdin", stdin=PASSWORD + "\n")
    one, two = pysaml2_sp(tmp, idp, "one"), pysaml2_sp(tmp, idp, "two")
    yield idp, one, two
    idp.stop()


def query(location):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def test_pysaml2_sps_log_out_through_our_idp(env):
    idp, one, two = env
    b = requests.Session()
    # alice signs in to both SPs with one IdP session.
    login = b.get(f"{idp.base}/realms/slo/protocol/saml/clients/one", timeout=30)
    _, b64, _ = saml_response(sign_in(b, login, username="alice"))
    r1 = one.parse_authn_request_response(b64, BINDING_HTTP_POST)
    _, b64, _ = saml_response(b.get(f"{idp.base}/realms/slo/protocol/saml/clients/two", timeout=30))
    r2 = two.parse_authn_request_response(b64, BINDING_HTTP_POST)
    assert r1.session_info()["session_index"] == r2.session_info()["session_index"]

    # SP one starts single logout (signed, HTTP-Redirect).
    # (pysaml2 signs with RSA-SHA1 unless told otherwise; SHA-1 is refused here.)
    responses = one.do_logout(r1.name_id, [f"{idp.base}/realms/slo"], reason="", expire=None,
                              expected_binding=BINDING_HTTP_REDIRECT, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
    (binding, info), = [(v[0], v[1]) for v in responses.values()]
    to_idp = dict(info["headers"])["Location"]
    assert "Signature=" in to_idp
    # The IdP ends its session and asks SP two, with a LogoutRequest signed by the realm key.
    hop = b.get(to_idp, allow_redirects=False, timeout=30)
    to_two = meta_refresh(hop)
    assert to_two, hop.text[:400]
    assert to_two.startswith("https://two.test/slo?") and "Signature=" in to_two
    q = query(to_two)
    handled = two.handle_logout_request(q["SAMLRequest"], r2.name_id, BINDING_HTTP_REDIRECT, sign=True,
                                        sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256,
                                        relay_state=q.get("RelayState"), sigalg=q["SigAlg"], signature=q["Signature"])
    back = dict(handled["headers"])["Location"]
    assert back.startswith(f"{idp.base}/realms/slo/protocol/saml?") and "SAMLResponse=" in back
    # SP two confirmed: the IdP answers SP one with Success, signed.
    hop = b.get(back, allow_redirects=False, timeout=30)
    to_one = meta_refresh(hop)
    assert to_one, hop.text[:400]
    assert to_one.startswith("https://one.test/slo?")
    q = query(to_one)
    resp = one.parse_logout_request_response(q["SAMLResponse"], BINDING_HTTP_REDIRECT)
    assert resp.status_ok()
    # The IdP session is gone: the Home URL asks for a password again.
    assert "/login-actions/authenticate" in b.get(f"{idp.base}/realms/slo/protocol/saml/clients/one", timeout=30).text
    assert "single logout requested by https://one.test/metadata" in idp.events("slo")


def test_an_unsigned_logout_request_is_refused(env):
    idp, one, _ = env
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    xml = (f'<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
           f'ID="_u1" Version="2.0" IssueInstant="{now}"><saml:Issuer>https://one.test/metadata</saml:Issuer>'
           f'<saml:NameID>alice@slo.test</saml:NameID></samlp:LogoutRequest>')
    deflated = zlib.compress(xml.encode())[2:-4]
    r = requests.get(f"{idp.base}/realms/slo/protocol/saml", params={"SAMLRequest": base64.b64encode(deflated).decode()}, timeout=10)
    assert r.status_code == 400 and "not signed" in r.text
    assert "the logout message is not signed" in idp.events("slo")
