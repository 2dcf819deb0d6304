"""Declarative configuration (issue 21): the demo's realm and SP accounts exported as documents,
applied to an empty data directory (twice: the second run changes nothing and says so), and the
seed walkthrough's users signing in there with the same results; a Keycloak 26 export with a
SAML client imported; partial export and import over the admin REST API; an SP account's
document over the SP REST API and in the account console."""
import base64
import json
import shutil
import subprocess
from pathlib import Path

import requests

from conftest import database_url, symbolon_bin
from test_demo import free_port, sign_in_at_sp, start
from test_idp_server import Idp, console_session, form, saml_response, sign_in
from test_sp_server import Sp

ROOT = Path(__file__).resolve().parents[2]


def run(*args, ok=True):
    out = subprocess.run([symbolon_bin(), *map(str, args)], capture_output=True, text=True, timeout=120)
    if ok:
        assert out.returncode == 0, out.stderr + out.stdout
    return out


def outcome(r):
    """What a user meets at the SP after signing in: the picker's choices, the account and role
    they landed in, or the refusal."""
    if r.url.endswith("/pick"):
        return ("pick", "Acme Production · Full Access" in r.text, "Acme Staging · Read Only" in r.text)
    if r.status_code == 403:
        return ("refused", "No access" in r.text)
    return ("in", '<dd id="account">Acme Production</dd>' in r.text, '<dd id="role">Read Only</dd>' in r.text)


def outcomes(data):
    info = json.loads((data / "demo.json").read_text())
    users = {u["username"]: u for u in info["users"]}
    return {name: outcome(sign_in_at_sp(info, users[name])) for name in ("alice", "bob", "carol")}


def stop(p):
    p.terminate()
    p.wait(timeout=10)


def test_demo_round_trip_through_documents(tmp_path):
    a, b, docs = tmp_path / "a", tmp_path / "b", tmp_path / "docs"
    docs.mkdir()
    idp_port, sp_port = free_port(), free_port()
    p, _ = start(a, idp_port, sp_port)
    try:
        before = outcomes(a)
    finally:
        stop(p)
    assert before["alice"] == ("pick", True, True) and before["bob"] == ("in", True, True) and before["carol"] == ("refused", True)

    # The realm and every account as documents (with credentials: keys and password hashes move).
    run("idp", "--data-dir", a, "realm", "export", "demo", "--with-credentials", "--out", docs / "realm-demo.json")
    accounts = [line.split("\t") for line in run("sp", "--data-dir", a, "account", "list").stdout.splitlines()]
    assert len(accounts) == 2
    for account_id, _name in accounts:
        run("sp", "--data-dir", a, "account", "export", account_id, "--with-credentials", "--out", docs / f"account-{account_id}.json")
    realm = json.loads((docs / "realm-demo.json").read_text())
    assert {u["username"] for u in realm["users"]} == {"alice", "bob", "carol"}
    assert realm["clients"][0]["protocolMappers"] and all(k.get("privateKey") for k in realm["keys"])
    run("sp", "--data-dir", a, "key", "export", "--out", tmp_path / "sp-key.pem")

    # A dry run on an empty store says what would change and writes nothing.
    out = run("apply", "--data-dir", b, "--dry-run", docs).stdout
    assert "would be added realm demo" in out and "changes pending (dry run)" in out, out
    assert run("idp", "--data-dir", b, "realm", "list").stdout == ""
    out = run("apply", "--data-dir", b, docs).stdout
    assert "added user alice" in out and "added identity provider" in out and out.rstrip().endswith("applied"), out
    out = run("apply", "--data-dir", b, docs).stdout
    assert "no changes: the store already matches 3 document(s)" in out, out
    lines = out.splitlines()
    assert len(lines) == 4 and all(": 0 added, 0 overwritten," in line for line in lines[:3]), out
    # The new SP takes the old one's key, so the IdP's client (encryption, request signatures)
    # still fits it.
    run("sp", "--data-dir", b, "key", "import", tmp_path / "sp-key.pem")
    shutil.copy(a / "demo.json", b / "demo.json")
    p, out = start(b, idp_port, sp_port)
    try:
        assert "new data" not in out, out
        after = outcomes(b)
    finally:
        stop(p)
    assert after == before

    # A changed document is applied as a change, and only that.
    doc = json.loads((docs / "realm-demo.json").read_text())
    doc["displayName"] = "Demo, renamed"
    (docs / "realm-demo.json").write_text(json.dumps(doc))
    out = run("apply", "--data-dir", b, docs).stdout
    assert 'overwritten realm demo: display name "Demo" -> "Demo, renamed"' in out or "overwritten realm demo" in out, out
    assert out.count("overwritten ") == 1, out
    # A document that refers to what does not exist fails before anything is written.
    doc["users"][0]["groups"] = ["/no-such-group"]
    (docs / "realm-demo.json").write_text(json.dumps(doc))
    r = run("apply", "--data-dir", b, docs, ok=False)
    assert r.returncode == 1 and "neither in the file nor in the realm" in r.stderr, r.stderr


