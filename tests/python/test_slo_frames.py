"""Single logout in frames (`[idp] logout_frames = true`): the IdP asks every other application of
the session from frames of one page of its own, and an application that never answers leaves the
user on that page, then on a result that names it, not on a blank page.

Peers: pysaml2 SPs (xmlsec1 for signatures) answer the IdP's LogoutRequests; our own SP answers
one in a real Chromium, where its answer is shown in the IdP's frame; a local server that accepts
connections and never answers stands for a participant that hangs."""
import base64
import html
import pathlib
import re
import socket
import threading
import urllib.parse
import zlib

import pytest
import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from test_browser_walkthrough import Install
from test_idp_server import PASSWORD, meta_refresh, saml_response, sign_in
from test_slo_pysaml2 import pysaml2_sp_for

CHROMIUM = "/usr/bin/chromium"
WAIT = 3


class Silent:
    """Accepts connections and never answers (a participant that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(c)

    def close(self):
        for c in self.held:
            c.close()
        self.sock.close()


class Server(Install):
    """`symbolon serve` with the IdP (logout in frames) and the SP; `idp` and `sp` are their base
    URLs (different host names: the browser keeps the two servers' cookies apart)."""

    def __init__(self, tmp):
        super().__init__(tmp, idp_settings=f"logout_frames = true\nlogout_frame_wait_secs = {WAIT}")


def pysaml2_sp(tmp, srv, name, extra_slo=()):
    return pysaml2_sp_for(tmp, f"{srv.idp}/realms/frames/protocol/saml/descriptor",
                          lambda md: srv.cli("idp", "client", "import", "--realm", "frames", str(md), "--url-name", name),
                          name, extra_slo)


def hanging_client(tmp, srv, silent):
    """A client whose logout endpoint never answers."""
    md = tmp / "sp-hang.xml"
    md.write_text(f"""<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://hang.test/metadata">
<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://127.0.0.1:{silent.port}/slo"/>
<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://hang.test/acs" index="0"/>
</SPSSODescriptor></EntityDescriptor>""")
    srv.cli("idp", "client", "import", "--realm", "frames", str(md), "--url-name", "hang")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slo-frames")
    srv = Server(tmp)
    srv.cli("idp", "realm", "create", "frames")
    srv.cli("idp", "realm", "create", "other")
    srv.cli("idp", "user", "add", "--realm", "frames", "alice", "--email", "alice@frames.test", "--password-stdin", stdin=PASSWORD + "\n")
    one, two = pysaml2_sp(tmp, srv, "one"), pysaml2_sp(tmp, srv, "two")
    silent = Silent()
    hanging_client(tmp, srv, silent)
    yield srv, one, two, tmp
    silent.close()
    srv.stop()


def query(location):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def frames(page):
    """The frames of the logout page: (application, frame URL)."""
    return [(html.unescape(a), html.unescape(s)) for a, s in
            re.findall(r'<span class="logout-app">([^<]*)</span>.*?<iframe class="logout-frame" src="([^"]+)"', page.text, re.S)]


def both_signed_in(srv, one, two):
    b = requests.Session()
    login = b.get(f"{srv.idp}/realms/frames/protocol/saml/clients/one", timeout=30)
    _, b64, _ = saml_response(sign_in(b, login, username="alice"))
    r1 = one.parse_authn_request_response(b64, BINDING_HTTP_POST)
    _, b64, _ = saml_response(b.get(f"{srv.idp}/realms/frames/protocol/saml/clients/two", timeout=30))
    r2 = two.parse_authn_request_response(b64, BINDING_HTTP_POST)
    return b, r1, r2


def start_logout(srv, b, one, r1):
    responses = one.do_logout(r1.name_id, [f"{srv.idp}/realms/frames"], reason="", expire=None,
                              expected_binding=BINDING_HTTP_REDIRECT, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
    (_, info), = [(v[0], v[1]) for v in responses.values()]
    return b.get(dict(info["headers"])["Location"], allow_redirects=False, timeout=30)


def inflate(b64):
    return zlib.decompress(base64.b64decode(b64), -15).decode()


def test_every_application_is_asked_in_a_frame_and_the_initiator_is_answered(env):
    srv, one, two, _ = env
    b, r1, r2 = both_signed_in(srv, one, two)
    page = start_logout(srv, b, one, r1)
    # The IdP's own page, not a redirect: one frame for SP two (SP one asked, so it is not asked).
    assert page.status_code == 200, page.text[:400]
    assert meta_refresh(page) is None
    fr = frames(page)
    assert [a for a, _ in fr] == ["https://two.test/metadata"], page.text[:800]
    csp = page.headers["Content-Security-Policy"]
    assert "frame-src 'self' https://two.test" in csp and "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert '<script src="/resources/logout.js"></script>' in page.text
    js = b.get(f"{srv.idp}/resources/logout.js", timeout=10)
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
    # The IdP session ended at once (before any application answered).
    assert "/login-actions/authenticate" in b.get(f"{srv.idp}/realms/frames/protocol/saml/clients/one", timeout=30).text
    status_url = re.search(r'data-status="([^"]+)"', page.text).group(1)
    finish_url = re.search(r'data-finish="([^"]+)"', page.text).group(1)
    assert b.get(srv.idp + status_url, timeout=10).json() == {"applications": ["waiting"]}
    # The round belongs to its realm: through another realm's path it does not exist.
    for u in (status_url, fr[0][1], finish_url):
        assert b.get(srv.idp + u.replace("/realms/frames/", "/realms/other/"), timeout=10).status_code == 400

    # The frame asks SP two with a LogoutRequest signed by the realm key, from a page that only
    # the IdP's own pages may frame.
    hop = b.get(srv.idp + fr[0][1], timeout=30)
    assert "frame-ancestors 'self'" in hop.headers["Content-Security-Policy"], (hop.status_code, hop.text[:600])
    to_two = meta_refresh(hop)
    assert to_two and to_two.startswith("https://two.test/slo?") and "Signature=" in to_two
    q = query(to_two)
    handled = two.handle_logout_request(q["SAMLRequest"], r2.name_id, BINDING_HTTP_REDIRECT, sign=True,
                                        sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256,
                                        relay_state=q.get("RelayState"), sigalg=q["SigAlg"], signature=q["Signature"])
    back = dict(handled["headers"])["Location"]
    done = b.get(back, allow_redirects=False, timeout=30)
    assert done.status_code == 200 and "frame-ancestors 'self'" in done.headers["Content-Security-Policy"]
    assert "Signed out of https://two.test/metadata." in html.unescape(done.text)
    # The same answer again is refused (its request is answered).
    assert b.get(back, allow_redirects=False, timeout=30).status_code == 400
    assert b.get(srv.idp + status_url, timeout=10).json() == {"applications": ["signed-out"]}

    # Continue: SP one gets Success, signed.
    end = b.get(srv.idp + finish_url, timeout=30)
    to_one = meta_refresh(end)
    assert to_one and to_one.startswith("https://one.test/slo?"), end.text[:400]
    resp = one.parse_logout_request_response(query(to_one)["SAMLResponse"], BINDING_HTTP_REDIRECT)
    assert resp.status_ok()
    # The round is over: Continue again, the status and the frame are refused.
    assert b.get(srv.idp + finish_url, timeout=30).status_code == 400
    assert b.get(srv.idp + status_url, timeout=10).status_code == 400
    assert b.get(srv.idp + fr[0][1], timeout=10).status_code == 400


def test_an_application_that_never_answers_makes_it_a_partial_logout(env):
    srv, one, two, _ = env
    b, r1, _ = both_signed_in(srv, one, two)
    page = start_logout(srv, b, one, r1)
    fr = frames(page)
    # The frame asked SP two, which never answers: Continue (the script does it after the wait).
    assert meta_refresh(b.get(srv.idp + fr[0][1], timeout=30)).startswith("https://two.test/slo?")
    finish_url = re.search(r'data-finish="([^"]+)"', page.text).group(1)
    end = b.get(srv.idp + finish_url, timeout=30)
    to_one = meta_refresh(end)
    assert to_one.startswith("https://one.test/slo?")
    xml = inflate(query(to_one)["SAMLResponse"])
    assert "urn:oasis:names:tc:SAML:2.0:status:PartialLogout" in xml, xml
    assert "single logout requested by https://one.test/metadata" in srv.cli("idp", "events", "frames", "--limit", "50")


def test_a_forged_round_is_refused(env):
    srv, *_ = env
    for path in ("not-a-round/0", "not-a-round/status", "not-a-round/finish"):
        r = requests.get(f"{srv.idp}/realms/frames/protocol/saml/logout/{path}", timeout=10)
        assert r.status_code == 400, (path, r.status_code)
        assert "already finished or took too long" in html.unescape(r.text) or path.endswith("status")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    assert pathlib.Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


def test_sign_out_everywhere_in_chromium_with_our_sp_and_an_application_that_hangs(env, browser):
    """In a real browser: our own SP ends its session from the IdP's frame (its answer is shown
    there: it allows the IdP's origin, and only it, to frame it), a participant that never
    answers is given up on after the wait, and the result page says which application may still
    be signed in."""
    srv, _, _, tmp = env
    # Our SP: an account trusting the realm, signing in through it.
    srv.cli("sp", "account", "create", "Frames")
    md = tmp / "idp-frames.xml"
    md.write_bytes(requests.get(f"{srv.idp}/realms/frames/protocol/saml/descriptor", timeout=10).content)
    srv.cli("sp", "idp", "add", "--account", "Frames", "--metadata", str(md), "--name", "Frames IdP")
    srv.cli("sp", "idp", "profile", "--account", "Frames", "Frames IdP", "--role-attribute", "role")
    srv.cli("sp", "idp", "map-group", "--account", "Frames", "Frames IdP", "staff", "Full Access")
    sp_md = tmp / "our-sp.xml"
    sp_md.write_bytes(requests.get(f"{srv.sp}/saml/metadata", timeout=10).content)
    ours = f"{srv.sp}/saml/metadata"
    srv.cli("idp", "client", "import", "--realm", "frames", str(sp_md), "--url-name", "ours")
    srv.cli("idp", "client", "add-mapper", "--realm", "frames", ours, "--attribute", "role", "--source", "hardcoded:staff")

    ctx = browser.new_context()
    # The hanging client's assertion goes nowhere real: its ACS answers "ok" in the browser.
    ctx.route("https://hang.test/**", lambda route: route.fulfill(status=200, content_type="text/html", body="<p>ok</p>"))
    page = ctx.new_page()
    # Sign in to our SP through the IdP, then to the hanging client with the same IdP session.
    page.goto(f"{srv.idp}/realms/frames/protocol/saml/clients/ours")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#password-form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(srv.sp) + ".*"), timeout=30000)
    assert page.context.cookies(srv.sp), "our SP set no session"
    sp_session = requests.Session()
    for c in page.context.cookies(srv.sp):
        sp_session.cookies.set(c["name"], c["value"])
    home = sp_session.get(f"{srv.sp}/", allow_redirects=False, timeout=10)
    assert home.status_code == 200 and "Full Access" in home.text, home.text[:400]
    page.goto(f"{srv.idp}/realms/frames/protocol/saml/clients/hang")
    page.wait_for_url("https://hang.test/**", timeout=30000)

    # Sign out everywhere from the account console.
    page.goto(f"{srv.idp}/realms/frames/account")
    page.click("form[action$='/account/logout'] button[type=submit]")
    page.wait_for_selector("#logout-round", timeout=10000)
    # Our SP answers in its frame ...
    page.wait_for_function("document.querySelectorAll('.logout-state')[0].textContent.length > 0", timeout=10000)
    names = page.locator(".logout-app").all_inner_texts()
    assert sorted(names) == sorted([ours, "https://hang.test/metadata"]), names
    # ... and after the wait the page moves on by itself to the result.
    page.wait_for_url(re.compile(r".*/logout/.*/finish$"), timeout=(WAIT + 10) * 1000)
    text = page.locator("main").inner_text()
    unconfirmed = page.locator("#unconfirmed").inner_text()
    confirmed = page.locator("#confirmed").inner_text()
    assert "https://hang.test/metadata" in unconfirmed, text
    assert ours in confirmed and "hang.test" not in confirmed, text
    # Our SP's session is gone (ended by SessionIndex, without its cookie in the frame).
    home = sp_session.get(f"{srv.sp}/", allow_redirects=False, timeout=10)
    assert "Full Access" not in home.text, home.text[:400]
    ctx.close()


def test_the_logout_page_without_script_is_accessible_and_continue_finishes(env, browser):
    """Without its script (blocked here), the page stays, passes axe (WCAG 2.2 AA, Japanese, on a
    phone), and its Continue link ends the round with the hanging application listed."""
    from test_accessibility import run_axe
    srv, *_ = env
    # bypass_csp: axe is injected into a page whose policy allows no inline script.
    ctx = browser.new_context(viewport={"width": 375, "height": 800}, locale="ja-JP", bypass_csp=True)
    ctx.route("https://hang.test/**", lambda route: route.fulfill(status=200, content_type="text/html", body="<p>ok</p>"))
    ctx.route("**/resources/logout.js", lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))
    page = ctx.new_page()
    page.goto(f"{srv.idp}/realms/frames/protocol/saml/clients/hang")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#password-form button[type=submit]")
    page.wait_for_url("https://hang.test/**", timeout=30000)
    page.goto(f"{srv.idp}/realms/frames/account")
    page.click("form[action$='/account/logout'] button[type=submit]")
    page.wait_for_selector("#logout-round", timeout=10000)
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "サインアウトしています" in page.locator("h1").inner_text()
    violations = run_axe(page)
    assert not violations, violations
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.wait_for_timeout((WAIT + 1) * 1000)
    assert "/finish" not in page.url, "the page moved on without its script"
    page.click("#logout-continue")
    page.wait_for_url(re.compile(r".*/finish$"), timeout=10000)
    assert "https://hang.test/metadata" in page.locator("#unconfirmed").inner_text()
    ctx.close()
