"""Signatures across implementations, RSA and ECDSA.

- What Symbolon signs verifies with xmlsec1 and with signxml.
- What xmlsec1 and signxml sign verifies with `symbolon saml verify-response`.
"""
import base64
import json
import re
import subprocess

import pytest
from lxml import etree
from signxml import SignatureConfiguration, SignatureMethod, DigestAlgorithm, XMLSigner, XMLVerifier, methods

from conftest import KEYS
from xmlenc_peer import encrypt_assertion

NOW = "2025-01-01T12:00:00Z"
IDP = "https://idp.example.test/realms/acme"
SP = "https://sp.example.test/saml/metadata"
ACS = "https://sp.example.test/saml/acs"
ASSERTION_ID_ATTR = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE_ID_ATTR = "urn:oasis:names:tc:SAML:2.0:protocol:Response"

SIG_URIS = {
    "rsa-sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "rsa-sha512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "ecdsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "ecdsa-sha384": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
}
DIGEST_URIS = {
    "sha1": "http://www.w3.org/2000/09/xmldsig#sha1",
    "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
    "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "sha512": "http://www.w3.org/2001/04/xmlenc#sha512",
}


def response(name_id="alice@example.test", placeholder="", default_ns=False):
    """A Response valid at NOW. `placeholder` goes right after the Assertion's Issuer."""
    root_ns = 'xmlns="urn:oasis:names:tc:SAML:2.0:protocol"' if default_ns else 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'
    p = "" if default_ns else "samlp:"
    return f"""<{p}Response {root_ns} xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_response-1" Version="2.0" IssueInstant="{NOW}" Destination="{ACS}">
  <saml:Issuer>{IDP}</saml:Issuer>
  <{p}Status><{p}StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></{p}Status>
  <saml:Assertion ID="_assertion-1" Version="2.0" IssueInstant="{NOW}">
    <saml:Issuer>{IDP}</saml:Issuer>{placeholder}
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{name_id}</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="2025-01-01T12:05:00Z" Recipient="{ACS}"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="2025-01-01T11:55:00Z" NotOnOrAfter="2025-01-01T12:05:00Z">
      <saml:AudienceRestriction><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="{NOW}" SessionIndex="_s1">
      <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>
    </saml:AuthnStatement>
    <saml:AttributeStatement>
      <saml:Attribute Name="groups"><saml:AttributeValue xsi:type="xs:string">/eng</saml:AttributeValue><saml:AttributeValue xsi:type="xs:string">/ops &amp; on-call</saml:AttributeValue></saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</{p}Response>
"""


def template(alg, digest, prefix_list=None, ref="_assertion-1"):
    incl = ""
    if prefix_list is not None:
        incl = f'<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="{prefix_list}"/>'
    return (
        '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        f'<ds:SignatureMethod Algorithm="{SIG_URIS[alg]}"/>'
        f'<ds:Reference URI="#{ref}"><ds:Transforms>'
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
        f'<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">{incl}</ds:Transform>'
        f'</ds:Transforms><ds:DigestMethod Algorithm="{DIGEST_URIS[digest]}"/><ds:DigestValue/></ds:Reference>'
        "</ds:SignedInfo><ds:SignatureValue/>"
        "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"
    )


def cert_b64(name):
    pem = (KEYS / f"{name}.crt.pem").read_text()
    return "".join(pem.strip().splitlines()[1:-1])


def metadata(tmp_path, key="idp-rsa"):
    xml = f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64(key)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""
    f = tmp_path / f"idp-{key}.xml"
    f.write_text(xml)
    return f


def verify_here(symbolon, tmp_path, xml: bytes, key="idp-rsa", extra=()):
    f = tmp_path / "response.xml"
    f.write_bytes(xml)
    return symbolon("saml", "verify-response", "--idp-metadata", str(metadata(tmp_path, key)),
                    "--sp-entity-id", SP, "--acs-url", ACS, "--now", NOW, *extra, str(f))


def xmlsec1(*args):
    return subprocess.run(["xmlsec1", *args], capture_output=True, timeout=60)


KEYS_AND_ALGS = [
    ("idp-rsa", "rsa-sha256"),
    ("idp-rsa", "rsa-sha512"),
    ("idp-rsa-next", "rsa-sha256"),
    ("idp-ec-p256", "ecdsa-sha256"),
    ("idp-ec-p384", "ecdsa-sha384"),
]