def test_keycloak_export_imports_with_its_saml_client(tmp_path):
    src = str(ROOT / "testdata/keycloak/acme-realm-export.json")
    idp = Idp(tmp_path)
    try:
        out = idp.cli("realm", "import", src)
        assert "added client https://billing.example.com/saml/metadata" in out, out
        assert out.count("skipped client") == 6, out
        # alice keeps the password Keycloak hashed with Argon2; bob's clear initial one works.
        for user, password in (("alice", "alice keycloak password"), ("bob", "bob's initial password")):
            s = requests.Session()
            login = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/billing", timeout=10)
            action, b64, relay = saml_response(sign_in(s, login, username=user, password=password))
            assert action == "https://billing.example.com/saml/acs" and relay == "/dashboard"
            xml = base64.b64decode(b64).decode()
            assert f">{user}@acme.example</" in xml and "emailAddress" in xml, xml[:500]
        # Importing it again fails on what exists, writing nothing; skip and overwrite change nothing.
        r = subprocess.run([symbolon_bin(), "idp", *idp.db, "realm", "import", src], capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "already has" in r.stderr, r.stderr
        for mode in ("skip", "overwrite"):
            out = idp.cli("realm", "import", src, "--if-exists", mode)
            assert "0 added, 0 overwritten" in out, out
    finally:
        idp.stop()


def test_partial_export_and_import_over_the_admin_api(tmp_path):
    idp = Idp(tmp_path)
    try:
        idp.cli("realm", "create", "acme")
        idp.cli("group", "add", "--realm", "acme", "/eng")
        idp.cli("user", "add", "--realm", "acme", "alice", "--email", "alice@acme.test")
        token = idp.cli("token", "create", "--name", "gitops").strip()
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        base = f"{idp.base}/admin/realms/acme"
        doc = api.post(f"{base}/partial-export", timeout=10).json()
        assert doc["realm"] == "acme" and [u["username"] for u in doc["users"]] == ["alice"]
        assert "credentials" not in doc["users"][0] and all("privateKey" not in k for k in doc["keys"])
        doc["users"].append({"username": "bob", "groups": ["/eng"]})
        doc["users"][0]["firstName"] = "Alice"
        r = api.post(f"{base}/partialImport", json={**doc, "ifResourceExists": "OVERWRITE", "dryRun": True}, timeout=30)
        assert r.status_code == 200 and r.json()["dryRun"] and r.json()["added"] == 1 and r.json()["overwritten"] == 1, r.text
        assert "bob" not in idp.cli("user", "list", "--realm", "acme")
        r = api.post(f"{base}/partialImport", json={**doc, "ifResourceExists": "OVERWRITE"}, timeout=30)
        report = r.json()
        assert r.status_code == 200 and (report["added"], report["overwritten"]) == (1, 1), r.text
        assert {"action": "ADDED", "resourceType": "USER", "resourceName": "bob"} in report["results"]
        r = api.post(f"{base}/partialImport", json={**doc, "ifResourceExists": "FAIL"}, timeout=30)
        assert r.status_code == 409 and r.json()["error"], r.text
        r = api.post(f"{base}/partialImport", json={**doc, "realm": "other"}, timeout=30)
        assert r.status_code == 400, r.text
        r = api.post(f"{base}/partialImport", json={"users": [{"username": "x", "groups": ["/none"]}]}, timeout=30)
        assert r.status_code == 400 and "neither in the file nor in the realm" in r.json()["error_description"], r.text
        assert "ADMIN" in idp.events("acme") and "imported user bob" in idp.events("acme")
    finally:
        idp.stop()


def test_account_documents_on_the_configured_backend(tmp_path):
    """The SP side of `apply` on whichever backend the suite runs on (PostgreSQL in its run)."""
    db = ["--database-url", database_url(tmp_path / "sp")]
    idp_md = tmp_path / "idp.xml"
    pem = (ROOT / "testdata/keys/idp-rsa.crt.pem").read_text()
    b64 = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    idp_md.write_text(
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        'entityID="https://idp.example.test/realms/acme"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/>'
        '</md:IDPSSODescriptor></md:EntityDescriptor>')
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "acme.json").write_text(json.dumps({
        "account": "Acme",
        "roles": ["Billing"],
        "identityProviders": [{"name": "Multi-Pass", "metadata": idp_md.read_text(), "roleAttribute": "groups",
                               "groupMappings": [{"group": "/finance", "role": "Billing"}, {"group": "/eng", "role": "Full Access"}]}],
        "samlAccounts": [{"name": "carol@acme.example", "role": "Read Only"}],
        "users": [{"email": "admin@acme.example", "masterAdministrator": True, "password": "admin password 1"}],
    }))
    out = run("apply", *db, docs).stdout
    assert "added account Acme" in out and "added identity provider Multi-Pass" in out and out.rstrip().endswith("applied"), out
    assert "no changes" in run("apply", *db, docs).stdout
    account = run("sp", *db, "account", "list").stdout.split("\t")[0]
    exported = json.loads(run("sp", *db, "account", "export", account).stdout)
    assert exported["identityProviders"][0]["groupMappings"] == [
        {"group": "/eng", "role": "Full Access"}, {"group": "/finance", "role": "Billing"}]
    assert "passwordHash" not in exported["users"][0]
    # A mapping removed from the document is removed from the account, and recorded.
    doc = json.loads((docs / "acme.json").read_text())
    doc["identityProviders"][0]["groupMappings"].pop()
    (docs / "acme.json").write_text(json.dumps(doc))
    out = run("apply", *db, docs).stdout
    assert "overwritten identity provider Multi-Pass: group /eng unmapped" in out, out
    assert "import overwrote identity provider Multi-Pass" in run("sp", *db, "audit", "export", "--account", account).stdout


