"""Back-channel single logout (SOAP binding): an administrator who revokes a user's sessions at
the IdP (no browser involved) ends them at every application that takes logout over SOAP.

Peers: our own SP (which publishes a SOAP logout endpoint, ends the session it names on every
instance and answers with a signed LogoutResponse), a pysaml2 SP that publishes none (the event
says it may keep its own session), and forged SOAP requests at the SP (refused with a fault)."""
import re
import subprocess
import time

import pytest
import requests

from conftest import KEYS
from test_idp_server import PASSWORD, saml_response, sign_in
from test_slo_frames import Server, pysaml2_sp


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slo-backchannel")
    srv = Server(tmp)
    srv.cli("idp", "realm", "create", "frames")
    srv.cli("idp", "user", "add", "--realm", "frames", "bob", "--email", "bob@bc.test", "--password-stdin", stdin=PASSWORD + "\n")
    # Our SP: an account trusting the realm; the realm's client imported from the SP's metadata.
    md = tmp / "idp.xml"
    md.write_bytes(requests.get(f"{srv.idp}/realms/frames/protocol/saml/descriptor", timeout=10).content)
    srv.cli("sp", "account", "create", "BC")
    srv.cli("sp", "idp", "add", "--account", "BC", "--metadata", str(md), "--name", "Realm")
    srv.cli("sp", "idp", "profile", "--account", "BC", "Realm", "--role-attribute", "role")
    srv.cli("sp", "idp", "map-group", "--account", "BC", "Realm", "staff", "Full Access")
    sp_md = requests.get(f"{srv.sp}/saml/metadata", timeout=10).text
    (tmp / "sp.xml").write_text(sp_md)
    ours = f"{srv.sp}/saml/metadata"
    srv.cli("idp", "client", "import", "--realm", "frames", str(tmp / "sp.xml"), "--url-name", "ours")
    srv.cli("idp", "client", "add-mapper", "--realm", "frames", ours, "--attribute", "role", "--source", "hardcoded:staff")
    two = pysaml2_sp(tmp, srv, "two")
    yield srv, ours, sp_md, two
    srv.stop()


def signed_in(srv):
    """bob signs in at our SP through the IdP (IdP-initiated) and at pysaml2 SP two: the
    browser's IdP session, and its SP session."""
    b = requests.Session()
    page = b.get(f"{srv.idp}/realms/frames/protocol/saml/clients/ours", timeout=30)
    action, b64, relay = saml_response(sign_in(b, page, username="bob"))
    r = b.post(action, data={"SAMLResponse": b64, **({"RelayState": relay} if relay else {})}, timeout=30)
    assert r.status_code == 200 and "Full Access" in r.text, r.text[:400]
    saml_response(b.get(f"{srv.idp}/realms/frames/protocol/saml/clients/two", timeout=30))
    return b


def events(srv):
    return srv.cli("idp", "events", "frames", "--limit", "100")


def wait_for(pred, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.3)
    return False


def test_our_sp_publishes_a_soap_logout_endpoint(env):
    srv, _, sp_md, _ = env
    assert re.search(r'<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="'
                     + re.escape(srv.sp) + r'/saml/slo/soap"', sp_md), sp_md
    # Imported with the client: the IdP knows where to send it.
    shown = srv.cli("idp", "client", "logout", "--realm", "frames", f"{srv.sp}/saml/metadata")
    assert f"soap\t{srv.sp}/saml/slo/soap" in shown, shown


@pytest.mark.parametrize("how", ["user", "handle"])
def test_an_administrators_revoke_ends_the_session_at_the_sp(env, how):
    srv, ours, _, _ = env
    b = signed_in(srv)
    assert "Full Access" in b.get(f"{srv.sp}/", timeout=10).text
    if how == "user":
        srv.cli("idp", "session", "revoke", "--realm", "frames", "--user", "bob")
    else:
        handle = srv.cli("idp", "session", "list", "--realm", "frames", "--user", "bob").split()[0]
        srv.cli("idp", "session", "revoke", "--realm", "frames", handle)
    # The IdP session is gone at once; the job tells our SP within seconds, over SOAP.
    assert "/login-actions/authenticate" in b.get(f"{srv.idp}/realms/frames/protocol/saml/clients/ours", timeout=30).text
    assert wait_for(lambda: "Full Access" not in b.get(f"{srv.sp}/", timeout=10).text), "our SP's session did not end"
    assert wait_for(lambda: f"back-channel logout of bob confirmed by {ours}" in events(srv)), events(srv)
    # pysaml2 SP two publishes no SOAP endpoint: the administrator is told it may keep its session.
    assert wait_for(lambda: "https://two.test/metadata publishes no SOAP logout endpoint; it may keep its own session" in events(srv))


def soap(xml):
    return (f'<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{xml}'
            f'</s:Body></s:Envelope>')


TEMPLATE = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
            '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
            '<ds:Reference URI="#_f1"><ds:Transforms>'
            '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
            '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
            '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>'
            '</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>')


def xmlsec_signed(tmp, xml, key):
    """`xml` (a LogoutRequest with ID _f1) signed by xmlsec1 with testdata key `key`."""
    f = tmp / f"{key}-unsigned.xml"
    f.write_text(xml.replace("</saml:Issuer>", "</saml:Issuer>" + TEMPLATE, 1))
    out = subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{KEYS / (key + '.key.pem')},{KEYS / (key + '.crt.pem')}",
                          "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest", str(f)],
                         capture_output=True, text=True, check=True).stdout
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", out)


