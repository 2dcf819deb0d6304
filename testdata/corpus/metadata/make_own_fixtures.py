#!/usr/bin/env python3
"""Writes the eight metadata fixtures of our own (see README.md): files in the shape that
AD FS, Okta (re-saved as windows-1252), Google Workspace, SimpleSAMLphp (IdP and SP), Gluu,
AWS IAM Identity Center and the Jenkins saml-plugin publish, with the quirks that made the
originals worth testing, but with made-up names, hosts and freshly made certificates.

Each folder gets `metadata.xml` and an `expected.json` in the corpus format (README.md), made
from the same description the XML is written from. Run from the repository root:

    .venv/bin/python testdata/corpus/metadata/make_own_fixtures.py

It makes new keys each time, so the certificates (and their fingerprints) change; the tests
read the fingerprints from expected.json, so any run's output is consistent. Needs
`cryptography` (in the test venv) and `xmlsec1` (for the AD FS-style enveloped signature).
"""

import base64
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
P2 = "urn:oasis:names:tc:SAML:2.0:protocol"
B = "urn:oasis:names:tc:SAML:2.0:bindings:"
POST, REDIRECT, ARTIFACT, SOAP, SIMPLESIGN = (
    B + "HTTP-POST",
    B + "HTTP-Redirect",
    B + "HTTP-Artifact",
    B + "SOAP",
    B + "HTTP-POST-SimpleSign",
)
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
UNSPEC = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"


def t(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


class Cert:
    """A self-signed certificate (and its key) with the given subject and validity."""

    def __init__(self, subject, not_before, not_after, digest=hashes.SHA256(), serial=None):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        attrs = [x509.NameAttribute(oid, value) for oid, value in subject]
        name = x509.Name(attrs)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(serial or x509.random_serial_number())
            .not_valid_before(t(not_before))
            .not_valid_after(t(not_after))
            .sign(self.key, digest)
        )
        self.der = self.cert.public_bytes(serialization.Encoding.DER)
        self.b64 = base64.b64encode(self.der).decode()

    def wrapped(self, width=64, sep="\n"):
        return sep.join(textwrap.wrap(self.b64, width))

    def describe(self, had_whitespace):
        c = self.cert
        return {
            "base64_had_whitespace": had_whitespace,
            "subject": c.subject.rfc4514_string(),
            "notBefore": c.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "notAfter": c.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "expired_as_of_corpus_date": c.not_valid_after_utc < AS_OF,
            "sha256_fingerprint": hashlib.sha256(self.der).hexdigest(),
            "signature_algorithm": c.signature_algorithm_oid._name,
            "serial_number": str(c.serial_number),
        }

    def pem_files(self, d):
        key = os.path.join(d, "key.pem")
        crt = os.path.join(d, "cert.pem")
        with open(key, "wb") as f:
            f.write(
                self.key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        with open(crt, "wb") as f:
            f.write(self.cert.public_bytes(serialization.Encoding.PEM))
        return key, crt


def ep(binding, location):
    return {"Binding": binding, "Location": location}


def acs(binding, location, index, is_default=None):
    return {"Binding": binding, "Location": location, "index": str(index), "isDefault": is_default}


def expiry_notes(role, pairs):
    out = []
    for cert, use in pairs:
        d = cert.describe(False)
        if d["expired_as_of_corpus_date"]:
            out.append(f"expired certificate in {role} (notAfter {d['notAfter']}, use={use})")
    return out


def write(folder, xml_bytes, expected):
    path = os.path.join(HERE, folder)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "metadata.xml"), "wb") as f:
        f.write(xml_bytes)
    head = {
        "role": folder.split("/")[0],
        "vendor": folder.split("/")[1],
        "source": {
            "origin": "written for Symbolon by testdata/corpus/metadata/make_own_fixtures.py",
            "modelled_on": expected.pop("modelled_on"),
            "bytes": len(xml_bytes),
            "sha256": hashlib.sha256(xml_bytes).hexdigest(),
        },
        "as_of": AS_OF.strftime("%Y-%m-%d"),
        "root_element": "EntityDescriptor",
        "entity_count": 1,
    }
    head.update(expected)
    with open(os.path.join(path, "expected.json"), "w") as f:
        json.dump(head, f, indent=2)
        f.write("\n")


def idp_expected(sso, slo, nif, uses, signing, want=None, proto=P2):
    return {
        "WantAuthnRequestsSigned": want,
        "protocolSupportEnumeration": proto,
        "SingleSignOnService": sso,
        "SingleLogoutService": slo,
        "NameIDFormat": nif,
        "KeyDescriptor_use": uses,
        "signing_certificate_count": len(signing),
        "signing_certificates": signing,
    }


