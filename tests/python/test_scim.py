"""SCIM 2.0 provisioning into the service provider (issue 22), over HTTP on 127.0.0.1 with our
IdP as the SAML peer: scim2-tester (the independent SCIM checker, pinned) runs every check it
has against an account's /scim/v2 and all pass; tokens are per account and per use; bad input
gets SCIM errors with nothing written; and provisioning decides single sign-on: a provisioned
user signs in with no SAML account added by hand, deactivation ends the session at once and
refuses SSO with a clear page, reactivation restores it, deletion refuses it again."""
import json
from collections import Counter

import pytest
import requests

from test_idp_server import Idp, saml_response, sign_in, PASSWORD
from test_sp_server import Sp

SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scim")
    idp = Idp(tmp)
    sp = Sp(tmp)
    idp.cli("realm", "create", "mpas", "--display-name", "Multi-Pass")
    for user in ("erin", "frank"):
        idp.cli("user", "add", "--realm", "mpas", user, "--email", f"{user}@corp.test", "--password-stdin", stdin=PASSWORD + "\n")
    sp_md = tmp / "sp-metadata.xml"
    sp_md.write_bytes(requests.get(f"{sp.base}/saml/metadata", timeout=10).content)
    idp.cli("client", "import", "--realm", "mpas", str(sp_md), "--url-name", "trend")
    cid = f"{sp.base}/saml/metadata"
    token = idp.cli("token", "create", "--name", "scim-test").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    rep = api.get(f"{idp.base}/admin/realms/mpas/clients", params={"clientId": cid}, timeout=10).json()[0]
    rep["attributes"]["saml_name_id_format"] = "email"
    assert api.put(f"{idp.base}/admin/realms/mpas/clients/{rep['id']}", json=rep, timeout=10).status_code == 204
    idp_md = tmp / "idp-metadata.xml"
    idp_md.write_bytes(requests.get(f"{idp.base}/realms/mpas/protocol/saml/descriptor", timeout=10).content)
    for acc in ("Provisioned Co", "Other Co"):
        sp.cli("account", "create", acc)
        sp.cli("idp", "add", "--account", acc, "--metadata", str(idp_md), "--name", "Multi-Pass")
    keys = {acc: sp.cli("api-key", "create", "--account", acc, "--name", "scim", "--scope", "scim").strip() for acc in ("Provisioned Co", "Other Co")}
    yield idp, sp, keys, tmp
    sp.stop()
    idp.stop()


def client(sp, key):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {key}"
    s.headers["Content-Type"] = SCIM
    s.base = f"{sp.base}/scim/v2"
    return s


def sso(idp, sp, user):
    """IdP-initiated sign-in of `user` in a fresh browser: (browser, the SP's answer)."""
    b = requests.Session()
    login = b.get(f"{idp.base}/realms/mpas/protocol/saml/clients/trend", timeout=30)
    action, b64, relay = saml_response(sign_in(b, login, username=user))
    r = b.post(action, data={"SAMLResponse": b64, **({"RelayState": relay} if relay else {})}, timeout=30)
    return b, r


def signed_in(b, sp):
    return '<dd id="account">' in b.get(f"{sp.base}/", timeout=10).text


def test_scim2_tester_passes_every_check(env):
    _, sp, keys, _ = env
    from httpx2 import Client
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import check_server
    c = SyncSCIMClient(Client(base_url=f"{sp.base}/scim/v2", headers={"Authorization": f"Bearer {keys['Other Co']}"}))
    results = check_server(c)
    counts = Counter(r.status.name for r in results)
    failures = [(r.status.name, r.title, r.reason) for r in results if r.status.name != "SUCCESS"]
    # Every check ran and passed: none skipped, none failed.
    assert not failures, failures
    assert counts["SUCCESS"] >= 100, counts


