"""Both seed guides, step by step, in a real headless Chromium (Debian's /usr/bin/chromium driven by
Playwright) against `symbolon serve --config` on a fresh data directory: the SP administrator and
the IdP administrator exchange metadata through the web consoles, a user signs in at the Home URL,
meets the account/role picker and lands in the SP in their locale and time zone; the SAML Users
tab and the audit log show them; a master administrator is refused at SSO and signs in natively;
deleting a mapped role warns and locks out the user mapped only to it; on day 2 the admin remaps
the group (the user gets in again), then removes the mapping and the user's SAML account (refused).

Screenshots of the key screens go to $SYMBOLON_SCREENSHOTS (default: target/screenshots); the
ones in docs/images were taken by this test.
"""
import base64
import zlib
import os
import pathlib
import re
import socket
import subprocess
import urllib.parse

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from conftest import database_url, symbolon_bin

# Assertions wait for the page up to 15 s instead of Playwright's 5: on a busy 2-core machine
# with PostgreSQL, a console save and its redirected page have been seen to take longer.
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("SYMBOLON_CHROMIUM", "/usr/bin/chromium")
REPO = pathlib.Path(__file__).resolve().parents[2]
SHOTS = pathlib.Path(os.environ.get("SYMBOLON_SCREENSHOTS", REPO / "target" / "screenshots"))
PASSWORD = "walkthrough password 1"
SP_ADMIN, SP_ADMIN_PASSWORD = "admin@acme.test", "sp master password"
IDP_ADMIN, IDP_ADMIN_PASSWORD = "admin", "idp admin password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Install:
    """A fresh `symbolon serve` with both roles, and the operator's first-run commands."""

    def __init__(self, tmp, idp_settings=""):
        self.data = tmp / "data"
        self.url = database_url(self.data)
        idp_port, sp_port = free_port(), free_port()
        # Different host names, so the browser keeps the IdP's and the SP's cookies apart.
        self.idp = f"http://localhost:{idp_port}"
        self.sp = f"http://127.0.0.1:{sp_port}"
        cfg = tmp / "symbolon.toml"
        cfg.write_text(f"""[server]
database_url = "{self.url}"
[idp]
listen = "127.0.0.1:{idp_port}"
base_url = "{self.idp}"
{idp_settings}
[sp]
listen = "127.0.0.1:{sp_port}"
base_url = "{self.sp}"
""")
        # The access log goes to a file: an undrained pipe would fill up and stall the server.
        self.log = open(tmp / "serve.log", "w")
        self.proc = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=self.log, text=True)
        seen = []
        while len([l for l in seen if " listening on " in l]) < 2:
            line = self.proc.stdout.readline()
            assert line, "".join(seen) + (tmp / "serve.log").read_text()
            seen.append(line)

    def cli(self, side, *args, stdin=None):
        out = subprocess.run([symbolon_bin(), side, "--database-url", self.url, *args], input=stdin, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def install(tmp_path_factory):
    assert pathlib.Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium"
    tmp = tmp_path_factory.mktemp("walkthrough")
    i = Install(tmp)
    # First run, as the deployment guide says: the IdP's administrator, the SP account and its master administrator.
    i.cli("idp", "realm", "create", "master")
    i.cli("idp", "user", "add", "--realm", "master", IDP_ADMIN, "--password-stdin", stdin=IDP_ADMIN_PASSWORD + "\n")
    i.cli("sp", "account", "create", "Acme")
    i.cli("sp", "user", "add", "--account", "Acme", SP_ADMIN, "--master", "--password-stdin", stdin=SP_ADMIN_PASSWORD + "\n")
    # The seed's prerequisite: the users are registered in the IdP.
    i.cli("idp", "realm", "create", "mpas", "--display-name", "Multi-Pass")
    for user, first, attrs in [("alice", "Alice", ["--attr", "locale=ja", "--attr", "tz=Asia/Tokyo"]),
                               ("bob", "Bob", ["--attr", "locale=en", "--attr", "tz=America/New_York"]),
                               ("dave", "Dave", []),
                               ("erin", "Erin", []),
                               ("root", "Root", [])]:
        email = SP_ADMIN if user == "root" else f"{user}@corp.test"
        i.cli("idp", "user", "add", "--realm", "mpas", user, "--email", email, "--first-name", first, *attrs, "--password-stdin", stdin=PASSWORD + "\n")
    for g in ("/eng", "/ops"):
        i.cli("idp", "group", "add", "--realm", "mpas", g)
    for g, u in [("/eng", "alice"), ("/eng", "bob"), ("/eng", "erin"), ("/eng", "root"), ("/ops", "dave")]:
        i.cli("idp", "group", "join", "--realm", "mpas", g, u)
    yield i, tmp
    i.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sso(browser, home_url, username):
    """A user opens the Home URL, signs in at the IdP; the POST binding carries them to the SP."""
    ctx = browser.new_context(locale="en-US")
    ctx.set_default_timeout(10000)
    page = ctx.new_page()
    page.goto(home_url)
    expect(page.locator("h1")).to_have_text("Sign in to Multi-Pass")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/"))
    page.wait_for_load_state()
    return ctx, page


def test_seed_walkthrough_in_chromium(install, browser, tmp_path):
    inst, _ = install
    # Step 1 (SP admin): Administration > Identity Provider; download the SP metadata; the Add
    # Identity Provider form stays open.
    spa = browser.new_context(accept_downloads=True)
    spa.set_default_timeout(10000)
    sp_page = spa.new_page()
    sp_page.goto(f"{inst.sp}/login")
    sp_page.get_by_label("Email address").fill(SP_ADMIN)
    sp_page.get_by_label("Password").fill(SP_ADMIN_PASSWORD)
    sp_page.get_by_role("button", name="Sign in").click()
    expect(sp_page.locator("#role")).to_have_text("Master Administrator")
    sp_page.get_by_role("link", name="Administration").click()
    expect(sp_page.get_by_role("navigation", name="Administration").get_by_role("link", name="Identity Provider")).to_be_visible()
    sp_page.get_by_role("navigation", name="Administration").get_by_role("link", name="Identity Provider").click()
    with sp_page.expect_download() as dl:
        sp_page.get_by_role("link", name="Download service provider metadata").click()
    sp_md = tmp_path / "sp-metadata.xml"
    dl.value.save_as(sp_md)
    assert f'entityID="{inst.sp}/saml/metadata"' in sp_md.read_text()
    expect(sp_page.get_by_role("heading", name="Add Identity Provider")).to_be_visible()
    shot(sp_page, "sp-01-identity-provider")

    # Step 2 (IdP admin): Clients > Import a Client with that file; Home URL and IdP-initiated SSO
    # URL name; Save; the attribute mappers the SP's profile will name; Realm Settings > SAML 2.0
    # Identity Provider Metadata, saved as XML.
    idpa = browser.new_context()
    idpa.set_default_timeout(10000)
    idp_page = idpa.new_page()
    idp_page.goto(f"{inst.idp}/admin/")
    idp_page.get_by_label("Username").fill(IDP_ADMIN)
    idp_page.get_by_label("Password").fill(IDP_ADMIN_PASSWORD)
    idp_page.get_by_role("button", name="Sign in").click()
    # The servers' own scheduled jobs are visible to administrators.
    expect(idp_page.locator("#jobs")).to_contain_text("idp:purge-state")
    expect(idp_page.locator("#jobs tr", has_text="idp:purge-state")).to_contain_text("purged")
    idp_page.get_by_role("link", name="mpas", exact=True).click()
    expect(idp_page.get_by_role("heading", name="Clients")).to_be_visible()
    idp_page.get_by_role("link", name="Import client").click()
    idp_page.get_by_label("Metadata file").set_input_files(str(sp_md))
    shot(idp_page, "idp-01-import-client")
    idp_page.get_by_role("button", name="Import").click()
    expect(idp_page.locator(".notice")).to_contain_text(f"Imported client {inst.sp}/saml/metadata")
    # The SP publishes an encryption key: assertions to it are encrypted from the start.
    expect(idp_page.get_by_label("Encrypt assertions")).to_be_checked()
    expect(idp_page.get_by_label("Data encryption")).to_have_value("aes256-gcm")
    home_url = f"{inst.idp}/realms/mpas/protocol/saml/clients/trendmicro"
    idp_page.get_by_label("Name", exact=True).fill("Acme on Symbolon SP")
    idp_page.get_by_label("Home URL").fill(home_url)
    idp_page.get_by_label("IDP-Initiated SSO URL Name").fill("trendmicro")
    idp_page.get_by_label("Name ID format").select_option("email")
    idp_page.get_by_role("button", name="Save", exact=True).click()
    expect(idp_page.locator(".notice")).to_contain_text("Saved.")
    shot(idp_page, "idp-02-client-settings")
    for attribute, kind, param in [("groups", "group-list-full", ""), ("displayName", "user-property", "firstName"),
                                   ("locale", "user-attribute", "locale"), ("timezone", "user-attribute", "tz")]:
        idp_page.get_by_label("SAML attribute name").fill(attribute)
        idp_page.get_by_label("Type", exact=True).select_option(kind)
        idp_page.get_by_label("User attribute, property or value").fill(param)
        idp_page.get_by_role("button", name="Add mapper").click()
        expect(idp_page.locator("tbody tr", has=idp_page.get_by_role("cell", name=attribute, exact=True))).to_have_count(1)
    idp_page.get_by_role("link", name="Realm settings").click()
    descriptor = f"{inst.idp}/realms/mpas/protocol/saml/descriptor"
    with idpa.expect_event("response", predicate=lambda r: r.url == descriptor) as resp, idpa.expect_page() as popup:
        idp_page.get_by_role("link", name="SAML 2.0 Identity Provider Metadata").click()
    idp_md = tmp_path / "mpas-idp-metadata.xml"
    idp_md.write_bytes(resp.value.body())
    popup.value.close()
    assert f'entityID="{inst.idp}/realms/mpas"' in idp_md.read_text()
    shot(idp_page, "idp-03-realm-settings")

    # Step 3 (SP admin): name, description, upload the XML, Save; the entry is listed. Then the
    # mapping profile, group -> role pairs, and a SAML account for a user.
    sp_page.get_by_label("Name", exact=True).fill("Multi-Pass")
    sp_page.get_by_label("Description").fill("MPAS Identity Provider")
    sp_page.get_by_label("Identity provider metadata (XML file)").set_input_files(str(idp_md))
    sp_page.get_by_role("button", name="Save").click()
    row = sp_page.locator("tbody tr").filter(has_text="Multi-Pass")
    expect(row).to_contain_text("MPAS Identity Provider")
    expect(row).to_contain_text(f"{inst.idp}/realms/mpas")
    expect(sp_page.get_by_role("heading", name="Added Multi-Pass")).to_be_visible()
    shot(sp_page, "sp-02-identity-provider-added")
    row.get_by_role("link", name="Multi-Pass").click()
    sp_page.get_by_label("Name attribute").fill("displayName")
    sp_page.get_by_label("Locale attribute").fill("locale")
    sp_page.get_by_label("Time zone attribute").fill("timezone")
    sp_page.get_by_label("Role attribute").fill("groups")
    sp_page.get_by_role("button", name="Save profile").click()
    expect(sp_page.locator(".notice")).to_be_visible()
    # A custom role for the night shift, then the group mappings.
    admin_nav = sp_page.get_by_role("navigation", name="Administration")
    admin_nav.get_by_role("link", name="Roles").click()
    sp_page.get_by_label("Role name").fill("Night shift")
    sp_page.get_by_role("button", name="Add role").click()
    expect(sp_page.locator("tbody")).to_contain_text("Night shift")
    admin_nav.get_by_role("link", name="Identity Provider").click()
    sp_page.get_by_role("link", name="Multi-Pass").click()
    for group, role in [("/eng", "Full Access"), ("/ops", "Night shift")]:
        sp_page.get_by_label("Group (as the identity provider sends it)").fill(group)
        sp_page.get_by_label("Role", exact=True).select_option(role)
        sp_page.get_by_role("button", name="Add mapping").click()
        expect(sp_page.locator("section", has_text="Group to role mappings").locator("tbody")).to_contain_text(group)
    # A mistake is reported next to the field and the input is kept.
    sp_page.get_by_label("Group (as the identity provider sends it)").fill("/eng")
    sp_page.get_by_label("Role", exact=True).select_option("Read Only")
    sp_page.get_by_role("button", name="Add mapping").click()
    expect(sp_page.locator("#group-error")).to_contain_text("at most one role")
    expect(sp_page.get_by_label("Group (as the identity provider sends it)")).to_have_value("/eng")
    shot(sp_page, "sp-03-mapping-profile")
    # Administration > User Account > Add User Account > SAML Account.
    admin_nav.get_by_role("link", name="User Accounts").click()
    sp_page.get_by_label("Account name").fill("alice@corp.test")
    sp_page.get_by_label("Role", exact=True).select_option("Auditor")
    sp_page.get_by_label("Description (optional)").fill("audits Acme")
    sp_page.get_by_role("button", name="Add").click()
    expect(sp_page.locator(".notice")).to_contain_text("SAML account alice@corp.test added.")
    expect(sp_page.locator("tbody")).to_contain_text("Auditor")
    shot(sp_page, "sp-04-saml-account")

    # Step 4 (the user): the Home URL, sign in at the IdP, the picker (a group mapping and a SAML
    # account give two pairs), then the SP in Japanese and Tokyo time.
    actx, alice = sso(browser, home_url, "alice")
    expect(alice.locator("h1")).to_have_text("アカウントと役割を選択してください")
    expect(alice.locator("html")).to_have_attribute("lang", "ja")
    shot(alice, "user-01-picker")
    alice.get_by_role("button", name="Acme · Auditor").click()
    expect(alice.locator("h1")).to_have_text("ようこそ、Alice さん")
    expect(alice.locator("#role")).to_have_text("Auditor")
    expect(alice.locator("#signed-in-at")).to_contain_text("JST")
    shot(alice, "user-02-signed-in")
    # Switching to the other pair from the same sign-in.
    alice.get_by_role("link", name="アカウントまたは役割を切り替える").click()
    alice.get_by_role("button", name="Acme · Full Access").click()
    expect(alice.locator("#role")).to_have_text("Full Access")
    actx.close()
    # bob has one pair: straight in, in English and New York time.
    bctx, bob = sso(browser, home_url, "bob")
    expect(bob.locator("h1")).to_have_text("Welcome, Bob")
    expect(bob.locator("#account")).to_have_text("Acme")
    expect(bob.locator("#signed-in-at")).to_contain_text(re.compile("E[SD]T"))
    bob.get_by_role("button", name="Sign out").click()
    expect(bob.locator("h1")).to_have_text("Signed out")
    after = requests.get(f"{inst.sp}/", cookies={c["name"]: c["value"] for c in bctx.cookies(inst.sp)}, timeout=10)
    assert after.status_code == 200 and "<h1>Sign in</h1>" in after.text, "signed out: the start page offers sign-in"
    bctx.close()

    # The SAML Users tab and the audit log show them.
    admin_nav.get_by_role("link", name="Users > SAML").click()
    users = sp_page.locator("tbody")
    expect(users).to_contain_text("alice@corp.test")
    expect(users).to_contain_text("bob@corp.test")
    expect(sp_page.locator("tbody tr").filter(has_text="alice@corp.test")).to_contain_text("Full Access")
    shot(sp_page, "sp-05-saml-users")
    admin_nav.get_by_role("link", name="Audit log").click()
    log = sp_page.locator("tbody")
    expect(log).to_contain_text("SwitchRole")
    expect(log).to_contain_text(re.compile(r"urn:symbolon:identity:[^:]+:saml-user/"))
    sp_page.get_by_label("Action").select_option("SignIn")
    sp_page.get_by_role("button", name="Filter").click()
    expect(sp_page.locator("tbody")).not_to_contain_text("SwitchRole")
    expect(sp_page.locator("tbody")).to_contain_text("bob@corp.test")
    shot(sp_page, "sp-06-audit-log")

    # Step 5: the master administrator at SSO is refused with the message that sends them to
    # native sign-on, and signs in natively instead.
    rctx, root = sso(browser, home_url, "root")
    expect(root.locator("h1")).to_have_text("No access")
    expect(root.locator("main")).to_contain_text("Master Administrators cannot use SSO")
    shot(root, "user-03-master-refused")
    root.get_by_role("link", name="Sign in with your email address and password").click()
    root.get_by_label("Email address").fill(SP_ADMIN)
    root.get_by_label("Password").fill(SP_ADMIN_PASSWORD)
    root.get_by_role("button", name="Sign in").click()
    expect(root.locator("#role")).to_have_text("Master Administrator")
    rctx.close()

    # dave (only /ops -> Night shift) gets in; then the role is deleted (with confirmation): the
    # mapping shows the warning and dave is locked out with the reason.
    dctx, dave = sso(browser, home_url, "dave")
    expect(dave.locator("#role")).to_have_text("Night shift")
    dctx.close()
    admin_nav.get_by_role("link", name="Roles").click()
    sp_page.get_by_label("Role", exact=True).select_option("Night shift")
    sp_page.get_by_role("button", name="Delete…").click()
    expect(sp_page.locator("h1")).to_contain_text("Night shift")
    sp_page.get_by_role("button", name="Delete role").click()
    expect(sp_page.locator("tbody")).not_to_contain_text("Night shift")
    admin_nav.get_by_role("link", name="Identity Provider").click()
    sp_page.get_by_role("link", name="Multi-Pass").click()
    expect(sp_page.locator("section", has_text="Group to role mappings")).to_contain_text("⚠ Night shift (deleted)")
    shot(sp_page, "sp-07-deleted-role-warning")
    dctx, dave = sso(browser, home_url, "dave")
    expect(dave.locator("h1")).to_have_text("No access")
    expect(dave.locator("main")).to_contain_text("Night shift")
    shot(dave, "user-04-deleted-role-no-access")
    dctx.close()

    # Day 2: the admin repairs the mapping in the console (the group now maps to a live role) and
    # dave gets in again; then offboarding: the mapping and dave's SAML account are removed, each
    # after a confirmation, and dave is refused.
    ops = sp_page.locator("section", has_text="Group to role mappings").locator("tbody tr", has_text="/ops")
    ops.get_by_label("Role for /ops").select_option("Read Only")
    ops.get_by_role("button", name="Change role of /ops").click()
    expect(sp_page.locator("section", has_text="Group to role mappings").locator("tbody tr", has_text="/ops")).to_contain_text("Read Only")
    expect(sp_page.locator("section", has_text="Group to role mappings")).not_to_contain_text("(deleted)")
    shot(sp_page, "sp-08-remapped")
    dctx, dave = sso(browser, home_url, "dave")
    expect(dave.locator("#role")).to_have_text("Read Only")
    dctx.close()
    admin_nav.get_by_role("link", name="User Accounts").click()
    sp_page.get_by_label("Account name").fill("dave@corp.test")
    sp_page.get_by_label("Role", exact=True).select_option("Auditor")
    sp_page.get_by_role("button", name="Add").click()
    expect(sp_page.locator(".notice")).to_contain_text("SAML account dave@corp.test added.")
    admin_nav.get_by_role("link", name="Identity Provider").click()
    sp_page.get_by_role("link", name="Multi-Pass").click()
    sp_page.get_by_role("button", name="Remove the mapping of /ops").click()
    expect(sp_page.locator("h1")).to_contain_text("Remove the mapping of group /ops?")
    sp_page.get_by_role("button", name="Remove mapping").click()
    expect(sp_page.locator("section", has_text="Group to role mappings").locator("tbody")).not_to_contain_text("/ops")
    dctx, dave = sso(browser, home_url, "dave")
    expect(dave.locator("#role")).to_have_text("Auditor")
    dctx.close()
    admin_nav.get_by_role("link", name="User Accounts").click()
    sp_page.get_by_role("link", name="dave@corp.test").click()
    expect(sp_page.locator("h1")).to_have_text("SAML account dave@corp.test")
    sp_page.get_by_role("button", name="Remove this SAML account…").click()
    sp_page.get_by_role("button", name="Remove SAML account").click()
    expect(sp_page.locator("tbody")).not_to_contain_text("dave@corp.test")
    shot(sp_page, "sp-09-offboarded")
    dctx, dave = sso(browser, home_url, "dave")
    expect(dave.locator("h1")).to_have_text("No access")
    dctx.close()
    audit_text = sp_page.request.get(sp_page.url.split("/account/")[0] + "/account/audit.jsonl").text()
    for line in ("changed the role of group /ops from Night shift to Read Only", "removed the mapping of group /ops", "removed SAML account dave@corp.test"):
        assert line in audit_text, line
    spa.close()
    idpa.close()


def virtual_authenticator(ctx, page):
    """A platform authenticator with resident keys and user verification (DevTools protocol)."""
    cdp = ctx.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    a = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp, a["authenticatorId"]


def posted_response(page, action):
    """Do `action`, and return the SAML Response (XML) the browser then posts to the SP's ACS."""
    with page.expect_request(lambda r: r.url.endswith("/saml/acs") and r.method == "POST") as req:
        action()
    form = urllib.parse.parse_qs(req.value.post_data)
    return base64.b64decode(form["SAMLResponse"][0]).decode()


def fido_request_url(inst):
    """An unsigned SP-initiated AuthnRequest (Redirect binding) from the SP, asking for FIDO."""
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    xml = (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
           f'ID="_fido1" Version="2.0" IssueInstant="{now}" AssertionConsumerServiceURL="{inst.sp}/saml/acs">'
           f'<saml:Issuer>{inst.sp}/saml/metadata</saml:Issuer><samlp:RequestedAuthnContext Comparison="exact">'
           '<saml:AuthnContextClassRef>urn:rsa:names:tc:SAML:2.0:ac:classes:FIDO</saml:AuthnContextClassRef>'
           '</samlp:RequestedAuthnContext></samlp:AuthnRequest>')
    q = urllib.parse.urlencode({"SAMLRequest": base64.b64encode(zlib.compress(xml.encode())[2:-4]).decode()})
    return f"{inst.idp}/realms/mpas/protocol/saml?{q}"


def class_refs(xml):
    return re.findall(r"AuthnContextClassRef>([^<]+)<", xml)


def test_passkeys_in_chromium(install, browser):
    """Multi-Pass is passwordless: the IdP administrator turns passkeys on; bob registers one in
    his account console and signs in to the SP with it through IdP-initiated SSO (the assertion
    says REFEDS MFA); under "passkey only" his password is refused, and erin, who has none yet,
    registers her first passkey with her password and then signs in with it; the administrator
    sees her methods and resets them after a confirmation."""
    inst, _ = install
    home_url = f"{inst.idp}/realms/mpas/protocol/saml/clients/trendmicro"
    idpa = browser.new_context()
    idpa.set_default_timeout(10000)
    admin = idpa.new_page()
    admin.goto(f"{inst.idp}/admin/")
    admin.get_by_label("Username").fill(IDP_ADMIN)
    admin.get_by_label("Password").fill(IDP_ADMIN_PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    admin.goto(f"{inst.idp}/admin/console/mpas/settings")
    admin.get_by_label("Users of this realm sign in to applications with").select_option("passkey-or-password")
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator(".notice")).to_contain_text("Passkey or password")
    # This test reads the authentication context from the response the browser posts, and sends
    # AuthnRequests of its own (asking for FIDO) that it cannot sign with the SP's key: the
    # administrator switches assertion encryption and required request signatures off for the
    # SP (and back on at the end).
    admin.goto(f"{inst.idp}/admin/console/mpas/clients")
    admin.get_by_role("link", name=f"{inst.sp}/saml/metadata").click()
    client_page = admin.url
    expect(admin.get_by_label("Client signature required")).to_be_checked()
    admin.get_by_label("Encrypt assertions").uncheck()
    admin.get_by_label("Client signature required").uncheck()
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".notice")).to_contain_text("Saved.")
    expect(admin.get_by_label("Encrypt assertions")).not_to_be_checked()

    # bob signs in to his account console with his password and adds a passkey.
    ctx = browser.new_context(locale="en-US")
    ctx.set_default_timeout(10000)
    page = ctx.new_page()
    cdp, authenticator = virtual_authenticator(ctx, page)
    page.goto(f"{inst.idp}/realms/mpas/account")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    expect(page.get_by_label("Username or email")).to_have_attribute("autocomplete", "username webauthn")
    page.get_by_label("Username or email").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#username")).to_have_text("bob")
    expect(page.locator("#passkey-status-line")).to_have_text("No passkey yet.")
    page.get_by_label("Name for a new passkey").fill("Bob's laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".notice")).to_have_text("Passkey added.")
    expect(page.locator("#passkeys")).to_contain_text("Bob's laptop")
    creds = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(creds) == 1 and creds[0]["isResidentCredential"], creds
    shot(page, "user-05-passkey-added")
    # Signed out, the login page offers his passkey in the username field's autofill (conditional
    # UI; the virtual authenticator answers it as a user picking it would): he is back in with no
    # username and no password.
    page.locator("#sessions tr", has_text="(this session)").get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Your account")
    expect(page.locator("#sessions tr", has_text="(this session)")).to_contain_text("passkey (Bob's laptop)")
    passkey = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"][0]
    ctx.close()

    devices = {}

    def device(credential):
        """A fresh browser (no cookies) whose platform authenticator holds `credential`."""
        c = browser.new_context(locale="en-US")
        c.set_default_timeout(10000)
        p = c.new_page()
        d, a = virtual_authenticator(c, p)
        if credential:
            d.send("WebAuthn.addCredential", {"authenticatorId": a, "credential": credential})
        devices[p] = (d, a)
        return c, p

    def held(p):
        """The passkey as that browser's authenticator holds it now (its counter moved on)."""
        d, a = devices[p]
        return d.send("WebAuthn.getCredentials", {"authenticatorId": a})["credentials"][0]

    # The Home URL on another device: IdP-initiated SSO to the SP with the passkey.
    ctx, page = device(passkey)
    xml = posted_response(page, lambda: page.goto(home_url))
    assert class_refs(xml) == ["https://refeds.org/profile/mfa"], class_refs(xml)
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/"))
    expect(page.locator("h1")).to_have_text("Welcome, Bob")
    stale, passkey = passkey, held(page)
    assert passkey["signCount"] > stale["signCount"]
    ctx.close()
    methods = inst.cli("idp", "user", "credentials", "--realm", "mpas", "bob")
    assert f"Bob's laptop\tcounter {passkey['signCount']}" in methods, methods
    assert "passkey (Bob's laptop)" in inst.cli("idp", "events", "mpas")

    # An application that asks for FIDO (phishing-resistant) gets it from a passkey alone: the
    # login page offers only the passkey, through its button.
    ctx, page = device(passkey)
    page.goto(fido_request_url(inst))
    expect(page.locator("#login-notice")).to_have_text("This application asks for a passkey.")
    expect(page.get_by_label("Password")).to_have_count(0)
    shot(page, "user-06-sign-in-with-a-passkey")
    xml = posted_response(page, lambda: page.get_by_role("button", name="Sign in with a passkey").click())
    assert class_refs(xml) == ["urn:rsa:names:tc:SAML:2.0:ac:classes:FIDO"], class_refs(xml)
    assert 'InResponseTo="_fido1"' in xml
    ctx.close()

    # A copy of the passkey that has counted less (a cloned authenticator) is refused.
    ctx, page = device(stale)
    page.goto(fido_request_url(inst))
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator("#login-error")).to_contain_text("signature counter did not move forward")
    ctx.close()
    assert "passkey refused (counter-not-forward)" in inst.cli("idp", "events", "mpas")
    # The passkey is now suspended (a possible clone); the administrator sees it and clears it
    # after checking with bob (issue 14, item 11).
    admin.goto(f"{inst.idp}/admin/console/mpas/users/bob")
    expect(admin.locator("#user-passkeys")).to_contain_text("Suspended since")
    admin.get_by_role("button", name="Clear flag of Bob's laptop").click()
    expect(admin.locator(".notice")).to_contain_text("signs in again")
    expect(admin.locator("#user-passkeys")).not_to_contain_text("Suspended since")

    # Phishing-resistant: passkeys only.
    admin.goto(f"{inst.idp}/admin/console/mpas/settings")
    admin.get_by_label("Users of this realm sign in to applications with").select_option("passkey-only")
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator(".notice")).to_contain_text("Passkey only")
    # bob's password no longer signs him in (a device without his passkey).
    other, p2 = device(None)
    p2.goto(home_url)
    p2.get_by_text("No passkey yet? Sign in with your password to register one").click()
    p2.get_by_label("Username or email").fill("bob")
    p2.get_by_label("Password").fill(PASSWORD)
    p2.get_by_role("button", name="Sign in", exact=True).click()
    expect(p2.locator("#login-error")).to_contain_text("accepts passkeys only")
    # erin has no passkey: her password leads to registering one, and then the passkey signs her
    # in (the login page's autofill offers it at once). The password form stays open after an error.
    p2.get_by_label("Username or email").fill("erin")
    p2.get_by_label("Password").fill(PASSWORD)
    p2.get_by_role("button", name="Sign in", exact=True).click()
    expect(p2.locator("h1")).to_have_text("Register a passkey")
    shot(p2, "user-07-register-a-passkey")
    p2.get_by_label("Name for this passkey").fill("Erin's phone")
    xml = posted_response(p2, lambda: p2.get_by_role("button", name="Register a passkey").click())
    assert class_refs(xml) == ["https://refeds.org/profile/mfa"], class_refs(xml)
    expect(p2.locator("h1")).to_have_text("Welcome, Erin")
    events = inst.cli("idp", "events", "mpas")
    assert "erin registered a passkey \"Erin's phone\" at sign-in (required action)" in events
    assert "password sign-in is disabled in this realm (passkey only)" in events
    other.close()

    # The administrator sees erin's methods and resets them (lost phone), after a confirmation.
    admin.goto(f"{inst.idp}/admin/console/mpas/users/erin")
    expect(admin.locator("#methods")).to_contain_text("Passkeys")
    expect(admin.locator("#user-passkeys")).to_contain_text("Erin's phone")
    shot(admin, "idp-04-user-sign-in-methods")
    admin.get_by_role("button", name="Reset sign-in methods…").click()
    expect(admin.locator("h1")).to_have_text("Reset the sign-in methods of erin?")
    admin.get_by_role("button", name="Reset sign-in methods").click()
    expect(admin.locator(".notice")).to_contain_text("1 passkey(s) removed, 1 session(s) signed out")
    assert "passkey\t" not in inst.cli("idp", "user", "credentials", "--realm", "mpas", "erin")
    # Her new phone: a one-time registration link from the console, opened on the phone, gives
    # her a passkey without a password, and the passkey then signs her in.
    admin.get_by_role("button", name="Create a passkey registration link").click()
    link = re.search(r"(http://\S+/login-actions/register\?token=[\w-]+)", admin.locator(".notice").inner_text()).group(1)
    phone, p3 = device(None)
    p3.goto(link)
    expect(p3.locator("h1")).to_have_text("Register a passkey")
    p3.get_by_label("Name for this passkey").fill("Erin's new phone")
    p3.get_by_role("button", name="Register a passkey").click()
    expect(p3.locator("h1")).to_have_text("Your account")
    expect(p3.locator("#passkeys")).to_contain_text("Erin's new phone")
    phone.close()
    # Requiring a passkey at the next sign-in is a toggle on the user's page.
    admin.goto(f"{inst.idp}/admin/console/mpas/users/bob")
    admin.get_by_role("button", name="Require a passkey at the next sign-in").click()
    expect(admin.locator(".notice")).to_contain_text("must register a passkey at the next sign-in")
    expect(admin.locator("#methods")).to_contain_text("must register one at the next sign-in")
    admin.get_by_role("button", name="Stop requiring a passkey").click()
    expect(admin.locator(".notice")).to_contain_text("no longer required")
    inst.cli("idp", "realm", "policy", "mpas", "password")
    admin.goto(client_page)
    admin.get_by_label("Encrypt assertions").check()
    admin.get_by_label("Client signature required").check()
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".notice")).to_contain_text("Saved.")
    idpa.close()