def sp_expected(acs_list, slo, nif, uses, signing, authn=None, want=None, proto=P2, enc=0):
    return {
        "AuthnRequestsSigned": authn,
        "WantAssertionsSigned": want,
        "protocolSupportEnumeration": proto,
        "AssertionConsumerService": acs_list,
        "SingleLogoutService": slo,
        "NameIDFormat": nif,
        "KeyDescriptor_use": uses,
        "signing_key_count": len(signing),
        "encryption_key_count": enc,
        "signing_certificates": signing,
        "RequestedAttribute_names": [],
    }


def keyinfo(b64, prefix="ds:"):
    return (
        f"<{prefix}KeyInfo><{prefix}X509Data><{prefix}X509Certificate>{b64}"
        f"</{prefix}X509Certificate></{prefix}X509Data></{prefix}KeyInfo>"
    )


# --- AD FS: FederationMetadata.xml ------------------------------------------------------------

CLAIMS = [
    ("emailaddress", "E-Mail Address", "The e-mail address of the user"),
    ("givenname", "Given Name", "The given name of the user"),
    ("name", "Name", "The unique name of the user"),
    ("upn", "UPN", "The user principal name (UPN) of the user"),
    ("CommonName", "Common Name", "The common name of the user"),
    ("surname", "Surname", "The surname of the user"),
    ("role", "Role", "A role that the user has"),
    ("groupsid", "Group SID", "The security identifier of a group of the user"),
    ("primarysid", "Primary SID", "The primary security identifier of the user"),
    ("windowsaccountname", "Windows account name", "The domain account name of the user"),
    ("authenticationmethod", "Authentication method", "The method used to authenticate the user"),
    ("denyonlysid", "Deny only group SID", "The deny-only group SID of the user"),
    ("nameidentifier", "Name ID", "The SAML name identifier of the user"),
    ("authenticationinstant", "Authentication time stamp", "When the user was authenticated"),
    ("privatepersonalidentifier", "PPID", "The private identifier of the user"),
    ("clientip", "Client IP", "The IP address of the client"),
]


def claim_uri(short):
    if short in ("CommonName",):
        return "http://schemas.xmlsoap.org/claims/CommonName"
    if short in ("role", "groupsid", "primarysid", "windowsaccountname", "authenticationmethod",
                 "denyonlysid", "authenticationinstant"):
        return f"http://schemas.microsoft.com/ws/2008/06/identity/claims/{short}"
    if short == "clientip":
        return "http://schemas.microsoft.com/2012/01/requestcontext/claims/x-ms-client-ip"
    return f"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/{short}"