# ---- Symbolon signs, others verify ----

@pytest.mark.parametrize("key,alg", KEYS_AND_ALGS)
@pytest.mark.parametrize("element", ["assertion", "response"])
def test_xmlsec1_verifies_our_signature(symbolon, tmp_path, key, alg, element):
    src = tmp_path / "unsigned.xml"
    src.write_text(response())
    ident = "_assertion-1" if element == "assertion" else "_response-1"
    signed = symbolon("saml", "sign", "--key", str(KEYS / f"{key}.key.pem"), "--cert", str(KEYS / f"{key}.crt.pem"),
                      "--alg", alg, "--id", ident, str(src), check=True).stdout
    out = tmp_path / "signed.xml"
    out.write_bytes(signed)
    id_attr = ASSERTION_ID_ATTR if element == "assertion" else RESPONSE_ID_ATTR
    r = xmlsec1("--verify", "--pubkey-cert-pem", str(KEYS / f"{key}.crt.pem"), "--id-attr:ID", id_attr, str(out))
    assert r.returncode == 0, r.stderr.decode()
    assert b"OK" in r.stderr
    # And a one-byte change is caught by xmlsec1 too.
    out.write_bytes(signed.replace(b"alice@example.test</saml:NameID>", b"alicf@example.test</saml:NameID>"))
    assert xmlsec1("--verify", "--pubkey-cert-pem", str(KEYS / f"{key}.crt.pem"), "--id-attr:ID", id_attr, str(out)).returncode != 0


@pytest.mark.parametrize("key,alg", KEYS_AND_ALGS)
def test_signxml_verifies_our_signature(symbolon, tmp_path, key, alg):
    src = tmp_path / "unsigned.xml"
    src.write_text(response())
    signed = symbolon("saml", "sign", "--key", str(KEYS / f"{key}.key.pem"), "--cert", str(KEYS / f"{key}.crt.pem"),
                      "--alg", alg, str(src), check=True).stdout
    root = etree.fromstring(signed)
    assertion = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
    cfg = SignatureConfiguration(
        signature_methods=frozenset({SignatureMethod(SIG_URIS[alg])}),
        digest_algorithms=frozenset(DigestAlgorithm),
    )
    result = XMLVerifier().verify(assertion, x509_cert=(KEYS / f"{key}.crt.pem").read_text(), expect_config=cfg)
    name_id = result.signed_xml.find(".//{urn:oasis:names:tc:SAML:2.0:assertion}NameID")
    assert name_id.text == "alice@example.test"


# ---- Others sign, Symbolon verifies ----

@pytest.mark.parametrize("key,alg", KEYS_AND_ALGS)
def test_we_verify_xmlsec1_signatures(symbolon, tmp_path, key, alg):
    digest = {"rsa-sha256": "sha256", "rsa-sha512": "sha512", "ecdsa-sha256": "sha256", "ecdsa-sha384": "sha384"}[alg]
    tpl = tmp_path / "tpl.xml"
    tpl.write_text(response(placeholder=template(alg, digest)))
    signed = tmp_path / "signed.xml"
    r = xmlsec1("--sign", "--privkey-pem", f"{KEYS / (key + '.key.pem')},{KEYS / (key + '.crt.pem')}",
                "--id-attr:ID", ASSERTION_ID_ATTR, "--output", str(signed), str(tpl))
    assert r.returncode == 0, r.stderr.decode()
    out = verify_here(symbolon, tmp_path, signed.read_bytes(), key)
    assert out.returncode == 0, out.stderr.decode()
    v = json.loads(out.stdout)
    assert v["name_id"] == "alice@example.test"
    assert v["attributes"] == {"groups": ["/eng", "/ops & on-call"]}
    # Tampered after signing: rejected.
    tampered = signed.read_bytes().replace(b"alice@example.test</saml:NameID>", b"admin@example.test</saml:NameID>")
    out = verify_here(symbolon, tmp_path, tampered, key)
    assert out.returncode == 1 and b"digest" in out.stderr


