"""`symbolon demo`: the IdP and the SP in one process, already trusting each other; the demo's
users get what demo.json promises; a restart keeps the data and adds nothing."""
import json
import socket
import subprocess

import pytest
import requests

from conftest import symbolon_bin
from test_idp_server import form, saml_response, sign_in


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data, idp_port, sp_port):
    return start_with(data, idp_port, sp_port)


def start_with(data, idp_port, sp_port, *extra):
    # The demo logs each request to standard error: a file beside the data, never an undrained pipe.
    log_path = data.parent / f"demo-{idp_port}.log"
    p = subprocess.Popen([symbolon_bin(), "demo", "--data-dir", str(data), "--idp-port", str(idp_port), "--sp-port", str(sp_port), *extra],
                         stdout=subprocess.PIPE, stderr=open(log_path, "w"), text=True)
    lines = []
    while True:
        line = p.stdout.readline()
        assert line, "".join(lines) + log_path.read_text()
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
    # What an interrupted first start leaves: a half-seeded staging database, never the real one.
    (data / ".demo-seeding").mkdir(parents=True)
    (data / ".demo-seeding" / "symbolon.db").write_bytes(b"half-written")
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
    other = subprocess.run([symbolon_bin(), "demo", "--data-dir", str(data), "--idp-port", str(free_port()), "--sp-port", str(sp_port)],
                           capture_output=True, text=True, timeout=60)
    assert other.returncode == 1 and "same --idp-port and --sp-port" in other.stderr
    assert not (data / ".demo-seeding").exists()
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
    # Other ports on seeded data: refused with the exact command that starts over, which works.
    new_idp, new_sp = free_port(), free_port()
    other = subprocess.run([symbolon_bin(), "demo", "--data-dir", str(data), "--idp-port", str(new_idp), "--sp-port", str(new_sp)],
                           capture_output=True, text=True, timeout=60)
    assert other.returncode == 1 and f"symbolon demo --data-dir {data} --reset --idp-port {new_idp} --sp-port {new_sp}" in other.stderr, other.stderr
    p, out = start_with(data, new_idp, new_sp, "--reset")
    try:
        assert "new data" in out
        info = json.loads((data / "demo.json").read_text())
        assert info["idp"]["url"] == f"http://localhost:{new_idp}"
        r = sign_in_at_sp(info, {u["username"]: u for u in info["users"]}["bob"])
        assert '<dd id="account">Acme Production</dd>' in r.text
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_a_busy_port_writes_nothing(tmp_path):
    """Issue 15: with the IdP's port taken, the demo used to seed the data directory for that port
    first, and a retry with other ports then sent assertions to the old address."""
    data = tmp_path / "busy"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run([symbolon_bin(), "demo", "--data-dir", str(data), "--idp-port", str(port), "--sp-port", str(free_port())],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr and "--idp-port" in out.stderr and "nothing was written" in out.stderr
    assert not (data / "symbolon.db").exists() and not (data / "demo.json").exists()
    # The natural retry with other ports then works from scratch.
    p, out = start(data, free_port(), free_port())
    try:
        assert "new data" in out
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
    env = {**__import__("os").environ, "SYMBOLON_SP_BASE_URL": f"http://127.0.0.1:{sp_port}/",
           "SYMBOLON_SERVER_LOG_FORMAT": "json", "SYMBOLON_SERVER_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}
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
        # Behind a trusted proxy the access log names the client from X-Forwarded-For (the
        # rightmost address that is not a trusted proxy), never the query string.
        requests.get(f"http://127.0.0.1:{sp_port}/healthz?SAMLRequest=secret", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7, 10.9.9.9"}, timeout=10)
        # SIGTERM (what process managers send) is a graceful shutdown: exit status 0.
        p.terminate()
        assert p.wait(timeout=10) == 0, p.stderr.read()
        logs = [json.loads(l) for l in p.stderr.read().splitlines() if l.startswith("{")]
        access = [l["fields"] for l in logs if l.get("target") == "symbolon::access"]
        assert {"client": "198.51.100.7", "method": "GET", "path": "/healthz", "status": 200} in [
            {k: a[k] for k in ("client", "method", "path", "status")} for a in access], access
        assert not any("secret" in json.dumps(l) for l in logs)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def self_signed(tmp_path, host="localhost"):
    """A certificate for `host` (SAN) and its key, as PEM files."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    c, k = tmp_path / "tls.crt", tmp_path / "tls.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return c, k


def test_serve_over_tls(tmp_path):
    """`tls_cert`/`tls_key` make a role serve HTTPS itself (rustls); the IdP's metadata and
    endpoints carry the https base URL; a mismatched configuration is refused by name."""
    cert, key = self_signed(tmp_path)
    idp_port, sp_port = free_port(), free_port()
    cfg = tmp_path / "tls.toml"
    cfg.write_text(f"""[server]
database_url = "sqlite://{tmp_path}/data/symbolon.db"
[idp]
listen = "127.0.0.1:{idp_port}"
base_url = "https://localhost:{idp_port}"
tls_cert = "{cert}"
tls_key = "{key}"
[sp]
listen = "127.0.0.1:{sp_port}"
base_url = "http://127.0.0.1:{sp_port}"
""")
    bad = tmp_path / "bad.toml"
    bad.write_text(cfg.read_text().replace(f'tls_key = "{key}"\n', ""))
    out = subprocess.run([symbolon_bin(), "config", "check", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and "idp.tls_cert and idp.tls_key go together" in out.stderr
    bad.write_text(cfg.read_text().replace(f'tls_key = "{key}"', f'tls_key = "{cert}"'))
    out = subprocess.run([symbolon_bin(), "config", "check", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and "no usable PEM private key" in out.stderr
    bad.write_text(cfg.read_text().replace(f"https://localhost:{idp_port}", f"http://localhost:{idp_port}"))
    out = subprocess.run([symbolon_bin(), "config", "check", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and "must start with https://" in out.stderr
    log = open(tmp_path / "serve.log", "w")
    p = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert p.stdout.readline().startswith(f"idp listening on https://127.0.0.1:{idp_port}")
        p.stdout.readline()
        subprocess.run([symbolon_bin(), "idp", "--data-dir", str(tmp_path / "data"), "realm", "create", "acme"], check=True, capture_output=True)
        r = requests.get(f"https://localhost:{idp_port}/realms/acme/protocol/saml/descriptor", verify=str(cert), timeout=10)
        assert r.status_code == 200 and f'Location="https://localhost:{idp_port}/realms/acme/protocol/saml"' in r.text
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"https://localhost:{idp_port}/healthz", timeout=10)  # not a trusted certificate
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"http://127.0.0.1:{idp_port}/healthz", timeout=10)  # plain HTTP gets no answer
        # A client that never finishes its handshake does not hold up the others.
        with socket.create_connection(("127.0.0.1", idp_port)):
            assert requests.get(f"https://localhost:{idp_port}/healthz", verify=str(cert), timeout=10).text == "ok"
        assert requests.get(f"http://127.0.0.1:{sp_port}/healthz", timeout=10).text == "ok"
        p.terminate()
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
        log.close()


def test_cli_reference_is_current():
    """docs/cli.md is the binary's own --help, command by command (scripts/cli-reference.py)."""
    import importlib.util
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("cli_reference", root / "scripts" / "cli-reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (root / "docs" / "cli.md").read_text() == mod.reference(symbolon_bin()), \
        "docs/cli.md is out of date: run scripts/cli-reference.py target/debug/symbolon > docs/cli.md"


def test_sessions_survive_a_restart(tmp_path):
    """Browser state lives in the database, not in the process: after a restart the SP session
    still signs the browser in, and the IdP's SSO session answers without a login page."""
    data = tmp_path / "demo-data"
    idp_port, sp_port = free_port(), free_port()
    p, _ = start(data, idp_port, sp_port)
    try:
        info = json.loads((data / "demo.json").read_text())
        s = requests.Session()
        login = s.get(info["idpInitiatedUrl"], timeout=30)
        action, b64, _ = saml_response(sign_in(s, login, username="bob", password=info["users"][1]["password"]))
        r = s.post(action, data={"SAMLResponse": b64}, timeout=30)
        assert "Welcome, Bob" in r.text
    finally:
        p.terminate()
        p.wait(timeout=10)
    p, _ = start(data, idp_port, sp_port)
    try:
        assert "Welcome, Bob" in s.get(f"{info['sp']['url']}/", timeout=10).text
        again = s.get(info["idpInitiatedUrl"], timeout=30)
        assert 'name="SAMLResponse"' in again.text and 'name="password"' not in again.text
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_move_a_deployment_from_sqlite_to_postgres(tmp_path):
    """`symbolon export` from the demo's SQLite file, `symbolon import` into an empty PostgreSQL
    database, then `serve` on PostgreSQL: the same keys, users and trust, so bob signs in as
    before; the PostgreSQL export equals the SQLite one; an import never merges."""
    from conftest import fresh_pg_database

    data = tmp_path / "demo-data"
    idp_port, sp_port = free_port(), free_port()
    p, _ = start(data, idp_port, sp_port)
    p.terminate()
    p.wait(timeout=10)
    info = json.loads((data / "demo.json").read_text())
    sqlite_url = f"sqlite://{data}/symbolon.db"
    dump = tmp_path / "export.jsonl"
    subprocess.run([symbolon_bin(), "export", "--database-url", sqlite_url, "--out", str(dump)], check=True, capture_output=True)
    assert oct(dump.stat().st_mode & 0o777) == "0o600", "the export holds private keys"
    pg = fresh_pg_database()
    out = subprocess.run([symbolon_bin(), "import", "--database-url", pg, str(dump)], capture_output=True, text=True)
    assert out.returncode == 0 and "imported" in out.stdout, out.stderr
    again = subprocess.run([symbolon_bin(), "import", "--database-url", pg, str(dump)], capture_output=True, text=True)
    assert again.returncode == 1 and "already holds data" in again.stderr
    back = subprocess.run([symbolon_bin(), "export", "--database-url", pg], check=True, capture_output=True, text=True).stdout
    assert back == dump.read_text(), "PostgreSQL holds exactly what SQLite held"
    cfg = tmp_path / "pg.toml"
    cfg.write_text(f"""[server]
database_url = "{pg}"
[idp]
listen = "127.0.0.1:{idp_port}"
base_url = "{info['idp']['url']}"
[sp]
listen = "127.0.0.1:{sp_port}"
base_url = "{info['sp']['url']}"
""")
    log = open(tmp_path / "serve.log", "w")
    s = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        s.stdout.readline()
        s.stdout.readline()
        users = {u["username"]: u for u in info["users"]}
        r = sign_in_at_sp(info, users["bob"])
        assert '<dd id="account">Acme Production</dd>' in r.text and "Welcome, Bob" in r.text
    finally:
        s.terminate()
        s.wait(timeout=10)
        log.close()


def test_private_keys_sealed_with_the_key_encryption_secret(tmp_path):
    """With a key encryption secret every private key is sealed in the database (no PEM on disk),
    the servers sign with them, and without the secret the keys are refused by name."""
    import os
    import sqlite3

    secret = "k" * 16 + "0123456789abcdefXYZ"
    env = {**os.environ, "SYMBOLON_SERVER_KEY_ENCRYPTION_SECRET": secret}
    idp_port, sp_port = free_port(), free_port()
    db = tmp_path / "data" / "symbolon.db"
    cfg = tmp_path / "s.toml"
    cfg.write_text(f"""[server]
database_url = "sqlite://{db}"
[idp]
listen = "127.0.0.1:{idp_port}"
base_url = "http://localhost:{idp_port}"
[sp]
listen = "127.0.0.1:{sp_port}"
base_url = "http://127.0.0.1:{sp_port}"
""")
    short = subprocess.run([symbolon_bin(), "config", "check", str(cfg)], capture_output=True, text=True,
                           env={**env, "SYMBOLON_SERVER_KEY_ENCRYPTION_SECRET": "too short"})
    assert short.returncode == 1 and "at least 32 characters" in short.stderr
    log = open(tmp_path / "serve.log", "w")
    p = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    try:
        p.stdout.readline()
        p.stdout.readline()
        subprocess.run([symbolon_bin(), "idp", "--database-url", f"sqlite://{db}", "realm", "create", "acme"], check=True, capture_output=True, env=env)
        md = requests.get(f"http://127.0.0.1:{idp_port}/realms/acme/protocol/saml/descriptor", timeout=10)
        assert md.status_code == 200 and "SignatureValue" in md.text, "signed with the sealed realm key"
        assert "EntityDescriptor" in requests.get(f"http://127.0.0.1:{sp_port}/saml/metadata", timeout=10).text
        with sqlite3.connect(db) as c:
            stored = [r[0] for r in c.execute("SELECT private_key_pem FROM realm_keys UNION ALL SELECT private_key_pem FROM sp_keys")]
        assert len(stored) == 2 and all(s.startswith("sealed:v1:") and "PRIVATE KEY" not in s for s in stored)
        plain_env = {k: v for k, v in os.environ.items() if k != "SYMBOLON_SERVER_KEY_ENCRYPTION_SECRET"}
        out = subprocess.run([symbolon_bin(), "idp", "--database-url", f"sqlite://{db}", "descriptor", "acme", "--base-url", "http://x"],
                             capture_output=True, text=True, env=plain_env)
        assert out.returncode == 1 and "key_encryption_secret" in out.stderr
        # systemd's LoadCredential= (a file in $CREDENTIALS_DIRECTORY, never in the environment)
        # stands for the variable, for admin commands and for serve's configuration.
        creds = tmp_path / "credentials"
        creds.mkdir(mode=0o700)
        (creds / "key_encryption_secret").write_text(secret + "\n")
        cred_env = {**plain_env, "CREDENTIALS_DIRECTORY": str(creds)}
        out = subprocess.run([symbolon_bin(), "idp", "--database-url", f"sqlite://{db}", "descriptor", "acme", "--base-url", "http://x"],
                             capture_output=True, text=True, env=cred_env)
        assert out.returncode == 0 and "SignatureValue" in out.stdout, out.stderr
        out = subprocess.run([symbolon_bin(), "idp", "--config", str(cfg), "realm", "list"], capture_output=True, text=True, env=cred_env)
        assert out.returncode == 0 and "acme" in out.stdout, out.stderr
    finally:
        p.terminate()
        p.wait(timeout=10)
        log.close()


def test_sigterm_right_after_listening_stops_both_servers_gracefully(tmp_path):
    """The signal handlers are in place before "listening on" is printed, and both servers of the
    process share them: a SIGTERM at once never kills the process outright (status -15) nor
    stops one server and leaves the other running (a hang). Both used to happen under load."""
    data = tmp_path / "demo-data"
    idp_port, sp_port = free_port(), free_port()
    for _ in range(5):
        p, _ = start(data, idp_port, sp_port)
        p.terminate()
        assert p.wait(timeout=15) == 0