def idp_console(browser, inst):
    """The IdP's administrator, signed in to the console in a fresh browser context."""
    ctx = browser.new_context(locale="en-US")
    ctx.set_default_timeout(10000)
    page = ctx.new_page()
    page.goto(f"{inst.idp}/admin/")
    page.get_by_label("Username").fill(IDP_ADMIN)
    page.get_by_label("Password").fill(IDP_ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return ctx, page


def test_idp_console_day2_in_chromium(install, browser):
    """Day 2 at the IdP, in the console: an attribute set on a user, the realm's sessions with the
    application reached and one signed out, then offboarding: the user deleted and a group
    deleted, each after a confirmation page."""
    inst, _ = install
    ctx, page = idp_console(browser, inst)
    page.goto(f"{inst.idp}/admin/console/mpas/users/erin")
    page.get_by_label("Name (e.g. locale, tz)").fill("tz")
    page.get_by_label("Values (one per line").fill("Europe/Paris")
    page.get_by_role("button", name="Set attribute").click()
    expect(page.locator(".notice")).to_contain_text("Attribute tz saved.")
    expect(page.locator("#attributes")).to_contain_text("Europe/Paris")
    # erin signs in to the SP; the Sessions page shows where.
    ectx, erin = sso(browser, f"{inst.idp}/realms/mpas/protocol/saml/clients/trendmicro", "erin")
    ectx.close()
    nav = page.get_by_role("navigation", name="Administration")
    nav.get_by_role("link", name="Sessions").click()
    row = page.locator("#sessions tr", has_text="erin").first
    expect(row).to_contain_text(f"{inst.sp}/saml/metadata")
    shot(page, "idp-05-sessions")
    row.get_by_role("button", name="Sign out every session of erin").click()
    expect(page.locator("#sessions")).not_to_contain_text("erin")
    # Offboarding: delete erin, then the /ops group, each confirmed.
    nav.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="erin", exact=True).click()
    page.get_by_role("button", name="Delete user…").click()
    expect(page.locator("h1")).to_have_text("Delete user erin?")
    page.get_by_role("button", name="Delete user").click()
    expect(page.locator("h1")).to_have_text("Users")
    expect(page.locator("main")).not_to_contain_text("erin")
    nav.get_by_role("link", name="Groups").click()
    page.get_by_role("button", name="Delete /ops").click()
    expect(page.locator("h1")).to_have_text("Delete group /ops?")
    page.get_by_role("button", name="Delete group").click()
    expect(page.locator("#groups")).not_to_contain_text("/ops")
    events = inst.cli("idp", "events", "mpas", "--kind", "ADMIN", "--limit", "50")
    for line in ("set attribute tz of erin", "session(s) of erin", "deleted user erin", "deleted group(s) /ops"):
        assert line in events, line
    ctx.close()