def test_console_partial_export_and_import(tmp_path):
    """Realm settings > Partial export and import, as an administrator uses them."""
    idp = Idp(tmp_path)
    try:
        idp.cli("realm", "create", "acme")
        idp.cli("user", "add", "--realm", "acme", "alice")
        s = console_session(idp)
        settings = s.get(f"{idp.base}/admin/console/acme/settings", timeout=10)
        assert 'id="realm-export"' in settings.text and 'id="realm-import"' in settings.text
        r = s.get(f"{idp.base}/admin/console/acme/settings/export", timeout=10)
        assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
        doc = r.json()
        assert doc["realm"] == "acme" and "privateKey" not in r.text and "$argon2" not in r.text
        # Signed out, nothing.
        assert requests.get(f"{idp.base}/admin/console/acme/settings/export", timeout=10).url.endswith("/admin/login")

        page = s.get(f"{idp.base}/admin/console/acme/settings/import", timeout=10)
        f = form(page.text, "/admin/console/acme/settings/import")
        doc["users"].append({"username": "bob"})
        post = lambda fields: s.post(f"{idp.base}/admin/console/acme/settings/import",
                                     files={k: (None, v) for k, v in fields.items()}, timeout=30)
        r = post({"csrf": f["fields"]["csrf"], "document": json.dumps(doc), "if_exists": "overwrite", "dry_run": "on"})
        assert r.status_code == 200 and 'id="import-results"' in r.text and "nothing was written" in r.text, r.text[-2000:]
        assert "bob" not in idp.cli("user", "list", "--realm", "acme")
        r = post({"csrf": f["fields"]["csrf"], "document": json.dumps(doc), "if_exists": "overwrite"})
        assert r.status_code == 200 and "1 added" in r.text and "<td>bob</td>" in r.text, r.text[-2000:]
        assert "bob" in idp.cli("user", "list", "--realm", "acme")
        # What exists, with "stop": refused next to the field, nothing written.
        r = post({"csrf": f["fields"]["csrf"], "document": json.dumps(doc), "if_exists": "fail"})
        assert r.status_code == 400 and 'id="document-error"' in r.text and "Nothing was imported" in r.text
        r = post({"csrf": f["fields"]["csrf"], "document": "{not json", "if_exists": "fail"})
        assert r.status_code == 400 and "This is not a document that can be imported here" in r.text
        # Without the form's token, refused.
        r = post({"csrf": "forged", "document": json.dumps(doc)})
        assert r.status_code in (400, 403)
        # In Japanese.
        r = s.get(f"{idp.base}/admin/console/acme/settings/import", headers={"Accept-Language": "ja"}, timeout=10)
        assert "部分インポート" in r.text
    finally:
        idp.stop()


