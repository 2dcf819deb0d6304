"""Day-2 administration of the service provider (issue 17), end to end over HTTP on 127.0.0.1
with our IdP: group mappings changed and removed (CLI, REST, console), SAML accounts edited and
removed, custom roles renamed, built-in roles kept, native users reset and removed (never the
last master administrator), accounts renamed and deleted; each change in the audit log, nothing
logged for a change that changes nothing; the profile of the account the user enters."""
import json
import re
import urllib.parse

import requests

from test_idp_server import form
from test_idp_server import sign_in
from test_sp_server import env, idp_sign_in  # noqa: F401  (the module's own SP + IdP)


def audit(sp, account):
    return [json.loads(l) for l in sp.cli("audit", "export", "--account", account).splitlines()]


def admin_lines(sp, account):
    return [a["detail"] for a in audit(sp, account) if a["action"] == "Admin"]


def acs(idp, sp, user):
    action, b64 = idp_sign_in(idp, user)
    b = requests.Session()
    return b, b.post(action, data={"SAMLResponse": b64}, timeout=30)


def test_the_profile_of_the_account_entered_is_used(env):
    idp, sp, _, _ = env
    # Dev reads no locale and no time zone; Prod reads both. alice (locale ja, Asia/Tokyo) in
    # Dev must see English and UTC, in Prod Japanese and JST, from one sign-in.
    sp.cli("idp", "profile", "--account", "Acme Dev", "Multi-Pass", "--role-attribute", "groups", "--name-attribute", "displayName")
    try:
        b, r = acs(idp, sp, "alice")
        assert r.url.endswith("/pick"), r.text[:300]
        picks = dict((label.split(" · ")[0], i) for i, label in re.findall(r'name="pair" value="(\d+)"><button type="submit">([^<]+)</button>', r.text))
        csrf = form(r.text, "/pick")["fields"]["csrf"]
        dev = b.post(f"{sp.base}/pick", data={"csrf": csrf, "pair": picks["Acme Dev"]}, timeout=10)
        assert '<dd id="account">Acme Dev</dd>' in dev.text and 'lang="en"' in dev.text
        assert re.search(r'<dd id="signed-in-at">[^<]+ UTC</dd>', dev.text), "Dev reads no time zone"
        prod = b.post(f"{sp.base}/pick", data={"csrf": csrf, "pair": picks["Acme Prod"]}, timeout=10)
        assert '<dd id="account">Acme Prod</dd>' in prod.text and 'lang="ja"' in prod.text
        assert re.search(r'<dd id="signed-in-at">[^<]+ JST</dd>', prod.text)
    finally:
        sp.cli("idp", "profile", "--account", "Acme Dev", "Multi-Pass", "--role-attribute", "groups", "--name-attribute", "displayName",
               "--locale-attribute", "locale", "--timezone-attribute", "timezone")


def test_a_deleted_role_is_repaired_by_remapping_and_the_mapping_removed(env):
    idp, sp, _, _ = env
    sp.cli("role", "add", "--account", "Acme Dev", "Late shift")
    sp.cli("idp", "map-group", "--account", "Acme Dev", "Multi-Pass", "/ops", "Late shift", ok=False)  # may exist already
    sp.cli("idp", "remap-group", "--account", "Acme Dev", "Multi-Pass", "/ops", "Late shift")
    sp.cli("role", "delete", "--account", "Acme Dev", "Late shift")
    assert "/ops\tLate shift\t(deleted role)" in sp.cli("idp", "mappings", "--account", "Acme Dev", "Multi-Pass")
    _, r = acs(idp, sp, "dave")
    assert r.status_code == 403 and "roles that were deleted" in r.text
    # Remapping (refused before this issue as "already mapped") lets dave in again.
    before = len(admin_lines(sp, "Acme Dev"))
    sp.cli("idp", "remap-group", "--account", "Acme Dev", "Multi-Pass", "/ops", "Read Only")
    lines = admin_lines(sp, "Acme Dev")
    assert len(lines) == before + 1 and "changed the role of group /ops from Late shift to Read Only" in lines[-1]
    _, r = acs(idp, sp, "dave")
    assert r.status_code == 200 and '<dd id="role">Read Only</dd>' in r.text, r.text[:400]
    # The same role again changes nothing and records nothing.
    out = sp.cli("idp", "remap-group", "--account", "Acme Dev", "Multi-Pass", "/ops", "read only")
    assert "nothing changed" in out and len(admin_lines(sp, "Acme Dev")) == before + 1
    # Removing the mapping: dave is refused again.
    sp.cli("idp", "unmap-group", "--account", "Acme Dev", "Multi-Pass", "/ops")
    assert "/ops" not in sp.cli("idp", "mappings", "--account", "Acme Dev", "Multi-Pass")
    assert "removed the mapping of group /ops" in admin_lines(sp, "Acme Dev")[-1]
    _, r = acs(idp, sp, "dave")
    assert r.status_code == 403 and "No access" in r.text
    sp.cli("idp", "map-group", "--account", "Acme Dev", "Multi-Pass", "/ops", "Read Only")


def test_cli_verbs_refuse_what_does_not_exist_with_exit_1(env):
    _, sp, _, _ = env
    for args, words in [
        (("idp", "unmap-group", "--account", "Acme Dev", "Multi-Pass", "/nope"), "not mapped"),
        (("idp", "remap-group", "--account", "Acme Dev", "Multi-Pass", "/nope", "Read Only"), "not mapped"),
        (("idp", "remap-group", "--account", "Acme Dev", "Multi-Pass", "/eng", "No Such Role"), "no role"),
        (("idp", "unmap-group", "--account", "Acme Dev", "No IdP", "/eng"), "no identity provider"),
        (("saml-account", "remove", "--account", "Acme Dev", "nobody@corp.test"), "no SAML account"),
        (("saml-account", "edit", "--account", "Acme Dev", "nobody@corp.test", "--role", "Auditor"), "no SAML account"),
        (("account", "delete", "No Such Account", "--yes"), "no account"),
        (("role", "delete", "--account", "Acme Dev", "Full Access"), "built-in role"),
        (("role", "rename", "--account", "Acme Dev", "Auditor", "Auditors"), "built-in role"),
        (("user", "remove", "--account", "Acme Dev", "nobody@corp.test"), "no user"),
    ]:
        out = sp.cli(*args, ok=False)
        assert out.returncode == 1 and words in out.stderr, (args, out.stderr)