def test_console_lifecycle_in_chromium(install, browser, tmp_path):
    """What an administrator creates, they can change and remove, in the consoles, in Chromium:
    at the IdP a realm created and deleted (its name typed to confirm), a client re-imported from
    new metadata (changes listed) and deleted, an admin API token created (shown once) and
    revoked, each removal after a confirmation page; at the SP a native user added and removed,
    the account renamed, and another account created from the console and worked in at once."""
    inst, _ = install
    ctx, page = idp_console(browser, inst)
    # A realm, created from the console.
    page.get_by_label("Name (in URLs").fill("scratch")
    page.get_by_label("Display name").fill("Scratch Pad")
    page.get_by_role("button", name="Create realm").click()
    expect(page).to_have_url(re.compile(r"/admin/console/scratch/settings$"))
    expect(page.locator("main")).to_contain_text("Scratch Pad")
    # A client in it, from the SP's metadata; then re-imported from metadata with another ACS.
    md = requests.get(f"{inst.sp}/saml/metadata", timeout=10).text
    md_file = tmp_path / "sp.xml"
    md_file.write_text(md)
    inst.cli("idp", "client", "import", "--realm", "scratch", str(md_file), "--url-name", "app")
    nav = page.get_by_role("navigation", name="Administration")
    nav.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name=f"{inst.sp}/saml/metadata").click()
    moved = re.sub(r'Location="[^"]*/saml/acs"', f'Location="{inst.sp}/saml/acs-moved"', md, count=1)
    assert moved != md
    page.get_by_label("New metadata XML").fill(moved)
    page.get_by_role("button", name="Re-import").click()
    expect(page.locator(".notice")).to_contain_text("Metadata re-imported. Changes:")
    expect(page.locator(".notice")).to_contain_text("acs-moved")
    page.get_by_role("button", name="Delete client…").click()
    expect(page.locator("h1")).to_have_text(f"Delete client {inst.sp}/saml/metadata?")
    page.get_by_role("button", name="Delete client").click()
    expect(page).to_have_url(re.compile(r"/admin/console/scratch/clients$"))
    expect(page.locator("main")).not_to_contain_text(f"{inst.sp}/saml/metadata")
    # The realm deleted: the confirmation asks for its name.
    nav.get_by_role("link", name="Realm settings").click()
    page.get_by_role("button", name="Delete realm…").click()
    expect(page.locator("h1")).to_have_text("Delete realm scratch?")
    page.get_by_label("Type scratch to confirm").fill("scratch")
    page.get_by_role("button", name="Delete realm").click()
    expect(page.locator("main")).not_to_contain_text("Scratch Pad")
    assert "scratch" not in inst.cli("idp", "realm", "list")
    # An admin API token: shown once, works, revoked after a confirmation, then refused.
    page.goto(f"{inst.idp}/admin/console/tokens")
    page.get_by_label("Name (who or what uses it").fill("lifecycle-ci")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert requests.get(f"{inst.idp}/admin/realms", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
    page.goto(f"{inst.idp}/admin/console/tokens")
    expect(page.locator("main")).not_to_contain_text(token)
    page.locator("tr", has_text="lifecycle-ci").get_by_role("link", name=re.compile("Revoke")).click()
    expect(page.locator("h1")).to_have_text("Revoke the admin token “lifecycle-ci”?")
    page.get_by_role("button", name="Revoke token").click()
    expect(page.locator("main")).to_contain_text("Token “lifecycle-ci” revoked.")
    assert requests.get(f"{inst.idp}/admin/realms", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 401
    ctx.close()

    # The SP's master administrator, signed in with a password.
    ctx = browser.new_context(locale="en-US")
    ctx.set_default_timeout(10000)
    sp = ctx.new_page()
    sp.goto(f"{inst.sp}/login")
    sp.get_by_label("Email address").fill(SP_ADMIN)
    sp.get_by_label("Password").fill(SP_ADMIN_PASSWORD)
    sp.get_by_role("button", name="Sign in").click()
    sp.goto(f"{inst.sp}/account/users")
    sp.get_by_label("Email address").fill("temp@acme.test")
    sp.get_by_label("Password (at least 8 characters)").fill("temp password 1")
    sp.get_by_role("button", name="Add user").click()
    row = sp.locator("tr", has_text="temp@acme.test")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Remove temp@acme.test").click()
    expect(sp.locator("h1")).to_have_text("Remove user temp@acme.test?")
    sp.get_by_role("button", name="Remove user").click()
    expect(sp.locator("main")).not_to_contain_text("temp@acme.test")
    # Another account, from Account settings: the console is in it at once.
    admin_nav = sp.get_by_role("navigation", name="Administration")
    admin_nav.get_by_role("link", name="Account settings").click()
    sp.get_by_label("New account's name").fill("acme")
    sp.get_by_role("button", name="Create account").click()
    expect(sp.locator("#new-account-error")).to_be_visible()
    sp.get_by_label("New account's name").fill("Acme Staging")
    sp.get_by_role("button", name="Create account").click()
    expect(sp.locator(".notice")).to_contain_text("Account “Acme Staging” created.")
    expect(sp.locator("header")).to_contain_text("Acme Staging")
    # Renamed there, then the home page offers both accounts.
    sp.get_by_label("Account name").fill("Acme Sandbox")
    sp.get_by_role("button", name="Rename").click()
    expect(sp.get_by_label("Account name")).to_have_value("Acme Sandbox")
    sp.goto(f"{inst.sp}/pick")
    expect(sp.get_by_role("button", name=re.compile(r"^Acme · Master"))).to_be_visible()
    expect(sp.get_by_role("button", name=re.compile(r"^Acme Sandbox · Master"))).to_be_visible()
    accounts = inst.cli("sp", "account", "list")
    assert "Acme Sandbox" in accounts and "Acme Staging" not in accounts
    ctx.close()
