"""English and Japanese on both servers, end to end over HTTP (issue 20).

The language of a page is the person's explicit choice (`?lang=`, remembered in a cookie), else
the user's own `locale` attribute where the server knows the user, else Accept-Language, else
English. The sign-in pages, the account console, error pages and both consoles' frames are
checked in both languages; the consoles' navigation marks the current page.
"""
import html
import subprocess
import re

import pytest
import requests

from conftest import symbolon_bin  # noqa: F401  (the binary is checked by the fixtures)
from test_idp_server import Idp, form, saml_response, sign_in, PASSWORD
from test_sp_server import Sp

JA = {"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i18n")
    idp = Idp(tmp)
    sp = Sp(tmp)
    idp.cli("realm", "create", "acme", "--display-name", "Acme Corp")
    idp.cli("user", "add", "--realm", "acme", "hana", "--first-name", "Hana", "--email", "hana@acme.test",
            "--attr", "locale=ja", "--attr", "zoneinfo=Asia/Tokyo", "--password-stdin", stdin=PASSWORD + "\n")
    idp.cli("user", "add", "--realm", "acme", "bob", "--first-name", "Bob", "--email", "bob@acme.test",
            "--password-stdin", stdin=PASSWORD + "\n")
    idp.cli("group", "add", "--realm", "acme", "/eng")
    for u in ("hana", "bob"):
        idp.cli("group", "join", "--realm", "acme", "/eng", u)
    idp.cli("realm", "create", "master")
    idp.cli("user", "add", "--realm", "master", "admin", "--password-stdin", stdin="admin password 1\n")
    sp_md = tmp / "sp.xml"
    sp_md.write_bytes(requests.get(f"{sp.base}/saml/metadata", timeout=10).content)
    idp.cli("client", "import", "--realm", "acme", str(sp_md), "--url-name", "app")
    cid = f"{sp.base}/saml/metadata"
    for attr, source in [("groups", "group-list-full"), ("displayName", "user-property:firstName"), ("locale", "user-attribute:locale")]:
        idp.cli("client", "add-mapper", "--realm", "acme", cid, "--attribute", attr, "--source", source)
    idp_md = tmp / "idp.xml"
    idp_md.write_bytes(requests.get(f"{idp.base}/realms/acme/protocol/saml/descriptor", timeout=10).content)
    sp.cli("account", "create", "Acme")
    sp.cli("idp", "add", "--account", "Acme", "--metadata", str(idp_md), "--name", "Acme IdP")
    sp.cli("idp", "profile", "--account", "Acme", "Acme IdP", "--role-attribute", "groups",
           "--name-attribute", "displayName", "--locale-attribute", "locale")
    sp.cli("idp", "map-group", "--account", "Acme", "Acme IdP", "/eng", "Full Access")
    sp.cli("user", "add", "--account", "Acme", "boss@acme.test", "--master", "--password-stdin", stdin="boss password 1\n")
    yield idp, sp
    sp.stop()
    idp.stop()


def lang_of(page):
    m = re.search(r'<html lang="([a-z]+)"', page.text)
    assert m, page.text[:300]
    return m.group(1)


