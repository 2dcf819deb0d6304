"""Accessibility of every sign-in page and every console page, checked by axe-core (npm, pinned in
tests/browser, installed by scripts/test.sh) in Debian's Chromium driven by Playwright: light and
dark, 1280 px and 375 px wide, English and Japanese. The bar is the issue's: no violation of impact
"serious" or "critical" (WCAG 2.0/2.1/2.2 A and AA rules and axe's best practices).

Also a layout guard: the consoles' content column starts at the same x on every page (the frame
must not move from page to page), and no page scrolls sideways at 375 px; and the keyboard: the
first Tab reaches the skip link, visibly focused, and Enter on it moves focus to the content.
Screenshots of the main pages in both languages and both themes go to $SYMBOLON_SCREENSHOTS
(default target/screenshots); the ones in docs/images were taken by this test.
"""
import json
import os
import pathlib
import re

import pytest
import requests
from playwright.sync_api import sync_playwright

from test_i18n import env  # noqa: F401  (the servers, realm, account and users of the i18n tests)
from test_idp_server import form, saml_response, sign_in, PASSWORD

CHROMIUM = os.environ.get("SYMBOLON_CHROMIUM", "/usr/bin/chromium")
REPO = pathlib.Path(__file__).resolve().parents[2]
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = pathlib.Path(os.environ.get("SYMBOLON_SCREENSHOTS", REPO / "target" / "screenshots"))
# The pages whose screenshots the guides show, by the names used below.
SHOWN = {"idp sso login": "idp-login", "idp account console": "idp-account",
         "idp console /admin/console/acme/users": "idp-console-users", "sp home": "sp-home",
         "sp console /account/idps": "sp-console-idps"}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def run_axe(page):
    page.evaluate(AXE.read_text())
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
        return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }));
    }""", TAGS)
    return [v for v in result if v["impact"] in ("serious", "critical")]


def signed_in_urls(env):
    """(name, URL, cookies) of the pages to check; sessions made over HTTP, as a browser would."""
    idp, sp = env
    pages = []
    # End-user pages of the IdP.
    s = requests.Session()
    login = s.get(f"{idp.base}/realms/acme/account", timeout=10)
    pages += [("idp home", f"{idp.base}/", None), ("idp login", f"{idp.base}/realms/acme/account", None),
              ("idp error", f"{idp.base}/realms/nope/account", None),
              ("idp sso login", f"{idp.base}/realms/acme/protocol/saml/clients/app", None)]
    sign_in(s, login, username="bob")
    pages.append(("idp account console", f"{idp.base}/realms/acme/account", s.cookies))
    # The IdP's administration console.
    a = requests.Session()
    f = form(a.get(f"{idp.base}/admin/", timeout=10).text, "/admin/login")
    pages.append(("idp admin login", f"{idp.base}/admin/login", None))
    a.post(f"{idp.base}/admin/login", data={**f["fields"], "username": "admin", "password": "admin password 1"}, timeout=10)
    clients = a.get(f"{idp.base}/admin/console/acme/clients", timeout=10).text
    client = re.search(r'href="(/admin/console/acme/clients/(?!import")[^"/]+)"', clients).group(1)
    for path in ["/admin/console/", "/admin/console/tokens", "/admin/console/acme/clients", client, client + "/keys",
                 "/admin/console/acme/clients/import", "/admin/console/acme/users", "/admin/console/acme/users/bob",
                 "/admin/console/acme/groups", "/admin/console/acme/roles", "/admin/console/acme/sessions",
                 "/admin/console/acme/settings", "/admin/console/acme/settings/branding", "/admin/console/acme/settings/import",
                 "/admin/console/acme/keys",
                 "/admin/console/acme/events", "/admin/console/acme/webhooks"]:
        pages.append((f"idp console {path}", idp.base + path, a.cookies))
    # The SP: before sign-in, after SSO, and its account console.
    pages += [("sp welcome", f"{sp.base}/", None), ("sp login", f"{sp.base}/login", None)]
    u = requests.Session()
    action, b64, relay = saml_response(sign_in(u, u.get(f"{idp.base}/realms/acme/protocol/saml/clients/app", timeout=10), username="bob"))
    u.post(action, data={"SAMLResponse": b64, **({"RelayState": relay} if relay else {})}, timeout=10)
    pages.append(("sp home", f"{sp.base}/", u.cookies))
    c = requests.Session()
    f = form(c.get(f"{sp.base}/login", timeout=10).text, "/login")
    c.post(f"{sp.base}/login", data={**f["fields"], "email": "boss@acme.test", "password": "boss password 1"}, timeout=10)
    idps = c.get(f"{sp.base}/account/idps", timeout=10).text
    idp_page = re.search(r'href="(/account/idps/[^"]+)"', idps).group(1)
    for path in ["/account/idps", idp_page, "/account/saml-accounts", "/account/users", "/account/roles",
                 "/account/domains", "/account/webhooks", "/account/saml-users", "/account/audit", "/account/failed-sign-ins", "/account/settings",
                 "/account/settings/import"]:
        pages.append((f"sp console {path}", sp.base + path, c.cookies))
    return pages


def test_no_serious_or_critical_violations_and_a_steady_frame(env):  # noqa: F811
    assert AXE.exists(), f"{AXE} is missing: scripts/test.sh runs npm ci in tests/browser"
    assert pathlib.Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium"
    pages = signed_in_urls(env)
    failures, checked, columns = [], 0, {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for scheme in ("light", "dark"):
            for width, lang in ((1280, "en-US"), (375, "ja-JP")):
                for name, url, cookies in pages:
                    # bypass_csp: axe is injected into pages whose policy allows no inline script.
                    ctx = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme,
                                              locale=lang, bypass_csp=True)
                    if cookies is not None:
                        host = re.match(r"https?://([^/:]+)", url).group(1)
                        ctx.add_cookies([{"name": k.name, "value": k.value, "domain": host, "path": k.path or "/"}
                                         for k in cookies if k.domain in (host, "", host + ".local")])
                    page = ctx.new_page()
                    page.goto(url)
                    where = f"{name} ({scheme}, {width}px, {lang})"
                    assert "/admin/login" not in page.url or "login" in name, f"{where}: not signed in"
                    for v in run_axe(page):
                        failures.append(f"{where}: {v['id']} [{v['impact']}] {v['help']} at {v['nodes']}")
                    checked += 1
                    if name in SHOWN:
                        SHOTS.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(SHOTS / f"{SHOWN[name]}-{lang[:2]}-{scheme}-{width}.png"), full_page=True)
                    # Keyboard: the first Tab reaches the skip link, which is then on screen with a
                    # visible focus ring; Enter moves focus to the page's content.
                    # (A page that puts focus in its first field, as sign-in forms do, starts
                    # there; Shift+Tab reaches the skip link.)
                    autofocus = page.evaluate("document.activeElement !== document.body")
                    if scheme == "light" and width == 1280:
                        page.keyboard.press("Shift+Tab" if autofocus else "Tab")
                        focus = page.evaluate("""() => { const e = document.activeElement; const r = e.getBoundingClientRect();
                            const st = getComputedStyle(e); return [e.className, r.left >= 0 && r.top >= 0, st.outlineStyle]; }""")
                        if focus[0] != "skip" or not focus[1] or focus[2] == "none":
                            failures.append(f"{where}: the first Tab does not show the skip link ({focus})")
                        else:
                            page.keyboard.press("Enter")
                            if page.evaluate("document.activeElement.id") != "main":
                                failures.append(f"{where}: the skip link does not move focus to the content")
                    # No sideways scrolling of the whole page on a phone.
                    if width == 375:
                        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                        if overflow > 1:
                            failures.append(f"{where}: the page scrolls sideways by {overflow}px")
                    if " console /" in name and width == 1280:
                        x = page.evaluate("Math.round(document.querySelector('main').getBoundingClientRect().left)")
                        columns.setdefault(name.split(" ")[0], set()).add(x)
                    ctx.close()
        browser.close()
    assert checked == len(pages) * 4
    assert not failures, "\n".join(failures)
    # The content column's left edge is the same on every console page of a server.
    for server, xs in columns.items():
        assert len(xs) == 1, f"{server} console: the content column moves between pages: {sorted(xs)}"