def idp_metadata(entity_id="https://idp.example.test/realms/acme"):
    pem = (ROOT / "testdata/keys/idp-rsa.crt.pem").read_text()
    b64 = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        f'entityID="{entity_id}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/>'
        '</md:IDPSSODescriptor></md:EntityDescriptor>')


def test_account_document_over_the_sp_rest_api(tmp_path):
    """GET /api/v1/account/export and POST /api/v1/account/import: the key's account only."""
    sp = Sp(tmp_path)
    try:
        acme = sp.cli("account", "create", "Acme").strip()
        other = sp.cli("account", "create", "Globex").strip()
        sp.cli("role", "add", "--account", other, "Globex Only")
        key = sp.cli("api-key", "create", "--account", acme, "--name", "gitops").strip()
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {key}"
        base = f"{sp.base}/api/v1/account"
        assert requests.get(f"{base}/export", timeout=10).status_code == 401
        doc = {"roles": ["Billing"],
               "identityProviders": [{"name": "Multi-Pass", "metadata": idp_metadata(), "roleAttribute": "groups",
                                      "groupMappings": [{"group": "/finance", "role": "Billing"}]}],
               "samlAccounts": [{"name": "carol@acme.example", "role": "Read Only"}]}
        # A dry run says what would happen and writes nothing.
        r = api.post(f"{base}/import", json={**doc, "dryRun": True}, timeout=30)
        assert r.status_code == 200 and r.json()["dryRun"] and r.json()["added"] == 3, r.text
        assert {(i["action"], i["resourceType"]) for i in r.json()["results"]} >= {("SKIPPED", "ACCOUNT"), ("ADDED", "IDENTITY_PROVIDER")}
        assert "Billing" not in sp.cli("role", "list", "--account", acme)
        r = api.post(f"{base}/import", json=doc, timeout=30)
        assert r.status_code == 200 and r.json()["added"] == 3 and not r.json()["dryRun"], r.text
        exported = api.get(f"{base}/export", timeout=10).json()
        assert exported["account"] == "Acme" and "Billing" in exported["roles"]
        assert exported["identityProviders"][0]["groupMappings"] == [{"group": "/finance", "role": "Billing"}]
        # Again: everything exists; FAIL refuses, writing nothing; OVERWRITE of the same is unchanged.
        r = api.post(f"{base}/import", json=exported, timeout=30)
        assert r.status_code == 409 and r.json()["error"] and "nothing was imported" in r.json()["error_description"], r.text
        r = api.post(f"{base}/import", json={**exported, "ifResourceExists": "OVERWRITE"}, timeout=30)
        assert r.status_code == 200 and r.json()["added"] == 0 and r.json()["overwritten"] == 0, r.text
        # Another account's document, or a document naming it, reaches nothing of the other's.
        r = api.post(f"{base}/import", json={**doc, "account": "Globex", "ifResourceExists": "SKIP"}, timeout=30)
        assert r.status_code == 400 and "Globex" in r.json()["error_description"], r.text
        assert "Billing" not in sp.cli("role", "list", "--account", other)
        assert "Globex Only" not in json.dumps(exported)
        # Unknown fields and bad references are refused whole.
        assert api.post(f"{base}/import", json={**doc, "colour": "red"}, timeout=30).status_code == 400
        r = api.post(f"{base}/import", json={"roles": ["Ops"], "samlAccounts": [{"name": "x@acme.example", "role": "Nope"}]}, timeout=30)
        assert r.status_code == 400 and "Nope" in r.text
        assert "Ops" not in sp.cli("role", "list", "--account", acme)
        assert "imported role Billing" in sp.cli("audit", "export", "--account", acme)
    finally:
        sp.stop()


