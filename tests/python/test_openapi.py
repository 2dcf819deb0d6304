"""Both REST APIs' OpenAPI documents (issue 21): generated from the handlers (utoipa), served at
`/admin/openapi.json` and `/api/v1/openapi.json`, the copies in `docs/openapi/` current, every
operation in them also in the Markdown references (and the other way round), and schemathesis
(pinned in requirements.txt) run against each on a seeded server with a real token: no 5xx, no
answer outside the schema, no undocumented status or content type, no operation that ignores
its authentication, no schema-violating request accepted (negative data), no deleted object
still answering. Not checked: positive_data_acceptance (the APIs validate more than a schema
can say: name syntax, password length, metadata that must parse), so a schema-valid body may
rightly be refused with 400."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from test_sp_server import env  # noqa: F401  (a seeded IdP + SP of this module's own)

ROOT = Path(__file__).resolve().parents[2]
CHECKS = os.environ.get("SYMBOLON_SCHEMATHESIS_CHECKS", ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
    "response_headers_conformance", "negative_data_rejection", "ignored_auth", "missing_required_header",
    "unsupported_method", "use_after_free", "ensure_resource_availability"]))


def operations(doc):
    return {(m.upper(), p) for p, item in doc["paths"].items() for m in item if m in ("get", "post", "put", "patch", "delete")}


def markdown_operations(path):
    """`METHOD /path` pairs a Markdown reference names, with `{param}` segments normalised."""
    text = (ROOT / "docs" / path).read_text()
    found = set()
    for methods, p in re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE)(?:\|(?:GET|POST|PUT|PATCH|DELETE))*) (/[^`\s\[]+)", text):
        for m in methods.split("|"):
            found.add((m, re.sub(r"\{[^}]+\}", "{}", p.rstrip("."))))
    return found


def normalised(ops):
    return {(m, re.sub(r"\{[^}]+\}", "{}", p)) for m, p in ops}


def toml_list(values):
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def config(tmp_path, name, dictionaries, disabled=()):
    """A schemathesis.toml: path parameters drawn mostly from the seeded objects (so the run
    reaches the handlers' logic, not only their 404s), and the operations never to run."""
    lines = []
    for param, values in dictionaries.items():
        lines += [f"[dictionaries.{param}]", f"values = {toml_list(values)}", ""]
    lines.append("[parameters]")
    lines += [f'"path.{param}" = {{ dictionary = "{param}", probability = 0.85 }}' for param in dictionaries]
    for operation_id in disabled:
        lines += ["", "[[operations]]", f'include-operation-id = "{operation_id}"', "enabled = false"]
    f = tmp_path / f"{name}.toml"
    f.write_text("\n".join(lines) + "\n")
    return f


def schemathesis(spec_url, token, tmp_path, name, conf, *extra):
    """Run schemathesis against a served document; the JUnit report is kept beside the test's
    files. One worker: CPython 3.11's compiler is not safe for hypothesis's lambda parsing in
    several threads at once."""
    exe = Path(sys.executable).parent / "schemathesis"
    cmd = [str(exe), "--config-file", str(conf), "run", spec_url, "--checks", CHECKS, "--max-examples", "50",
           "--seed", "21", "--phases", "examples,coverage,fuzzing", "--workers", "1", "--request-timeout", "20",
           "--generation-database", "none", "--no-color", "--suppress-health-check", "all",
           "-H", f"Authorization: Bearer {token}", "--report", "junit",
           "--report-junit-path", str(tmp_path / f"{name}.xml"), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1500, cwd=tmp_path)


def test_documents_are_served_and_match_docs(env):
    idp, sp, _, _ = env
    for url, copy in [(f"{idp.base}/admin/openapi.json", "idp-admin.json"), (f"{sp.base}/api/v1/openapi.json", "sp.json")]:
        r = requests.get(url, timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
        doc = r.json()
        assert doc["openapi"].startswith("3.1")
        assert doc == json.loads((ROOT / "docs" / "openapi" / copy).read_text()), f"docs/openapi/{copy} is stale"
        # Every operation is authenticated and documents its errors with the one error body.
        for path, item in doc["paths"].items():
            for method, op in item.items():
                assert op.get("security"), (method, path)
                assert op["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}, (method, path)
                assert op["responses"]["503"] == {"$ref": "#/components/responses/Unavailable"}, (method, path)
        for name, resp in doc["components"]["responses"].items():
            assert resp["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, name
        assert set(doc["components"]["schemas"]["ErrorBody"]["required"]) == {"error", "error_description"}


def test_markdown_references_name_the_same_operations(env):
    """The Markdown reference's operation index is the one rendered from the document, and
    every operation its prose names in full is in the document."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("openapi_index", ROOT / "scripts" / "openapi-index.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    idp, sp, _, _ = env
    for url, md, prefix in [(f"{idp.base}/admin/openapi.json", "admin-api.md", "/admin"), (f"{sp.base}/api/v1/openapi.json", "sp-api.md", "/api/v1")]:
        doc = requests.get(url, timeout=10).json()
        text = (ROOT / "docs" / md).read_text()
        assert mod.render(doc, text) == text, f"docs/{md}: run scripts/openapi-index.py docs/openapi/... docs/{md}"
        served = normalised(operations(doc))
        named = {(m, p) for m, p in markdown_operations(md) if p.startswith(prefix) and p != "/api/v1/openapi.json" and p != "/admin/openapi.json"}
        assert len(named) > 20
        def served_as(m, p):
            segs = p.split("/")
            return any(sm == m and len(sp.split("/")) == len(segs) and all(a == b or b == "{}" for a, b in zip(segs, sp.split("/")))
                       for sm, sp in served)
        missing = sorted((m, p) for m, p in named if not served_as(m, p))
        assert not missing, f"docs/{md} names operations the server does not have: {missing}"


def test_framework_refusals_are_json_errors(env):
    idp, sp, _, _ = env
    token = idp.cli("token", "create", "--name", "openapi-errors").strip()
    h = {"Authorization": f"Bearer {token}"}
    key = sp.cli("api-key", "create", "--account", "Acme Dev", "--name", "openapi-errors").strip()
    k = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    for r, status in [
        (requests.post(f"{idp.base}/admin/realms", data="{", headers={**h, "Content-Type": "application/json"}, timeout=10), 400),
        (requests.post(f"{idp.base}/admin/realms", data="{}", headers=h, timeout=10), 415),
        (requests.post(f"{idp.base}/admin/realms", json={"realm": 5}, headers=h, timeout=10), 400),
        (requests.patch(f"{idp.base}/admin/realms", json={}, headers=h, timeout=10), 405),
        (requests.post(f"{sp.base}/api/v1/roles", data="x", headers=k, timeout=10), 400),
        (requests.post(f"{sp.base}/api/v1/roles", data="{}", headers=k, timeout=10), 400),
        (requests.delete(f"{sp.base}/api/v1/roles", headers=k, timeout=10), 405),
        (requests.post(f"{sp.base}/api/v1/roles", data="x", headers={"Content-Type": "application/json"}, timeout=10), 401),
    ]:
        assert r.status_code == status, (r.status_code, r.text)
        assert r.headers["Content-Type"].startswith("application/json")
        body = r.json()
        assert body["error"] and body["error_description"], body


def test_schemathesis_finds_nothing_in_the_idp_admin_api(env, tmp_path):
    idp, _, _, _ = env
    token = idp.cli("token", "create", "--name", "schemathesis").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    base = f"{idp.base}/admin/realms/mpas"
    users = [u["id"] for u in api.get(f"{base}/users", timeout=10).json()]
    groups = [g["id"] for g in api.get(f"{base}/groups", timeout=10).json()]
    clients = [c["id"] for c in api.get(f"{base}/clients", timeout=10).json()]
    mappers = [m["name"] for c in clients for m in api.get(f"{base}/clients/{c}/protocol-mappers/models", timeout=10).json()]
    assert users and groups and clients and mappers
    # A client key of its own, so that the key operations have one to work on.
    kid = api.post(f"{base}/clients/{clients[0]}/keys", json={"algorithm": "ec-p256"}, timeout=30).json()["kid"]
    conf = config(tmp_path, "idp", {
        "realm": ["mpas"], "id": users + groups + clients, "group": groups, "subject": users + groups,
        "name": mappers, "cred": ["otp", "password"], "kid": [kid],
    }, disabled=["delete_realm", "revoke_token"])
    out = schemathesis(f"{idp.base}/admin/openapi.json", token, tmp_path, "idp", conf)
    assert out.returncode == 0, out.stdout[-12000:] + out.stderr[-3000:]
    assert "Tested: 67" in out.stdout, out.stdout[-3000:]
    # The run's token still works. (Revoking tokens is left out of the run: the token list
    # names the run's own token, and schemathesis would revoke it; test_idp_day2 covers it.)
    assert api.get(f"{idp.base}/admin/realms", timeout=10).status_code == 200


def test_schemathesis_finds_nothing_in_the_sp_api(env, tmp_path):
    _, sp, _, _ = env
    key = sp.cli("api-key", "create", "--account", "Acme Dev", "--name", "schemathesis").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    idps = [i["id"] for i in api.get(f"{sp.base}/api/v1/identity-providers", timeout=10).json()]
    roles = [r["name"] for r in api.get(f"{sp.base}/api/v1/roles", timeout=10).json()]
    sp.cli("domain", "add", "--account", "Acme Dev", "acme-dev.test", "--idp", "Multi-Pass")
    conf = config(tmp_path, "sp", {
        "id": idps, "name": roles + ["carol@corp.test"], "group": ["/eng", "/ops"], "email": ["carol@corp.test"],
        "domain": ["corp.test", "acme-dev.test"],
    })
    out = schemathesis(f"{sp.base}/api/v1/openapi.json", key, tmp_path, "sp", conf, "--exclude-path-regex", "^/api/v1/accounts")
    assert out.returncode == 0, out.stdout[-12000:] + out.stderr[-3000:]
    assert "Tested: 35" in out.stdout, out.stdout[-3000:]


def test_schemathesis_finds_nothing_in_the_tenant_api(tmp_path):
    """The operator's tenant operations, on an SP of their own with an operator token."""
    from conftest import database_url, symbolon_bin
    from test_demo import free_port
    token = "operator-token-" + "s" * 40
    port = free_port()
    cfg = tmp_path / "symbolon.toml"
    cfg.write_text(f"""[server]
database_url = "{database_url(tmp_path / 'data')}"
[sp]
listen = "127.0.0.1:{port}"
base_url = "http://127.0.0.1:{port}"
""")
    log = open(tmp_path / "sp.log", "w")
    p = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=log, text=True,
                         env={**os.environ, "SYMBOLON_SP_OPERATOR_TOKEN": token})
    base = f"http://127.0.0.1:{port}"
    try:
        assert "listening" in p.stdout.readline()
        op = requests.Session()
        op.headers["Authorization"] = f"Bearer {token}"
        ids = [op.post(f"{base}/api/v1/accounts", json={"name": n}, timeout=10).json()["id"] for n in ("Contoso", "Fabrikam")]
        conf = config(tmp_path, "tenants", {"id": ids})
        out = schemathesis(f"{base}/api/v1/openapi.json", token, tmp_path, "tenants", conf, "--include-path-regex", "^/api/v1/accounts")
        assert out.returncode == 0, out.stdout[-12000:] + out.stderr[-3000:]
        assert "Tested: 7" in out.stdout, out.stdout[-3000:]
    finally:
        p.terminate()
        p.wait(timeout=10)