def adfs():
    host = "https://sts.contoso-research.example"
    entity = f"{host}/adfs/services/trust"
    sig = Cert([(NameOID.COMMON_NAME, "ADFS Signing - sts.contoso-research.example")],
               "2017-10-02T08:15:41Z", "2018-10-02T08:15:41Z")
    enc = Cert([(NameOID.COMMON_NAME, "ADFS Encryption - sts.contoso-research.example")],
               "2017-10-02T08:15:40Z", "2018-10-02T08:15:40Z")
    ls = f"{host}/adfs/ls/"
    claims = "".join(
        f'<auth:ClaimType Uri="{claim_uri(s)}" Optional="true" '
        f'xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706">'
        f"<auth:DisplayName>{d}</auth:DisplayName><auth:Description>{desc}</auth:Description>"
        f"</auth:ClaimType>"
        for s, d, desc in CLAIMS
    )
    epr = (
        '<wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing">'
        f"<wsa:Address>{ls}</wsa:Address></wsa:EndpointReference>"
    )
    kd = (
        f'<KeyDescriptor use="encryption">{keyinfo(enc.b64, "")}</KeyDescriptor>'
        f'<KeyDescriptor use="signing">{keyinfo(sig.b64, "")}</KeyDescriptor>'
    ).replace("<KeyInfo>", '<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">')
    fed = (
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" '
        'protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706"'
    )
    app = (
        f'<RoleDescriptor xsi:type="fed:ApplicationServiceType" {fed}>{kd}'
        f"<fed:TargetScopes>{epr}</fed:TargetScopes>"
        f"<fed:ApplicationServiceEndpoint>{epr}</fed:ApplicationServiceEndpoint>"
        f"<fed:PassiveRequestorEndpoint>{epr}</fed:PassiveRequestorEndpoint></RoleDescriptor>"
    )
    sts = (
        f'<RoleDescriptor xsi:type="fed:SecurityTokenServiceType" {fed}>{kd}'
        "<fed:TokenTypesOffered>"
        '<fed:TokenType Uri="urn:oasis:names:tc:SAML:2.0:assertion"/>'
        '<fed:TokenType Uri="urn:oasis:names:tc:SAML:1.0:assertion"/></fed:TokenTypesOffered>'
        f"<fed:ClaimTypesOffered>{claims}</fed:ClaimTypesOffered>"
        f"<fed:SecurityTokenServiceEndpoint>{epr}</fed:SecurityTokenServiceEndpoint>"
        f"<fed:PassiveRequestorEndpoint>{epr}</fed:PassiveRequestorEndpoint></RoleDescriptor>"
    )
    slo = "".join(f'<SingleLogoutService Binding="{b}" Location="{ls}"/>' for b in (REDIRECT, POST))
    nif = "".join(f"<NameIDFormat>{n}</NameIDFormat>" for n in (EMAIL, PERSISTENT, TRANSIENT))
    sp = (
        f'<SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="{P2}">{kd}'
        f"{slo}{nif}"
        f'<AssertionConsumerService Binding="{POST}" Location="{ls}" index="0" isDefault="true"/>'
        f'<AssertionConsumerService Binding="{ARTIFACT}" Location="{ls}" index="1"/>'
        f'<AssertionConsumerService Binding="{REDIRECT}" Location="{ls}" index="2"/>'
        "</SPSSODescriptor>"
    )
    attrs = "".join(
        f'<Attribute Name="{claim_uri(s)}" '
        'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" '
        f'FriendlyName="{d}" xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/>'
        for s, d, _ in CLAIMS
    )
    sso = "".join(f'<SingleSignOnService Binding="{b}" Location="{ls}"/>' for b in (REDIRECT, POST))
    idp = f'<IDPSSODescriptor protocolSupportEnumeration="{P2}">{kd}{slo}{nif}{sso}{attrs}</IDPSSODescriptor>'
    eid = "_5c1f0e7a-93d4-4c1e-b0a2-4f6de1c7a9b3"
    template = (
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
        '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        f'<Reference URI="#{eid}"><Transforms>'
        '<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
        '<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>'
        '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/>'
        "</Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>"
    ).replace("<", "<ds:").replace("<ds:/", "</ds:").replace(
        'ds:Signature xmlns=', 'ds:Signature xmlns:ds=')
    doc = (
        f'<EntityDescriptor ID="{eid}" entityID="{entity}" xmlns="{MD}">{template}'
        f"{app}{sts}{sp}{idp}</EntityDescriptor>"
    )
    # Sign as AD FS does (enveloped, exclusive c14n, RSA-SHA256), then drop xmlsec1's XML
    # declaration and line breaks: the file is one line with no declaration.
    with tempfile.TemporaryDirectory() as d:
        key, crt = sig.pem_files(d)
        src = os.path.join(d, "in.xml")
        with open(src, "w") as f:
            f.write(doc)
        out = subprocess.run(
            ["xmlsec1", "--sign", "--privkey-pem", f"{key},{crt}", "--id-attr:ID",
             f"{MD}:EntityDescriptor", src],
            check=True, capture_output=True,
        ).stdout.decode()
    out = out.split("?>", 1)[1] if out.startswith("<?xml") else out
    out = "".join(line.strip() if line.startswith("<") or not line else line
                  for line in out.strip().split("\n"))
    # xmlsec1 wraps the base64 it writes; keep it on the one line.
    xml = out.replace("\n", "").encode()
    both = [(enc, "encryption"), (sig, "signing")]
    nifs = [EMAIL, PERSISTENT, TRANSIENT]
    slos = [ep(REDIRECT, ls), ep(POST, ls)]
    expected = {
        "modelled_on": "an on-premises AD FS FederationMetadata.xml",
        "entityID": entity,
        "validUntil": None,
        "cacheDuration": None,
        "has_Signature": True,
        "roles": [
            "RoleDescriptor[xsi:type=fed:ApplicationServiceType]",
            "RoleDescriptor[xsi:type=fed:SecurityTokenServiceType]",
            "SPSSODescriptor",
            "IDPSSODescriptor",
        ],
        "idp": idp_expected([ep(REDIRECT, ls), ep(POST, ls)], slos, nifs,
                            ["encryption", "signing"], [sig.describe(False)]),
        "sp": sp_expected(
            [acs(POST, ls, 0, "true"), acs(ARTIFACT, ls, 1), acs(REDIRECT, ls, 2)],
            slos, nifs, ["encryption", "signing"], [sig.describe(False)], want="true", enc=1),
        "notes": [
            "no XML declaration",
            "Signature on the root EntityDescriptor (genuine: made with xmlsec1 and the signing key)",
            "RoleDescriptor xsi:type=fed:ApplicationServiceType (WS-Federation role; must be skipped, not fail)",
            "RoleDescriptor xsi:type=fed:SecurityTokenServiceType (WS-Federation role; must be skipped, not fail)",
            "entity has both IDPSSODescriptor and SPSSODescriptor",
            *expiry_notes("IDPSSODescriptor", both),
            *expiry_notes("SPSSODescriptor", both),
            "In the shape of an on-premises AD FS FederationMetadata.xml: one line, no XML declaration, "
            "one EntityDescriptor holding RoleDescriptor fed:ApplicationServiceType, RoleDescriptor "
            "fed:SecurityTokenServiceType, SPSSODescriptor and IDPSSODescriptor in that order. An "
            "identity-provider import takes the IDPSSODescriptor only",
            "IDPSSODescriptor contains saml:Attribute elements (assertion namespace declared as default "
            "on each) after SingleSignOnService; they must be ignored or read as offered attributes",
            "signing and encryption certificates (the same pair in both roles) expired in October 2018",
        ],
    }
    write("idp/adfs", xml, expected)