def test_account_console_export_and_import(tmp_path):
    """Settings > Export and import in the SP account console, for a master administrator."""
    sp = Sp(tmp_path)
    try:
        sp.cli("account", "create", "Acme")
        sp.cli("user", "add", "--account", "Acme", "admin@acme.test", "--master", "--password-stdin", stdin="acme admin pw 1\n")
        u = requests.Session()
        f = form(u.get(f"{sp.base}/login", timeout=10).text, "/login")
        u.post(f"{sp.base}/login", data={**f["fields"], "email": "admin@acme.test", "password": "acme admin pw 1"}, timeout=30)
        settings = u.get(f"{sp.base}/account/settings", timeout=10)
        assert 'id="account-export"' in settings.text and 'id="account-import"' in settings.text, settings.text[:500]
        r = u.get(f"{sp.base}/account/settings/export", timeout=10)
        assert r.status_code == 200 and 'filename="account-Acme.json"' in r.headers["Content-Disposition"]
        doc = r.json()
        assert doc["account"] == "Acme" and "$argon2" not in r.text and doc["users"][0]["email"] == "admin@acme.test"
        # Signed out: refused.
        assert requests.get(f"{sp.base}/account/settings/export", timeout=10).status_code == 401

        page = u.get(f"{sp.base}/account/settings/import", timeout=10)
        csrf = form(page.text, "/account/settings/import")["fields"]["csrf"]
        post = lambda fields: u.post(f"{sp.base}/account/settings/import",
                                     files={k: (None, v) for k, v in fields.items()}, timeout=30)
        doc["roles"] = ["Billing"]
        r = post({"csrf": csrf, "document": json.dumps(doc), "if_exists": "skip", "dry_run": "on"})
        assert r.status_code == 200 and "nothing was written" in r.text and "<td>Billing</td>" in r.text, r.text[-2000:]
        assert "Billing" not in sp.cli("role", "list", "--account", "Acme")
        r = post({"csrf": csrf, "document": json.dumps(doc), "if_exists": "skip"})
        assert r.status_code == 200 and "1 added" in r.text, r.text[-2000:]
        assert "Billing" in sp.cli("role", "list", "--account", "Acme")
        # Errors next to the field; nothing written.
        r = post({"csrf": csrf, "document": json.dumps({**doc, "account": "Globex"}), "if_exists": "skip"})
        assert r.status_code == 400 and 'id="document-error"' in r.text and "Globex" in r.text
        r = post({"csrf": csrf, "document": json.dumps(doc), "if_exists": "fail"})
        assert r.status_code == 400 and "Nothing was imported" in r.text
        r = post({"csrf": csrf, "document": "[1, 2", "if_exists": "fail"})
        assert r.status_code == 400 and "This is not a document that can be imported here" in r.text
        assert post({"csrf": "forged", "document": json.dumps(doc)}).status_code == 403
        # In Japanese.
        r = u.get(f"{sp.base}/account/settings/import", headers={"Accept-Language": "ja"}, timeout=10)
        assert "文書ファイル" in r.text
    finally:
        sp.stop()