def test_account_names_are_unique_whatever_their_case(env):
    """Issue 15: `account create "Acme"` twice (or " acme ") used to succeed, and then every
    `--account Acme` command failed. Now the second create is refused with the ID of the account
    that has the name, and `--account` finds an account whatever the case."""
    _, sp, _, _ = env
    created = sp.cli("account", "create", "Unique Co", ok=False)
    assert created.returncode == 0 and 'created account "Unique Co"' in created.stderr
    uid = created.stdout.strip()
    for twin in ("Unique Co", " unique co ", "UNIQUE  CO"):
        out = sp.cli("account", "create", twin, ok=False)
        assert out.returncode == 1 and "already an account named" in out.stderr and uid in out.stderr, (twin, out.stderr)
    assert [l for l in sp.cli("account", "list").splitlines() if "unique co" in l.lower()] == [f"{uid}\tUnique Co"]
    assert "is named Unique Co" in sp.cli("account", "rename", "unique co", "Unique Co")
    out = sp.cli("account", "rename", "Acme Dev", "unique CO", ok=False)
    assert out.returncode == 1 and "already an account named" in out.stderr
    assert sp.cli("account", "delete", "UNIQUE CO", "--yes", ok=False).returncode == 0


def test_saml_accounts_are_edited_removed_and_master_emails_flagged(env):
    idp, sp, _, _ = env
    # carol is a master administrator of Prod: her SAML account there is flagged.
    assert "carol@corp.test\tFull Access\t\t(master administrator: SSO refused)" in sp.cli("saml-account", "list", "--account", "Acme Prod")
    out = sp.cli("saml-account", "add", "--account", "Acme Prod", "CAROL2@corp.test", "--role", "Auditor", ok=False)
    assert out.returncode == 0 and "warning" not in out.stderr
    sp.cli("user", "add", "--account", "Acme Prod", "carol2@corp.test", "--master", "--password-stdin", stdin="carol2 native pw\n")
    out = sp.cli("saml-account", "add", "--account", "Acme Prod", "carol2@corp.test", "--role", "Auditor", ok=False)
    assert out.returncode == 1 and "already a SAML account" in out.stderr
    out = sp.cli("saml-account", "add", "--account", "Acme Dev", "carol@corp.test", "--role", "Auditor", ok=False)
    assert out.returncode == 1
    # Edit: the role and the description; nothing recorded when nothing changes.
    before = len(admin_lines(sp, "Acme Dev"))
    sp.cli("saml-account", "edit", "--account", "Acme Dev", "carol@corp.test", "--role", "Read Only", "--description", "reads dev")
    assert "carol@corp.test\tRead Only\treads dev" in sp.cli("saml-account", "list", "--account", "Acme Dev")
    lines = admin_lines(sp, "Acme Dev")
    assert len(lines) == before + 1 and "role Auditor -> Read Only" in lines[-1] and "reads dev" in lines[-1]
    assert "unchanged" in sp.cli("saml-account", "edit", "--account", "Acme Dev", "CAROL@corp.test", "--role", "Read Only")
    assert len(admin_lines(sp, "Acme Dev")) == before + 1
    b, r = acs(idp, sp, "carol")
    assert '<dd id="account">Acme Dev</dd>' in r.text and '<dd id="role">Read Only</dd>' in r.text
    # Remove (offboarding): carol is then refused at Dev (and Prod refuses its master through SSO).
    sp.cli("saml-account", "remove", "--account", "Acme Dev", "carol@corp.test")
    assert "removed SAML account carol@corp.test" in admin_lines(sp, "Acme Dev")[-1]
    _, r = acs(idp, sp, "carol")
    assert r.status_code == 403 and "No access" in r.text
    sp.cli("saml-account", "add", "--account", "Acme Dev", "carol@corp.test", "--role", "Auditor", "--description", "audits dev")


def test_roles_rename_and_native_users(env):
    _, sp, _, _ = env
    sp.cli("role", "add", "--account", "Acme Prod", "Temp")
    sp.cli("idp", "map-group", "--account", "Acme Prod", "Multi-Pass", "/temp", "Temp")
    sp.cli("role", "rename", "--account", "Acme Prod", "Temp", "Contractors")
    assert "/temp\tContractors" in sp.cli("idp", "mappings", "--account", "Acme Prod", "Multi-Pass")
    out = sp.cli("role", "rename", "--account", "Acme Prod", "Contractors", "Full Access", ok=False)
    assert out.returncode == 1 and "already has a role" in out.stderr
    sp.cli("idp", "unmap-group", "--account", "Acme Prod", "Multi-Pass", "/temp")
    sp.cli("role", "delete", "--account", "Acme Prod", "Contractors")
    # Native users: a fresh account with two masters; one may go, the last may not.
    acc = sp.cli("account", "create", "Scratch").strip()
    for who in ("m1@scratch.test", "m2@scratch.test"):
        sp.cli("user", "add", "--account", acc, who, "--master", "--password-stdin", stdin="scratch pw 123\n")
    sp.cli("user", "reset-password", "--account", acc, "m1@scratch.test", "--password-stdin", stdin="new scratch pw\n")
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    r = s.post(f"{sp.base}/login", data={**f["fields"], "email": "m1@scratch.test", "password": "new scratch pw"}, timeout=30)
    assert '<dd id="account">Scratch</dd>' in r.text
    sp.cli("user", "remove", "--account", acc, "m2@scratch.test")
    out = sp.cli("user", "remove", "--account", acc, "m1@scratch.test", ok=False)
    assert out.returncode == 1 and "last master administrator" in out.stderr
    assert sp.cli("user", "list", "--account", acc).startswith("m1@scratch.test\tmaster")