# --- Okta, re-saved with a windows-1252 declaration and spaces in the base64 ----------------

def okta_windows_1252():
    app = "exk7q2mwzcRtYpLd51d8"
    entity = f"http://www.okta.com/{app}"
    sso = f"https://northwind-trading.okta.example/app/northwind_portal/{app}/sso/saml"
    cert = Cert(
        [(NameOID.COUNTRY_NAME, "US"), (NameOID.STATE_OR_PROVINCE_NAME, "California"),
         (NameOID.LOCALITY_NAME, "San Francisco"), (NameOID.ORGANIZATION_NAME, "Okta"),
         (NameOID.ORGANIZATIONAL_UNIT_NAME, "SSOProvider"),
         (NameOID.COMMON_NAME, "northwind-trading"),
         (NameOID.EMAIL_ADDRESS, "info@okta.example")],
        "2021-03-09T10:04:51Z", "2031-03-09T10:05:51Z", serial=1615284291042)
    # Okta's line breaks became single spaces when the file was re-saved.
    b64 = cert.wrapped(64, " ")
    xml = (
        '<?xml version="1.0" encoding="windows-1252"?>\r\n'
        f'<md:EntityDescriptor entityID="{entity}" xmlns:md="{MD}">'
        f'<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="{P2}">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor>"
        f"<md:NameIDFormat>{UNSPEC}</md:NameIDFormat><md:NameIDFormat>{EMAIL}</md:NameIDFormat>"
        f'<md:SingleSignOnService Binding="{POST}" Location="{sso}"/>'
        f'<md:SingleSignOnService Binding="{REDIRECT}" Location="{sso}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>\r\n"
    ).encode("cp1252")
    expected = {
        "modelled_on": "Okta app metadata re-saved by a Windows editor",
        "entityID": entity,
        "validUntil": None,
        "cacheDuration": None,
        "has_Signature": False,
        "roles": ["IDPSSODescriptor"],
        "idp": idp_expected([ep(POST, sso), ep(REDIRECT, sso)], [], [UNSPEC, EMAIL], ["signing"],
                            [cert.describe(True)], want="false"),
        "notes": [
            "XML declaration names encoding 'windows-1252'",
            "entityID uses http://",
            "X509Certificate base64 contains whitespace/line breaks",
            "Okta metadata saved by a user: the declaration says encoding=\"windows-1252\" although every "
            "byte is ASCII, CRLF line ends, and the certificate base64 has single spaces where Okta's line "
            "breaks were. Both must be tolerated (decode per the declaration; strip whitespace from base64)",
        ],
    }
    write("idp/okta-windows-1252", xml, expected)


# --- Google Workspace: validUntil = the certificate's notAfter ------------------------------

def google_workspace():
    idpid = "C04k7wz1q"
    entity = f"https://accounts.google.com/o/saml2?idpid={idpid}"
    sso = f"https://accounts.google.com/o/saml2/idp?idpid={idpid}"
    not_after = "2031-02-17T11:42:09Z"
    cert = Cert(
        [(NameOID.ORGANIZATION_NAME, "Google Inc."), (NameOID.LOCALITY_NAME, "Mountain View"),
         (NameOID.COMMON_NAME, "Google"), (NameOID.ORGANIZATIONAL_UNIT_NAME, "Google For Work"),
         (NameOID.COUNTRY_NAME, "US"), (NameOID.STATE_OR_PROVINCE_NAME, "California")],
        "2026-02-18T11:42:09Z", not_after, serial=1771414929381)
    valid_until = not_after.replace("Z", ".000Z")
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<md:EntityDescriptor xmlns:md="{MD}" entityID="{entity}" validUntil="{valid_until}">\n'
        f'  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="{P2}">\n'
        '    <md:KeyDescriptor use="signing">\n'
        '      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">\n'
        "        <ds:X509Data>\n"
        f"          <ds:X509Certificate>{cert.wrapped(76, chr(10))}</ds:X509Certificate>\n"
        "        </ds:X509Data>\n"
        "      </ds:KeyInfo>\n"
        "    </md:KeyDescriptor>\n"
        f"    <md:NameIDFormat>{EMAIL}</md:NameIDFormat>\n"
        f'    <md:SingleSignOnService Binding="{REDIRECT}" Location="{sso}"/>\n'
        f'    <md:SingleSignOnService Binding="{POST}" Location="{sso}"/>\n'
        "  </md:IDPSSODescriptor>\n"
        "</md:EntityDescriptor>\n"
    ).encode()
    expected = {
        "modelled_on": "Google Workspace custom SAML app metadata",
        "entityID": entity,
        "validUntil": valid_until,
        "cacheDuration": None,
        "has_Signature": False,
        "roles": ["IDPSSODescriptor"],
        "idp": idp_expected([ep(REDIRECT, sso), ep(POST, sso)], [], [EMAIL], ["signing"],
                            [cert.describe(True)], want="false"),
        "notes": [
            "X509Certificate base64 contains whitespace/line breaks",
            f"Google Workspace custom SAML app metadata; validUntil ({valid_until}) equals the "
            "certificate notAfter, which is how Google writes it; '?' in the entityID",
        ],
    }
    write("idp/google-workspace", xml, expected)


