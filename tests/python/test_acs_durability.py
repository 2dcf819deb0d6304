"""The ACS on the embedded SQLite store (WAL, synchronous=NORMAL) killed with SIGKILL under load:
every sign-in the server acknowledged (303 with a session cookie) is there after a restart (its
session opens the home page) and its response stays consumed (posting it again is a replay)."""
import concurrent.futures
import os
import signal
import subprocess
import time

import requests

from conftest import symbolon_bin
from test_demo import free_port
from test_scale_out import Instance

KEYS = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "keys")
IDP = "https://idp.durability.test/"


def test_sigkill_under_acs_load_loses_no_acknowledged_sign_in(tmp_path):
    url = f"sqlite://{tmp_path}/symbolon.db"
    bases = (f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}")
    first = Instance(tmp_path, "first", url, (free_port(), free_port()), bases)
    run = lambda *a: subprocess.run([symbolon_bin(), *a], capture_output=True, text=True, timeout=120, check=True).stdout
    cli = lambda *a: run("sp", "--database-url", url, *a)
    sp_md = tmp_path / "sp.xml"
    sp_md.write_text(requests.get(f"{first.sp}/saml/metadata", timeout=10).text)
    idp_md = tmp_path / "idp.xml"
    idp_md.write_text(run("saml", "metadata", "idp", "--entity-id", IDP, "--sso-url", f"{IDP}sso",
                          "--cert", os.path.join(KEYS, "idp-rsa.crt.pem")))
    cli("account", "create", "Acme")
    cli("idp", "add", "--account", "Acme", "--metadata", str(idp_md), "--name", "Corp")
    cli("idp", "profile", "--account", "Acme", "Corp", "--role-attribute", "groups")
    cli("idp", "map-group", "--account", "Acme", "Corp", "/eng", "Full Access")
    responses = run("saml", "issue-response", "--key", os.path.join(KEYS, "idp-rsa.key.pem"),
                    "--cert", os.path.join(KEYS, "idp-rsa.crt.pem"), "--idp-entity-id", IDP,
                    "--sp-metadata", str(sp_md), "--name-id", "alice@corp.test", "--attr", "groups=/eng",
                    "--count", "800").split()
    assert len(set(responses)) == 800
    acknowledged = []

    def post(b64):
        try:
            r = requests.post(f"{first.sp}/saml/acs", data={"SAMLResponse": b64}, timeout=10, allow_redirects=False)
        except requests.RequestException:
            return
        if r.status_code == 303:
            acknowledged.append((b64, r.cookies["SYMBOLON_SP_SESSION"]))

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(post, b) for b in responses]
        # Killed mid-traffic: once some sign-ins are acknowledged, whatever the machine's speed.
        deadline = time.monotonic() + 30
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.proc.send_signal(signal.SIGKILL)
        for f in futures:
            f.result()
    assert first.proc.wait(timeout=10) == -signal.SIGKILL
    first.stop()
    assert acknowledged, "no sign-in was acknowledged before the kill"
    assert len(acknowledged) < len(responses), "the kill came after the load: nothing was tested"

    second = Instance(tmp_path, "second", url, (free_port(), free_port()), bases)
    try:
        for b64, cookie in acknowledged:
            home = requests.get(f"{second.sp}/", cookies={"SYMBOLON_SP_SESSION": cookie}, timeout=10)
            assert home.status_code == 200 and "Full Access" in home.text, "an acknowledged session was lost"
        for b64, _ in acknowledged[:50]:
            again = requests.post(f"{second.sp}/saml/acs", data={"SAMLResponse": b64}, timeout=10, allow_redirects=False)
            assert again.status_code == 403, "an acknowledged response was accepted again"
        # The responses never acknowledged are still good for exactly one sign-in.
        done = {b for b, _ in acknowledged}
        fresh = next(b for b in responses if b not in done)
        codes = [requests.post(f"{second.sp}/saml/acs", data={"SAMLResponse": fresh}, timeout=10,
                               allow_redirects=False).status_code for _ in range(2)]
        assert codes[1] == 403 and codes[0] in (303, 403)
    finally:
        second.stop()
