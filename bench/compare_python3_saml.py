"""Validate the same SAML responses with Symbolon and with python3-saml (strict mode), in the same
run on the same machine, one core each, and print the throughput ratio.

    .venv/bin/python bench/compare_python3_saml.py [--symbolon target/release/symbolon] [--seconds 3]

Responses: the real Okta recording from testdata/corpus (validated at its recorded instant) and a
typical signed ~5 KB response made with xmlsec1 from testdata keys. Each side parses and
validates the base64 the browser posts; the IdP settings are loaded once.
"""
import argparse
import base64
import calendar
import json
import pathlib
import subprocess
import sys
import tempfile
import time

from onelogin.saml2 import utils as ol_utils
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "python"))
import test_interop_dsig as fx  # noqa: E402  (templates shared with the interop tests)


def cert_from_metadata(xml: str) -> str:
    return xml.split("X509Certificate>")[1].split("</")[0].replace(" ", "").replace("\n", "")


def python3_saml_rate(b64: bytes, sp_id: str, acs: str, idp_id: str, cert: str, now: str, seconds: float) -> float:
    ts = calendar.timegm(time.strptime(now[:19], "%Y-%m-%dT%H:%M:%S"))
    ol_utils.OneLogin_Saml2_Utils.now = staticmethod(lambda: ts)
    settings = OneLogin_Saml2_Settings({
        "strict": True,
        "sp": {"entityId": sp_id, "assertionConsumerService": {"url": acs}},
        "idp": {"entityId": idp_id, "singleSignOnService": {"url": "https://idp.invalid/sso"}, "x509cert": cert},
        "security": {"wantAssertionsSigned": False, "wantMessagesSigned": False, "rejectDeprecatedAlgorithm": True,
                     "wantAttributeStatement": False},
    }, sp_validation_only=True)
    request = {"https": "on" if acs.startswith("https") else "off", "http_host": acs.split("/")[2],
               "script_name": "".join("/" + p for p in acs.split("/")[3:]), "server_port": None}

    def once():
        r = OneLogin_Saml2_Response(settings, b64.decode())
        if not r.is_valid(request, raise_exceptions=True):
            raise SystemExit(f"python3-saml rejected: {r.get_error()}")

    once()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(20):
            once()
        n += 20
    return n / (time.perf_counter() - start)


def symbolon_rate(binary, b64: bytes, metadata: str, sp_id, acs, now, seconds) -> float:
    with tempfile.TemporaryDirectory() as d:
        m = pathlib.Path(d) / "idp.xml"
        m.write_text(metadata)
        r = pathlib.Path(d) / "resp.b64"
        r.write_bytes(b64)
        out = subprocess.run([binary, "saml", "bench-validate", "--idp-metadata", str(m), "--sp-entity-id", sp_id,
                              "--acs-url", acs, "--now", now, "--seconds", str(seconds), str(r)],
                             capture_output=True, check=True)
        return json.loads(out.stdout)["per_second"]


def typical_case(tmp: pathlib.Path):
    tpl = tmp / "tpl.xml"
    tpl.write_text(fx.response(placeholder=fx.template("rsa-sha256", "sha256")))
    signed = tmp / "signed.xml"
    subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{fx.KEYS / 'idp-rsa.key.pem'},{fx.KEYS / 'idp-rsa.crt.pem'}", "--id-attr:ID",
                    fx.ASSERTION_ID_ATTR, "--output", str(signed), str(tpl)], check=True, capture_output=True)
    meta = fx.metadata(tmp).read_text()
    return signed.read_bytes(), meta, fx.SP, fx.ACS, fx.IDP, fx.NOW


def okta_case():
    d = REPO / "testdata" / "corpus" / "real-idps" / "assertions" / "okta"
    meta = (d / "metadata.xml").read_text()
    return ((d / "assertion.xml").read_bytes(), meta, "http://localhost:8080", "http://localhost:8080",
            "http://www.okta.com/exkdoocxa1VmjpXmX697", "2024-04-25T20:31:55.494Z")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--symbolon", default=str(REPO / "target" / "release" / "symbolon"))
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        cases = [("typical (xmlsec1-signed)", typical_case(pathlib.Path(t)))]
        cases.append(("okta recording", okta_case()))
        print(f"{'response':28} {'bytes':>6} {'symbolon/s':>12} {'python3-saml/s':>15} {'ratio':>8}")
        for name, (xml, meta, sp_id, acs, idp_id, now) in cases:
            b64 = base64.b64encode(xml)
            ours = symbolon_rate(args.symbolon, b64, meta, sp_id, acs, now, args.seconds)
            theirs = python3_saml_rate(b64, sp_id, acs, idp_id, cert_from_metadata(meta), now, args.seconds)
            print(f"{name:28} {len(xml):>6} {ours:>12.0f} {theirs:>15.0f} {ours / theirs:>7.1f}x")


if __name__ == "__main__":
    main()