# --- SimpleSAMLphp IdP: one certificate for signing and encryption, expired -----------------

def simplesamlphp_idp():
    host = "https://login.fabrikam-labs.example/simplesaml"
    entity = f"{host}/saml2/idp/metadata.php"
    cert = Cert(
        [(NameOID.COUNTRY_NAME, "US"), (NameOID.STATE_OR_PROVINCE_NAME, "Oregon"),
         (NameOID.LOCALITY_NAME, "Portland"), (NameOID.ORGANIZATION_NAME, "Fabrikam Labs"),
         (NameOID.ORGANIZATIONAL_UNIT_NAME, "IT"), (NameOID.COMMON_NAME, "fabrikam-labs.example"),
         (NameOID.EMAIL_ADDRESS, "admin@fabrikam-labs.example")],
        "2022-03-01T09:00:00Z", "2022-03-31T09:00:00Z", digest=hashes.SHA512())
    kd = "".join(
        f'    <md:KeyDescriptor use="{u}">\n      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">\n'
        f"        <ds:X509Data>\n          <ds:X509Certificate>{cert.b64}</ds:X509Certificate>\n"
        "        </ds:X509Data>\n      </ds:KeyInfo>\n    </md:KeyDescriptor>\n"
        for u in ("signing", "encryption")
    )
    sso = f"{host}/saml2/idp/SSOService.php"
    slo = f"{host}/saml2/idp/SingleLogoutService.php"
    xml = (
        '<?xml version="1.0"?>\n'
        f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}">\n'
        f'  <md:IDPSSODescriptor protocolSupportEnumeration="{P2}">\n'
        f"{kd}"
        f'    <md:SingleLogoutService Binding="{REDIRECT}" Location="{slo}"/>\n'
        f"    <md:NameIDFormat>{TRANSIENT}</md:NameIDFormat>\n"
        f'    <md:SingleSignOnService Binding="{REDIRECT}" Location="{sso}"/>\n'
        "  </md:IDPSSODescriptor>\n"
        '  <md:ContactPerson contactType="technical">\n'
        "    <md:GivenName>Fabrikam</md:GivenName>\n    <md:SurName>Administrator</md:SurName>\n"
        "    <md:EmailAddress>mailto:admin@fabrikam-labs.example</md:EmailAddress>\n"
        "  </md:ContactPerson>\n"
        "</md:EntityDescriptor>\n"
    ).encode()
    expected = {
        "modelled_on": "SimpleSAMLphp IdP metadata (saml2/idp/metadata.php)",
        "entityID": entity,
        "validUntil": None,
        "cacheDuration": None,
        "has_Signature": False,
        "roles": ["IDPSSODescriptor"],
        "idp": idp_expected([ep(REDIRECT, sso)], [ep(REDIRECT, slo)], [TRANSIENT],
                            ["signing", "encryption"], [cert.describe(False)]),
        "notes": [
            *expiry_notes("IDPSSODescriptor", [(cert, "signing"), (cert, "encryption")]),
            "SimpleSAMLphp IdP: one certificate listed twice (signing and encryption KeyDescriptors), "
            "expired in 2022; a single HTTP-Redirect SSO endpoint only; ContactPerson",
        ],
    }
    write("idp/simplesamlphp", xml, expected)


# --- Gluu (Shibboleth-based): blank lines in base64, unsolicited-SSO binding first ----------