def test_tokens_are_per_account_and_per_use(env):
    idp, sp, keys, _ = env
    base = f"{sp.base}/scim/v2"
    r = requests.get(f"{base}/Users", timeout=10)
    assert r.status_code == 401 and r.headers["Content-Type"] == SCIM and r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    api_key = sp.cli("api-key", "create", "--account", "Provisioned Co", "--name", "rest").strip()
    assert requests.get(f"{base}/Users", headers={"Authorization": f"Bearer {api_key}"}, timeout=10).status_code == 401, "a REST API key is no SCIM token"
    assert requests.get(f"{sp.base}/api/v1/account", headers={"Authorization": f"Bearer {keys['Provisioned Co']}"}, timeout=10).status_code == 401, "a SCIM token is no REST API key"
    assert requests.get(f"{sp.base}/api/v1/account", headers={"Authorization": f"Bearer {api_key}"}, timeout=10).status_code == 200
    extra = sp.cli("api-key", "create", "--account", "Provisioned Co", "--name", "to-revoke", "--scope", "scim").strip()
    assert requests.get(f"{base}/Users", headers={"Authorization": f"Bearer {extra}"}, timeout=10).status_code == 200
    kid = next(l.split("\t")[0] for l in sp.cli("api-key", "list", "--account", "Provisioned Co").splitlines() if "\tto-revoke\t" in l)
    assert "\tscim\t" in next(l for l in sp.cli("api-key", "list", "--account", "Provisioned Co").splitlines() if "to-revoke" in l)
    sp.cli("api-key", "revoke", "--account", "Provisioned Co", kid)
    assert requests.get(f"{base}/Users", headers={"Authorization": f"Bearer {extra}"}, timeout=10).status_code == 401
    # One account's token never reaches another account's users.
    a, b = client(sp, keys["Provisioned Co"]), client(sp, keys["Other Co"])
    u = a.post(f"{a.base}/Users", json={"schemas": [USER], "userName": "isolated@corp.test"}, timeout=10)
    assert u.status_code == 201, u.text
    uid = u.json()["id"]
    assert b.get(f"{b.base}/Users/{uid}", timeout=10).status_code == 404
    assert b.patch(f"{b.base}/Users/{uid}", json={"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}, timeout=10).status_code == 404
    assert b.delete(f"{b.base}/Users/{uid}", timeout=10).status_code == 404
    assert all(r["id"] != uid for r in b.get(f"{b.base}/Users", timeout=10).json()["Resources"])
    assert b.get(f"{b.base}/Users", params={"filter": 'userName eq "isolated@corp.test"'}, timeout=10).json()["totalResults"] == 0
    g = b.post(f"{b.base}/Groups", json={"schemas": [GROUP], "displayName": "Steal", "members": [{"value": uid}]}, timeout=10)
    assert g.status_code == 400 and g.json()["scimType"] == "invalidValue", g.text
    assert b.get(f"{b.base}/Groups", params={"filter": 'displayName eq "Steal"'}, timeout=10).json()["totalResults"] == 0, "nothing half-written"
    assert a.delete(f"{a.base}/Users/{uid}", timeout=10).status_code == 204


def test_queries_etags_and_bad_input(env):
    _, sp, keys, _ = env
    c = client(sp, keys["Provisioned Co"])
    made = []
    for i, (name, dept) in enumerate([("Zed", "Ops"), ("amy", "Eng"), ("Bea", "Eng")]):
        r = c.post(f"{c.base}/Users", json={"schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                                            "userName": f"{name}@q.test", "name": {"givenName": name},
                                            "emails": [{"value": f"{name.lower()}@q.test", "type": "work", "primary": True}],
                                            "active": i != 2,
                                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": dept}}, timeout=10)
        assert r.status_code == 201 and r.headers["Location"].endswith(r.json()["id"]) and r.headers["ETag"] == 'W/"1"', r.text
        made.append(r.json()["id"])
    dup = c.post(f"{c.base}/Users", json={"schemas": [USER], "userName": "ZED@Q.TEST"}, timeout=10)
    assert dup.status_code == 409 and dup.json()["scimType"] == "uniqueness"
    q = lambda **p: c.get(f"{c.base}/Users", params=p, timeout=10).json()
    assert q(filter='userName sw "a" or userName sw "b"', sortBy="userName")["totalResults"] == 2
    eng = q(filter='urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "eng" and not (active eq false)')
    assert [r["userName"] for r in eng["Resources"]] == ["amy@q.test"]
    assert q(filter='emails[type eq "work" and value ew "@q.test"]')["totalResults"] == 3
    page = q(filter='userName ew "@q.test"', sortBy="userName", sortOrder="descending", startIndex=2, count=1, attributes="userName")
    assert page["totalResults"] == 3 and page["startIndex"] == 2 and page["itemsPerPage"] == 1
    assert page["Resources"] == [{"schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "id": made[2], "userName": "Bea@q.test"}] or \
        page["Resources"][0]["userName"] == "Bea@q.test" and set(page["Resources"][0]) <= {"schemas", "id", "userName"}
    assert "emails" not in c.get(f"{c.base}/Users/{made[0]}", params={"excludedAttributes": "emails"}, timeout=10).json()
    for bad in ['userName eq', 'nosuch eq "x"', '(userName pr', 'active gt true', 'userName eq "x" and', '(' * 40 + 'userName pr' + ')' * 40]:
        r = c.get(f"{c.base}/Users", params={"filter": bad}, timeout=10)
        assert r.status_code == 400 and r.json()["scimType"] == "invalidFilter", (bad, r.text)
    assert c.get(f"{c.base}/Users", params={"count": "many"}, timeout=10).status_code == 400
    # ETags: a stale If-Match is refused, nothing written; the current one works.
    uid = made[0]
    op = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "name.givenName", "value": "Zedd"}]}
    r = c.patch(f"{c.base}/Users/{uid}", json=op, headers={"If-Match": 'W/"7"'}, timeout=10)
    assert r.status_code == 412
    r = c.patch(f"{c.base}/Users/{uid}", json=op, headers={"If-Match": 'W/"1"'}, timeout=10)
    assert r.status_code == 200 and r.headers["ETag"] == 'W/"2"' and r.json()["name"]["givenName"] == "Zedd"
    # PATCH errors: all or nothing.
    for ops, kind in [([{"op": "replace", "path": "name.givenName", "value": "X"}, {"op": "add", "path": "nosuch", "value": 1}], "invalidPath"),
                      ([{"op": "replace", "path": "name.givenName", "value": "X"}, {"op": "remove", "path": "userName"}], "mutability"),
                      ([{"op": "add", "path": "groups", "value": [{"value": "x"}]}], "mutability"),
                      ([{"op": "replace", "path": "emails[type eq \"work\"", "value": "x"}], "invalidPath"),
                      ([{"op": "replace", "path": "emails[type zz \"work\"]", "value": "x"}], "invalidFilter")]:
        r = c.patch(f"{c.base}/Users/{uid}", json={"schemas": [PATCH], "Operations": ops}, timeout=10)
        assert r.status_code == 400 and r.json()["scimType"] == kind, r.text
    after = c.get(f"{c.base}/Users/{uid}", timeout=10)
    assert after.json()["name"]["givenName"] == "Zedd" and after.headers["ETag"] == 'W/"2"', "nothing half-written"
    # Bodies: not JSON, not an object, unknown attributes, oversized.
    assert c.post(f"{c.base}/Users", data=b"{", timeout=10).json()["scimType"] == "invalidSyntax"
    assert c.post(f"{c.base}/Users", json=[1], timeout=10).json()["scimType"] == "invalidSyntax"
    assert c.post(f"{c.base}/Users", json={"userName": "u@q.test", "shoeSize": 44}, timeout=10).json()["scimType"] == "invalidSyntax"
    big = c.post(f"{c.base}/Users", data=b'{"userName": "' + b"a" * (3 * 1024 * 1024) + b'"}', timeout=30)
    assert big.status_code == 413 and big.json()["status"] == "413"
    assert c.get(f"{c.base}/Nope", timeout=10).status_code == 404
    # A group of 10,000 members, 9,997 of whom do not exist: refused, nothing written.
    members = [{"value": m} for m in made] + [{"value": f"ghost-{i}"} for i in range(9997)]
    r = c.post(f"{c.base}/Groups", json={"schemas": [GROUP], "displayName": "Huge", "members": members}, timeout=60)
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"
    assert c.get(f"{c.base}/Groups", params={"filter": 'displayName eq "Huge"'}, timeout=10).json()["totalResults"] == 0
    # A real big group: 300 users, then PATCH members in and out.
    ids = []
    for i in range(300):
        r = c.post(f"{c.base}/Users", json={"schemas": [USER], "userName": f"bulk{i}@q.test"}, timeout=10)
        ids.append(r.json()["id"])
    g = c.post(f"{c.base}/Groups", json={"schemas": [GROUP], "displayName": "Bulk", "members": [{"value": i} for i in ids[:200]]}, timeout=60)
    assert g.status_code == 201 and len(g.json()["members"]) == 200
    gid = g.json()["id"]
    r = c.patch(f"{c.base}/Groups/{gid}", json={"schemas": [PATCH], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": i} for i in ids[200:]]},
        {"op": "remove", "path": f'members[value eq "{ids[0]}"]'}]}, timeout=60)
    assert r.status_code == 200 and len(r.json()["members"]) == 299
    assert all("display" not in m for m in r.json()["members"]), "members.display only on request"
    shown = c.get(f"{c.base}/Groups/{gid}", params={"attributes": "members.display"}, timeout=10).json()["members"]
    assert {m["display"] for m in shown} == {f"bulk{i}@q.test" for i in range(1, 300)}
    got = c.get(f"{c.base}/Users/{ids[5]}", timeout=10).json()
    assert got["groups"] == [{"value": gid, "$ref": f"{c.base}/Groups/{gid}", "display": "Bulk", "type": "direct"}]
    assert "groups" not in c.get(f"{c.base}/Users/{ids[0]}", timeout=10).json()
    for i in ids:
        assert c.delete(f"{c.base}/Users/{i}", timeout=10).status_code == 204
    assert "members" not in c.get(f"{c.base}/Groups/{gid}", timeout=10).json()
    assert c.delete(f"{c.base}/Groups/{gid}", timeout=10).status_code == 204
    for i in made:
        assert c.delete(f"{c.base}/Users/{i}", timeout=10).status_code == 204


def test_provisioning_decides_single_sign_on(env):
    idp, sp, keys, _ = env
    c = client(sp, keys["Provisioned Co"])
    # Before provisioning: erin has no role in the account.
    _, r = sso(idp, sp, "erin")
    assert '<dd id="account">' not in r.text
    sp.cli("provisioning", "set", "--account", "Provisioned Co", "--default-role", "Read Only")
    u = c.post(f"{c.base}/Users", json={"schemas": [USER], "userName": "erin@corp.test", "displayName": "Erin"}, timeout=10)
    assert u.status_code == 201, u.text
    uid = u.json()["id"]
    b, r = sso(idp, sp, "erin")
    assert '<dd id="account">Provisioned Co</dd>' in r.text and '<dd id="role">Read Only</dd>' in r.text, r.text[:600]
    # Her provisioned group maps to a role by its name.
    sp.cli("idp", "map-group", "--account", "Provisioned Co", "Multi-Pass", "Operators", "Full Access")
    g = c.post(f"{c.base}/Groups", json={"schemas": [GROUP], "displayName": "Operators", "members": [{"value": uid}]}, timeout=10)
    assert g.status_code == 201
    b2, r = sso(idp, sp, "erin")
    assert '<dd id="role">Full Access</dd>' in r.text, r.text[:600]
    # Deactivated: both sessions end at once, and SSO is refused with a clear page.
    assert signed_in(b, sp) and signed_in(b2, sp)
    r = c.patch(f"{c.base}/Users/{uid}", json={"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}, timeout=10)
    assert r.status_code == 200 and r.json()["active"] is False
    assert not signed_in(b, sp) and not signed_in(b2, sp), "the sessions ended"
    _, r = sso(idp, sp, "erin")
    assert '<dd id="account">' not in r.text and "turned off by your organization" in r.text, r.text[:800]
    audit = [json.loads(l) for l in sp.cli("audit", "export", "--account", "Provisioned Co").splitlines()]
    scim_lines = [a for a in audit if a["action"] == "Provision"]
    assert any("deactivated" in a["detail"] and "2 session(s) ended" in a["detail"] for a in scim_lines), scim_lines
    assert all(a["principal"].startswith("urn:symbolon:identity:") and ":scim-token/" in a["principal"] for a in scim_lines)
    # frank was never provisioned: the account's other sign-ins are untouched by erin's state.
    # Reactivated: SSO works again.
    r = c.put(f"{c.base}/Users/{uid}", json={"schemas": [USER], "userName": "erin@corp.test", "active": True}, timeout=10)
    assert r.status_code == 200
    b, r = sso(idp, sp, "erin")
    assert '<dd id="role">Full Access</dd>' in r.text
    # Deleted: the session ends and SSO is refused until she is provisioned again.
    assert c.delete(f"{c.base}/Users/{uid}", timeout=10).status_code == 204
    assert not signed_in(b, sp)
    _, r = sso(idp, sp, "erin")
    assert "turned off by your organization" in r.text
    assert c.post(f"{c.base}/Users", json={"schemas": [USER], "userName": "erin@corp.test"}, timeout=10).status_code == 201
    _, r = sso(idp, sp, "erin")
    assert '<dd id="role">Read Only</dd>' in r.text, "back with the default role (no longer in Operators)"
    # The NameID may come from the primary email instead of userName.
    sp.cli("provisioning", "set", "--account", "Provisioned Co", "--name-source", "emails", "--default-role", "Read Only")
    r = c.post(f"{c.base}/Users", json={"schemas": [USER], "userName": "F. Frank", "emails": [{"value": "frank@corp.test", "primary": True}]}, timeout=10)
    assert r.status_code == 201
    _, r = sso(idp, sp, "frank")
    assert '<dd id="role">Read Only</dd>' in r.text, r.text[:600]
    shown = sp.cli("provisioning", "show", "--account", "Provisioned Co")
    assert "NameID from: emails" in shown and "frank@corp.test\tactive" in shown


def test_the_console_marks_provisioned_users_and_manages_tokens(env):
    idp, sp, keys, _ = env
    import re
    from test_idp_server import form
    c = client(sp, keys["Provisioned Co"])
    r = c.post(f"{c.base}/Users", json={"schemas": [USER], "userName": "gina@corp.test", "active": False}, timeout=10)
    assert r.status_code == 201
    # Hand-made SAML accounts cannot take a provisioned name.
    out = sp.cli("saml-account", "add", "--account", "Provisioned Co", "gina@corp.test", "--role", "Auditor", ok=False)
    assert out.returncode == 1 and "provisioned by your identity provider" in out.stderr
    sp.cli("user", "add", "--account", "Provisioned Co", "boss@prov.test", "--master", "--password-stdin", stdin="boss password 1\n")
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    s.post(f"{sp.base}/login", data={**f["fields"], "email": "boss@prov.test", "password": "boss password 1"}, timeout=30)
    page = s.get(f"{sp.base}/account/saml-accounts", timeout=10).text
    assert "Provisioned (SCIM) as gina@corp.test" in page and "Deactivated by your identity provider" in page
    one = s.get(f"{sp.base}/account/saml-accounts/gina@corp.test", timeout=10)
    assert one.status_code == 200 and "manages it" in one.text and "<form" not in one.text.split("<main")[-1].split("</main>")[0].replace('action="/logout"', "")
    assert "Provisioned (SCIM)" in s.get(f"{sp.base}/account/saml-users", timeout=10).text
    # Tokens: a SCIM token made in the console works for SCIM only.
    settings = s.get(f"{sp.base}/account/settings", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', settings).group(1)
    once = re.search(r'name="once" value="([0-9a-f]{64})"', settings).group(1)
    r = s.post(f"{sp.base}/account/settings", data={"csrf": csrf, "once": once, "action": "create-key", "key_name": "okta", "key_scope": "scim"}, timeout=30)
    key = re.search(r"<code>(spk_[0-9a-f]+)</code>", r.text).group(1)
    assert "SCIM provisioning" in r.text
    assert requests.get(f"{sp.base}/scim/v2/Users", headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 200
    assert requests.get(f"{sp.base}/api/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 401
    r = s.post(f"{sp.base}/account/settings", data={"csrf": csrf, "action": "provisioning", "name_source": "nonsense"}, timeout=30)
    assert "userName, emails or externalId" in r.text
    r = s.post(f"{sp.base}/account/settings", data={"csrf": csrf, "action": "provisioning", "name_source": "userName", "default_role": "Auditor"}, timeout=30)
    assert "Provisioning settings saved." in r.text and "<option selected>Auditor</option>" in r.text


def test_the_rest_api_manages_scim_tokens_and_provisioning(env):
    idp, sp, keys, _ = env
    api_key = sp.cli("api-key", "create", "--account", "Other Co", "--name", "automation").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {api_key}"
    r = api.post(f"{sp.base}/api/v1/scim-tokens", json={"name": "entra"}, timeout=10)
    assert r.status_code == 201 and r.json()["token"].startswith("spk_"), r.text
    tok = r.json()
    scim = {"Authorization": f"Bearer {tok['token']}"}
    assert requests.get(f"{sp.base}/scim/v2/Users", headers=scim, timeout=10).status_code == 200
    listed = api.get(f"{sp.base}/api/v1/scim-tokens", timeout=10).json()
    assert {"id": tok["id"], "name": "entra", "revoked": False}.items() <= next(t for t in listed if t["id"] == tok["id"]).items()
    assert all("token" not in t and "key" not in t for t in listed), "never shown again"
    # A SCIM token cannot manage tokens; a REST key is no SCIM token and cannot be revoked here.
    assert requests.get(f"{sp.base}/api/v1/scim-tokens", headers=scim, timeout=10).status_code == 401
    own = next(l.split("\t")[0] for l in sp.cli("api-key", "list", "--account", "Other Co").splitlines() if "\tautomation\t" in l)
    assert api.delete(f"{sp.base}/api/v1/scim-tokens/{own}", timeout=10).status_code == 404
    # Another account's token is not found here.
    other = api.get(f"{sp.base}/api/v1/scim-tokens", timeout=10).json()
    assert all(t["name"] != "to-revoke" for t in other)
    assert api.delete(f"{sp.base}/api/v1/scim-tokens/{tok['id']}", timeout=10).status_code == 204
    assert requests.get(f"{sp.base}/scim/v2/Users", headers=scim, timeout=10).status_code == 401
    # Settings.
    r = api.put(f"{sp.base}/api/v1/provisioning", json={"nameSource": "externalId", "defaultRole": "Auditor"}, timeout=10)
    assert r.status_code == 200 and r.json()["nameSource"] == "externalId" and r.json()["defaultRole"] == "Auditor", r.text
    assert r.json()["scimUrl"] == f"{sp.base}/scim/v2"
    assert api.put(f"{sp.base}/api/v1/provisioning", json={"nameSource": "x"}, timeout=10).status_code == 400
    assert api.put(f"{sp.base}/api/v1/provisioning", json={"defaultRole": "No Such Role"}, timeout=10).status_code == 404
    assert api.put(f"{sp.base}/api/v1/provisioning", json={"bogus": 1}, timeout=10).status_code in (400, 422)
    assert api.get(f"{sp.base}/api/v1/provisioning", timeout=10).json()["defaultRole"] == "Auditor"


def test_bulk_requests_run_in_order_with_bulk_ids(env):
    _, sp, keys, _ = env
    c = client(sp, keys["Other Co"])
    BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
    assert c.get(f"{c.base}/ServiceProviderConfig", timeout=10).json()["bulk"]["supported"] is True
    r = c.post(f"{c.base}/Bulk", json={"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"schemas": [USER], "userName": "bulk-a@b.test"}},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"schemas": [USER], "userName": "bulk-b@b.test"}},
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"schemas": [GROUP], "displayName": "Bulk team",
                                                                      "members": [{"value": "bulkId:a"}, {"value": "bulkId:b"}]}},
        {"method": "PATCH", "path": "/Users/bulkId:b", "data": {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}},
        {"method": "POST", "path": "/Users", "data": {"schemas": [USER], "userName": "BULK-A@b.test"}},
        {"method": "POST", "path": "/Users", "data": {"schemas": [USER], "userName": "x", "members": []}},
        {"method": "DELETE", "path": "/Users/bulkId:nope"},
    ]}, timeout=30)
    assert r.status_code == 200, r.text
    ops = r.json()["Operations"]
    assert [o["status"] for o in ops] == ["201", "201", "201", "200", "409", "400", "400"], ops
    assert ops[0]["location"].startswith(f"{c.base}/Users/") and ops[0]["version"] == 'W/"1"'
    assert ops[4]["response"]["scimType"] == "uniqueness"
    gid = ops[2]["location"].rsplit("/", 1)[1]
    members = {m["value"] for m in c.get(f"{c.base}/Groups/{gid}", timeout=10).json()["members"]}
    assert members == {ops[0]["location"].rsplit("/", 1)[1], ops[1]["location"].rsplit("/", 1)[1]}
    # failOnErrors stops the batch after that many errors.
    r = c.post(f"{c.base}/Bulk", json={"schemas": [BULK], "failOnErrors": 1, "Operations": [
        {"method": "POST", "path": "/Users", "data": {"schemas": [USER], "userName": "bulk-a@b.test"}},
        {"method": "POST", "path": "/Users", "data": {"schemas": [USER], "userName": "never@b.test"}},
    ]}, timeout=30)
    assert [o["status"] for o in r.json()["Operations"]] == ["409"]
    assert c.get(f"{c.base}/Users", params={"filter": 'userName eq "never@b.test"'}, timeout=10).json()["totalResults"] == 0
    # Too many operations, or not a bulk request.
    many = [{"method": "DELETE", "path": "/Users/x"}] * 1001
    r = c.post(f"{c.base}/Bulk", json={"schemas": [BULK], "Operations": many}, timeout=30)
    assert r.status_code == 413 and r.json()["status"] == "413"
    assert c.post(f"{c.base}/Bulk", json={"Operations": []}, timeout=10).json()["scimType"] == "invalidSyntax"
    for o in ops[:3]:
        assert c.delete(o["location"], timeout=10).status_code == 204
