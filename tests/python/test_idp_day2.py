"""Day-2 administration of the identity provider (issue 17), over HTTP on 127.0.0.1 with pysaml2
service providers: users deleted (their sessions end), attributes set and unset, group
membership removed; groups renamed, moved and deleted with their subgroups; clients re-imported
from new metadata (settings and mappers kept, changes listed) and deleted; a realm's SSO
sessions listed (user, start, last use, clients reached) and revoked; realms edited and
deleted. Through the CLI verbs, the Keycloak-shaped admin REST API and the console; every change
is an ADMIN event, and a change that changes nothing records nothing."""
import re
import subprocess

import requests

from conftest import symbolon_bin
from test_idp_server import (PASSWORD, authn_request, console_session, env, form,  # noqa: F401
                             redirect_request, sign_in)


def cli(idp, *args, stdin=None):
    return subprocess.run([symbolon_bin(), "idp", *idp.db, *args], input=stdin, capture_output=True, text=True, timeout=60)


def admin_events(idp, realm="acme"):
    """The realm's ADMIN events, oldest first."""
    return [l for l in idp.events(realm).splitlines() if "\tADMIN\t" in l][::-1]


def api_session(idp):
    token = idp.cli("token", "create", "--name", "day2").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    return api


def test_cli_verbs_refuse_what_does_not_exist_with_exit_1(env):
    idp, _ = env
    for args, words in [
        (("user", "delete", "--realm", "acme", "nobody"), "no user"),
        (("user", "set-attr", "--realm", "acme", "nobody", "locale", "ja"), "no user"),
        (("user", "unset-attr", "--realm", "acme", "nobody", "locale"), "no user"),
        (("user", "leave", "--realm", "acme", "alice", "/no-such-group"), "no group"),
        (("group", "delete", "--realm", "acme", "/no-such-group", "--yes"), "no group"),
        (("client", "delete", "--realm", "acme", "https://nope.test/metadata"), "no client"),
        (("client", "reimport", "--realm", "acme", "https://nope.test/metadata", "/dev/null"), "no client"),
        (("session", "revoke", "--realm", "acme", "f" * 32), "no live session"),
        (("session", "list", "--realm", "nope"), "not found"),
        (("realm", "delete", "nope", "--yes"), "not found"),
    ]:
        out = cli(idp, *args)
        assert out.returncode == 1 and words in out.stderr, (args, out.stderr)


def test_attributes_and_membership(env):
    idp, _ = env
    idp.cli("user", "add", "--realm", "acme", "tara", "--password-stdin", stdin=PASSWORD + "\n")
    idp.cli("group", "add", "--realm", "acme", "/ops")
    idp.cli("group", "join", "--realm", "acme", "/ops", "tara")
    before = len(admin_events(idp))
    assert "set" in idp.cli("user", "set-attr", "--realm", "acme", "tara", "locale", "ja")
    assert "unchanged" in idp.cli("user", "set-attr", "--realm", "acme", "tara", "locale", "ja")
    idp.cli("user", "set-attr", "--realm", "acme", "tara", "tz", "Asia/Tokyo")
    api = api_session(idp)
    uid = next(u["id"] for u in api.get(f"{idp.base}/admin/realms/acme/users", params={"username": "tara"}, timeout=10).json() if u["username"] == "tara")
    rep = api.get(f"{idp.base}/admin/realms/acme/users/{uid}", timeout=10).json()
    assert rep["attributes"]["locale"] == ["ja"] and rep["attributes"]["tz"] == ["Asia/Tokyo"]
    assert "removed" in idp.cli("user", "unset-attr", "--realm", "acme", "tara", "tz")
    assert "was not set" in idp.cli("user", "unset-attr", "--realm", "acme", "tara", "tz")
    events = admin_events(idp)
    assert len(events) == before + 3, events[before:]
    assert "set attribute locale of tara" in events[-3] and "removed attribute tz of tara" in events[-1]
    bad = cli(idp, "user", "set-attr", "--realm", "acme", "tara", "bad key!", "x")
    assert bad.returncode == 1 and "attribute name" in bad.stderr
    # Leaving a group: CLI, then the REST API's DELETE of the membership (404 once gone).
    idp.cli("user", "leave", "--realm", "acme", "tara", "/ops")
    assert idp.cli("group", "members", "--realm", "acme", "/ops").strip() == ""
    idp.cli("group", "join", "--realm", "acme", "/ops", "tara")
    gid = next(g["id"] for g in api.get(f"{idp.base}/admin/realms/acme/groups", timeout=10).json() if g["path"] == "/ops")
    assert [m["username"] for m in api.get(f"{idp.base}/admin/realms/acme/groups/{gid}/members", timeout=10).json()] == ["tara"]
    assert api.delete(f"{idp.base}/admin/realms/acme/users/{uid}/groups/{gid}", timeout=10).status_code == 204
    assert api.delete(f"{idp.base}/admin/realms/acme/users/{uid}/groups/{gid}", timeout=10).status_code == 404