def test_forged_back_channel_requests_are_refused_with_a_fault(env, tmp_path):
    srv, ours, _, _ = env
    b = signed_in(srv)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    unsigned = (f'<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
                f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_f1" Version="2.0" IssueInstant="{now}" '
                f'Destination="{srv.sp}/saml/slo/soap"><saml:Issuer>{srv.idp}/realms/frames</saml:Issuer>'
                f'<saml:NameID>bob@bc.test</saml:NameID><samlp:SessionIndex>x</samlp:SessionIndex></samlp:LogoutRequest>')
    url = f"{srv.sp}/saml/slo/soap"
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    for body in (soap(unsigned), unsigned, "not xml", soap(unsigned + unsigned),
                 '<!DOCTYPE x [<!ENTITY e "e">]>' + soap(unsigned)):
        r = requests.post(url, data=body.encode(), headers=headers, timeout=10)
        assert r.status_code == 400, (body[:80], r.status_code, r.text[:300])
        assert "Fault" in r.text and r.headers["Content-Type"].startswith("text/xml")
    # Signed by xmlsec1, but with a key the account does not pin: refused.
    r = requests.post(url, data=soap(xmlsec_signed(tmp_path, unsigned, "attacker-rsa")).encode(), headers=headers, timeout=10)
    assert r.status_code == 400 and "Fault" in r.text, r.text[:300]
    # Nothing ended: bob is still signed in at our SP.
    assert "Full Access" in b.get(f"{srv.sp}/", timeout=10).text
    assert requests.get(url, timeout=10).status_code == 405


class SoapSp:
    """A pysaml2 SP whose SOAP logout endpoint is a real HTTP server on 127.0.0.1: pysaml2 checks
    our signed LogoutRequest (xmlsec1, the realm's certificate from our descriptor) and answers
    with its own signed LogoutResponse."""

    def __init__(self, tmp, srv):
        import http.server
        import threading
        from saml2 import BINDING_SOAP
        from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

        # pysaml2 takes the message out of the envelope by re-serialising it with ElementTree,
        # which renames prefixes it does not know (ns0, ns1, ...) and so breaks every exclusive
        # c14n signature; a pysaml2 deployment registers the SAML prefixes, as here.
        from xml.etree import ElementTree
        for prefix, uri in [("samlp", "urn:oasis:names:tc:SAML:2.0:protocol"),
                            ("saml", "urn:oasis:names:tc:SAML:2.0:assertion"),
                            ("ds", "http://www.w3.org/2000/09/xmldsig#")]:
            ElementTree.register_namespace(prefix, uri)
        self.name_id = None
        self.answered = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                try:
                    out = outer.client.handle_logout_request(body, outer.name_id, BINDING_SOAP, sign=True,
                                                             sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
                    data, status = out["data"], 200
                    outer.answered.append("ok")
                except Exception as e:  # noqa: BLE001 - the test asserts on what was answered
                    outer.answered.append(f"refused: {e}")
                    data, status = "<fault/>", 500
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.end_headers()
                self.wfile.write(data.encode() if isinstance(data, str) else data)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.client = pysaml2_sp(tmp, srv, "three", [(f"http://127.0.0.1:{port}/slo-soap", BINDING_SOAP)])

    def stop(self):
        self.httpd.shutdown()


def test_a_pysaml2_sp_takes_our_soap_logout_request_and_we_check_its_answer(env, tmp_path):
    from saml2 import BINDING_HTTP_POST
    srv, _, _, _ = env
    three = SoapSp(tmp_path, srv)
    try:
        b = requests.Session()
        page = b.get(f"{srv.idp}/realms/frames/protocol/saml/clients/three", timeout=30)
        _, b64, _ = saml_response(sign_in(b, page, username="bob"))
        three.name_id = three.client.parse_authn_request_response(b64, BINDING_HTTP_POST).name_id
        srv.cli("idp", "session", "revoke", "--realm", "frames", "--user", "bob")
        assert wait_for(lambda: "back-channel logout of bob confirmed by https://three.test/metadata" in events(srv)), \
            (three.answered, [l for l in events(srv).splitlines() if "three.test" in l])
        assert three.answered and three.answered[0] == "ok", three.answered
    finally:
        three.stop()


def test_an_unsigned_answer_confirms_nothing(env, tmp_path):
    """A client whose metadata has no signing certificate answers `Success` unsigned: the IdP
    cannot check it, so the event says the session may live on there, never "confirmed"."""
    import http.server
    import threading
    srv, _, _, _ = env
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            seen.append(body)
            req_id = re.search(r'ID="([^"]+)"', body).group(1)
            answer = ('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
                      '<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
                      'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_u" Version="2.0" '
                      f'IssueInstant="{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}" InResponseTo="{req_id}">'
                      '<saml:Issuer>https://nocert.test/metadata</saml:Issuer><samlp:Status><samlp:StatusCode '
                      'Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>'
                      '</s:Body></s:Envelope>')
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        md = tmp_path / "nocert.xml"
        md.write_text(f"""<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://nocert.test/metadata">
<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="http://127.0.0.1:{httpd.server_address[1]}/soap"/>
<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://nocert.test/acs" index="0"/>
</SPSSODescriptor></EntityDescriptor>""")
        srv.cli("idp", "client", "import", "--realm", "frames", str(md), "--url-name", "nocert")
        b = requests.Session()
        page = b.get(f"{srv.idp}/realms/frames/protocol/saml/clients/nocert", timeout=30)
        saml_response(sign_in(b, page, username="bob"))
        srv.cli("idp", "session", "revoke", "--realm", "frames", "--user", "bob")
        assert wait_for(lambda: "https://nocert.test/metadata; its answer cannot be checked" in events(srv)), events(srv)
        assert seen, "the request was sent"
        assert "confirmed by https://nocert.test/metadata" not in events(srv)
    finally:
        httpd.shutdown()
