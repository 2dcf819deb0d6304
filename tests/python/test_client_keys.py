"""Per-client signing keys (issue 19): a client signs with a key of its own after the three-step
rollover (add next, promote, retire), its descriptor at
`/realms/{realm}/protocol/saml/clients/{name}/descriptor` publishes the keys it is signed with,
and pysaml2 as the SP checks our responses against either descriptor. Other clients keep the
realm key; retiring the client's active key brings the realm key back."""
import html
import re
import shutil
import subprocess

import pytest
import requests
from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string

from conftest import KEYS, symbolon_bin
from test_idp_server import PASSWORD, Idp, saml_response, sign_in


def certs(xml: str) -> set[str]:
    return {re.sub(r"\s+", "", c) for c in re.findall(r"<ds:X509Certificate>([^<]+)</ds:X509Certificate>", xml)}


def pysaml2_sp(tmp, name, idp_metadata: str):
    md = tmp / f"idp-for-{name}-{len(list(tmp.iterdir()))}.xml"
    md.write_text(idp_metadata)
    conf = {
        "entityid": f"https://{name}.test/metadata",
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(f"https://{name}.test/acs", BINDING_HTTP_POST)]},
            "allow_unsolicited": True, "want_assertions_signed": True, "want_response_signed": True,
        }},
        "metadata": {"local": [str(md)]},
        "key_file": str(KEYS / "idp-rsa-next.key.pem"), "cert_file": str(KEYS / "idp-rsa-next.crt.pem"),
        "xmlsec_binary": shutil.which("xmlsec1"), "allow_unknown_attributes": True, "accepted_time_diff": 60,
    }
    cfg = SPConfig()
    cfg.load(conf)
    return cfg, Saml2Client(config=cfg)


def response_for(idp, name):
    s = requests.Session()
    login = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/{name}", timeout=30)
    return saml_response(sign_in(s, login))[1]


