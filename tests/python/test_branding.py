"""Per-realm branding (issue 20): an administrator sets a realm's accent colour and logo in the
console (Realm settings > Branding); the realm's sign-in pages, account console and signed-out
page show them, in light and dark mode, through a stylesheet of the realm's own (the page CSP
allows no inline style). Refusals are said next to the field, in the page's language, and change
nothing: a colour that does not reach 4.5:1 against the page, a colour not written #rrggbb, a
logo that is not PNG, JPEG or WebP by its bytes (SVG included: it can carry script), a logo over
200 KB. Each change is one ADMIN event; an unchanged save records none. Another realm is never
affected. Checked in Chromium: the button really has the colour, the logo is shown, and axe-core
finds no contrast failure in either scheme."""
import re
import struct
import zlib

import pytest
import requests
from playwright.sync_api import sync_playwright

from test_accessibility import AXE, CHROMIUM, run_axe
from test_idp_server import PASSWORD, Idp, console_session, form


def png(width=4, height=2, rgb=(26, 77, 143)) -> bytes:
    """A real PNG image of one colour."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    idp = Idp(tmp_path_factory.mktemp("branding"))
    idp.cli("realm", "create", "acme", "--display-name", "Acme Corp")
    idp.cli("realm", "create", "beta")
    idp.cli("user", "add", "--realm", "acme", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    yield idp, console_session(idp)
    idp.stop()


def branding_page(idp, admin, lang="en"):
    return admin.get(f"{idp.base}/admin/console/acme/settings/branding", headers={"Accept-Language": lang}, timeout=10)


def save(idp, admin, accent="", logo=None, remove=False, lang="en", csrf=None):
    f = form(branding_page(idp, admin).text, "/settings/branding")
    fields = {"csrf": f["fields"]["csrf"] if csrf is None else csrf, "accent": accent}
    if remove:
        fields["remove_logo"] = "on"
    files = {"logo": ("logo.bin", logo or b"", "application/octet-stream")}
    return admin.post(f"{idp.base}/admin/console/acme/settings/branding", data=fields, files=files,
                      headers={"Accept-Language": lang, "Origin": idp.base}, allow_redirects=False, timeout=10)


def css(idp, realm="acme"):
    r = requests.get(f"{idp.base}/realms/{realm}/branding.css", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    return r


def branding_events(idp):
    """The realm's branding changes, newest first."""
    return [line for line in idp.events("acme").splitlines() if "branding" in line]