def test_groups_move_and_delete_with_subgroups(env):
    idp, _ = env
    for p in ("/eng/platform", "/eng/web", "/engineering"):
        idp.cli("group", "add", "--realm", "acme", p)
    idp.cli("user", "add", "--realm", "acme", "gina", "--password-stdin", stdin=PASSWORD + "\n")
    idp.cli("group", "join", "--realm", "acme", "/eng/platform", "gina")
    idp.cli("group", "move", "--realm", "acme", "/eng", "/rnd")
    paths = idp.cli("group", "list", "--realm", "acme").split()
    assert "/rnd/platform" in paths and "/rnd/web" in paths and "/engineering" in paths and "/eng" not in paths
    assert idp.cli("group", "members", "--realm", "acme", "/rnd/platform").split() == ["gina"]
    out = cli(idp, "group", "move", "--realm", "acme", "/rnd", "/rnd/platform/x")
    assert out.returncode == 1 and "under itself" in out.stderr
    out = cli(idp, "group", "move", "--realm", "acme", "/rnd", "/engineering")
    assert out.returncode == 1 and "exists" in out.stderr
    # Through the REST API: a new name keeps the parent.
    api = api_session(idp)
    gid = next(g["id"] for g in api.get(f"{idp.base}/admin/realms/acme/groups", timeout=10).json() if g["path"] == "/rnd/web")
    assert api.put(f"{idp.base}/admin/realms/acme/groups/{gid}", json={"name": "frontend"}, timeout=10).status_code == 204
    assert "/rnd/frontend" in idp.cli("group", "list", "--realm", "acme").split()
    # Delete: without --yes nothing goes and the subgroups are named.
    out = cli(idp, "group", "delete", "--realm", "acme", "/rnd")
    assert out.returncode == 1 and "/rnd/platform" in out.stderr and "1 membership(s)" in out.stderr
    idp.cli("group", "delete", "--realm", "acme", "/rnd", "--yes")
    paths = idp.cli("group", "list", "--realm", "acme").split()
    assert not any(p.startswith("/rnd") for p in paths) and "/engineering" in paths
    assert any("deleted group(s) /rnd, /rnd/frontend, /rnd/platform" in e or "deleted group(s) /rnd, /rnd/platform, /rnd/frontend" in e for e in admin_events(idp))
    assert api.delete(f"{idp.base}/admin/realms/acme/groups/{gid}", timeout=10).status_code == 404


def test_sessions_are_listed_and_revoked_and_a_deleted_user_is_signed_out(env):
    idp, _ = env
    idp.cli("user", "add", "--realm", "acme", "olga", "--password-stdin", stdin=PASSWORD + "\n")
    b = requests.Session()
    r = sign_in(b, b.get(redirect_request(idp, authn_request(idp)), timeout=30), username="olga")
    assert "SAMLResponse" in r.text
    rows = [l.split("\t") for l in idp.cli("session", "list", "--realm", "acme", "--user", "olga").splitlines()]
    assert len(rows) == 1
    handle, user, started, last_used, method, clients = rows[0]
    assert user == "olga" and last_used != "-" and clients == "https://plain.test/metadata"
    cookie = next(c.value for c in b.cookies if c.name.startswith("SYMBOLON_IDP_SESSION"))
    assert cookie not in idp.cli("session", "list", "--realm", "acme"), "session IDs never shown"
    # The REST API's view (Keycloak's UserSessionRepresentation), then DELETE of that session.
    api = api_session(idp)
    uid = next(u["id"] for u in api.get(f"{idp.base}/admin/realms/acme/users", timeout=10).json() if u["username"] == "olga")
    reps = api.get(f"{idp.base}/admin/realms/acme/users/{uid}/sessions", timeout=10).json()
    assert [s["id"] for s in reps] == [handle] and "https://plain.test/metadata" in reps[0]["clients"] and reps[0]["lastAccess"]
    assert api.delete(f"{idp.base}/admin/realms/acme/sessions/{handle}", timeout=10).status_code == 204
    assert api.delete(f"{idp.base}/admin/realms/acme/sessions/{handle}", timeout=10).status_code == 404
    again = b.get(redirect_request(idp, authn_request(idp)), timeout=30)
    assert 'name="password"' in again.text, "the revoked session is not honoured"
    # All of a user's sessions (CLI), then deleting the user ends the one left.
    for _ in range(2):
        s = requests.Session()
        sign_in(s, s.get(redirect_request(idp, authn_request(idp)), timeout=30), username="olga")
    assert "2 session(s) of olga ended" in idp.cli("session", "revoke", "--realm", "acme", "--user", "olga")
    sign_in(b, b.get(redirect_request(idp, authn_request(idp)), timeout=30), username="olga")
    assert "deleted" in idp.cli("user", "delete", "--realm", "acme", "olga")
    again = b.get(redirect_request(idp, authn_request(idp)), timeout=30)
    assert 'name="password"' in again.text
    sign_in(b, again, username="olga", expect=401)
    assert any("deleted user olga (1 SSO session(s) ended)" in e for e in admin_events(idp))
    assert api.delete(f"{idp.base}/admin/realms/acme/users/{uid}", timeout=10).status_code == 404