def test_rest_api_changes_and_removes(env):
    _, sp, ids, _ = env
    key = sp.cli("api-key", "create", "--account", "Acme Dev", "--name", "day2").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    base = f"{sp.base}/api/v1"
    idp_id = next(i["id"] for i in api.get(f"{base}/identity-providers", timeout=10).json() if i["name"] == "Multi-Pass")
    group = urllib.parse.quote("/eng", safe="")
    m = f"{base}/identity-providers/{idp_id}/mappings/{group}"
    assert api.put(m, json={"role": "Auditor"}, timeout=10).status_code == 204
    assert {"group": "/eng", "role": "Auditor", "roleDeleted": False} in api.get(f"{base}/identity-providers/{idp_id}/mappings", timeout=10).json()
    assert api.put(m, json={"role": "Read Only"}, timeout=10).status_code == 204
    assert api.put(m, json={"role": "No Such"}, timeout=10).status_code == 404
    assert api.put(m, json={"role": "Read Only", "extra": 1}, timeout=10).status_code in (400, 422)
    assert api.delete(f"{base}/identity-providers/{idp_id}/mappings/{urllib.parse.quote('/nope', safe='')}", timeout=10).status_code == 404
    # Another account's identity provider is not there for this key.
    prod_idp = next(l.split("\t")[0] for l in sp.cli("idp", "list", "--account", "Acme Prod").splitlines() if "\tMulti-Pass\t" in l)
    assert api.put(f"{base}/identity-providers/{prod_idp}/mappings/{group}", json={"role": "Auditor"}, timeout=10).status_code == 404
    assert api.delete(f"{base}/identity-providers/{prod_idp}", timeout=10).status_code == 404
    # The identity provider: description and profile; absent fields stay.
    r = api.patch(f"{base}/identity-providers/{idp_id}", json={"description": "MPAS (dev)"}, timeout=10)
    assert r.status_code == 200 and r.json()["description"] == "MPAS (dev)" and r.json()["roleAttribute"] == "groups"
    # SAML accounts.
    assert api.post(f"{base}/saml-accounts", json={"name": "tmp@corp.test", "role": "Read Only"}, timeout=10).status_code == 201
    assert api.patch(f"{base}/saml-accounts/tmp@corp.test", json={"role": "Auditor"}, timeout=10).status_code == 204
    assert {"name": "tmp@corp.test", "role": "Auditor", "description": None} in api.get(f"{base}/saml-accounts", timeout=10).json()
    assert api.delete(f"{base}/saml-accounts/tmp@corp.test", timeout=10).status_code == 204
    assert api.delete(f"{base}/saml-accounts/tmp@corp.test", timeout=10).status_code == 404
    # Roles: built-in ones stay.
    assert api.delete(f"{base}/roles/Full%20Access", timeout=10).status_code == 400
    assert api.post(f"{base}/roles", json={"name": "Ephemeral"}, timeout=10).status_code == 201
    assert api.patch(f"{base}/roles/Ephemeral", json={"name": "Fleeting"}, timeout=10).status_code == 204
    assert api.delete(f"{base}/roles/Fleeting", timeout=10).status_code == 204
    # The account's name.
    assert api.put(f"{base}/account/name", json={"name": "Acme Dev"}, timeout=10).status_code == 204
    details = [a["detail"] for a in api.get(f"{base}/audit", timeout=10).json() if a["action"] == "Admin"]
    assert not any("renamed the account" in d for d in details), "an unchanged name records nothing"
    assert any("changed the role of group /eng from Read Only to Auditor" in d for d in details)


