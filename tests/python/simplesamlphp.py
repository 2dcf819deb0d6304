"""A real SimpleSAMLphp (Debian's package, 1.19) on 127.0.0.1, run by PHP's built-in web server
with a configuration of the test's own: as a service provider (`default-sp`, signing its
AuthnRequests and logout messages) and, when asked, as an identity provider
(`example-userpass`). `/app.php` is a tiny application protected by the SP: it answers with the
signed-in user's NameID and attributes as JSON, and `/app.php?logout=1` signs out."""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import time

import requests

from conftest import KEYS

SSP = pathlib.Path("/usr/share/simplesamlphp")

ROUTER = r"""<?php
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path === '/app.php') {
    require __DIR__ . '/app.php';
    return true;
}
return false;
"""

APP = r"""<?php
require_once '/usr/share/simplesamlphp/lib/_autoload.php';
$as = new \SimpleSAML\Auth\Simple('default-sp');
if (isset($_GET['loggedout'])) {
    header('Content-Type: text/plain');
    echo "signed out\n";
    exit;
}
if (isset($_GET['logout'])) {
    $as->logout(['ReturnTo' => '/app.php?loggedout=1']);
}
$as->requireAuth();
$nameId = $as->getAuthData('saml:sp:NameID');
header('Content-Type: application/json');
echo json_encode([
    'idp' => $as->getAuthData('saml:sp:IdP'),
    'nameid' => $nameId === null ? null : $nameId->getValue(),
    'sessionindex' => $as->getAuthData('saml:sp:SessionIndex'),
    'attributes' => $as->getAttributes(),
]);
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available() -> bool:
    """SimpleSAMLphp, PHP's CLI and the PHP extensions it needs (DOM, mbstring)."""
    if not (SSP / "lib" / "_autoload.php").exists() or shutil.which("php") is None:
        return False
    check = 'exit(class_exists("DOMDocument") && function_exists("mb_strlen") ? 0 : 1);'
    return subprocess.run(["php", "-r", check], capture_output=True).returncode == 0


def php_file(path: pathlib.Path, variable: str, value) -> None:
    """A PHP file that sets `variable` to `value` (JSON-shaped; a key "0" becomes PHP's 0)."""
    path.with_suffix(".json").write_text(json.dumps(value))
    path.write_text(f"<?php\n{variable} = json_decode(file_get_contents(__DIR__ . '/{path.stem}.json'), true);\n")


class SimpleSamlPhp:
    """One SimpleSAMLphp installation: its own config, metadata, log and PHP server."""

    def __init__(self, tmp: pathlib.Path, *, remote_idp_xml=None, idp_entity=None, remote_sp_xml=None, idp=False, users=None):
        self.dir = tmp
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.sp_entity = f"{self.base}/sp"
        for d in ("config", "metadata", "log", "tmp", "data", "www"):
            (tmp / d).mkdir(parents=True, exist_ok=True)
        key, cert = str(KEYS / "idp-rsa-next.key.pem"), str(KEYS / "idp-rsa-next.crt.pem")
        sources = [{"type": "flatfile", "directory": str(tmp / "metadata")}]
        for x in (remote_idp_xml, remote_sp_xml):
            if x:
                sources.append({"type": "xml", "file": str(x)})
        config = {
            "baseurlpath": f"{self.base}/",
            "certdir": str(KEYS) + "/",
            "loggingdir": str(tmp / "log") + "/",
            "datadir": str(tmp / "data") + "/",
            "tempdir": str(tmp / "tmp"),
            "metadatadir": str(tmp / "metadata") + "/",
            "secretsalt": "symbolon-interop-test-salt",
            "auth.adminpassword": "interop-admin",
            "technicalcontact_email": "na@example.org",
            "timezone": "UTC",
            "logging.handler": "file",
            "logging.level": 7,
            "logging.logfile": "simplesamlphp.log",
            "admin.checkforupdates": False,
            "showerrors": True,
            "errorreporting": False,
            "store.type": "phpsession",
            "session.cookie.secure": False,
            "session.cookie.samesite": None,
            "language.cookie.secure": False,
            "trusted.url.domains": [f"127.0.0.1:{self.port}"],
            "enable.saml20-idp": bool(idp),
            "module.enable": {"core": True, "saml": True, "exampleauth": bool(idp), "admin": True},
            "metadata.sources": sources,
            "metadata.sign.enable": False,
        }
        php_file(tmp / "config" / "config.php", "$config", config)
        sp = {
            "0": "saml:SP",
            "entityID": self.sp_entity,
            "privatekey": key,
            "certificate": cert,
            "sign.authnrequest": True,
            "sign.logout": True,
            "redirect.sign": True,
            "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            # SimpleSAMLphp checks the signatures of logout messages only when asked to.
            "validate.logout": True,
        }
        if idp_entity:
            sp["idp"] = idp_entity
        sources_php = {"admin": ["core:AdminPassword"], "default-sp": sp}
        if idp:
            sources_php["example-userpass"] = {"0": "exampleauth:UserPass", **(users or {})}
        php_file(tmp / "config" / "authsources.php", "$config", sources_php)
        if idp:
            hosted = {
                "host": "__DEFAULT__",
                "privatekey": key,
                "certificate": cert,
                "auth": "example-userpass",
                "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                "saml20.sign.assertion": True,
                "saml20.sign.response": True,
                "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                "authproc": {"90": {"class": "saml:PersistentNameID", "attribute": "uid"}},
                # Check the signatures of AuthnRequests and logout messages it receives.
                "validate.authnrequest": True,
                "validate.logout": True,
                "sign.logout": True,
                "redirect.sign": True,
                # Encrypted assertions: off, SimpleSAMLphp's default; `idp_encryption` turns
                # them on while the server runs. 1.19 encrypts with AES-128-CBC only (its
                # EncryptedAssertion::setAssertion fixes the data algorithm).
                "assertion.encryption": False,
            }
            self.hosted = hosted
            php_file(tmp / "metadata" / "saml20-idp-hosted.php", "$metadata['__DYNAMIC:1__']", hosted)
        (tmp / "www" / "router.php").write_text(ROUTER)
        (tmp / "www" / "app.php").write_text(APP)
        env = {**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(tmp / "config")}
        self.log_path = tmp / "php-server.log"
        self.proc = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(SSP / "www"), str(tmp / "www" / "router.php")],
            env=env, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT,
        )
        for _ in range(100):
            try:
                requests.get(f"{self.base}/module.php/saml/sp/metadata.php/default-sp", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("SimpleSAMLphp did not start: " + self.log_path.read_text())

    def idp_encryption(self, on: bool) -> None:
        """Turn the hosted IdP's assertion encryption on or off (read again on the next request)."""
        self.hosted["assertion.encryption"] = on
        php_file(self.dir / "metadata" / "saml20-idp-hosted.php", "$metadata['__DYNAMIC:1__']", self.hosted)

    def sp_metadata(self) -> bytes:
        r = requests.get(f"{self.base}/module.php/saml/sp/metadata.php/default-sp", timeout=10)
        assert r.status_code == 200 and b"<html" not in r.content[:200] and b"EntityDescriptor" in r.content, self.logs()
        return r.content

    def idp_metadata(self) -> bytes:
        r = requests.get(f"{self.base}/saml2/idp/metadata.php", timeout=10)
        assert r.status_code == 200 and b"<html" not in r.content[:200] and b"IDPSSODescriptor" in r.content, self.logs()
        return r.content

    def logs(self) -> str:
        log = self.dir / "log" / "simplesamlphp.log"
        return (log.read_text()[-4000:] if log.exists() else "") + self.log_path.read_text()[-2000:]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