@pytest.mark.parametrize("prefix_list", ["xs", "#default xs", "#default saml xsi"])
def test_inclusive_namespaces_prefix_list_agrees_with_libxml2(symbolon, tmp_path, prefix_list):
    """xmlsec1 signs with an InclusiveNamespaces PrefixList (incl. #default with a default
    namespace in scope); our canonical form must match libxml2's byte for byte."""
    tpl = tmp_path / "tpl.xml"
    tpl.write_text(response(placeholder=template("rsa-sha256", "sha256", prefix_list), default_ns=True))
    signed = tmp_path / "signed.xml"
    r = xmlsec1("--sign", "--privkey-pem", f"{KEYS / 'idp-rsa.key.pem'}", "--id-attr:ID", ASSERTION_ID_ATTR,
                "--output", str(signed), str(tpl))
    assert r.returncode == 0, r.stderr.decode()
    out = verify_here(symbolon, tmp_path, signed.read_bytes())
    assert out.returncode == 0, out.stderr.decode()


def test_sha1_signed_by_xmlsec1_needs_allow_sha1(symbolon, tmp_path):
    tpl = tmp_path / "tpl.xml"
    tpl.write_text(response(placeholder=template("rsa-sha1", "sha1")))
    signed = tmp_path / "signed.xml"
    assert xmlsec1("--sign", "--privkey-pem", str(KEYS / "idp-rsa.key.pem"), "--id-attr:ID", ASSERTION_ID_ATTR,
                   "--output", str(signed), str(tpl)).returncode == 0
    out = verify_here(symbolon, tmp_path, signed.read_bytes())
    assert out.returncode == 1 and b"SHA-1" in out.stderr
    out = verify_here(symbolon, tmp_path, signed.read_bytes(), extra=["--allow-sha1"])
    assert out.returncode == 0, out.stderr.decode()
    assert b"warning" in out.stderr and b"SHA1" in out.stderr


SIGNXML_ALGS = [
    ("idp-rsa", SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256),
    ("idp-rsa", SignatureMethod.RSA_SHA384, DigestAlgorithm.SHA384),
    ("idp-ec-p256", SignatureMethod.ECDSA_SHA256, DigestAlgorithm.SHA256),
    ("idp-ec-p384", SignatureMethod.ECDSA_SHA384, DigestAlgorithm.SHA512),
]