def test_account_console_remaps_and_removes(env):
    idp, sp, _, _ = env
    sp.cli("user", "add", "--account", "Acme Dev", "admin@dev.test", "--master", "--password-stdin", stdin="dev admin pw 1\n")
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    s.post(f"{sp.base}/login", data={**f["fields"], "email": "admin@dev.test", "password": "dev admin pw 1"}, timeout=30)
    idp_id = next(l.split("\t")[0] for l in sp.cli("idp", "list", "--account", "Acme Dev").splitlines() if "\tMulti-Pass\t" in l)
    page = s.get(f"{sp.base}/account/idps/{idp_id}", timeout=10)
    assert "Change role" in page.text and "Remove…" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    post = lambda data: s.post(f"{sp.base}/account/idps/{idp_id}", data={"csrf": csrf, **data}, timeout=10, allow_redirects=False)
    r = post({"action": "remap", "group": "/ops", "role": "Auditor"})
    assert r.status_code == 303 and r.headers["location"] == f"/account/idps/{idp_id}"
    assert "/ops\tAuditor" in sp.cli("idp", "mappings", "--account", "Acme Dev", "Multi-Pass")
    r = post({"action": "unmap", "group": "/ops"})
    assert r.status_code == 200 and "Remove the mapping of group /ops?" in r.text
    assert "/ops" in sp.cli("idp", "mappings", "--account", "Acme Dev", "Multi-Pass"), "nothing before confirmation"
    assert post({"action": "unmap", "group": "/ops", "confirm": "yes"}).status_code == 303
    assert "/ops" not in sp.cli("idp", "mappings", "--account", "Acme Dev", "Multi-Pass")
    assert post({"action": "unmap", "group": "/ops", "confirm": "yes"}).status_code == 400
    sp.cli("idp", "map-group", "--account", "Acme Dev", "Multi-Pass", "/ops", "Read Only")
    # SAML accounts: the page of one, edit, remove after confirmation.
    lst = s.get(f"{sp.base}/account/saml-accounts", timeout=10)
    assert 'href="/account/saml-accounts/carol%40corp%2Etest"' in lst.text or 'href="/account/saml-accounts/carol%40corp.test"' in lst.text
    one = s.get(f"{sp.base}/account/saml-accounts/carol@corp.test", timeout=10)
    assert one.status_code == 200 and "Remove this SAML account" in one.text
    r = s.post(f"{sp.base}/account/saml-accounts/carol@corp.test", data={"csrf": csrf, "action": "edit", "role": "Read Only", "description": "x"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303
    assert "carol@corp.test\tRead Only\tx" in sp.cli("saml-account", "list", "--account", "Acme Dev")
    r = s.post(f"{sp.base}/account/saml-accounts/carol@corp.test", data={"csrf": "forged", "action": "remove", "confirm": "yes"}, timeout=10)
    assert r.status_code == 403
    r = s.post(f"{sp.base}/account/saml-accounts/carol@corp.test", data={"csrf": csrf, "action": "remove", "confirm": "yes"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303 and "carol@corp.test" not in sp.cli("saml-account", "list", "--account", "Acme Dev")
    assert s.get(f"{sp.base}/account/saml-accounts/carol@corp.test", timeout=10).status_code == 404
    sp.cli("saml-account", "add", "--account", "Acme Dev", "carol@corp.test", "--role", "Auditor", "--description", "audits dev")
    # Roles: only custom roles are offered for renaming or deletion.
    roles = s.get(f"{sp.base}/account/roles", timeout=10).text
    offered = re.findall(r'<select id="delrole" name="name">(.*?)</select>', roles, re.S)
    assert offered and "Full Access" not in offered[0]


def test_deleting_an_account_takes_everything_of_it(env):
    idp, sp, ids, _ = env
    acc = sp.cli("account", "create", "Doomed").strip()
    sp.cli("user", "add", "--account", acc, "boss@doomed.test", "--master", "--password-stdin", stdin="doomed pw 123\n")
    sp.cli("saml-account", "add", "--account", acc, "alice@corp.test", "--role", "Auditor")
    out = sp.cli("account", "delete", acc, ok=False)
    assert out.returncode == 1 and "--yes" in out.stderr and "1 native user(s), 1 SAML account(s)" in out.stderr
    assert "Doomed" in sp.cli("account", "list")
    out = sp.cli("account", "delete", acc, "--yes")
    assert "deleted" in out and "Doomed" not in sp.cli("account", "list")
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    r = s.post(f"{sp.base}/login", data={**f["fields"], "email": "boss@doomed.test", "password": "doomed pw 123"}, timeout=30)
    assert r.status_code == 401
    # The others are untouched.
    assert "Multi-Pass" in sp.cli("idp", "list", "--account", "Acme Prod")


def test_every_refusal_shows_a_reference_found_in_failed_sign_ins(env):
    idp, sp, _, _ = env
    key = sp.cli("api-key", "create", "--account", "Acme Dev", "--name", "refs").strip()
    traces = lambda: requests.get(f"{sp.base}/api/v1/failed-sign-ins", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    ref_of = lambda page: re.search(r'<dd id="reference">([A-Z0-9]+)</dd>', page.text).group(1)
    # No role: signed in at the IdP, refused here, with a time and a reference and a way on.
    _, r = acs(idp, sp, "bob")
    assert r.status_code == 403 and "No access" in r.text and 'id="refused-at"' in r.text and 'href="/"' in r.text
    ref = ref_of(r)
    found = [t for t in traces() if t["reference"] == ref]
    assert found and found[0]["code"] == "no_role" and "bob@corp.test" in found[0]["reason"]
    # A replay: the plain reason for the person, the trace for the administrator.
    action, b64 = idp_sign_in(idp, "alice")
    assert requests.post(action, data={"SAMLResponse": b64}, timeout=30).status_code == 200
    again = requests.post(action, data={"SAMLResponse": b64}, timeout=30)
    assert again.status_code == 403 and "already used" in again.text
    ref = ref_of(again)
    found = [t for t in traces() if t["reference"] == ref]
    assert found and found[0]["code"] == "replay" and "…(elided)…" in found[0]["message"]
    # The console finds a reference.
    sp.cli("user", "add", "--account", "Acme Dev", "refs@dev.test", "--master", "--password-stdin", stdin="refs admin pw 1\n")
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    s.post(f"{sp.base}/login", data={**f["fields"], "email": "refs@dev.test", "password": "refs admin pw 1"}, timeout=30)
    page = s.get(f"{sp.base}/account/failed-sign-ins", params={"reference": ref.lower()}, timeout=10)
    assert page.status_code == 200 and page.text.count("<code>replay</code>") == 1 and f"<code>{ref}</code>" in page.text


def test_relay_state_deep_links_stay_within_the_sp(env):
    idp, sp, _, _ = env
    # carol has one pair (Dev, Auditor): an IdP-initiated RelayState within the SP is followed.
    sp.cli("saml-account", "edit", "--account", "Acme Dev", "carol@corp.test", "--role", "Full Access")
    try:
        for relay, lands in [("/account/saml-users", "/account/saml-users"),
                             (f"{sp.base}/account/audit?action=Admin", "/account/audit?action=Admin"),
                             ("https://evil.test/phish", "/"), ("//evil.test/x", "/"),
                             (f"{sp.base}.evil.test/", "/"), ("/\\evil.test", "/")]:
            action, b64 = idp_sign_in(idp, "carol")
            b = requests.Session()
            r = b.post(action, data={"SAMLResponse": b64, "RelayState": relay}, timeout=30, allow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == lands, (relay, r.headers.get("location"))
        # Several pairs: the picker first, then the deep link.
        action, b64 = idp_sign_in(idp, "alice")
        b = requests.Session()
        r = b.post(action, data={"SAMLResponse": b64, "RelayState": "/account/roles"}, timeout=30)
        assert r.url.endswith("/pick")
        csrf = form(r.text, "/pick")["fields"]["csrf"]
        pick = re.search(r'name="pair" value="(\d+)"><button type="submit">Acme Prod', r.text).group(1)
        r = b.post(f"{sp.base}/pick", data={"csrf": csrf, "pair": pick}, timeout=10, allow_redirects=False)
        assert r.headers["location"] == "/account/roles"
        r = b.post(f"{sp.base}/pick", data={"csrf": csrf, "pair": pick}, timeout=10, allow_redirects=False)
        assert r.headers["location"] == "/", "followed once"
    finally:
        sp.cli("saml-account", "edit", "--account", "Acme Dev", "carol@corp.test", "--role", "Auditor")
    # SP-initiated from a page: back to that page after the IdP.
    dev_id = next(l.split("\t")[0] for l in sp.cli("idp", "list", "--account", "Acme Dev").splitlines() if "\tMulti-Pass\t" in l)
    b = requests.Session()
    start = b.get(f"{sp.base}/saml/login", params={"idp": dev_id, "return": "/account/failed-sign-ins"}, allow_redirects=False, timeout=10)
    acs_form = form(sign_in(b, b.get(start.headers["Location"], timeout=30), username="carol").text)
    r = b.post(acs_form["action"], data=acs_form["fields"], timeout=30, allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/failed-sign-ins"
    # Native sign-on carries a return path too, and refuses another origin.
    s = requests.Session()
    page = s.get(f"{sp.base}/login", params={"return": "/account/audit"}, timeout=10)
    f = form(page.text, "/login")
    assert f["fields"]["return"] == "/account/audit"
    r = s.post(f"{sp.base}/login", data={**f["fields"], "email": "carol@corp.test", "password": "carol native pw"}, timeout=30, allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/audit"
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    r = s.post(f"{sp.base}/login", data={**f["fields"], "return": "https://evil.test/", "email": "carol@corp.test", "password": "carol native pw"}, timeout=30, allow_redirects=False)
    assert r.headers["location"] == "/"


def test_console_users_settings_api_keys_and_account_deletion(env):
    idp, sp, _, _ = env
    acc = sp.cli("account", "create", "Console Co").strip()
    sp.cli("user", "add", "--account", acc, "boss@console.test", "--master", "--password-stdin", stdin="boss password 1\n")
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    s.post(f"{sp.base}/login", data={**f["fields"], "email": "boss@console.test", "password": "boss password 1"}, timeout=30)
    page = s.get(f"{sp.base}/account/users", timeout=10)
    assert page.status_code == 200 and "boss@console.test" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    users = lambda data: s.post(f"{sp.base}/account/users", data={"csrf": csrf, **data}, timeout=30, allow_redirects=False)
    r = users({"action": "add", "email": "ops@console.test", "password": "short"})
    assert r.status_code == 400 and 'id="password-error"' in r.text and 'value="ops@console.test"' in r.text
    assert users({"action": "add", "email": "ops@console.test", "password": "ops password 1"}).status_code == 303
    assert users({"action": "reset", "email": "ops@console.test", "password": "ops password 2"}).status_code == 303
    r = users({"action": "remove", "email": "boss@console.test", "confirm": "yes"})
    assert "last master administrator" in r.text
    assert "Remove user ops@console.test?" in users({"action": "remove", "email": "ops@console.test"}).text
    assert users({"action": "remove", "email": "ops@console.test", "confirm": "yes"}).status_code == 303
    assert "ops@console.test" not in sp.cli("user", "list", "--account", acc)
    # Settings: rename, an API key shown once and revoked after a confirmation.
    settings = lambda data: s.post(f"{sp.base}/account/settings", data={"csrf": csrf, **data}, timeout=30, allow_redirects=False)
    assert settings({"action": "rename", "name": "Console Company"}).status_code == 303
    assert "Console Company" in sp.cli("account", "list")
    once = lambda: re.search(r'name="once" value="([0-9a-f]{64})"', s.get(f"{sp.base}/account/settings", timeout=10).text).group(1)
    sent = {"action": "create-key", "key_name": "ci", "once": once()}
    r = settings(sent)
    key = re.search(r'<code>(spk_[0-9a-f]{64})</code>', r.text).group(1)
    # The answer reloaded (the same form again), or a form without its token: no second key.
    for again in (sent, {"action": "create-key", "key_name": "ci"}):
        r2 = settings(again)
        assert r2.status_code == 200 and "This form was already sent" in r2.text and "spk_" not in r2.text
    assert sp.cli("api-key", "list", "--account", acc).count("\tci\t") == 1, sp.cli("api-key", "list", "--account", acc)
    assert requests.get(f"{sp.base}/api/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 200
    key_id = re.search(r'name="key" value="([^"]+)"', r.text).group(1)
    assert "Revoke this API key?" in settings({"action": "revoke-key", "key": key_id}).text
    assert settings({"action": "revoke-key", "key": key_id, "confirm": "yes"}).status_code == 303
    assert requests.get(f"{sp.base}/api/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 401
    # Delete the account: only with its name typed; the session ends with it.
    r = settings({"action": "delete"})
    assert "Delete account" in r.text and 'name="typed"' in r.text
    assert settings({"action": "delete", "confirm": "yes", "typed": "nope"}).status_code == 400
    # The name it has now (renamed above), not the one it had at sign-in.
    assert settings({"action": "delete", "confirm": "yes", "typed": "Console Co"}).status_code == 400
    r = settings({"action": "delete", "confirm": "yes", "typed": "Console Company"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert acc not in sp.cli("account", "list")
    assert s.get(f"{sp.base}/account/settings", timeout=10).status_code == 401
    # A Full Access SAML administrator does not manage native users or delete the account.
    action, b64 = idp_sign_in(idp, "alice")
    b = requests.Session()
    r = b.post(action, data={"SAMLResponse": b64}, timeout=30)
    csrf = form(r.text, "/pick")["fields"]["csrf"]
    pick = re.search(r'name="pair" value="(\d+)"><button type="submit">Acme Prod · Full Access', r.text).group(1)
    b.post(f"{sp.base}/pick", data={"csrf": csrf, "pair": pick}, timeout=10)
    assert b.get(f"{sp.base}/account/users", timeout=10).status_code == 403
    assert b.post(f"{sp.base}/account/settings", data={"csrf": csrf, "action": "delete", "confirm": "yes", "typed": "Acme Prod"}, timeout=10).status_code == 403


def test_console_changes_answer_with_a_redirect(env):
    _, sp, _, _ = env
    sp.cli("user", "add", "--account", "Acme Dev", "prg@dev.test", "--master", "--password-stdin", stdin="prg admin pw 1\n")
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    s.post(f"{sp.base}/login", data={**f["fields"], "email": "prg@dev.test", "password": "prg admin pw 1"}, timeout=30)
    page = s.get(f"{sp.base}/account/roles", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = s.post(f"{sp.base}/account/roles", data={"csrf": csrf, "name": "Reloaded"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/roles"
    assert "Role Reloaded added." in s.get(f"{sp.base}/account/roles", timeout=10).text
    assert "Role Reloaded added." not in s.get(f"{sp.base}/account/roles", timeout=10).text, "the notice is shown once"
    r = s.post(f"{sp.base}/account/saml-accounts", data={"csrf": csrf, "name": "prg@dev.test", "role": "Auditor"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303
    listing = s.get(f"{sp.base}/account/saml-accounts", timeout=10).text
    assert "Warning:" in listing and "master administrator" in listing
    idp_id = next(l.split("\t")[0] for l in sp.cli("idp", "list", "--account", "Acme Dev").splitlines() if "\tMulti-Pass\t" in l)
    r = s.post(f"{sp.base}/account/idps/{idp_id}", data={"csrf": csrf, "action": "map", "group": "/prg", "role": "Reloaded"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303 and "/prg now maps to Reloaded." in s.get(f"{sp.base}/account/idps/{idp_id}", timeout=10).text
    sp.cli("idp", "unmap-group", "--account", "Acme Dev", "Multi-Pass", "/prg")
    sp.cli("saml-account", "remove", "--account", "Acme Dev", "prg@dev.test")


def test_the_audit_log_is_paged_by_the_server(env):
    """The audit log shows 100 entries a page, newest first, asked of the database one page at a
    time (a busy account's log is not read whole), with the action filter kept in the links."""
    import html as html_lib
    _, sp, _, _ = env
    acc = sp.cli("account", "create", "Paged Co").strip()
    sp.cli("user", "add", "--account", acc, "pat@paged.test", "--master", "--password-stdin", stdin="pat password 1\n")
    key = sp.cli("api-key", "create", "--account", acc, "--name", "paging").strip().split()[-1]
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    for i in range(60):
        assert api.post(f"{sp.base}/api/v1/roles", json={"name": f"R{i:02}"}, timeout=10).status_code == 201
        assert api.delete(f"{sp.base}/api/v1/roles/R{i:02}", timeout=10).status_code == 204
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    s.post(f"{sp.base}/login", data={**f["fields"], "email": "pat@paged.test", "password": "pat password 1"}, timeout=30)

    def view(url):
        page = html_lib.unescape(s.get(url, timeout=30).text)
        return page, re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td></tr>", page)

    page, rows = view(f"{sp.base}/account/audit")
    total = int(re.search(r"Showing 1–100 of (\d+)", page).group(1))
    assert total >= 120 and len(rows) == 100
    # Newest first: the sign-in just made, then the last role deleted.
    assert rows[0][0] == "SignIn" and "R59" in rows[1][1], rows[:2]
    nxt = re.search(r'rel="next" href="([^"]+)"', page).group(1)
    page, rows2 = view(sp.base + nxt)
    assert f"Showing 101–{total} of {total}" in page and 'rel="next"' not in page and len(rows2) == total - 100
    # Past the end: the last page.
    assert view(f"{sp.base}/account/audit?page=50")[1] == rows2
    # One action, kept in the page links.
    page, rows = view(f"{sp.base}/account/audit?action=Admin")
    assert rows and all(a == "Admin" for a, _ in rows)


def test_saml_users_are_searched_and_paged_by_the_server(env, tmp_path):
    """The read-only SAML Users tab asks the database for 50 at a time, searched (NameID or role)
    and ordered there, with the search and order kept in the page links."""
    import html as html_lib
    import os
    import subprocess
    from conftest import KEYS, symbolon_bin
    _, sp, _, _ = env
    issuer = "https://idp.many-users.test/"
    run = lambda *a: subprocess.run([symbolon_bin(), *a], capture_output=True, text=True, timeout=120, check=True).stdout
    idp_md = tmp_path / "idp.xml"
    idp_md.write_text(run("saml", "metadata", "idp", "--entity-id", issuer, "--sso-url", f"{issuer}sso",
                          "--cert", str(KEYS / "idp-rsa.crt.pem")))
    sp_md = tmp_path / "sp.xml"
    sp_md.write_text(requests.get(f"{sp.base}/saml/metadata", timeout=10).text)
    acc = sp.cli("account", "create", "Many Users Co").strip()
    sp.cli("user", "add", "--account", acc, "lee@many.test", "--master", "--password-stdin", stdin="lee password 1\n")
    sp.cli("idp", "add", "--account", acc, "--metadata", str(idp_md), "--name", "Many")
    sp.cli("idp", "profile", "--account", acc, "Many", "--role-attribute", "groups")
    sp.cli("idp", "map-group", "--account", acc, "Many", "/eng", "Full Access")
    sp.cli("idp", "map-group", "--account", acc, "Many", "/ops", "Read Only")
    for i in range(55):
        b64 = run("saml", "issue-response", "--key", str(KEYS / "idp-rsa.key.pem"), "--cert", str(KEYS / "idp-rsa.crt.pem"),
                  "--idp-entity-id", issuer, "--sp-metadata", str(sp_md), "--name-id", f"u{i:02}@many.test",
                  "--attr", f"groups={'/ops' if i % 5 == 0 else '/eng'}", "--base64").strip()
        r = requests.post(f"{sp.base}/saml/acs", data={"SAMLResponse": b64}, timeout=30, allow_redirects=False)
        assert r.status_code == 303, re.sub(r"<[^>]+>", " ", r.text)[-1200:]
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    s.post(f"{sp.base}/login", data={**f["fields"], "email": "lee@many.test", "password": "lee password 1"}, timeout=30)

    def view(url):
        page = html_lib.unescape(s.get(url, timeout=30).text)
        return page, re.findall(r"<tr><td>(u\d\d@many\.test)</td><td>([^<]*)</td>", page)

    page, rows = view(f"{sp.base}/account/saml-users")
    assert "Showing 1–50 of 55" in page and [n for n, _ in rows] == [f"u{i:02}@many.test" for i in range(50)]
    page, rows = view(sp.base + re.search(r'rel="next" href="([^"]+)"', page).group(1))
    assert "Showing 51–55 of 55" in page and len(rows) == 5 and 'rel="next"' not in page
    # Search by role, newest logon first (the order link keeps the search).
    page, rows = view(f"{sp.base}/account/saml-users?q=read+only")
    assert "Showing 1–11 of 11" in page and all(r == "Read Only" for _, r in rows)
    by_logon = re.search(r'href="(/account/saml-users\?sort=2&q=read%20only)"', page).group(1)
    page, rows = view(sp.base + by_logon)
    # (All signed in within a second or two: the order by logon time is checked in the store's
    # conformance tests; here, the same eleven people.)
    assert sorted(n for n, _ in rows) == [f"u{i:02}@many.test" for i in range(0, 55, 5)]
    # By NameID; nothing found says so.
    assert [n for n, _ in view(f"{sp.base}/account/saml-users?q=U1")[1]] == [f"u{i:02}@many.test" for i in range(10, 20)]
    page, rows = view(f"{sp.base}/account/saml-users?q=nobody")
    assert rows == [] and 'id="list-count"' in page


def test_a_master_administrator_creates_another_account_from_the_console(env):
    """Account settings > Another account: a master administrator (signed in with a password)
    creates an account, becomes its master administrator with the same email and password, and
    works in it at once; the home page offers both accounts. A name taken (in any case) or empty
    is refused next to the field and creates nothing. Both audit logs say what happened. A SAML
    administrator with Full Access cannot do it."""
    idp, sp, _, _ = env
    acc = sp.cli("account", "create", "Founders").strip()
    sp.cli("user", "add", "--account", acc, "founder@f.test", "--master",
           "--password-stdin", stdin="founder password 1\n")
    s = requests.Session()
    f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
    s.post(f"{sp.base}/login", data={**f["fields"], "email": "founder@f.test", "password": "founder password 1"}, timeout=30)
    page = s.get(f"{sp.base}/account/settings", timeout=10).text
    assert 'id="create-account-h"' in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    create = lambda name: s.post(f"{sp.base}/account/settings", data={"csrf": csrf, "action": "create-account", "new_account": name},
                                 timeout=30, allow_redirects=False)
    before = sp.cli("account", "list")
    for bad in ("", "   ", "founders", "x" * 101):
        r = create(bad)
        assert r.status_code == 400 and 'id="new-account-error"' in r.text and 'aria-invalid="true"' in r.text, bad
    assert sp.cli("account", "list") == before, "a refusal creates nothing"
    r = create("Founders Staging")
    assert r.status_code == 303 and r.headers["location"] == "/account/settings"
    page = s.get(f"{sp.base}/account/settings", timeout=10).text
    assert "Account “Founders Staging” created" in page
    assert re.search(r"<strong>Founders Staging</strong>", page), "working in the new account"
    new = [l.split("\t")[0] for l in sp.cli("account", "list").splitlines() if "Founders Staging" in l][0]
    users = sp.cli("user", "list", "--account", new)
    assert "founder@f.test" in users and "master" in users.lower()
    # The audit logs of both accounts.
    assert any("added master administrator founder@f.test (created the account from account Founders)" in d for d in admin_lines(sp, new))
    assert any(f"created another account Founders Staging ({new})" in d for d in admin_lines(sp, acc))
    # Both accounts are offered; the same password opens the new one on its own.
    home = s.get(f"{sp.base}/", timeout=10).text
    assert 'href="/pick"' in home
    picker = s.get(f"{sp.base}/pick", timeout=10).text
    assert "Founders ·" in picker and "Founders Staging ·" in picker
    t = requests.Session()
    f = form(t.get(f"{sp.base}/login", timeout=10).text, "/login")
    r = t.post(f"{sp.base}/login", data={**f["fields"], "email": "founder@f.test", "password": "founder password 1"}, timeout=30)
    assert "Founders Staging" in r.text
    # A SAML administrator with Full Access may not.
    action, b64 = idp_sign_in(idp, "alice")
    b = requests.Session()
    r = b.post(action, data={"SAMLResponse": b64}, timeout=30)
    bcsrf = form(r.text, "/pick")["fields"]["csrf"]
    pick = re.search(r'name="pair" value="(\d+)"><button type="submit">Acme Prod · Full Access', r.text).group(1)
    b.post(f"{sp.base}/pick", data={"csrf": bcsrf, "pair": pick}, timeout=10)
    assert 'id="create-account-h"' not in b.get(f"{sp.base}/account/settings", timeout=10).text
    r = b.post(f"{sp.base}/account/settings", data={"csrf": bcsrf, "action": "create-account", "new_account": "Sneaky"}, timeout=10)
    assert r.status_code == 403 and "Sneaky" not in sp.cli("account", "list")


def test_the_operator_can_keep_account_creation_to_itself(tmp_path, monkeypatch):
    """`[sp] accounts_from_console = false` (here SYMBOLON_SP_ACCOUNTS_FROM_CONSOLE): no section,
    and the request is refused (403) with nothing created."""
    from test_sp_server import Sp
    monkeypatch.setenv("SYMBOLON_SP_ACCOUNTS_FROM_CONSOLE", "false")
    sp = Sp(tmp_path)
    try:
        acc = sp.cli("account", "create", "Closed").strip()
        sp.cli("user", "add", "--account", acc, "boss@closed.test", "--master", "--password-stdin", stdin="boss password 1\n")
        s = requests.Session()
        f = form(s.get(f"{sp.base}/login", timeout=10).text, "/login")
        s.post(f"{sp.base}/login", data={**f["fields"], "email": "boss@closed.test", "password": "boss password 1"}, timeout=30)
        page = s.get(f"{sp.base}/account/settings", timeout=10).text
        assert 'id="create-account-h"' not in page and 'id="delete-account"' in page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        r = s.post(f"{sp.base}/account/settings", data={"csrf": csrf, "action": "create-account", "new_account": "Other"}, timeout=10)
        assert r.status_code == 403 and "operator" in r.text
        assert "Other" not in sp.cli("account", "list")
    finally:
        sp.stop()


def test_the_picker_follows_accounts_renamed_or_deleted_after_the_sign_in(env):
    """A sign-in lists its accounts once, at the ACS. An account renamed afterwards shows its new
    name in the picker and on the home page; one deleted afterwards is no longer offered, cannot
    be entered with the picker's old form, and a session inside it goes back to the picker."""
    idp, sp, _, tmp = env
    md = str(tmp / "idp-metadata.xml")
    extra = sp.cli("account", "create", "Ephemeral").strip()
    lonely = sp.cli("account", "create", "Lonely").strip()
    try:
        for acc in (extra, lonely):
            sp.cli("idp", "add", "--account", acc, "--metadata", md, "--name", "Multi-Pass")
        sp.cli("saml-account", "add", "--account", extra, "alice@corp.test", "--role", "Auditor")
        sp.cli("saml-account", "add", "--account", lonely, "bob@corp.test", "--role", "Auditor")
        b, r = acs(idp, sp, "alice")
        assert r.url.endswith("/pick") and "Ephemeral · Auditor" in r.text, r.text[:400]
        csrf = form(r.text, "/pick")["fields"]["csrf"]
        pick_of = lambda page, name: re.search(rf'name="pair" value="(\d+)"><button type="submit">{name}', page).group(1)
        eph, prod = pick_of(r.text, "Ephemeral"), pick_of(r.text, "Acme Prod")
        home = b.post(f"{sp.base}/pick", data={"csrf": csrf, "pair": eph}, timeout=10)
        assert '<dd id="account">Ephemeral</dd>' in home.text
        # Renamed: the new name, in the home page and the picker.
        sp.cli("account", "rename", extra, "Ephemeral Two")
        assert '<dd id="account">Ephemeral Two</dd>' in b.get(f"{sp.base}/", timeout=10).text
        assert "Ephemeral Two · Auditor" in b.get(f"{sp.base}/pick", timeout=10).text
        # Deleted while the person is inside it: the home page sends them to the picker, which
        # no longer offers it; the old form is refused and records nothing.
        sp.cli("account", "delete", extra, "--yes")
        r = b.get(f"{sp.base}/", timeout=10)
        assert r.url.endswith("/pick") and "Ephemeral" not in r.text and "Acme Prod" in r.text
        gone = b.post(f"{sp.base}/pick", data={"csrf": csrf, "pair": eph}, timeout=10)
        assert gone.status_code == 410 and "That choice is not available." in gone.text
        assert "Ephemeral" not in sp.cli("account", "list")
        # The others are still there, at their old places.
        home = b.post(f"{sp.base}/pick", data={"csrf": csrf, "pair": prod}, timeout=10)
        assert home.status_code == 200 and '<dd id="account">Acme Prod</dd>' in home.text
        # A sign-in whose only account is deleted: said plainly, in the person's language too.
        b, r = acs(idp, sp, "bob")
        assert '<dd id="account">Lonely</dd>' in r.text, r.text[:400]
        sp.cli("account", "delete", lonely, "--yes")
        lonely = None
        r = b.get(f"{sp.base}/", timeout=10)
        assert r.status_code == 410 and "None of the accounts this sign-in offered exists any more" in r.text
        r = b.get(f"{sp.base}/pick", headers={"Accept-Language": "ja"}, timeout=10)
        assert r.status_code == 410 and "もう一度サインインしてください" in r.text
    finally:
        for acc in (extra, lonely):
            if acc and acc in sp.cli("account", "list"):
                sp.cli("account", "delete", acc, "--yes")
