"""`symbolon demo`: the IdP and the SP in one process, already trusting each other; the demo's
users get what demo.json promises; a restart keeps the data and adds nothing."""
import json
import socket
import subprocess

import requests

from conftest import symbolon_bin
from test_idp_server import form, saml_response, sign_in


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data, idp_port, sp_port):
    p = subprocess.Popen([symbolon_bin(), "demo", "--data-dir", str(data), "--idp-port", str(idp_port), "--sp-port", str(sp_port)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    while True:
        line = p.stdout.readline()
        assert line, "".join(lines) + p.stderr.read()
        lines.append(line)
        if line.startswith("listening on "):
            return p, "".join(lines)


def sign_in_at_sp(info, user):
    s = requests.Session()
    login = s.get(info["idpInitiatedUrl"], timeout=30)
    action, b64, _ = saml_response(sign_in(s, login, username=user["username"], password=user["password"]))
    assert action == f"{info['sp']['url']}/saml/acs"
    return s.post(action, data={"SAMLResponse": b64}, timeout=30)


def test_demo_works_and_restarts_without_duplicates(tmp_path):
    data = tmp_path / "demo-data"
    idp_port, sp_port = free_port(), free_port()
    p, out = start(data, idp_port, sp_port)
    try:
        assert "new data" in out and "alice" in out
        info = json.loads((data / "demo.json").read_text())
        assert info["idp"]["url"] == f"http://localhost:{idp_port}" and info["sp"]["url"] == f"http://127.0.0.1:{sp_port}"
        users = {u["username"]: u for u in info["users"]}
        r = sign_in_at_sp(info, users["alice"])
        assert r.url.endswith("/pick") and "Acme Production · Full Access" in r.text and "Acme Staging · Read Only" in r.text
        r = sign_in_at_sp(info, users["bob"])
        assert '<dd id="account">Acme Production</dd>' in r.text and '<dd id="role">Read Only</dd>' in r.text and "Welcome, Bob" in r.text
        r = sign_in_at_sp(info, users["carol"])
        assert r.status_code == 403 and "No access" in r.text
        # The SP's master administrator signs in natively and reaches the account console.
        s = requests.Session()
        f = form(s.get(info["sp"]["login"], timeout=10).text, "/login")
        admin = info["sp"]["masterAdministrator"]
        r = s.post(info["sp"]["login"], data={**f["fields"], "email": admin["email"], "password": admin["password"]}, timeout=30)
        assert '<dd id="role">Master Administrator</dd>' in r.text
        assert "Multi-Pass" in s.get(f"{info['sp']['url']}/account/idps", timeout=10).text
        # The IdP's admin console.
        s = requests.Session()
        f = form(s.get(f"{info['idp']['url']}/admin/login", timeout=10).text, "/admin/login")
        r = s.post(f"{info['idp']['url']}/admin/login", data={**f["fields"], **info["idp"]["admin"]}, timeout=10)
        assert r.status_code == 200 and "/admin/console/demo/clients" in r.text
    finally:
        p.terminate()
        p.wait(timeout=10)
    p, out = start(data, idp_port, sp_port)
    try:
        assert "existing data kept" in out
        accounts = subprocess.run([symbolon_bin(), "sp", "--data-dir", str(data), "account", "list"], capture_output=True, text=True, check=True).stdout
        assert len(accounts.splitlines()) == 2
        users = subprocess.run([symbolon_bin(), "idp", "--data-dir", str(data), "user", "list", "--realm", "demo"], capture_output=True, text=True, check=True).stdout
        assert len(users.splitlines()) == 3
        info = json.loads((data / "demo.json").read_text())
        r = sign_in_at_sp(info, {u["username"]: u for u in info["users"]}["bob"])
        assert '<dd id="account">Acme Production</dd>' in r.text
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_serve_from_a_config_file_with_both_roles(tmp_path):
    idp_port, sp_port = free_port(), free_port()
    cfg = tmp_path / "symbolon.toml"
    cfg.write_text(f"""[server]
database_url = "sqlite://{tmp_path}/data/symbolon.db"
log_format = "json"
[idp]
listen = "127.0.0.1:{idp_port}"
base_url = "http://localhost:{idp_port}"
[sp]
listen = "127.0.0.1:{sp_port}"
base_url = "http://127.0.0.1:{sp_port}"
""")
    ok = subprocess.run([symbolon_bin(), "config", "check", str(cfg)], capture_output=True, text=True)
    assert ok.returncode == 0 and "roles: idp, sp" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(cfg.read_text() + "colour = 1\n")
    out = subprocess.run([symbolon_bin(), "config", "check", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and "colour" in out.stderr
    sample = subprocess.run([symbolon_bin(), "config", "check", "symbolon.sample.toml"], capture_output=True, text=True,
                            cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert sample.returncode == 0, sample.stderr
    # An environment override wins over the file.
    env = {**__import__("os").environ, "SYMBOLON_SP_BASE_URL": f"http://127.0.0.1:{sp_port}/"}
    p = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = [p.stdout.readline(), p.stdout.readline()]
        assert lines[0].startswith("idp listening") and lines[1].startswith("sp listening"), lines + [p.stderr.read()]
        for port in (idp_port, sp_port):
            assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).text == "ok"
            assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).text == "ready"
        md = requests.get(f"http://127.0.0.1:{sp_port}/saml/metadata", timeout=10).text
        assert f'entityID="http://127.0.0.1:{sp_port}/saml/metadata"' in md
        assert requests.get(f"http://127.0.0.1:{idp_port}/realms/none/protocol/saml/descriptor", timeout=10).status_code == 404
        # SIGTERM (what process managers send) is a graceful shutdown: exit status 0.
        p.terminate()
        assert p.wait(timeout=10) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
