"""Known-answer vectors for crates/oaep, made by an independent implementation (OpenSSL through
Python's `cryptography`): RSA-OAEP ciphertexts to testdata/keys/idp-rsa-next, with every digest
paired with a different MGF1 hash (what aws-lc-rs cannot do) and with labels. OAEP is randomised,
so running this again gives other ciphertexts of the same plaintexts; the tests only need them to
decrypt. Usage: python3 crates/oaep/testdata/generate.py > crates/oaep/testdata/vectors.txt"""
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

KEY = Path(__file__).resolve().parents[3] / "testdata/keys/idp-rsa-next.key.pem"
key = serialization.load_pem_private_key(KEY.read_bytes(), password=None).public_key()
H = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
print("# digest mgf1 label-hex plaintext-hex ciphertext-hex (generate.py)")
for digest, mgf, label in [
    ("sha256", "sha1", b""), ("sha1", "sha256", b""), ("sha512", "sha1", b""), ("sha384", "sha256", b""),
    ("sha256", "sha1", b"symbolon"), ("sha1", "sha1", b"OAEPparams"), ("sha256", "sha256", b""),
]:
    plain = os.urandom(32)
    ct = key.encrypt(plain, padding.OAEP(mgf=padding.MGF1(H[mgf]()), algorithm=H[digest](), label=label or None))
    print(digest, mgf, label.hex() or "-", plain.hex(), ct.hex())