def test_the_browser_language_chooses_the_sign_in_page(env):
    idp, _ = env
    en = requests.get(f"{idp.base}/realms/acme/account", headers=EN, timeout=10)
    assert lang_of(en) == "en" and "<h1>Sign in to Acme Corp</h1>" in en.text
    assert 'for="username">Username or email<' in en.text
    ja = requests.get(f"{idp.base}/realms/acme/account", headers=JA, timeout=10)
    assert lang_of(ja) == "ja" and "<h1>Acme Corp にサインイン</h1>" in ja.text
    assert 'for="username">ユーザー名またはメールアドレス<' in ja.text and ">サインイン</button>" in ja.text
    # Without Accept-Language, or with a language the product does not speak: English.
    assert lang_of(requests.get(f"{idp.base}/realms/acme/account", headers={"Accept-Language": "fr, de;q=0.5"}, timeout=10)) == "en"
    # Quality values count, not the order.
    assert lang_of(requests.get(f"{idp.base}/realms/acme/account", headers={"Accept-Language": "en;q=0.3, ja;q=0.8"}, timeout=10)) == "ja"
    # Every page has the skip link first, the favicon, and the switcher to the other language.
    assert re.search(r'<body>\s*<a class="skip" href="#main">メインコンテンツへスキップ</a>', ja.text)
    assert 'rel="icon" href="/resources/favicon.svg"' in ja.text and 'id="main"' in ja.text
    icon = requests.get(f"{idp.base}/resources/favicon.svg", timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/svg+xml" and icon.text.startswith("<svg")


def test_the_switcher_is_remembered_and_survives_a_failed_password(env):
    idp, _ = env
    s = requests.Session()
    s.headers.update(EN)
    page = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/app", timeout=10)
    assert lang_of(page) == "en"
    # The switcher on a page that answered a POST would lose the request: it points at the
    # flow's own login page, which a GET renders again.
    link = re.search(r'<a href="([^"]+)" lang="ja" hreflang="ja">日本語</a>', page.text)
    assert link and "/login-actions/authenticate?flow=" in link.group(1), page.text[-800:]
    flow = form(page.text, "/login-actions/authenticate")["fields"]["flow"]
    ja = s.get(idp.base + html.unescape(link.group(1)), timeout=10)
    assert ja.status_code == 200 and lang_of(ja) == "ja" and "に進みます" in ja.text
    assert "symbolon_lang=ja" in ja.headers["Set-Cookie"] and "HttpOnly" in ja.headers["Set-Cookie"]
    assert form(ja.text, "/login-actions/authenticate")["fields"]["flow"] == flow, "the same sign-in goes on"
    # The choice is remembered over Accept-Language: a wrong password is refused in Japanese.
    bad = s.post(f"{idp.base}/realms/acme/login-actions/authenticate",
                 data={**form(ja.text, "/login-actions/authenticate")["fields"], "username": "bob", "password": "wrong"}, timeout=10)
    assert bad.status_code == 401 and lang_of(bad) == "ja"
    assert 'id="login-error">ユーザー名またはパスワードが正しくありません。</p>' in bad.text
    link = re.search(r'<a href="([^"]+)" lang="en" hreflang="en">English</a>', bad.text)
    assert link and f"flow={flow}" in link.group(1)
    # And the sign-in completes from the Japanese page.
    ok = s.post(f"{idp.base}/realms/acme/login-actions/authenticate",
                data={**form(bad.text, "/login-actions/authenticate")["fields"], "username": "bob", "password": PASSWORD}, timeout=10)
    assert saml_response(ok)[1]
    # Back to English; a finished or unknown flow's page is the expired page, in that language.
    en = s.get(f"{idp.base}/realms/acme/login-actions/authenticate?flow={flow}&lang=en", timeout=10)
    assert en.status_code == 400 and lang_of(en) == "en" and "Sign-in expired" in en.text
    assert s.cookies.get("symbolon_lang") == "en"
    gone = s.get(f"{idp.base}/realms/acme/login-actions/authenticate?flow=nope", headers=JA,
                 cookies={"symbolon_lang": ""}, timeout=10)
    assert gone.status_code == 400


def test_error_pages_speak_the_browsers_language(env):
    idp, sp = env
    r = requests.get(f"{idp.base}/realms/nope/account", headers=JA, timeout=10)
    assert r.status_code == 404 and lang_of(r) == "ja"
    assert "<h1>見つかりません</h1>" in r.text and "レルム「nope」はここにはありません。" in r.text
    assert "<dt>日時</dt>" in r.text
    r = requests.get(f"{idp.base}/realms/acme/protocol/saml/clients/nothing", headers=EN, timeout=10)
    assert r.status_code == 404 and "There is no application “nothing” in this realm." in r.text
    r = requests.post(f"{sp.base}/saml/acs", data={"SAMLResponse": "%%%"}, headers=JA, timeout=10)
    assert r.status_code == 400 and lang_of(r) == "ja" and "SAMLResponse をデコードできませんでした。" in r.text


def test_the_users_locale_attribute_comes_before_the_browser(env):
    idp, sp = env
    # hana's locale attribute is ja: her account console is Japanese although the browser asks
    # for English; bob has none and gets English.
    for user, expected in [("hana", "ja"), ("bob", "en")]:
        s = requests.Session()
        s.headers.update(EN)
        page = sign_in(s, s.get(f"{idp.base}/realms/acme/account", timeout=10), username=user)
        assert lang_of(page) == expected, user
        if expected == "ja":
            assert "<h1>アカウント</h1>" in page.text and "サインイン中のセッション" in page.text
            assert "(このセッション)" in page.text
            # Her times are shown in her own time zone, named.
            assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d JST</td>", page.text), page.text[-1500:]
            # An explicit choice still wins.
            en = s.get(f"{idp.base}/realms/acme/account?lang=en", timeout=10)
            assert lang_of(en) == "en" and "<h1>Your account</h1>" in en.text
        else:
            assert "<h1>Your account</h1>" in page.text
            assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</td>", page.text)
    # At the SP, the locale the IdP sends chooses the welcome (Japanese comma and honorific).
    s = requests.Session()
    s.headers.update(EN)
    login = s.get(f"{idp.base}/realms/acme/protocol/saml/clients/app", timeout=10)
    action, b64, relay = saml_response(sign_in(s, login, username="hana"))
    home = s.post(action, data={"SAMLResponse": b64, **({"RelayState": relay} if relay else {})}, timeout=10)
    assert home.status_code == 200 and lang_of(home) == "ja", home.text[:400]
    assert "<h1>ようこそ、Hana さん</h1>" in home.text and "<dt>アカウント</dt>" in home.text


def test_sp_pages_before_sign_in(env):
    _, sp = env
    ja = requests.get(f"{sp.base}/", headers=JA, timeout=10)
    assert lang_of(ja) == "ja" and "<h1>サインイン</h1>" in ja.text and "メールアドレスとパスワードでサインイン" in ja.text
    login = requests.get(f"{sp.base}/login", headers=JA, timeout=10)
    assert 'for="email">メールアドレス<' in login.text
    en = requests.get(f"{sp.base}/login", headers=EN, timeout=10)
    assert lang_of(en) == "en" and 'for="email">Email address<' in en.text
    # The email field has the sign-in pages' own style (it was an unstyled native box).
    css = requests.get(f"{sp.base}/resources/symbolon.css", timeout=10).text
    assert "input[type=email]" in css and "word-break: break-all" not in css


def test_console_frames_mark_the_current_page_in_both_languages(env):
    idp, sp = env
    s = requests.Session()
    s.headers.update(JA)
    f = form(s.get(f"{idp.base}/admin/", timeout=10).text, "/admin/login")
    s.post(f"{idp.base}/admin/login", data={**f["fields"], "username": "admin", "password": "admin password 1"}, timeout=10)
    users = s.get(f"{idp.base}/admin/console/acme/users", timeout=10)
    assert users.status_code == 200 and lang_of(users) == "ja"
    current = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', users.text)
    assert current == [("/admin/console/acme/users", "ユーザー")], current
    assert 'href="/admin/console/acme/clients">クライアント</a>' in users.text
    assert '<a class="skip" href="#main">' in users.text
    # A page below a section marks the section; the realm list marks only "Realms".
    realms = s.get(f"{idp.base}/admin/console/?lang=en", timeout=10)
    assert re.findall(r'aria-current="page">([^<]+)<', realms.text) == ["Realms"]
    tokens = s.get(f"{idp.base}/admin/console/tokens", timeout=10)
    assert re.findall(r'aria-current="page">([^<]+)<', tokens.text) == ["API tokens"]

    c = requests.Session()
    c.headers.update(JA)
    f = form(c.get(f"{sp.base}/login", timeout=10).text, "/login")
    c.post(f"{sp.base}/login", data={**f["fields"], "email": "boss@acme.test", "password": "boss password 1"}, timeout=10)
    audit = c.get(f"{sp.base}/account/audit", timeout=10)
    assert audit.status_code == 200 and lang_of(audit) == "ja"
    assert re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', audit.text) == [("/account/audit", "監査ログ")]
    assert "ID プロバイダー</a>" in audit.text and "Acme に戻る" in audit.text


def test_the_sp_account_console_in_japanese(env):
    """The SP's administration pages, their notices after a redirect (a message with arguments
    carried through the flash store) and their confirmations speak the viewer's language."""
    _, sp = env
    c = requests.Session()
    c.headers.update(JA)
    f = form(c.get(f"{sp.base}/login", timeout=10).text, "/login")
    c.post(f"{sp.base}/login", data={**f["fields"], "email": "boss@acme.test", "password": "boss password 1"}, timeout=10)
    idps = c.get(f"{sp.base}/account/idps", timeout=10)
    assert "<h1>ID プロバイダー</h1>" in idps.text and ">ID プロバイダーを追加</h2>" in idps.text
    assert "サービスプロバイダーのメタデータをダウンロード" in idps.text and "IdP 起点" in idps.text
    roles = c.get(f"{sp.base}/account/roles", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', roles.text).group(1)
    added = c.post(f"{sp.base}/account/roles", data={"csrf": csrf, "name": "夜勤"}, timeout=10)
    assert added.status_code == 200 and "役割 夜勤 を追加しました。" in added.text, added.text[-1500:]
    ask = c.post(f"{sp.base}/account/roles/delete", data={"csrf": csrf, "name": "夜勤"}, timeout=10)
    assert "<h1>役割 夜勤 を削除しますか?</h1>" in ask.text and ">役割を削除</button>" in ask.text
    # The same notice in English for a viewer who chose English.
    c.cookies.set("symbolon_lang", "en")
    done = c.post(f"{sp.base}/account/roles/delete", data={"csrf": csrf, "name": "夜勤", "confirm": "yes"}, timeout=10)
    assert "Role 夜勤 deleted." in done.text and '<html lang="en">' in done.text
    failed = c.get(f"{sp.base}/account/failed-sign-ins?lang=ja", timeout=10)
    assert "<h1>失敗したサインイン</h1>" in failed.text and "保存期間は 7 日" in failed.text


def test_the_idp_administration_console_in_japanese(env):
    """The IdP's console pages, notices carried through a redirect, confirmations and error
    pages in the administrator's language; the sign-in page of the console too."""
    idp, _ = env
    s = requests.Session()
    s.headers.update(JA)
    login = s.get(f"{idp.base}/admin/login", timeout=10)
    assert lang_of(login) == "ja" and "<h1>Symbolon 管理</h1>" in login.text
    f = form(login.text, "/admin/login")
    bad = s.post(f"{idp.base}/admin/login", data={**f["fields"], "username": "admin", "password": "nope"}, timeout=10)
    assert bad.status_code == 401 and "ユーザー名またはパスワードが正しくありません。" in bad.text
    s.post(f"{idp.base}/admin/login", data={**f["fields"], "username": "admin", "password": "admin password 1"}, timeout=10)
    groups = s.get(f"{idp.base}/admin/console/acme/groups", timeout=10)
    assert "<h1>グループ</h1>" in groups.text and ">グループを追加</button>" in groups.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', groups.text).group(1)
    added = s.post(f"{idp.base}/admin/console/acme/groups", data={"csrf": csrf, "path": "/営業/東京"}, timeout=10)
    assert "グループ /営業/東京 を用意しました。" in added.text, added.text[-1200:]
    ask = s.post(f"{idp.base}/admin/console/acme/groups/action", data={"csrf": csrf, "action": "delete", "path": "/営業"}, timeout=10)
    assert "<h1>グループ /営業 を削除しますか?</h1>" in ask.text and ">グループを削除</button>" in ask.text
    assert "削除されるグループ: /営業, /営業/東京。" in ask.text
    settings = s.get(f"{idp.base}/admin/console/acme/settings", timeout=10)
    assert "<h1>レルムの設定</h1>" in settings.text and "パスキーまたはパスワード" in settings.text
    user = s.get(f"{idp.base}/admin/console/acme/users/hana", timeout=10)
    assert "<h1>ユーザー hana</h1>" in user.text and "サインイン方法" in user.text
    # A detail page shows where it belongs: breadcrumbs back to its list.
    assert ('<nav class="crumbs" aria-label="パンくずリスト"><ol><li><a href="/admin/console/acme/users">ユーザー</a></li>'
            '<li aria-current="page">hana</li></ol></nav>') in user.text
    missing = s.get(f"{idp.base}/admin/console/acme/users/nobody", timeout=10)
    assert missing.status_code == 404 and "ユーザー「nobody」はいません。" in missing.text
    # The same console in English for an administrator who chose it.
    en = s.get(f"{idp.base}/admin/console/acme/groups?lang=en", timeout=10)
    assert "<h1>Groups</h1>" in en.text and '<html lang="en">' in en.text


def test_console_times_are_in_the_administrators_zone(env):
    """An administrator whose master-realm user has a `tz` attribute reads the console's times
    (sessions, tokens, events) in that zone, named; one without reads UTC."""
    idp, _ = env
    from test_idp_server import console_session
    console_session(idp)  # the master realm and its admin exist
    subprocess.run([symbolon_bin(), "idp", *idp.db, "user", "add", "--realm", "master", "kenji", "--attr", "tz=Asia/Tokyo",
                    "--password-stdin"], input="kenji password 1\n", capture_output=True, text=True, check=True)
    idp.cli("token", "create", "--name", "zone-check")
    for user, password, zone in [("kenji", "kenji password 1", "JST"), ("admin", "admin password 1", "UTC")]:
        s = requests.Session()
        s.headers.update(EN)
        f = form(s.get(f"{idp.base}/admin/login", timeout=10).text, "/admin/login")
        assert s.post(f"{idp.base}/admin/login", data={**f["fields"], "username": user, "password": password}, timeout=10).status_code == 200
        for page in ("/admin/console/tokens", "/admin/console/acme/events"):
            r = s.get(f"{idp.base}{page}", timeout=10)
            assert r.status_code == 200, (page, r.status_code)
            assert re.search(rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d {zone}<", r.text), (user, page, r.text[-1500:])
