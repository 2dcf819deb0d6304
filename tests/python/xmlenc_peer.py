"""An XML Encryption peer on OpenSSL (Python's `cryptography`), for what xmlsec1 1.2 cannot
write: XML Encryption 1.1 RSA-OAEP whose digest and MGF1 hash are named apart, as Keycloak and
OpenSAML send it (a SHA-256 digest with no MGF element means MGF1-SHA1, the standard's default)."""
import base64
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
RSA_OAEP = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
HASHES = {"sha1": (hashes.SHA1, "http://www.w3.org/2000/09/xmldsig#sha1"),
          "sha256": (hashes.SHA256, "http://www.w3.org/2001/04/xmlenc#sha256"),
          "sha512": (hashes.SHA512, "http://www.w3.org/2001/04/xmlenc#sha512")}


def encrypt_assertion(response: bytes, cert_pem: bytes, digest="sha256", mgf=None, label=b"", method=RSA_OAEP) -> bytes:
    """`response` with its (signed) Assertion replaced by an EncryptedAssertion: AES-256-GCM, the
    key wrapped with RSA-OAEP to `cert_pem`'s key. `mgf` None writes no MGF element (MGF1-SHA1)."""
    doc = etree.fromstring(response)
    clear = doc.find(f"{{{SAML}}}Assertion")
    assertion = etree.tostring(clear)  # with the namespaces it inherits declared on it
    cek, iv = os.urandom(32), os.urandom(12)
    body = iv + AESGCM(cek).encrypt(iv, assertion, None)
    pub = x509.load_pem_x509_certificate(cert_pem).public_key()
    oaep = padding.OAEP(mgf=padding.MGF1(HASHES[mgf or "sha1"][0]()), algorithm=HASHES[digest][0](), label=label or None)
    wrapped = pub.encrypt(cek, oaep)
    b64 = lambda b: base64.b64encode(b).decode()
    params = (f'<ds:DigestMethod Algorithm="{HASHES[digest][1]}"/>'
              + (f'<xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1{mgf}"/>' if mgf else "")
              + (f"<xenc:OAEPparams>{b64(label)}</xenc:OAEPparams>" if label else ""))
    enc = (f'<saml:EncryptedAssertion xmlns:saml="{SAML}"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">'
           '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
           f'<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{method}">{params}</xenc:EncryptionMethod>'
           f'<xenc:CipherData><xenc:CipherValue>{b64(wrapped)}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>'
           f'<xenc:CipherData><xenc:CipherValue>{b64(body)}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>')
    doc.replace(clear, etree.fromstring(enc))
    return etree.tostring(doc)