def test_client_reimport_keeps_settings_and_delete(env, tmp_path):
    idp, _ = env
    cid = "https://plain.test/metadata"
    api = api_session(idp)
    rep = api.get(f"{idp.base}/admin/realms/acme/clients", params={"clientId": cid}, timeout=10).json()[0]
    before_mappers = api.get(f"{idp.base}/admin/realms/acme/clients/{rep['id']}/protocol-mappers/models", timeout=10).json()
    md = idp.cli("client", "list", "--realm", "acme")
    assert cid in md
    # The SP's metadata with a moved ACS: the same entity, a new endpoint.
    sp_md = (idp.dir.parent / "sp-plain.xml").read_text()
    moved = sp_md.replace("https://plain.test/acs", "https://plain.test/new-acs")
    f = tmp_path / "moved.xml"
    f.write_text(moved)
    out = idp.cli("client", "reimport", "--realm", "acme", cid, str(f))
    assert "assertion consumer service removed: https://plain.test/acs" in out and "assertion consumer service added: https://plain.test/new-acs" in out
    assert "nothing changed" in idp.cli("client", "reimport", "--realm", "acme", cid, str(f))
    after = api.get(f"{idp.base}/admin/realms/acme/clients/{rep['id']}", timeout=10).json()
    assert after["attributes"].get("saml_idp_initiated_sso_url_name") == rep["attributes"].get("saml_idp_initiated_sso_url_name")
    assert api.get(f"{idp.base}/admin/realms/acme/clients/{rep['id']}/protocol-mappers/models", timeout=10).json() == before_mappers
    other = tmp_path / "other.xml"
    other.write_text(sp_md.replace("https://plain.test/metadata", "https://other.test/metadata"))
    out = cli(idp, "client", "reimport", "--realm", "acme", cid, str(other))
    assert out.returncode == 1 and "not for the client" in out.stderr
    f.write_text(sp_md)
    idp.cli("client", "reimport", "--realm", "acme", cid, str(f))
    # Delete through the console, after a confirmation; then the IdP-initiated URL is gone.
    s = console_session(idp)
    idp.cli("client", "import", "--realm", "acme", str(other), "--url-name", "other")
    oid = next(c["id"] for c in api.get(f"{idp.base}/admin/realms/acme/clients", timeout=10).json() if c["clientId"] == "https://other.test/metadata")
    page = s.get(f"{idp.base}/admin/console/acme/clients/{oid}", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    life = f"{idp.base}/admin/console/acme/clients/{oid}/lifecycle"
    r = s.post(life, data={"csrf": csrf, "action": "delete"}, timeout=10)
    assert r.status_code == 200 and "Delete client https://other.test/metadata?" in r.text
    assert requests.get(f"{idp.base}/realms/acme/protocol/saml/clients/other", timeout=10).status_code != 404, "nothing before confirmation"
    r = s.post(life, data={"csrf": csrf, "action": "delete", "confirm": "yes"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/console/acme/clients"
    assert requests.get(f"{idp.base}/realms/acme/protocol/saml/clients/other", timeout=10).status_code == 404
    assert any("deleted client https://other.test/metadata" in e for e in admin_events(idp))


def test_console_users_groups_sessions_and_realms(env):
    idp, _ = env
    s = console_session(idp)
    idp.cli("user", "add", "--realm", "acme", "quinn", "--password-stdin", stdin=PASSWORD + "\n")
    idp.cli("group", "add", "--realm", "acme", "/temp/sub")
    idp.cli("group", "join", "--realm", "acme", "/temp/sub", "quinn")
    base = f"{idp.base}/admin/console/acme"
    page = s.get(f"{base}/users/quinn", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    post = lambda data: s.post(f"{base}/users/quinn", data={"csrf": csrf, **data}, timeout=10, allow_redirects=False)
    # Post/redirect/get: each change answers 303, and the page it leads to says what happened.
    r = post({"action": "set-attr", "key": "locale", "values": "ja\n"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/console/acme/users/quinn"
    r = s.get(f"{base}/users/quinn", timeout=10)
    assert "Attribute locale saved." in r.text and "<td>locale</td><td>ja</td>" in r.text
    assert "Attribute locale saved." not in s.get(f"{base}/users/quinn", timeout=10).text, "shown once"
    r = s.post(f"{base}/users/quinn", data={"csrf": csrf, "action": "unset-attr", "key": "locale"}, timeout=10)
    assert "Attribute locale removed." in r.text and "<td>locale</td>" not in r.text
    r = s.post(f"{base}/users/quinn", data={"csrf": csrf, "action": "leave", "group": "/temp/sub"}, timeout=10)
    assert "Removed from /temp/sub." in r.text
    # A session for quinn, seen on the Sessions page and signed out there.
    b = requests.Session()
    sign_in(b, b.get(redirect_request(idp, authn_request(idp)), timeout=30), username="quinn")
    sessions = s.get(f"{base}/sessions", timeout=10)
    assert sessions.status_code == 200 and "quinn" in sessions.text and "https://plain.test/metadata" in sessions.text
    handle = re.search(r'name="session" value="([0-9a-f]{32})"><button type="submit" aria-label="Sign out this session of quinn"', sessions.text).group(1)
    r = s.post(f"{base}/sessions", data={"csrf": csrf, "action": "revoke", "session": handle}, timeout=10, allow_redirects=False)
    assert r.status_code == 303
    assert "quinn" not in s.get(f"{base}/sessions", timeout=10).text
    assert s.post(f"{base}/sessions", data={"csrf": "forged", "action": "revoke-user", "user": "quinn"}, timeout=10).status_code == 403
    # Delete the user after a confirmation.
    r = post({"action": "delete"})
    assert r.status_code == 200 and "Delete user quinn?" in r.text
    r = post({"action": "delete", "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/console/acme/users"
    assert s.get(f"{base}/users/quinn", timeout=10).status_code == 404
    # Groups: delete /temp with its subgroup after a confirmation naming both.
    r = s.post(f"{base}/groups/action", data={"csrf": csrf, "action": "delete", "path": "/temp"}, timeout=10)
    assert "Delete group /temp?" in r.text and "/temp/sub" in r.text
    r = s.post(f"{base}/groups/action", data={"csrf": csrf, "action": "delete", "path": "/temp", "confirm": "yes"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303 and "/temp" not in s.get(f"{base}/groups", timeout=10).text
    # Realms: create from the console, edit, delete only with the typed name.
    r = s.post(f"{idp.base}/admin/console/", data={"csrf": csrf, "name": "scratch", "display_name": "Scratch"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/console/scratch/settings"
    r = s.post(f"{idp.base}/admin/console/scratch/settings/general", data={"csrf": csrf, "display_name": "Scratch Two", "lifespan": "120"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303
    api = api_session(idp)
    rep = api.get(f"{idp.base}/admin/realms/scratch", timeout=10).json()
    assert rep["displayName"] == "Scratch Two" and rep["enabled"] is False, "the enabled box was left unchecked"
    assert any("display name \"Scratch\" -> \"Scratch Two\"" in e for e in admin_events(idp, "scratch"))
    r = s.post(f"{idp.base}/admin/console/scratch/settings/delete", data={"csrf": csrf}, timeout=10)
    assert "Delete realm scratch?" in r.text and 'name="typed"' in r.text
    r = s.post(f"{idp.base}/admin/console/scratch/settings/delete", data={"csrf": csrf, "confirm": "yes", "typed": "wrong"}, timeout=10)
    assert r.status_code == 400 and api.get(f"{idp.base}/admin/realms/scratch", timeout=10).status_code == 200
    r = s.post(f"{idp.base}/admin/console/scratch/settings/delete", data={"csrf": csrf, "confirm": "yes", "typed": "scratch"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303 and api.get(f"{idp.base}/admin/realms/scratch", timeout=10).status_code == 404


def test_realm_update_and_delete_through_the_api_and_cli(env):
    idp, _ = env
    api = api_session(idp)
    idp.cli("realm", "create", "tmp2")
    assert api.put(f"{idp.base}/admin/realms/tmp2", json={"displayName": "Temporary"}, timeout=10).status_code == 204
    assert api.put(f"{idp.base}/admin/realms/tmp2", json={"realm": "renamed"}, timeout=10).status_code == 400
    assert api.get(f"{idp.base}/admin/realms/tmp2", timeout=10).json()["displayName"] == "Temporary"
    n = len(admin_events(idp, "tmp2"))
    assert "unchanged" in idp.cli("realm", "update", "tmp2", "--display-name", "Temporary")
    assert len(admin_events(idp, "tmp2")) == n
    out = cli(idp, "realm", "delete", "tmp2")
    assert out.returncode == 1 and "--yes" in out.stderr
    assert api.delete(f"{idp.base}/admin/realms/tmp2", timeout=10).status_code == 204
    assert api.delete(f"{idp.base}/admin/realms/tmp2", timeout=10).status_code == 404
    assert requests.get(f"{idp.base}/realms/tmp2/protocol/saml/descriptor", timeout=10).status_code == 404


def test_the_cached_descriptor_follows_key_changes_and_a_disabled_realm(env):
    """The descriptor is signed once per key change (issue 18): a key added from the CLI (another
    process, writing the database directly) shows at the next GET; a disabled realm publishes
    nothing."""
    idp, _ = env
    idp.cli("realm", "create", "cached")
    url = f"{idp.base}/realms/cached/protocol/saml/descriptor"
    first = requests.get(url, timeout=10)
    assert first.status_code == 200 and first.text.count("<ds:X509Certificate>") >= 1
    assert requests.get(url, timeout=10).text == first.text, "unchanged keys: the same document"
    idp.cli("key", "add-next", "--realm", "cached")
    second = requests.get(url, timeout=10).text
    assert second != first.text
    assert second.count("KeyDescriptor use=\"signing\"") == first.text.count("KeyDescriptor use=\"signing\"") + 1
    idp.cli("realm", "update", "cached", "--enabled", "false")
    assert requests.get(url, timeout=10).status_code == 404


def test_the_start_page_and_a_styled_404(env):
    idp, _ = env
    home = requests.get(f"{idp.base}/", timeout=10)
    assert home.status_code == 200 and 'href="/admin/console/"' in home.text and 'href="/realms/acme/account"' in home.text
    assert "Acme Corp" in home.text
    missing = requests.get(f"{idp.base}/no/such/page", timeout=10)
    assert missing.status_code == 404 and "Page not found" in missing.text and 'href="/"' in missing.text


def test_mappers_are_edited_through_cli_api_and_console(env):
    idp, _ = env
    cid = "https://strict.test/metadata"
    idp.cli("client", "add-mapper", "--realm", "acme", cid, "--attribute", "mail", "--source", "property:email")
    n = len(admin_events(idp))
    assert "saved" in idp.cli("client", "edit-mapper", "--realm", "acme", cid, "mail", "--attribute", "email", "--source", "property:email", "--name-format", "basic")
    assert "unchanged" in idp.cli("client", "edit-mapper", "--realm", "acme", cid, "mail", "--source", "property:email", "--name-format", "basic")
    events = admin_events(idp)
    assert len(events) == n + 1 and "changed mapper mail: mail <- user-property \"email\" to email <- user-property \"email\"" in events[-1]
    out = cli(idp, "client", "edit-mapper", "--realm", "acme", cid, "nope", "--source", "property:email")
    assert out.returncode == 1 and "no mapper named" in out.stderr
    api = api_session(idp)
    rep = api.get(f"{idp.base}/admin/realms/acme/clients", params={"clientId": cid}, timeout=10).json()[0]
    url = f"{idp.base}/admin/realms/acme/clients/{rep['id']}/protocol-mappers/models/mail"
    body = api.get(url, timeout=10).json()
    body["config"]["attribute.name"] = "emailAddress"
    assert api.put(url, json=body, timeout=10).status_code == 204
    assert api.get(url, timeout=10).json()["config"]["attribute.name"] == "emailAddress"
    assert api.put(url.replace("/mail", "/nope"), json=body, timeout=10).status_code == 404
    # The console: an Edit form per mapper.
    s = console_session(idp)
    page = s.get(f"{idp.base}/admin/console/acme/clients/{rep['id']}", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert 'aria-label="Save mapper mail"' in page.text
    r = s.post(f"{idp.base}/admin/console/acme/clients/{rep['id']}/mappers",
               data={"csrf": csrf, "action": "edit", "name": "mail", "attribute": "mail", "kind": "user-property", "param": "email", "name_format": "uri"}, timeout=10)
    assert "Mapper mail saved." in r.text
    assert api.get(url, timeout=10).json()["config"]["attribute.name"] == "mail"


def test_promoting_a_key_asks_first(env):
    idp, _ = env
    s = console_session(idp)
    base = f"{idp.base}/admin/console/acme/keys"
    page = s.get(base, timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = s.post(f"{base}/next", data={"csrf": csrf, "alg": "ec-p256"}, timeout=10)
    kid = re.search(r"<code>([0-9a-f]+)</code></td><td>next", r.text).group(1)
    r = s.post(f"{base}/{kid}/promote", data={"csrf": csrf}, timeout=10)
    assert f"Make key {kid} the signing key?" in r.text
    assert f"<code>{kid}</code></td><td>next" in s.get(base, timeout=10).text, "nothing before confirmation"


def test_roles_rename_and_unchanged_saves_record_nothing(env):
    idp, _ = env
    idp.cli("role", "add", "--realm", "acme", "auditor")
    idp.cli("role", "grant", "--realm", "acme", "auditor", "user:alice")
    assert "renamed" in idp.cli("role", "rename", "--realm", "acme", "auditor", "auditors")
    assert "auditors" in idp.cli("role", "list", "--realm", "acme")
    api = api_session(idp)
    assert api.put(f"{idp.base}/admin/realms/acme/roles/auditors", json={"name": "reviewers"}, timeout=10).status_code == 204
    assert api.put(f"{idp.base}/admin/realms/acme/roles/auditors", json={"name": "x"}, timeout=10).status_code == 404
    uid = next(u["id"] for u in api.get(f"{idp.base}/admin/realms/acme/users", timeout=10).json() if u["username"] == "alice")
    held = api.get(f"{idp.base}/admin/realms/acme/users/{uid}/role-mappings/realm", timeout=10).json()
    assert any(r["name"] == "reviewers" for r in held), "grants follow the rename"
    # Saving a user or a client unchanged records nothing.
    n = len(admin_events(idp))
    rep = api.get(f"{idp.base}/admin/realms/acme/users/{uid}", timeout=10).json()
    assert api.put(f"{idp.base}/admin/realms/acme/users/{uid}", json=rep, timeout=10).status_code == 204
    crep = api.get(f"{idp.base}/admin/realms/acme/clients", params={"clientId": "https://plain.test/metadata"}, timeout=10).json()[0]
    assert api.put(f"{idp.base}/admin/realms/acme/clients/{crep['id']}", json=crep, timeout=10).status_code == 204
    assert len(admin_events(idp)) == n, admin_events(idp)[n:]
    rep["firstName"] = "Alicia"
    assert api.put(f"{idp.base}/admin/realms/acme/users/{uid}", json=rep, timeout=10).status_code == 204
    assert 'updated user alice: first name "" -> "Alicia"' in admin_events(idp)[-1] or "first name" in admin_events(idp)[-1]


def test_admin_tokens_from_the_console_the_api_and_the_cli(env):
    """Admin tokens are created (shown once), listed and revoked from the console, the REST API
    and the CLI; a revoked token is refused at once; every change is an ADMIN event of the master
    realm, and revoking twice records nothing."""
    idp, _ = env
    s = console_session(idp)
    page = s.get(f"{idp.base}/admin/console/tokens", timeout=10)
    assert page.status_code == 200 and "Admin API tokens" in page.text and 'href="/admin/console/tokens"' in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    once = lambda text: re.search(r'name="once" value="([0-9a-f]{64})"', text).group(1)
    # A missing name: the error next to the field, nothing created.
    r = s.post(f"{idp.base}/admin/console/tokens", data={"csrf": csrf, "once": once(page.text), "name": "  "}, timeout=10)
    assert r.status_code == 400 and 'id="token-name-error"' in r.text and 'aria-invalid="true"' in r.text
    # Without the CSRF token: refused.
    assert s.post(f"{idp.base}/admin/console/tokens", data={"name": "x"}, timeout=10).status_code == 403
    sent = {"csrf": csrf, "once": once(r.text), "name": "terraform"}
    r = s.post(f"{idp.base}/admin/console/tokens", data=sent, timeout=10)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code id="new-token">(sym_[0-9a-f]{64})</code>', r.text).group(1)
    assert "not shown again" in r.text
    # The answer reloaded (the same form sent again), or a form that never had a token: nothing
    # more is created, and the page says why.
    count = lambda: len(re.findall(r"<td>terraform</td>", s.get(f"{idp.base}/admin/console/tokens", timeout=10).text))
    assert count() == 1
    for again in (sent, {"csrf": csrf, "name": "terraform"}, {**sent, "once": "0" * 64}):
        r = s.post(f"{idp.base}/admin/console/tokens", data=again, timeout=10)
        assert r.status_code == 200 and "This form was already sent" in r.text and 'id="new-token"' not in r.text
    assert count() == 1
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    listed = api.get(f"{idp.base}/admin/tokens", timeout=10)
    assert listed.status_code == 200
    mine = next(t for t in listed.json() if t["name"] == "terraform")
    assert mine["revoked"] is False and "token" not in mine and token not in listed.text
    # The page lists it (never the token itself again).
    page = s.get(f"{idp.base}/admin/console/tokens", timeout=10).text
    assert "terraform" in page and token not in page
    # Created through the API: 201, the token once, Location.
    r = api.post(f"{idp.base}/admin/tokens", json={"name": "ci"}, timeout=10)
    assert r.status_code == 201 and r.json()["token"].startswith("sym_") and r.headers["Location"] == f"/admin/tokens/{r.json()['id']}"
    ci_id, ci_token = r.json()["id"], r.json()["token"]
    assert api.post(f"{idp.base}/admin/tokens", json={"name": ""}, timeout=10).status_code == 400
    # Revoked through the API: refused at once.
    assert api.delete(f"{idp.base}/admin/tokens/{ci_id}", timeout=10).status_code == 204
    assert requests.get(f"{idp.base}/admin/tokens", headers={"Authorization": f"Bearer {ci_token}"}, timeout=10).status_code == 401
    assert api.delete(f"{idp.base}/admin/tokens/{ci_id}", timeout=10).status_code == 204, "revoking twice is no error"
    assert api.delete(f"{idp.base}/admin/tokens/nope", timeout=10).status_code == 404
    # Revoked from the console after a confirmation page.
    confirm = s.get(f"{idp.base}/admin/console/tokens/{mine['id']}/revoke", timeout=10)
    assert confirm.status_code == 200 and "Revoke the admin token “terraform”?" in confirm.text and ">Cancel<" in confirm.text
    r = s.post(f"{idp.base}/admin/console/tokens/{mine['id']}/revoke", data={"csrf": csrf, "confirm": "yes"}, timeout=10, allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/console/tokens"
    assert "Token “terraform” revoked." in s.get(f"{idp.base}/admin/console/tokens", timeout=10).text
    assert api.get(f"{idp.base}/admin/tokens", timeout=10).status_code == 401
    assert s.get(f"{idp.base}/admin/console/tokens/{mine['id']}/revoke", timeout=10).status_code == 404
    # The CLI: an unknown ID is an error, not a silent success.
    out = cli(idp, "token", "revoke", "no-such-id")
    assert out.returncode == 1 and "no admin token" in out.stderr
    # Every change is an ADMIN event of the master realm; the second revoke recorded nothing.
    events = admin_events(idp, "master")
    for words in ('created admin token "terraform"', 'created admin token "ci"', f'revoked admin token "ci" ({ci_id})',
                  f'revoked admin token "terraform" ({mine["id"]})'):
        assert sum(words in e for e in events) == 1, (words, events)
    assert any("\tadmin\t" in e and 'created admin token "terraform"' in e for e in events), events


def test_logout_endpoints_are_edited_in_the_api_and_the_console(env):
    """Single logout locations by hand (Keycloak's attribute names in the REST API, two fields in
    the console): saved, shown, recorded, used; a bad URL is refused next to the field and changes
    nothing."""
    idp, _ = env
    cid = "https://plain.test/metadata"
    api = api_session(idp)
    clients = f"{idp.base}/admin/realms/acme/clients"
    rep = api.get(clients, params={"clientId": cid}, timeout=10).json()[0]
    url = f"{clients}/{rep['id']}"
    key = "saml_single_logout_service_url_redirect"
    assert key not in rep["attributes"], "pysaml2's metadata here has no logout service"
    n = len(admin_events(idp))
    rep["attributes"][key] = "https://plain.test/slo?from=api"
    assert api.put(url, json=rep, timeout=10).status_code == 204
    assert api.get(url, timeout=10).json()["attributes"][key] == "https://plain.test/slo?from=api"
    assert len(admin_events(idp)) == n + 1
    bad = dict(rep, attributes={**rep["attributes"], key: "ftp://plain.test/slo"})
    r = api.put(url, json=bad, timeout=10)
    assert r.status_code == 400 and "single logout service (HTTP-Redirect)" in r.text and "https://" in r.text, r.text
    assert api.get(url, timeout=10).json()["attributes"][key] == "https://plain.test/slo?from=api", "unchanged"
    # The console shows it in the client's form and saves it with the rest of the form.
    s = console_session(idp)
    page = s.get(f"{idp.base}/admin/console/acme/clients/{rep['id']}", timeout=10)
    assert 'id="slo_redirect" name="slo_redirect" type="url" value="https://plain.test/slo?from=api"' in page.text
    f = form(page.text, f"/clients/{rep['id']}")
    selected = dict(re.findall(r'<select id="(\w+)" name="\w+"[^>]*>.*?<option value="([^"]*)" selected>', page.text, re.S))
    data = {**f["fields"], **selected}
    r = s.post(f"{idp.base}/admin/console/acme/clients/{rep['id']}", data={**data, "slo_redirect": "not a url"}, timeout=10)
    assert r.status_code == 400 and 'id="slo-error"' in r.text and 'aria-describedby="slo-error"' in r.text
    r = s.post(f"{idp.base}/admin/console/acme/clients/{rep['id']}", data={**data, "slo_redirect": "", "slo_post": "https://plain.test/slo-post"}, timeout=10)
    assert r.status_code == 200 and "Saved." in r.text
    after = api.get(url, timeout=10).json()["attributes"]
    assert key not in after and after["saml_single_logout_service_url_post"] == "https://plain.test/slo-post"
    # Everything else in the form stayed as it was.
    for k in ("saml_name_id_format", "saml.signature.algorithm", "saml.server.signature", "saml.encrypt"):
        assert after.get(k) == rep["attributes"].get(k), k


def test_console_users_are_searched_and_paged_by_the_server(env):
    """The users list asks the database for one page (50) at a time, searched and ordered there:
    a realm of 100,000 users costs one page. Search by username, email or name, in any case;
    pages link to each other with the search and order kept; Japanese too."""
    import html as html_lib
    idp, _ = env
    idp.cli("realm", "create", "many")
    api = api_session(idp)
    users = [{"username": f"p{i:03}", "email": f"p{i:03}@{'sales' if i % 10 == 0 else 'eng'}.many.test",
              "firstName": "Pat", "lastName": f"N{119 - i:03}", "enabled": True} for i in range(120)]
    r = api.post(f"{idp.base}/admin/realms/many/partialImport", json={"users": users, "ifResourceExists": "FAIL"}, timeout=120)
    assert r.status_code == 200, r.text[:300]
    s = console_session(idp)
    base = f"{idp.base}/admin/console/many/users"

    def view(url, **headers):
        page = html_lib.unescape(s.get(url, timeout=30, headers=headers).text)
        return page, re.findall(r'/admin/console/many/users/(p\d{3})"', page)

    page, rows = view(base)
    assert rows == [f"p{i:03}" for i in range(50)]
    assert "Showing 1–50 of 120" in page and 'rel="prev"' not in page
    nxt = re.search(r'rel="next" href="([^"]+)"', page).group(1)
    page, rows = view(idp.base + nxt)
    assert rows == [f"p{i:03}" for i in range(50, 100)] and "Showing 51–100 of 120" in page
    page, rows = view(idp.base + re.search(r'rel="next" href="([^"]+)"', page).group(1))
    assert rows == [f"p{i:03}" for i in range(100, 120)] and 'rel="next"' not in page and 'rel="prev"' in page
    # Past the end, or not a number: the last page, or the first.
    assert view(f"{base}?page=999")[1] == [f"p{i:03}" for i in range(100, 120)]
    assert view(f"{base}?page=abc")[1][0] == "p000"
    # Search (any case) by email; the order (by name) and the search are kept in the links.
    page, rows = view(f"{base}?q=SALES&sort=2")
    assert rows == [f"p{i:03}" for i in range(110, -1, -10)], rows
    assert "Showing 1–12 of 12" in page and 'rel="next"' not in page
    assert 'value="SALES"' in page and "users?sort=0&q=SALES" in page
    # By name, and a search that finds nobody says so.
    assert view(f"{base}?q=n119")[1] == ["p000"]
    page, rows = view(f"{base}?q=%25zz")
    assert rows == [] and "No user matches “%zz”." in page
    # Japanese.
    page, _ = view(base, **{"Accept-Language": "ja"})
    assert "120 件中 1–50 件を表示" in page and "ユーザーを検索" in page


def test_console_clients_are_searched_and_paged_by_the_server(env):
    """The clients list asks the database for one page (50) at a time, searched by client ID,
    name or IdP-initiated URL name (any case) and ordered there; the links keep the search and
    the order; Japanese too."""
    import html as html_lib
    idp, _ = env
    idp.cli("realm", "create", "apps")
    api = api_session(idp)
    base_api = f"{idp.base}/admin/realms/apps"
    sp_md = subprocess.run([symbolon_bin(), "saml", "metadata", "sp", "--entity-id", "https://template.test/sp",
                            "--acs-url", "https://template.test/acs"], capture_output=True, check=True).stdout
    template = api.post(f"{base_api}/client-description-converter", data=sp_md, timeout=10).json()
    template.pop("findings")
    for i in range(60):
        rep = {**template, "clientId": f"https://sp{i:02}.apps.test/metadata",
               "attributes": dict(template["attributes"])}
        if i % 3:
            rep["name"] = f"Team {59 - i:02}"
        if i % 10 == 0:
            rep["attributes"]["saml_idp_initiated_sso_url_name"] = f"portal-{i:02}"
        r = api.post(f"{base_api}/clients", json=rep, timeout=10)
        assert r.status_code == 201, r.text
    s = console_session(idp)
    base = f"{idp.base}/admin/console/apps/clients"

    def view(url, **headers):
        page = html_lib.unescape(s.get(url, timeout=30, headers=headers).text)
        return page, re.findall(r">https://sp(\d\d)\.apps\.test/metadata</a>", page)

    page, rows = view(base)
    assert rows == [f"{i:02}" for i in range(50)]
    assert "Showing 1–50 of 60" in page and 'rel="prev"' not in page
    page, rows = view(idp.base + re.search(r'rel="next" href="([^"]+)"', page).group(1))
    assert rows == [f"{i:02}" for i in range(50, 60)] and "Showing 51–60 of 60" in page
    assert 'rel="next"' not in page and 'rel="prev"' in page
    # Past the end: the last page.
    assert view(f"{base}?page=7")[1] == [f"{i:02}" for i in range(50, 60)]
    # Search by URL name (any case); the order by URL name and the search are kept in the links.
    page, rows = view(f"{base}?q=PORTAL&sort=url")
    assert rows == ["00", "10", "20", "30", "40", "50"] and "Showing 1–6 of 6" in page
    assert 'value="PORTAL"' in page and "clients?sort=name&q=PORTAL" in page
    # By name: "Team 0x" are the clients 50-59 that have a name, nameless ones never match.
    page, rows = view(f"{base}?q=team%200&sort=name")
    assert rows == ["59", "58", "56", "55", "53", "52", "50"], rows
    # By client ID; `%` is a character, and a search that finds nothing says so.
    assert view(f"{base}?q=sp07.")[1] == ["07"]
    page, rows = view(f"{base}?q=%25sp")
    assert rows == [] and "No client matches “%sp”." in page
    # Japanese.
    page, _ = view(base, **{"Accept-Language": "ja"})
    assert "60 件中 1–50 件を表示" in page and "クライアントを検索" in page
    # A realm without clients says what to do, with no search box.
    idp.cli("realm", "create", "noapps")
    page = s.get(f"{idp.base}/admin/console/noapps/clients", timeout=10).text
    assert "No clients yet." in page and 'role="search"' not in page


def test_console_events_are_searched_and_paged_by_the_server(env):
    """The events list asks the database for one page (100, newest first) at a time, by type and
    by a search in the details, the user and the client (any case). Links keep the type and the
    search."""
    import html as html_lib
    idp, _ = env
    idp.cli("realm", "create", "evs")
    api = api_session(idp)
    for i in range(230):
        r = api.post(f"{idp.base}/admin/realms/evs/users", json={"username": f"e{i:03}", "enabled": True}, timeout=10)
        assert r.status_code == 201, r.text
    # A refused sign-in (a LOGIN_ERROR event).
    s = requests.Session()
    login = s.get(f"{idp.base}/realms/evs/account", timeout=10)
    f = form(login.text, "/login-actions/authenticate")
    s.post(f["action"], data={**f["fields"], "username": "e001", "password": "wrong password 1"}, timeout=10)
    admin = console_session(idp)
    base = f"{idp.base}/admin/console/evs/events"

    def view(url):
        page = html_lib.unescape(admin.get(url, timeout=30).text)
        return page, re.findall(r"created user (e\d{3})", page)

    page, rows = view(base)
    assert "Showing 1–100 of" in page
    total = int(re.search(r"Showing 1–100 of (\d+)", page).group(1))
    assert total >= 232  # the realm, 230 users, the failed sign-in
    assert rows[:3] == ["e229", "e228", "e227"], "newest first"
    nxt = re.search(r'rel="next" href="([^"]+)"', page).group(1)
    page, rows2 = view(idp.base + nxt)
    assert "Showing 101–200 of" in page and rows2[0] == f"e{int(rows[-1][1:]) - 1:03}"
    # By type, then a search; the links keep both.
    page, rows = view(f"{base}?type=ADMIN&q=E00")
    assert rows == [f"e{i:03}" for i in range(9, -1, -1)] and "Showing 1–10 of 10" in page
    assert '<option value="ADMIN" selected>' in page and 'value="E00"' in page
    page, _ = view(f"{base}?type=LOGIN_ERROR")
    assert "created user" not in page and "e001" in page
    # A search that finds nothing says so; a bad type is no filter.
    page, rows = view(f"{base}?q=%25nothing")
    assert rows == [] and "%nothing" in page and "Showing" not in page
    page, _ = view(f"{base}?type=NOPE")
    assert f"Showing 1–100 of {total}" in page and " selected>" not in page


def test_rest_users_search_and_pages_like_keycloak(env):
    """`GET /admin/realms/{realm}/users?search=&first=&max=` (Keycloak's parameters): one page
    from the database; without them, every user as before."""
    idp, _ = env
    idp.cli("realm", "create", "restpages")
    api = api_session(idp)
    users = [{"username": f"r{i:02}", "email": f"r{i:02}@{'x' if i % 4 == 0 else 'y'}.rest.test", "enabled": True} for i in range(30)]
    assert api.post(f"{idp.base}/admin/realms/restpages/partialImport", json={"users": users, "ifResourceExists": "FAIL"}, timeout=60).status_code == 200
    base = f"{idp.base}/admin/realms/restpages/users"
    names = lambda params: [u["username"] for u in api.get(base, params=params, timeout=10).json()]
    assert len(names({})) == 30
    assert names({"first": 10, "max": 5}) == ["r10", "r11", "r12", "r13", "r14"]
    assert names({"search": "@X.REST", "max": 3}) == ["r00", "r04", "r08"]
    assert names({"search": "@x.rest", "first": 6}) == ["r24", "r28"]
    assert names({"username": "R07"}) == ["r07"]
    for bad in ({"first": "-1"}, {"max": 0}, {"max": 1001}, {"max": 2 ** 63}, {"first": 2 ** 40}):
        assert api.get(base, params=bad, timeout=10).status_code == 400, bad
