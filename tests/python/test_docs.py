"""The commands the documentation gives run as written. Each test takes a block out of a page
(so that an edit to the page is what gets tested), replaces only what cannot be the same here
(the built binary instead of `cargo build`/`cargo run`, free ports instead of 8080/8081), runs
it with bash, and checks the outcome the page promises."""
import json
import re
import socket
import subprocess
import time

import requests

from conftest import REPO, symbolon_bin
from test_idp_server import saml_response, sign_in


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def indented_block_after(page: str, marker: str) -> str:
    """The first 4-space indented block after the line containing `marker`."""
    lines = (REPO / page).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if marker in line)
    block, seen = [], False
    for line in lines[start + 1:]:
        if line.startswith("    "):
            block.append(line[4:])
            seen = True
        elif seen:
            break
    assert block, f"no indented block after {marker!r} in {page}"
    return "\n".join(block)


def fenced_blocks(page: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", (REPO / page).read_text(), re.S)


def test_readme_by_hand_setup_signs_alice_in(tmp_path):
    script = indented_block_after("README.md", "The same by hand from the command line")
    first = "cargo build --release && S=target/release/symbolon"
    assert script.startswith(first), script[:200]
    idp_port, sp_port = free_port(), free_port()
    script = (f"S={symbolon_bin()}" + script[len(first):]).replace(":8080", f":{idp_port}").replace(":8081", f":{sp_port}")
    # The block ends with the two servers in the background: keep their output out of our pipe,
    # then wait for them here (a `wait` would block on them).
    script = script.replace(" &\n", " >>servers.log 2>&1 &\n") + "\necho $(jobs -p) > pids\n"
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    pids = (tmp_path / "pids").read_text().split() if (tmp_path / "pids").exists() else []
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        home = f"http://localhost:{idp_port}/realms/mpas/protocol/saml/clients/trend"
        assert f"# then open {home} and sign in as alice" in script, "the page names the URL to open"
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{sp_port}/readyz", timeout=2)
                requests.get(f"http://127.0.0.1:{idp_port}/readyz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        s = requests.Session()
        page = sign_in(s, s.get(home, timeout=30), username="alice", password="a long password")
        action, b64, relay = saml_response(page)
        assert action == f"http://127.0.0.1:{sp_port}/saml/acs"
        r = s.post(action, data={"SAMLResponse": b64, **({"RelayState": relay} if relay else {})}, timeout=30)
        # The group /eng maps to Full Access in Acme, as the block set up.
        assert r.status_code == 200 and '<dd id="account">Acme</dd>' in r.text and '<dd id="role">Full Access</dd>' in r.text, r.text[:500]
    finally:
        for pid in pids:
            subprocess.run(["kill", pid], capture_output=True)


def test_readme_verify_response_example():
    block = indented_block_after("README.md", "Example with the recorded Okta response")
    first = "cargo run --release -- "
    assert block.startswith(first)
    script = f"{symbolon_bin()} " + block[len(first):]
    done = subprocess.run(["bash", "-e", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["issuer"] == "http://www.okta.com/exkdoocxa1VmjpXmX697" and out["name_id"] == "ulysse.carion@codomaindata.com", out


def test_install_page_version_commands():
    # docs/install.md: the binary it builds answers --version as the page shows.
    blocks = fenced_blocks("docs/install.md", "sh")
    assert any("symbolon --version" in b for b in blocks)
    out = subprocess.run([symbolon_bin(), "--version"], capture_output=True, text=True, check=True).stdout
    assert re.fullmatch(r"symbolon \d+\.\d+\.\d+\n", out), out


def test_deployment_config_passes_config_check(tmp_path):
    # docs/deployment.md's first TOML block is the file the unit runs with; the check the unit's
    # ExecStartPre does must pass on it as written.
    config = fenced_blocks("docs/deployment.md", "toml")[0]
    assert "[server]" in config and "[idp]" in config and "[sp]" in config
    path = tmp_path / "symbolon.toml"
    path.write_text(config)
    done = subprocess.run([symbolon_bin(), "config", "check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and "OK (roles: idp, sp)" in done.stdout, done.stdout + done.stderr
