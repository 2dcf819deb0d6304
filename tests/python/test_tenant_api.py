"""The operator's tenant API (issue 21): with the operator token of the configuration, a SaaS
creates, lists, renames and deletes SP accounts and gives each its first master administrator
and API key; without the token it is 401, and on a server with no token configured the routes
are 404. Every change is in the account's audit log as the operator."""
import os
import subprocess

import requests

from conftest import database_url, symbolon_bin
from test_demo import free_port
from test_idp_server import form

TOKEN = "operator-token-" + "x" * 40


def test_the_operator_manages_accounts(tmp_path):
    port = free_port()
    cfg = tmp_path / "symbolon.toml"
    cfg.write_text(f"""[server]
database_url = "{database_url(tmp_path / 'data')}"
[sp]
listen = "127.0.0.1:{port}"
base_url = "http://127.0.0.1:{port}"
""")
    env = {**os.environ, "SYMBOLON_SP_OPERATOR_TOKEN": TOKEN}
    p = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        assert "listening" in p.stdout.readline()
        op = requests.Session()
        op.headers["Authorization"] = f"Bearer {TOKEN}"
        # Only the operator: no token, a wrong one, or an account's API key are refused.
        assert requests.get(f"{base}/api/v1/accounts", timeout=10).status_code == 401
        assert requests.get(f"{base}/api/v1/accounts", headers={"Authorization": "Bearer " + TOKEN + "x"}, timeout=10).status_code == 401
        r = op.post(f"{base}/api/v1/accounts", json={"name": "Contoso"}, timeout=10)
        assert r.status_code == 201, r.text
        acc = r.json()
        assert acc["name"] == "Contoso" and r.headers["Location"] == f"/api/v1/accounts/{acc['id']}"
        dup = op.post(f"{base}/api/v1/accounts", json={"name": " contoso "}, timeout=10)
        assert dup.status_code == 409 and dup.json()["error"], dup.text
        assert op.post(f"{base}/api/v1/accounts", json={"name": ""}, timeout=10).status_code == 400
        assert [a["name"] for a in op.get(f"{base}/api/v1/accounts", timeout=10).json()] == ["Contoso"]
        assert op.get(f"{base}/api/v1/accounts/{acc['id']}", timeout=10).json()["id"] == acc["id"]
        assert op.get(f"{base}/api/v1/accounts/nope", timeout=10).status_code == 404
        # The first master administrator signs in natively.
        r = op.post(f"{base}/api/v1/accounts/{acc['id']}/administrators", json={"email": "Admin@Contoso.test", "password": "a long admin password"}, timeout=30)
        assert r.status_code == 201 and r.json() == {"email": "admin@contoso.test", "masterAdministrator": True}, r.text
        s = requests.Session()
        f = form(s.get(f"{base}/login", timeout=10).text, "/login")
        home = s.post(f"{base}/login", data={**f["fields"], "email": "admin@contoso.test", "password": "a long admin password"}, timeout=30)
        assert '<dd id="account">Contoso</dd>' in home.text and '<dd id="role">Master Administrator</dd>' in home.text
        # An API key, shown once, works for the account's own API.
        r = op.post(f"{base}/api/v1/accounts/{acc['id']}/api-keys", json={"name": "provisioning"}, timeout=10)
        assert r.status_code == 201 and r.json()["key"].startswith("spk_")
        key = {"Authorization": f"Bearer {r.json()['key']}"}
        assert requests.get(f"{base}/api/v1/account", headers=key, timeout=10).json()["name"] == "Contoso"
        assert requests.get(f"{base}/api/v1/accounts", headers=key, timeout=10).status_code == 401, "an account's key is not the operator"
        assert op.put(f"{base}/api/v1/accounts/{acc['id']}", json={"name": "Contoso Ltd"}, timeout=10).status_code == 204
        audit = requests.get(f"{base}/api/v1/audit", headers=key, timeout=10).json()
        by_operator = [a for a in audit if a["principal"] == "urn:symbolon:identity:system/operator"]
        assert len(by_operator) >= 4, audit  # created, the administrator, the key, renamed
        assert any("Contoso Ltd" in a["detail"] for a in by_operator)
        assert op.delete(f"{base}/api/v1/accounts/{acc['id']}", timeout=10).status_code == 204
        assert op.get(f"{base}/api/v1/accounts/{acc['id']}", timeout=10).status_code == 404
        assert requests.get(f"{base}/api/v1/account", headers=key, timeout=10).status_code == 401, "its keys went with it"
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_without_an_operator_token_the_tenant_api_is_not_there(tmp_path):
    port = free_port()
    p = subprocess.Popen([symbolon_bin(), "sp", "--database-url", database_url(tmp_path / "data"), "serve", "--listen", f"127.0.0.1:{port}"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert "listening" in p.stdout.readline()
        r = requests.get(f"http://127.0.0.1:{port}/api/v1/accounts", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert r.status_code == 404
    finally:
        p.terminate()
        p.wait(timeout=10)
    short = tmp_path / "short.toml"
    short.write_text(f'[sp]\nlisten = "127.0.0.1:{port}"\nbase_url = "http://127.0.0.1:{port}"\noperator_token = "too short"\n')
    out = subprocess.run([symbolon_bin(), "config", "check", str(short)], capture_output=True, text=True)
    assert out.returncode == 1 and "operator_token must be at least 32 characters" in out.stderr, out.stderr