@pytest.mark.parametrize("key,alg,digest", SIGNXML_ALGS)
def test_we_verify_signxml_signatures(symbolon, tmp_path, key, alg, digest):
    placeholder = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="placeholder"></ds:Signature>'
    root = etree.fromstring(response(placeholder=placeholder).encode())
    assertion = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
    signer = XMLSigner(method=methods.enveloped, signature_algorithm=alg, digest_algorithm=digest,
                       c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    signed_assertion = signer.sign(assertion, key=(KEYS / f"{key}.key.pem").read_bytes(),
                                   cert=(KEYS / f"{key}.crt.pem").read_text(), reference_uri="_assertion-1")
    root.replace(assertion, signed_assertion)
    xml = etree.tostring(root)
    out = verify_here(symbolon, tmp_path, xml, key)
    assert out.returncode == 0, out.stderr.decode()
    assert json.loads(out.stdout)["name_id"] == "alice@example.test"
    # The base64 a browser would post is accepted too.
    out = verify_here(symbolon, tmp_path, base64.b64encode(xml), key)
    assert out.returncode == 0, out.stderr.decode()
    # A signature by a key the metadata does not pin is refused.
    out = verify_here(symbolon, tmp_path, xml, "attacker-rsa")
    assert out.returncode == 1


# ---- XML Encryption: what we encrypt xmlsec1 decrypts, what xmlsec1 encrypts we decrypt ----

SP_KEY = "idp-rsa-next"  # the SP's key pair in these tests
ENC_URIS = {
    "aes256-gcm": "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    "aes128-gcm": "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "aes256-cbc": "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    "aes128-cbc": "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "tripledes-cbc": "http://www.w3.org/2001/04/xmlenc#tripledes-cbc",
}
SESSION_KEYS = {"aes256-gcm": "aes-256", "aes128-gcm": "aes-128", "aes256-cbc": "aes-256", "aes128-cbc": "aes-128", "tripledes-cbc": "des-192"}


def sp_metadata_file(tmp_path):
    f = tmp_path / "sp.xml"
    f.write_text(f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP}"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS}" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>""")
    return f


@pytest.mark.parametrize("data", ["aes256-gcm", "aes128-gcm", "aes256-cbc"])
def test_xmlsec1_decrypts_what_we_encrypt(symbolon, tmp_path, data):
    out = tmp_path / "enc.xml"
    out.write_bytes(symbolon("saml", "issue-response", "--key", str(KEYS / "idp-rsa.key.pem"), "--cert", str(KEYS / "idp-rsa.crt.pem"),
                             "--idp-entity-id", IDP, "--sp-metadata", str(sp_metadata_file(tmp_path)), "--name-id", "alice@example.test",
                             "--encrypt-to", str(KEYS / f"{SP_KEY}.crt.pem"), "--data-algorithm", data, check=True).stdout)
    assert b"alice@example.test" not in out.read_bytes()
    r = xmlsec1("--decrypt", "--privkey-pem", str(KEYS / f"{SP_KEY}.key.pem"), str(out))
    assert r.returncode == 0, r.stderr.decode()
    doc = etree.fromstring(r.stdout)
    ns = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion"}
    assertion = doc.find("saml:EncryptedAssertion/saml:Assertion", ns)
    assert assertion.findtext("saml:Subject/saml:NameID", namespaces=ns) == "alice@example.test"
    # The decrypted assertion carries the IdP's signature, which xmlsec1 verifies in turn.
    standalone = tmp_path / "assertion.xml"
    standalone.write_bytes(etree.tostring(assertion))
    v = xmlsec1("--verify", "--pubkey-cert-pem", str(KEYS / "idp-rsa.crt.pem"), "--id-attr:ID", ASSERTION_ID_ATTR, str(standalone))
    assert v.returncode == 0, v.stderr.decode()
    # Another key cannot decrypt it.
    assert xmlsec1("--decrypt", "--privkey-pem", str(KEYS / "attacker-rsa.key.pem"), str(out)).returncode != 0


def xmlsec1_encrypted(tmp_path, data, key_transport="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", to=SP_KEY):
    """A response whose assertion (signed by the IdP with xmlsec1) xmlsec1 encrypts to `to`."""
    signed = xmlsec1_signed_assertion(tmp_path)
    wrapped = signed.replace(b"<saml:Assertion ", b"<saml:EncryptedAssertion><saml:Assertion ", 1).replace(
        b"</saml:Assertion>", b"</saml:Assertion></saml:EncryptedAssertion>", 1)
    (tmp_path / "wrapped.xml").write_bytes(wrapped)
    (tmp_path / "tmpl.xml").write_text(
        '<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">'
        f'<xenc:EncryptionMethod Algorithm="{ENC_URIS[data]}"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f'<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{key_transport}"/><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey>'
        '</ds:KeyInfo><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>')
    r = xmlsec1("--encrypt", "--pubkey-cert-pem", str(KEYS / f"{to}.crt.pem"), "--session-key", SESSION_KEYS[data],
                "--xml-data", str(tmp_path / "wrapped.xml"), "--node-xpath", "//*[local-name()='Assertion']", str(tmp_path / "tmpl.xml"))
    assert r.returncode == 0, r.stderr.decode()
    assert b"alice@example.test" not in r.stdout
    return r.stdout


def oaep_encrypted(tmp_path, digest, mgf=None, label=b"", to=SP_KEY):
    """The xmlsec1-signed assertion encrypted by OpenSSL (xmlenc_peer), RSA-OAEP with the digest
    and MGF1 hash named apart: xmlsec1 1.2 cannot write these parameters."""
    return encrypt_assertion(xmlsec1_signed_assertion(tmp_path), (KEYS / f"{to}.crt.pem").read_bytes(), digest, mgf, label)


@pytest.mark.parametrize("digest,mgf,label", [
    ("sha256", None, b""),          # XML Encryption 1.1 default MGF: SHA-256 digest, MGF1-SHA1
    ("sha256", "sha1", b""),        # the same, MGF named
    ("sha512", "sha1", b""),
    ("sha1", "sha256", b""),
    ("sha256", "sha256", b"symbolon"),  # with OAEPparams
])
def test_we_decrypt_oaep_with_the_digest_and_mgf_named_apart(symbolon, tmp_path, digest, mgf, label):
    xml = oaep_encrypted(tmp_path, digest, mgf, label)
    assert b"alice@example.test" not in xml
    out = decrypt_here(symbolon, tmp_path, xml)
    assert out.returncode == 0, out.stderr.decode()
    assert json.loads(out.stdout)["name_id"] == "alice@example.test"


def test_oaep_parameters_that_do_not_match_fail_alike(symbolon, tmp_path):
    xml = oaep_encrypted(tmp_path, "sha256")
    # The MGF named differently from what encrypted it, an added label, a digest changed: the
    # one undecryptable error, as for a wrong key.
    xml_mgf = xml.replace(b'#sha256"/>', b'#sha256"/><xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/>', 1)
    xml_label = xml.replace(b'#sha256"/>', b'#sha256"/><xenc:OAEPparams>AAEC</xenc:OAEPparams>', 1)
    xml_digest = xml.replace(b"http://www.w3.org/2001/04/xmlenc#sha256", b"http://www.w3.org/2001/04/xmlenc#sha512", 1)
    for bad in (xml_mgf, xml_label, xml_digest, oaep_encrypted(tmp_path, "sha256", to="attacker-rsa")):
        assert bad != xml
        out = decrypt_here(symbolon, tmp_path, bad)
        assert out.returncode == 1 and b"could not be decrypted" in out.stderr, out.stderr.decode()
    # A digest or MGF outside the four: refused by name before any private-key work.
    md5 = xml.replace(b"http://www.w3.org/2001/04/xmlenc#sha256", b"http://www.w3.org/2001/04/xmldsig-more#md5", 1)
    out = decrypt_here(symbolon, tmp_path, md5)
    assert out.returncode == 1 and b"xmldsig-more#md5" in out.stderr, out.stderr.decode()
    sha224 = oaep_encrypted(tmp_path, "sha256", "sha1").replace(b"#mgf1sha1", b"#mgf1sha224", 1)
    out = decrypt_here(symbolon, tmp_path, sha224)
    assert out.returncode == 1 and b"mgf1sha224" in out.stderr, out.stderr.decode()


def xmlsec1_signed_assertion(tmp_path):
    src = tmp_path / "unsigned.xml"
    src.write_text(response(placeholder=template("rsa-sha256", "sha256")))
    r = xmlsec1("--sign", "--privkey-pem", f"{KEYS / 'idp-rsa.key.pem'},{KEYS / 'idp-rsa.crt.pem'}",
                "--id-attr:ID", ASSERTION_ID_ATTR, str(src))
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def decrypt_here(symbolon, tmp_path, xml, *extra):
    return verify_here(symbolon, tmp_path, xml, extra=("--decrypt-key", str(KEYS / f"{SP_KEY}.key.pem"), *extra))


@pytest.mark.parametrize("data", ["aes256-gcm", "aes128-gcm"])
def test_we_decrypt_what_xmlsec1_encrypts(symbolon, tmp_path, data):
    out = decrypt_here(symbolon, tmp_path, xmlsec1_encrypted(tmp_path, data))
    assert out.returncode == 0, out.stderr.decode()
    assert json.loads(out.stdout)["name_id"] == "alice@example.test"


def test_xmlsec1_cbc_only_when_allowed_and_weak_algorithms_never(symbolon, tmp_path):
    cbc = xmlsec1_encrypted(tmp_path, "aes256-cbc")
    out = decrypt_here(symbolon, tmp_path, cbc)
    assert out.returncode == 1 and b"AES-CBC is not allowed" in out.stderr
    out = decrypt_here(symbolon, tmp_path, cbc, "--allow-cbc")
    assert out.returncode == 0, out.stderr.decode()
    # pysaml2's default data cipher, 3DES: refused by name.
    out = decrypt_here(symbolon, tmp_path, xmlsec1_encrypted(tmp_path, "tripledes-cbc"), "--allow-cbc")
    assert out.returncode == 1 and b"tripledes-cbc" in out.stderr
    # RSA 1.5 key transport: refused by name, before any decryption.
    out = decrypt_here(symbolon, tmp_path, xmlsec1_encrypted(tmp_path, "aes256-gcm", "http://www.w3.org/2001/04/xmlenc#rsa-1_5"))
    assert out.returncode == 1 and b"RSA 1.5 is refused" in out.stderr
    # Encrypted to another key: the one error every secret-dependent failure gives.
    out = decrypt_here(symbolon, tmp_path, xmlsec1_encrypted(tmp_path, "aes256-gcm", to="attacker-rsa"))
    assert out.returncode == 1 and b"could not be decrypted" in out.stderr
    # No key given: said plainly.
    out = verify_here(symbolon, tmp_path, xmlsec1_encrypted(tmp_path, "aes256-gcm"))
    assert out.returncode == 1 and b"no decryption key" in out.stderr