def test_client_signs_with_its_own_key_after_the_rollover(tmp_path):
    idp = Idp(tmp_path)
    try:
        idp.cli("realm", "create", "acme")
        idp.cli("user", "add", "--realm", "acme", "alice", "--password-stdin", stdin=PASSWORD + "\n")
        realm_md = requests.get(f"{idp.base}/realms/acme/protocol/saml/descriptor", timeout=10).text
        realm_certs = certs(realm_md)
        assert len(realm_certs) == 1
        clients = {}
        for name in ("keyed", "plain"):
            cfg, client = pysaml2_sp(tmp_path, name, realm_md)
            sp_md = tmp_path / f"sp-{name}.xml"
            sp_md.write_bytes(create_metadata_string(None, config=cfg, sign=False))
            idp.cli("client", "import", "--realm", "acme", str(sp_md), "--url-name", name)
            clients[name] = client
        entity = "https://keyed.test/metadata"
        desc = f"{idp.base}/realms/acme/protocol/saml/clients/keyed/descriptor"
        # Without keys of its own, the client's descriptor is the realm's keys.
        assert certs(requests.get(desc, timeout=10).text) == realm_certs

        # Step 1: a next key, published ahead of use; responses still signed by the realm key.
        out = idp.cli("key", "add-next", "--realm", "acme", "--client", entity)
        kid = re.search(r"added next key ([0-9a-f]+)", out).group(1)
        published = certs(requests.get(desc, timeout=10).text)
        assert realm_certs < published and len(published) == 2
        assert f"{kid}\tnext\t" in idp.cli("key", "list", "--realm", "acme", "--client", entity)
        assert kid not in idp.cli("key", "list", "--realm", "acme"), "not a realm key"
        ok = clients["keyed"].parse_authn_request_response(response_for(idp, "keyed"), BINDING_HTTP_POST)
        assert ok.name_id.text == "alice"
        # An SP that took the client's descriptor now already trusts both keys.
        _, rolled = pysaml2_sp(tmp_path, "keyed", requests.get(desc, timeout=10).text)

        # Step 2: promoted, the client's key signs; the realm key no longer does for this client.
        idp.cli("key", "promote", "--realm", "acme", "--client", entity, kid)
        own_md = requests.get(desc, timeout=10).text
        assert certs(own_md) == published - realm_certs
        b64 = response_for(idp, "keyed")
        assert rolled.parse_authn_request_response(b64, BINDING_HTTP_POST).name_id.text == "alice"
        with pytest.raises(Exception) as refused:
            clients["keyed"].parse_authn_request_response(b64, BINDING_HTTP_POST)
        assert "signature" in (type(refused.value).__name__ + str(refused.value)).lower(), repr(refused.value)
        # The descriptor is signed by the client's key: pysaml2 loading it with that key checks it.
        md_file = tmp_path / "own-md.xml"
        md_file.write_text(own_md)
        cert_file = tmp_path / "own.pem"
        b = next(iter(certs(own_md)))
        cert_file.write_text("-----BEGIN CERTIFICATE-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64)) + "\n-----END CERTIFICATE-----\n")
        verify = subprocess.run([shutil.which("xmlsec1"), "--verify", "--pubkey-cert-pem", str(cert_file),
                                 "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor", str(md_file)],
                                capture_output=True, text=True)
        assert verify.returncode == 0, verify.stderr
        # Another client keeps the realm key.
        plain = clients["plain"].parse_authn_request_response(response_for(idp, "plain"), BINDING_HTTP_POST)
        assert plain.name_id.text == "alice"

        # A second rollover: the old key stays published as passive until retired, then removed.
        kid2 = re.search(r"added next key ([0-9a-f]+)", idp.cli("key", "add-next", "--realm", "acme", "--client", entity)).group(1)
        idp.cli("key", "promote", "--realm", "acme", "--client", entity, kid2)
        listed = idp.cli("key", "list", "--realm", "acme", "--client", entity)
        assert f"{kid}\tpassive\t" in listed and f"{kid2}\tactive\t" in listed
        assert len(certs(requests.get(desc, timeout=10).text)) == 2
        out = subprocess.run(idp_cmd(idp, "key", "remove", "--realm", "acme", "--client", entity, kid2), capture_output=True, text=True)
        assert out.returncode == 1 and "retire it first" in out.stderr
        idp.cli("key", "retire", "--realm", "acme", "--client", entity, kid)
        idp.cli("key", "remove", "--realm", "acme", "--client", entity, kid)
        assert kid not in idp.cli("key", "list", "--realm", "acme", "--client", entity)

        # Retiring the active key: the client signs with the realm key again.
        idp.cli("key", "retire", "--realm", "acme", "--client", entity, kid2)
        back = clients["keyed"].parse_authn_request_response(response_for(idp, "keyed"), BINDING_HTTP_POST)
        assert back.name_id.text == "alice"
        assert certs(requests.get(desc, timeout=10).text) == realm_certs
        events = idp.events("acme")
        assert f"promoted signing key {kid2}" in events and "signs with the realm's key again" in events

        # A client ID works in place of the URL name (percent-encoded); no such client: 404.
        by_id = requests.get(f"{idp.base}/realms/acme/protocol/saml/clients/{requests.utils.quote(entity, safe='')}/descriptor", timeout=10)
        assert by_id.status_code == 200 and certs(by_id.text) == realm_certs
        assert requests.get(f"{idp.base}/realms/acme/protocol/saml/clients/nobody/descriptor", timeout=10).status_code == 404
    finally:
        idp.stop()


def idp_cmd(idp, *args):
    return [symbolon_bin(), "idp", *idp.db, *args]


def test_client_keys_over_the_admin_api(tmp_path):
    idp = Idp(tmp_path)
    try:
        idp.cli("realm", "create", "acme")
        cfg, _ = pysaml2_sp(tmp_path, "api", requests.get(f"{idp.base}/realms/acme/protocol/saml/descriptor", timeout=10).text)
        sp_md = tmp_path / "sp-api.xml"
        sp_md.write_bytes(create_metadata_string(None, config=cfg, sign=False))
        idp.cli("client", "import", "--realm", "acme", str(sp_md), "--url-name", "api")
        token = idp.cli("token", "create", "--name", "keys").strip()
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        base = f"{idp.base}/admin/realms/acme/clients"
        cid = api.get(base, timeout=10).json()[0]["id"]
        assert api.get(f"{base}/{cid}/keys", timeout=10).json() == {"keys": []}
        r = api.post(f"{base}/{cid}/keys", json={"algorithm": "ec-p256"}, timeout=30)
        assert r.status_code == 201 and r.json()["status"] == "NEXT" and r.json()["algorithm"] == "ec-p256", r.text
        kid = r.json()["kid"]
        assert api.post(f"{base}/{cid}/keys", json={"algorithm": "dsa"}, timeout=10).status_code == 400
        assert api.post(f"{base}/{cid}/keys/nope/promote", timeout=10).status_code == 404
        assert api.post(f"{base}/{cid}/keys/{kid}/promote", timeout=10).status_code == 204
        assert [k["status"] for k in api.get(f"{base}/{cid}/keys", timeout=10).json()["keys"]] == ["ACTIVE"]
        # The descriptor is signed with the EC key now, and publishes it alone.
        desc = requests.get(f"{idp.base}/realms/acme/protocol/saml/clients/api/descriptor", timeout=10).text
        assert "ecdsa-sha256" in desc and certs(desc) == {api.get(f"{base}/{cid}/keys", timeout=10).json()["keys"][0]["certificate"]}
        r = api.delete(f"{base}/{cid}/keys/{kid}", timeout=10)
        assert r.status_code == 409 and "retire it first" in r.json()["error_description"]
        assert api.post(f"{base}/{cid}/keys/{kid}/retire", timeout=10).status_code == 204
        assert api.delete(f"{base}/{cid}/keys/{kid}", timeout=10).status_code == 204
        assert api.get(f"{base}/{cid}/keys", timeout=10).json() == {"keys": []}
        # Without a token: nothing.
        assert requests.get(f"{base}/{cid}/keys", timeout=10).status_code == 401
    finally:
        idp.stop()


def test_client_keys_in_the_admin_console(tmp_path):
    from test_idp_server import console_session, form
    idp = Idp(tmp_path)
    try:
        idp.cli("realm", "create", "acme")
        cfg, _ = pysaml2_sp(tmp_path, "app", requests.get(f"{idp.base}/realms/acme/protocol/saml/descriptor", timeout=10).text)
        sp_md = tmp_path / "sp-app.xml"
        sp_md.write_bytes(create_metadata_string(None, config=cfg, sign=False))
        idp.cli("client", "import", "--realm", "acme", str(sp_md), "--url-name", "app")
        s = console_session(idp)
        clients = s.get(f"{idp.base}/admin/console/acme/clients", timeout=10).text
        client = re.search(r'href="(/admin/console/acme/clients/[0-9a-f-]{36})"', clients).group(1)
        assert 'id="client-keys"' in s.get(idp.base + client, timeout=10).text
        base = f"{idp.base}{client}/keys"
        page = s.get(base, timeout=10)
        assert page.status_code == 200 and "signs with the realm's key" in html.unescape(page.text) and "No keys of its own." in page.text
        assert "/realms/acme/protocol/saml/clients/app/descriptor" in page.text
        csrf = form(page.text, "/keys/next")["fields"]["csrf"]
        r = s.post(f"{base}/next", data={"csrf": csrf, "alg": "rsa2048"}, timeout=30)
        assert "Added next key" in r.text, r.text[-1500:]
        kid = re.search(r"<code>([0-9a-f]+)</code></td><td>next", r.text).group(1)
        r = s.post(f"{base}/{kid}/promote", data={"csrf": csrf}, timeout=10)
        assert f"Make key {kid} the signing key?" in r.text and "this client" in r.text
        r = s.post(f"{base}/{kid}/promote", data={"csrf": csrf, "confirm": "yes"}, timeout=10)
        assert "now signs" in r.text and "signed with its own active key" in r.text
        # Remove is offered only for keys not in use; a direct post for the active one is refused.
        r = s.post(f"{base}/{kid}/remove", data={"csrf": csrf, "confirm": "yes"}, timeout=10)
        assert "retire it first" in r.text
        confirm = s.get(f"{base}/{kid}/retire", timeout=10)
        assert f"Retire key {kid}?" in confirm.text and "realm's key again" in html.unescape(confirm.text)
        r = s.post(f"{base}/{kid}/retire", data={"csrf": csrf, "confirm": "yes"}, timeout=10)
        assert f"Key {kid} retired." in r.text and "signs with the realm's key" in html.unescape(r.text)
        assert f"Remove key {kid}?" in s.get(f"{base}/{kid}/remove", timeout=10).text
        r = s.post(f"{base}/{kid}/remove", data={"csrf": csrf, "confirm": "yes"}, timeout=10)
        assert f"Key {kid} removed." in r.text and "No keys of its own." in r.text
        assert s.post(f"{base}/next", data={"csrf": "wrong"}, timeout=10).status_code == 403
        assert "署名鍵" in s.get(base, headers={"Accept-Language": "ja"}, timeout=10).text
        assert s.get(f"{idp.base}/admin/console/acme/clients/nope/keys", timeout=10).status_code == 404
    finally:
        idp.stop()