def gluu():
    host = "https://idp.tailspin-univ.example"
    entity = f"{host}/idp/shibboleth"
    subject = [(NameOID.COUNTRY_NAME, "US"), (NameOID.STATE_OR_PROVINCE_NAME, "TX"),
               (NameOID.LOCALITY_NAME, "Austin"), (NameOID.ORGANIZATION_NAME, "Tailspin University"),
               (NameOID.COMMON_NAME, "idp.tailspin-univ.example"),
               (NameOID.EMAIL_ADDRESS, "support@tailspin-univ.example")]
    sig = Cert(subject, "2022-06-07T14:02:11Z", "2023-06-07T14:02:11Z")
    enc = Cert(subject, "2022-06-07T14:02:10Z", "2023-06-07T14:02:10Z")

    def kd(use, c):
        return (
            f'        <KeyDescriptor use="{use}">\n            <ds:KeyInfo>\n                <ds:X509Data>\n'
            f"                    <ds:X509Certificate>\n\n{c.wrapped()}\n\n"
            "                    </ds:X509Certificate>\n                </ds:X509Data>\n"
            "            </ds:KeyInfo>\n        </KeyDescriptor>\n\n"
        )

    p = f"{host}/idp/profile"
    unsolicited = "urn:mace:shibboleth:2.0:profiles:AuthnRequest"
    ssos = [ep(unsolicited, f"{p}/SAML2/Unsolicited/SSO"), ep(POST, f"{p}/SAML2/POST/SSO"),
            ep(SIMPLESIGN, f"{p}/SAML2/POST-SimpleSign/SSO"), ep(REDIRECT, f"{p}/SAML2/Redirect/SSO")]
    slos = [ep(REDIRECT, f"{p}/SAML2/Redirect/SLO"), ep(POST, f"{p}/SAML2/POST/SLO"),
            ep(SIMPLESIGN, f"{p}/SAML2/POST-SimpleSign/SLO"), ep(SOAP, f"{p}/SAML2/SOAP/SLO")]
    nifs = ["urn:mace:shibboleth:1.0:nameIdentifier", TRANSIENT, PERSISTENT]

    def eps(tag, lst):
        return "".join(f'        <{tag} Binding="{e["Binding"]}" Location="{e["Location"]}"/>\n' for e in lst)

    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<EntityDescriptor xmlns="{MD}"\n'
        '                  xmlns:ds="http://www.w3.org/2000/09/xmldsig#"\n'
        '                  xmlns:shibmd="urn:mace:shibboleth:metadata:1.0"\n'
        '                  xmlns:xml="http://www.w3.org/XML/1998/namespace"\n'
        f'                  entityID="{entity}">\n\n'
        f'    <IDPSSODescriptor errorURL="{host}/identity/feedback.htm" protocolSupportEnumeration="{P2}">\n\n'
        "        <Extensions>\n"
        '            <shibmd:Scope regexp="false">tailspin-univ.example</shibmd:Scope>\n'
        "        </Extensions>\n\n"
        f"{kd('signing', sig)}{kd('encryption', enc)}"
        f"{eps('SingleLogoutService', slos)}\n"
        + "".join(f"        <NameIDFormat>{n}</NameIDFormat>\n" for n in nifs)
        + f"\n{eps('SingleSignOnService', ssos)}"
        "    </IDPSSODescriptor>\n\n"
        f'    <AttributeAuthorityDescriptor protocolSupportEnumeration="{P2}">\n\n'
        "        <Extensions>\n"
        '            <shibmd:Scope regexp="false">tailspin-univ.example</shibmd:Scope>\n'
        "        </Extensions>\n\n"
        f"{kd('signing', sig)}"
        f'        <AttributeService Binding="{SOAP}" Location="{p}/SAML2/SOAP/AttributeQuery"/>\n'
        "    </AttributeAuthorityDescriptor>\n\n"
        "</EntityDescriptor>\n"
    ).encode()
    expected = {
        "modelled_on": "Gluu Server (Shibboleth-based) IdP metadata",
        "entityID": entity,
        "validUntil": None,
        "cacheDuration": None,
        "has_Signature": False,
        "roles": ["IDPSSODescriptor", "AttributeAuthorityDescriptor"],
        "idp": idp_expected(ssos, slos, nifs, ["signing", "encryption"], [sig.describe(True)]),
        "notes": [
            f"SingleSignOnService with non-SAML-2.0 binding {unsolicited}",
            "X509Certificate base64 contains whitespace/line breaks",
            *expiry_notes("IDPSSODescriptor", [(sig, "signing"), (enc, "encryption")]),
            "Gluu-style (Shibboleth-based) IdP metadata: blank lines before and after the base64 inside "
            "X509Certificate; errorURL attribute; shibmd:Scope; AttributeAuthorityDescriptor after the "
            "IDPSSODescriptor; the first SingleSignOnService uses the unsolicited-SSO profile binding and "
            "must be skipped as unsupported; NameIDFormat includes urn:mace:shibboleth:1.0:nameIdentifier",
        ],
    }
    write("idp/gluu", xml, expected)


# --- AWS IAM Identity Center as SP: no KeyDescriptor, two ACS on two hosts -------------------

