"""Outbound SCIM provisioning from our IdP (issue 22): a client with a SCIM target has the users
its access rules admit pushed within seconds by the job scheduler, with their groups; a user
disabled or deleted at the IdP is deactivated (or deleted, per client) at the service
provider. Checked against scim2-server (the reference SCIM server, pinned, on 127.0.0.1) and end
to end against our own SP: a provisioned user signs in with no SAML account added by hand, and
loses the SP session within a scheduler period of being disabled at the IdP."""
import json
import os
import socket
import subprocess
import time

import pytest
import requests

from conftest import symbolon_bin
from test_idp_server import PASSWORD
from test_scim import env, sso, signed_in  # noqa: F401  (the module's own IdP + SP)

TOKEN = "reference-server-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=30):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


@pytest.fixture(scope="module")
def reference_server(tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("scim2-server") / "server.log", "w")
    exe = os.path.join(os.path.dirname(__import__("sys").executable), "scim2-server")
    p = subprocess.Popen([exe, "--bearer-token", TOKEN, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v2"
    wait_for("scim2-server answers", lambda: _up(base))
    yield base
    p.terminate()
    p.wait(timeout=10)


def _up(base):
    try:
        return requests.get(f"{base}/ServiceProviderConfig", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def remote(base, token, path, **params):
    r = requests.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def by_user_name(base, token, name):
    found = remote(base, token, "/Users", filter=f'userName eq "{name}"')["Resources"]
    return found[0] if found else None


def test_users_and_groups_reach_the_reference_server(env, reference_server, tmp_path):
    idp, sp, _, _ = env
    base = reference_server
    # A second client of the realm, provisioned to the reference server, open to assigned users only.
    md = tmp_path / "ref-sp.xml"
    md.write_bytes(subprocess.run([symbolon_bin(), "saml", "metadata", "sp", "--entity-id", "https://ref.example/sp",
                                   "--acs-url", "https://ref.example/acs"], capture_output=True, check=True).stdout)
    idp.cli("client", "import", "--realm", "mpas", str(md), "--url-name", "ref")
    cid = "https://ref.example/sp"
    idp.cli("client", "restrict", "--realm", "mpas", cid)
    for u, first in [("ivy", "Ivy"), ("jack", "Jack"), ("kim", "Kim")]:
        idp.cli("user", "add", "--realm", "mpas", u, "--email", f"{u}@corp.test", "--first-name", first, "--password-stdin", stdin=PASSWORD + "\n")
    idp.cli("group", "add", "--realm", "mpas", "/sales")
    idp.cli("group", "join", "--realm", "mpas", "/sales", "ivy")
    idp.cli("group", "join", "--realm", "mpas", "/sales", "jack")
    idp.cli("client", "assign", "--realm", "mpas", cid, "group:/sales")
    bad = subprocess.run([symbolon_bin(), "idp", *idp.db, "provisioning", "set", "--realm", "mpas", cid, "--url", base], input=TOKEN, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "https://" in bad.stderr, "plain http needs --allow-http"
    idp.cli("provisioning", "set", "--realm", "mpas", cid, "--url", base, "--allow-http", stdin=TOKEN)
    # ivy and jack (in /sales) arrive with their attributes (userName: the client's NameID,
    # here the email); kim (not admitted) does not.
    ivy = wait_for("ivy provisioned", lambda: by_user_name(base, TOKEN, "ivy@corp.test"))
    assert ivy["name"]["givenName"] == "Ivy" and ivy["emails"][0]["value"] == "ivy@corp.test" and ivy["active"] is True
    assert ivy["displayName"] == "Ivy" and ivy["externalId"]
    assert wait_for("jack provisioned", lambda: by_user_name(base, TOKEN, "jack@corp.test"))
    group = wait_for("/sales provisioned", lambda: remote(base, TOKEN, "/Groups", filter='displayName eq "/sales"')["Resources"])[0]
    assert sorted(m["value"] for m in group["members"]) == sorted([ivy["id"], by_user_name(base, TOKEN, "jack@corp.test")["id"]])
    assert by_user_name(base, TOKEN, "kim@corp.test") is None
    # A change to a user is pushed.
    idp.cli("user", "set-attr", "--realm", "mpas", "ivy", "locale", "ja")
    wait_for("ivy's locale", lambda: (by_user_name(base, TOKEN, "ivy@corp.test") or {}).get("locale") == "ja")
    # kim joins the group: provisioned, and a member.
    idp.cli("group", "join", "--realm", "mpas", "/sales", "kim")
    kim = wait_for("kim provisioned", lambda: by_user_name(base, TOKEN, "kim@corp.test"))
    wait_for("kim in /sales", lambda: kim["id"] in [m["value"] for m in remote(base, TOKEN, f"/Groups/{group['id']}").get("members", [])])
    # Disabled at the IdP: deactivated at the service provider, not deleted.
    idp.cli("user", "disable", "--realm", "mpas", "jack")
    wait_for("jack deactivated", lambda: (by_user_name(base, TOKEN, "jack@corp.test") or {}).get("active") is False)
    # Per client, removed users may be deleted instead.
    idp.cli("provisioning", "set", "--realm", "mpas", cid, "--url", base, "--allow-http", "--delete-removed", stdin=TOKEN)
    idp.cli("user", "leave", "--realm", "mpas", "kim", "/sales")
    wait_for("kim deleted", lambda: by_user_name(base, TOKEN, "kim@corp.test") is None)
    wait_for("jack deleted", lambda: by_user_name(base, TOKEN, "jack@corp.test") is None)
    status = idp.cli("provisioning", "status", "--realm", "mpas", cid)
    assert "last success:" in status and "never" not in status.split("last success:")[1].split("\n")[0]
    assert "users: 1 (1 active), groups: 1" in status, status
    assert "last error" not in status
    # A service provider that refuses: the error is shown, an event recorded, the run retried later.
    idp.cli("provisioning", "set", "--realm", "mpas", cid, "--url", base, "--allow-http", stdin="wrong-token")
    idp.cli("user", "set-attr", "--realm", "mpas", "ivy", "locale", "en")
    status = wait_for("the failure reported", lambda: (lambda s: s if "last error" in s else None)(idp.cli("provisioning", "status", "--realm", "mpas", cid)))
    assert "HTTP 401" in status and "failures in a row: " in status
    idp.cli("provisioning", "off", "--realm", "mpas", cid)
    assert "provisioning: off" in idp.cli("provisioning", "status", "--realm", "mpas", cid)


def test_our_idp_provisions_our_sp_and_offboards(env):
    idp, sp, _, _ = env
    sp.cli("account", "create", "Pushed Co")
    md = requests.get(f"{idp.base}/realms/mpas/protocol/saml/descriptor", timeout=10).content
    path = "/tmp/" + str(os.getpid()) + "-pushed-idp.xml"
    with open(path, "wb") as f:
        f.write(md)
    sp.cli("idp", "add", "--account", "Pushed Co", "--metadata", path, "--name", "Multi-Pass")
    sp.cli("provisioning", "set", "--account", "Pushed Co", "--default-role", "Read Only")
    token = sp.cli("api-key", "create", "--account", "Pushed Co", "--name", "from-mpas", "--scope", "scim").strip()
    idp.cli("user", "add", "--realm", "mpas", "hank", "--email", "hank@corp.test", "--password-stdin", stdin=PASSWORD + "\n")
    cid = f"{sp.base}/saml/metadata"
    idp.cli("provisioning", "set", "--realm", "mpas", cid, "--url", f"{sp.base}/scim/v2", "--allow-http", stdin=token)
    # hank arrives at the SP (NameID: email, as the client sends) and signs in with the default role.
    scim = {"Authorization": f"Bearer {token}"}
    wait_for("hank at the SP", lambda: requests.get(f"{sp.base}/scim/v2/Users", headers=scim, params={"filter": 'userName eq "hank@corp.test"'}, timeout=10).json()["totalResults"] == 1)
    b, r = sso(idp, sp, "hank")
    assert '<dd id="account">Pushed Co</dd>' in r.text and '<dd id="role">Read Only</dd>' in r.text, r.text[:600]
    # His IdP group reaches the SP as a group the account maps to a role.
    idp.cli("group", "add", "--realm", "mpas", "/support")
    idp.cli("group", "join", "--realm", "mpas", "/support", "hank")
    sp.cli("idp", "map-group", "--account", "Pushed Co", "Multi-Pass", "/support", "Full Access")
    wait_for("/support at the SP", lambda: requests.get(f"{sp.base}/scim/v2/Groups", headers=scim, params={"filter": 'displayName eq "/support"'}, timeout=10).json()["totalResults"] == 1)
    _, r = sso(idp, sp, "hank")
    assert '<dd id="role">Full Access</dd>' in r.text, r.text[:600]
    # Disabled at the IdP: the SP session ends within a scheduler period, and the SP refuses SSO.
    assert signed_in(b, sp)
    idp.cli("user", "disable", "--realm", "mpas", "hank")
    wait_for("hank's SP session ended", lambda: not signed_in(b, sp), timeout=20)
    audit = [json.loads(l) for l in sp.cli("audit", "export", "--account", "Pushed Co").splitlines()]
    assert any(a["action"] == "Provision" and "hank@corp.test (deactivated" in a["detail"] for a in audit), audit
    idp.cli("provisioning", "off", "--realm", "mpas", cid)


def test_the_console_shows_and_changes_provisioning(env, reference_server):
    import re
    from test_idp_server import console_session
    idp, sp, _, _ = env
    s = console_session(idp)
    clients = s.get(f"{idp.base}/admin/console/mpas/clients", timeout=10).text
    page_url = None
    for m in re.finditer(r'/admin/console/mpas/clients/([0-9a-f-]{36})', clients):
        p = s.get(f"{idp.base}/admin/console/mpas/clients/{m.group(1)}", timeout=10)
        if "https://ref.example/sp" in p.text:
            page_url = p.url
            break
    assert page_url, clients[:500]
    page = s.get(page_url, timeout=10).text
    assert 'id="provisioning-state">Provisioning is off.' in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    post = lambda data: s.post(f"{page_url}/provisioning", data={"csrf": csrf, **data}, timeout=30)
    r = post({"action": "set", "url": "ftp://nowhere", "token": "t"})
    assert "Provisioning not saved" in r.text and "https://" in r.text
    r = post({"action": "set", "url": reference_server, "token": TOKEN, "allow_http": "yes"})
    assert "Provisioning saved" in r.text and 'id="provisioning-status"' in r.text
    # The status fills in once the job ran; the token is never shown back.
    page = wait_for("a run shown", lambda: (lambda t: t if "Last success</th><td>never" not in t else None)(s.get(page_url, timeout=10).text))
    assert TOKEN not in page and "1 users (1 active), 1 groups" in page, page[page.find("provisioning-status"):][:800]
    # Saving again with an empty token keeps the token in use.
    r = post({"action": "set", "url": reference_server, "token": "", "allow_http": "yes", "delete_removed": "yes"})
    assert "Provisioning saved" in r.text and "<td>deleted</td>" in r.text
    # The failed run of the first test (a wrong token) is an event of the realm.
    assert "PROVISIONING_ERROR" in idp.cli("events", "mpas", "--limit", "200")
    r = post({"action": "off"})
    assert 'id="provisioning-state">Provisioning is off.' in r.text


def test_the_admin_rest_api_sets_and_reads_provisioning(env, reference_server):
    idp, _, _, _ = env
    token = idp.cli("token", "create", "--name", "prov-api").strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    rep = api.get(f"{idp.base}/admin/realms/mpas/clients", params={"clientId": "https://ref.example/sp"}, timeout=10).json()[0]
    url = f"{idp.base}/admin/realms/mpas/clients/{rep['id']}/provisioning"
    assert api.get(url, timeout=10).json() == {"enabled": False}
    assert api.put(url, json={"url": reference_server, "allowHttp": True}, timeout=10).status_code == 400, "a token is needed to start"
    assert api.put(url, json={"url": "http://x.test/scim", "token": "t"}, timeout=10).status_code == 400, "http needs allowHttp"
    assert api.put(url, json={"url": reference_server, "token": TOKEN, "allowHttp": True, "bogus": 1}, timeout=10).status_code in (400, 422)
    assert api.put(url, json={"url": reference_server, "token": TOKEN, "allowHttp": True}, timeout=10).status_code == 204
    started = api.get(url, timeout=10).json()["status"]["lastRun"] or ""
    got = wait_for("a new successful run", lambda: (lambda v: v if (v["status"]["lastSuccess"] or "") > started else None)(api.get(url, timeout=10).json()))
    assert got["enabled"] and got["url"] == reference_server and "token" not in json.dumps(got).lower().replace("tokens", "")
    assert got["status"]["lastError"] is None and got["status"]["users"] >= 1
    # Without a token the one in use is kept.
    assert api.put(url, json={"url": reference_server, "allowHttp": True, "deleteRemoved": True}, timeout=10).status_code == 204
    assert api.get(url, timeout=10).json()["deleteRemoved"] is True
    assert api.delete(url, timeout=10).status_code == 204
    assert api.get(url, timeout=10).json() == {"enabled": False}
    assert api.get(f"{idp.base}/admin/realms/mpas/clients/nope/provisioning", timeout=10).status_code == 404
