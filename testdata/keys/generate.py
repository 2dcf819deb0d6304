"""Regenerate the test-only keys and certificates in this folder (never use them elsewhere).

    python3 generate.py
"""
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def write(name, key, not_before, not_after):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"symbolon test {name}")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    with open(f"{name}.key.pem", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(f"{name}.crt.pem", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
end = datetime.datetime(2120, 1, 1, tzinfo=datetime.timezone.utc)
write("idp-rsa", rsa.generate_private_key(65537, 2048), start, end)
write("idp-rsa-next", rsa.generate_private_key(65537, 3072), start, end)
write("attacker-rsa", rsa.generate_private_key(65537, 2048), start, end)
write("idp-ec-p256", ec.generate_private_key(ec.SECP256R1()), start, end)
write("idp-ec-p384", ec.generate_private_key(ec.SECP384R1()), start, end)
write("expired-rsa", rsa.generate_private_key(65537, 2048), start,
      datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc))
write("weak-rsa1024", rsa.generate_private_key(65537, 1024), start, end)