def aws_iam_identity_center():
    tenant = "7c21f0d9a3b8e4f6-1d2e-4c5b-9a8f-3e7d6c5b4a21"
    entity = "https://eu-west-1.signin.aws/platform/saml/d-93671a2c5e"
    a0 = f"https://eu-west-1.signin.aws/platform/saml/acs/{tenant}"
    a1 = f"https://eu-west-1.sso.signin.aws/platform/saml/acs/{tenant}"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<md:EntityDescriptor xmlns:md="{MD}" entityID="{entity}">'
        f'<md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="{P2}">'
        f"<md:NameIDFormat>{EMAIL}</md:NameIDFormat>"
        f'<md:AssertionConsumerService Binding="{POST}" Location="{a0}" index="0" isDefault="true"/>'
        f'<md:AssertionConsumerService Binding="{POST}" Location="{a1}" index="1"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    ).encode()
    expected = {
        "modelled_on": "the SAML metadata AWS IAM Identity Center offers when an external IdP is connected",
        "entityID": entity,
        "validUntil": None,
        "cacheDuration": None,
        "has_Signature": False,
        "roles": ["SPSSODescriptor"],
        "sp": sp_expected([acs(POST, a0, 0, "true"), acs(POST, a1, 1)], [], [EMAIL], [], [],
                          authn="false", want="true"),
        "notes": [
            "SPSSODescriptor has no KeyDescriptor",
            "In the shape of AWS IAM Identity Center's SP metadata: one line, no KeyDescriptor at all, two "
            "ACS on different hosts (index 0 isDefault, index 1), emailAddress NameIDFormat",
        ],
    }
    write("sp/aws-iam-identity-center", xml, expected)


# --- SimpleSAMLphp default-sp: SAML 1.1 ACS interleaved -------------------------------------

def simplesamlphp_sp():
    host = "https://apps.woodgrove-college.example/simplesaml/module.php/saml/sp"
    entity = f"{host}/metadata.php/default-sp"
    cert = Cert(
        [(NameOID.COUNTRY_NAME, "US"), (NameOID.STATE_OR_PROVINCE_NAME, "Ohio"),
         (NameOID.LOCALITY_NAME, "Columbus"), (NameOID.ORGANIZATION_NAME, "Woodgrove College"),
         (NameOID.ORGANIZATIONAL_UNIT_NAME, "IT Department"),
         (NameOID.COMMON_NAME, "woodgrove-college.example"),
         (NameOID.EMAIL_ADDRESS, "admin@woodgrove-college.example")],
        "2022-11-14T16:40:03Z", "2023-02-12T16:40:03Z", digest=hashes.SHA512())
    s1post = "urn:oasis:names:tc:SAML:1.0:profiles:browser-post"
    s1art = "urn:oasis:names:tc:SAML:1.0:profiles:artifact-01"
    acss = [acs(POST, f"{host}/saml2-acs.php/default-sp", 0),
            acs(s1post, f"{host}/saml1-acs.php/default-sp", 1),
            acs(ARTIFACT, f"{host}/saml2-acs.php/default-sp", 2),
            acs(s1art, f"{host}/saml1-acs.php/default-sp/artifact", 3)]
    slo = ep(REDIRECT, f"{host}/saml2-logout.php/default-sp")
    proto = f"{P2} urn:oasis:names:tc:SAML:1.1:protocol"
    kd = "".join(
        f'    <md:KeyDescriptor use="{u}">\n      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">\n'
        f"        <ds:X509Data>\n          <ds:X509Certificate>{cert.b64}</ds:X509Certificate>\n"
        "        </ds:X509Data>\n      </ds:KeyInfo>\n    </md:KeyDescriptor>\n"
        for u in ("signing", "encryption")
    )
    xml = (
        '<?xml version="1.0"?>\n'
        f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}">\n'
        f'  <md:SPSSODescriptor protocolSupportEnumeration="{proto}">\n'
        f"{kd}"
        f'    <md:SingleLogoutService Binding="{slo["Binding"]}" Location="{slo["Location"]}"/>\n'
        + "".join(
            f'    <md:AssertionConsumerService Binding="{a["Binding"]}" Location="{a["Location"]}" index="{a["index"]}"/>\n'
            for a in acss
        )
        + "  </md:SPSSODescriptor>\n"
        '  <md:ContactPerson contactType="technical">\n'
        "    <md:GivenName>Woodgrove</md:GivenName>\n"
        "    <md:EmailAddress>mailto:admin@woodgrove-college.example</md:EmailAddress>\n"
        "  </md:ContactPerson>\n"
        "</md:EntityDescriptor>\n"
    ).encode()
    expected = {
        "modelled_on": "SimpleSAMLphp default-sp metadata (module.php/saml/sp/metadata.php/default-sp)",
        "entityID": entity,
        "validUntil": None,
        "cacheDuration": None,
        "has_Signature": False,
        "roles": ["SPSSODescriptor"],
        "sp": sp_expected(acss, [slo], [], ["signing", "encryption"], [cert.describe(False)],
                          proto=proto, enc=1),
        "notes": [
            f"AssertionConsumerService with non-SAML-2.0 binding {s1post}",
            f"AssertionConsumerService with non-SAML-2.0 binding {s1art}",
            *expiry_notes("SPSSODescriptor", [(cert, "signing"), (cert, "encryption")]),
            "SimpleSAMLphp-style default-sp: SAML 1.1 browser-post and artifact-01 ACS endpoints "
            "interleaved with the SAML 2.0 POST and Artifact ones (indexes 0-3); the client import keeps "
            "the SAML 2.0 ones and skips or stores the SAML 1.x ones; no AuthnRequestsSigned or "
            "WantAssertionsSigned; one certificate (expired 2023) used for signing and encryption",
        ],
    }
    write("sp/simplesamlphp", xml, expected)