def test_an_unbranded_realm_links_an_empty_stylesheet(env):
    idp, _ = env
    page = requests.get(f"{idp.base}/realms/acme/account", timeout=10).text
    assert '<link rel="stylesheet" href="/realms/acme/branding.css">' in page
    assert 'class="realm-logo"' in page
    r = css(idp)
    assert r.text == "" and r.headers["cache-control"] == "no-cache" and r.headers["etag"]
    again = requests.get(f"{idp.base}/realms/acme/branding.css", headers={"If-None-Match": r.headers["etag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    assert requests.get(f"{idp.base}/realms/acme/logo", timeout=10).status_code == 404
    # An unknown realm: an empty stylesheet too, nothing to learn from it.
    assert css(idp, "nope").text == ""


def test_refusals_are_said_next_to_the_field_and_change_nothing(env):
    idp, admin = env
    before = branding_events(idp)
    r = save(idp, admin, accent="#ffff00")
    assert r.status_code == 400
    assert 'id="accent-error"' in r.text and "1.0:1" in r.text and 'aria-invalid="true"' in r.text
    assert 'value="#ffff00"' in r.text, "what was typed stays in the field"
    r = save(idp, admin, accent="blue")
    assert r.status_code == 400 and "six hexadecimal digits" in r.text
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(document.domain)</script></svg>"
    for bad in (svg, b"GIF89a\x01\x00\x01\x00", b"<html>" + png()):
        r = save(idp, admin, accent="#1a4d8f", logo=bad)
        assert r.status_code == 400 and 'id="logo-error"' in r.text and "PNG, JPEG or WebP" in r.text
        assert 'id="accent-error"' not in r.text
    big = png() + b"\0" * (200 * 1024)
    r = save(idp, admin, logo=big)
    assert r.status_code == 400 and "larger than 200 KB" in r.text
    # In Japanese, next to the field too.
    r = save(idp, admin, accent="#ffff00", lang="ja")
    assert r.status_code == 400 and "コントラスト" in r.text
    # Without the form's token: refused before anything is read into the realm.
    r = save(idp, admin, accent="#1a4d8f", csrf="forged")
    assert r.status_code == 403
    assert css(idp).text == ""
    assert branding_events(idp) == before
    # Signed out: the console's sign-in, not a change.
    r = requests.post(f"{idp.base}/admin/console/acme/settings/branding", files={"accent": (None, "#1a4d8f")},
                      allow_redirects=False, timeout=10)
    assert r.status_code in (303, 401, 403) and css(idp).text == ""


def test_accent_and_logo_saved_shown_and_removed(env):
    idp, admin = env
    logo = png()
    r = save(idp, admin, accent="#1A4D8F", logo=logo)
    assert r.status_code == 303 and r.headers["location"].endswith("/admin/console/acme/settings/branding")
    page = branding_page(idp, admin).text
    assert "Branding saved" in page and 'value="#1a4d8f"' in page and 'id="current-logo"' in page
    assert "Branding saved" not in branding_page(idp, admin).text, "the notice shows once"
    sheet = css(idp).text
    assert sheet.startswith(":root { --accent: #1a4d8f; --on-accent: #ffffff; }")
    dark = re.search(r"prefers-color-scheme: dark\) \{ :root \{ --accent: (#[0-9a-f]{6}); --on-accent: (#[0-9a-f]{6})", sheet)
    assert dark and dark.group(1) != "#1a4d8f"
    url = re.search(r'url\("(/realms/acme/logo\?v=[0-9a-f]{16})"\)', sheet).group(1)
    got = requests.get(idp.base + url, timeout=10)
    assert got.status_code == 200 and got.content == logo and got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert requests.get(idp.base + url, headers={"If-None-Match": got.headers["etag"]}, timeout=10).status_code == 304
    events = branding_events(idp)
    assert len(events) == 1 and "accent colour default -> #1a4d8f" in events[0]
    assert f"logo set (image/png, {len(logo)} bytes)" in events[0]
    # The same again: nothing changed, nothing recorded.
    r = save(idp, admin, accent="#1a4d8f")
    assert r.status_code == 303 and "Nothing changed" in branding_page(idp, admin).text
    assert len(branding_events(idp)) == 1
    # Another realm keeps the product's look.
    assert css(idp, "beta").text == ""
    assert requests.get(f"{idp.base}/realms/beta/logo", timeout=10).status_code == 404
    # The sign-in pages that show it, with the page's CSP intact.
    s = requests.Session()
    login = s.get(f"{idp.base}/realms/acme/account", timeout=10)
    assert "/realms/acme/branding.css" in login.text
    assert "style-src 'self'" in login.headers["content-security-policy"]

    # In Chromium: the primary button has the accent in light mode, a lighter shade in dark, the
    # logo is shown above the heading, and axe finds no contrast failure.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for scheme, want in (("light", "rgb(26, 77, 143)"), ("dark", None)):
            ctx = browser.new_context(viewport={"width": 375, "height": 800}, color_scheme=scheme, bypass_csp=True)
            page = ctx.new_page()
            page.goto(f"{idp.base}/realms/acme/account")
            button = page.evaluate("getComputedStyle(document.querySelector('#password-form button')).backgroundColor")
            if want:
                assert button == want
            else:
                r, g, b = (int(x) for x in re.findall(r"\d+", button)[:3])
                assert (r, g, b) != (26, 77, 143) and r + g + b > 26 + 77 + 143, button
            shown = page.evaluate("""() => { const e = document.querySelector('.realm-logo'); const st = getComputedStyle(e);
                return [st.display, st.backgroundImage, e.getBoundingClientRect().height]; }""")
            assert shown[0] == "block" and "/realms/acme/logo?v=" in shown[1] and shown[2] > 0, shown
            violations = run_axe(page)
            assert not violations, violations
            ctx.close()
        browser.close()

    # Remove the logo, keep the colour.
    r = save(idp, admin, accent="#1a4d8f", remove=True)
    assert r.status_code == 303
    assert "realm-logo" not in css(idp).text and "--accent: #1a4d8f" in css(idp).text
    assert requests.get(idp.base + url, timeout=10).status_code == 404
    assert "logo removed" in branding_events(idp)[0]
    # And back to the product's look.
    r = save(idp, admin, accent="")
    assert r.status_code == 303 and css(idp).text == ""
    assert "accent colour #1a4d8f -> default" in branding_events(idp)[0]
    assert len(branding_events(idp)) == 3


def test_deleting_the_realm_takes_its_branding(env):
    idp, admin = env
    idp.cli("realm", "create", "gamma")
    page = admin.get(f"{idp.base}/admin/console/gamma/settings/branding", timeout=10).text
    f = form(page, "/settings/branding")
    r = admin.post(f"{idp.base}/admin/console/gamma/settings/branding", data={"csrf": f["fields"]["csrf"], "accent": "#224466"},
                   files={"logo": ("l.png", png(), "image/png")}, headers={"Origin": idp.base}, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and "--accent: #224466" in css(idp, "gamma").text
    idp.cli("realm", "delete", "gamma", "--yes")
    assert css(idp, "gamma").text == ""
    assert requests.get(f"{idp.base}/realms/gamma/logo", timeout=10).status_code == 404
    assert AXE.exists()


def test_copy_buttons_in_the_console(env):
    """Progressive enhancement: values to paste elsewhere (the realm's entity ID and endpoint)
    get a Copy button from the consoles' own script (CSP `script-src 'self'`); a click puts the
    value on the clipboard and a live region says so, in the page's language."""
    idp, admin = env
    url = f"{idp.base}/admin/console/acme/settings"
    r = admin.get(url, timeout=10)
    assert "script-src 'self'" in r.headers["content-security-policy"]
    entity = re.search(r'<code data-copy="[^"]+">([^<]+)</code>', r.text).group(1)
    assert entity.endswith("/realms/acme")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for lang, label, done in (("en-US", "Copy", "Copied"), ("ja-JP", "コピー", "コピーしました")):
            ctx = browser.new_context(locale=lang)
            ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=idp.base)
            host = re.match(r"https?://([^/:]+)", idp.base).group(1)
            ctx.add_cookies([{"name": k.name, "value": k.value, "domain": host, "path": k.path or "/"} for k in admin.cookies])
            page = ctx.new_page()
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(url)
            buttons = page.locator("button.copy")
            assert buttons.count() == 2
            assert buttons.first.inner_text() == label
            buttons.first.click()
            page.wait_for_function("document.querySelector('#main [role=status]:last-child').textContent.length > 0")
            assert page.evaluate("navigator.clipboard.readText()") == entity
            assert buttons.first.inner_text() == done
            assert not errors, errors
            ctx.close()
        browser.close()