# --- Jenkins saml-plugin (pac4j): alg: extensions, SLO URLs with a query string -------------

def jenkins():
    host = "https://ci.adventure-works.example"
    entity = f"{host}/securityRealm/finishLogin"
    cert = Cert([(NameOID.COMMON_NAME, "SAML-jenkins")], "2022-09-05T07:51:30Z",
                "2023-09-05T07:51:30Z")
    slo_url = f"{entity}?logoutendpoint=true"
    slos = [ep(POST, slo_url), ep(SIMPLESIGN, slo_url), ep(REDIRECT, slo_url), ep(SOAP, slo_url)]
    nifs = [TRANSIENT, PERSISTENT, EMAIL, UNSPEC]
    proto = f"{P2} urn:oasis:names:tc:SAML:1.0:protocol urn:oasis:names:tc:SAML:1.1:protocol"
    alg = "urn:oasis:names:tc:SAML:metadata:algsupport"
    sigs = ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"]
    digests = ["http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmlenc#sha512"]

    def kd(use):
        return (
            f'        <md:KeyDescriptor use="{use}">\n            <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">\n'
            f"                <ds:X509Data>\n                    <ds:X509Certificate>{cert.wrapped(76, chr(10))}</ds:X509Certificate>\n"
            "                </ds:X509Data>\n            </ds:KeyInfo>\n        </md:KeyDescriptor>\n"
        )

    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<md:EntityDescriptor xmlns:md="{MD}" ID="_d4b1c7f2a9e06358" entityID="{entity}" validUntil="2042-09-02T07:51:31.118Z">\n'
        f'    <md:Extensions xmlns:alg="{alg}">\n'
        + "".join(f'        <alg:DigestMethod Algorithm="{d}"/>\n' for d in digests)
        + "".join(f'        <alg:SigningMethod Algorithm="{s}"/>\n' for s in sigs)
        + "    </md:Extensions>\n"
        f'    <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="false" protocolSupportEnumeration="{proto}">\n'
        f"{kd('signing')}{kd('encryption')}"
        + "".join(f'        <md:SingleLogoutService Binding="{e["Binding"]}" Location="{e["Location"]}"/>\n' for e in slos)
        + "".join(f"        <md:NameIDFormat>{n}</md:NameIDFormat>\n" for n in nifs)
        + f'        <md:AssertionConsumerService Binding="{POST}" Location="{entity}" index="0"/>\n'
        "    </md:SPSSODescriptor>\n"
        "</md:EntityDescriptor>\n"
    ).encode()
    expected = {
        "modelled_on": "Jenkins saml-plugin SP metadata (pac4j / OpenSAML)",
        "entityID": entity,
        "validUntil": "2042-09-02T07:51:31.118Z",
        "cacheDuration": None,
        "has_Signature": False,
        "roles": ["SPSSODescriptor"],
        "sp": sp_expected([acs(POST, entity, 0)], slos, nifs, ["signing", "encryption"],
                          [cert.describe(True)], authn="false", want="false", proto=proto, enc=1),
        "notes": [
            "X509Certificate base64 contains whitespace/line breaks",
            *expiry_notes("SPSSODescriptor", [(cert, "signing"), (cert, "encryption")]),
            "Jenkins saml-plugin style (pac4j/OpenSAML): ID and validUntil (2042) on the EntityDescriptor, "
            "alg:SigningMethod/alg:DigestMethod extensions, SingleLogoutService Location with a query "
            "string (?logoutendpoint=true) in four bindings including SOAP and POST-SimpleSign, ACS index 0 "
            "without isDefault, four NameIDFormats",
        ],
    }
    write("sp/jenkins", xml, expected)


if __name__ == "__main__":
    only = set(sys.argv[1:])
    for name, fn in [
        ("idp/adfs", adfs),
        ("idp/okta-windows-1252", okta_windows_1252),
        ("idp/google-workspace", google_workspace),
        ("idp/simplesamlphp", simplesamlphp_idp),
        ("idp/gluu", gluu),
        ("sp/aws-iam-identity-center", aws_iam_identity_center),
        ("sp/simplesamlphp", simplesamlphp_sp),
        ("sp/jenkins", jenkins),
    ]:
        if not only or name in only:
            fn()
            print("wrote", name)
