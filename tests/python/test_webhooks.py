"""Webhooks (issue 21) on both servers, with a receiver of the test's own on 127.0.0.1: events
of a realm and of an account reach their endpoints signed as the Standard Webhooks
specification says (checked here with Python's own HMAC, not with the product's code), a
receiver error is retried with the same message ID, the delivery log says what happened, the
test event is delivered whatever the subscription, and another tenant's endpoint hears nothing."""
import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

import requests

from test_idp_server import Idp, form
from test_sp_server import Sp


class Receiver:
    """Records every POST; answers `codes` in turn (then 204)."""

    def __init__(self, codes=()):
        self.seen, self.codes = [], list(codes)
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.seen.append((dict((k.lower(), v) for k, v in self.headers.items()), body))
                code = outer.codes.pop(0) if outer.codes else 204
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, pred, timeout=40):
        end = time.time() + timeout
        while time.time() < end:
            got = [(h, b) for h, b in self.seen if pred(h, json.loads(b))]
            if got:
                return got
            time.sleep(0.2)
        raise AssertionError(f"no such message; seen: {[json.loads(b).get('type') for _, b in self.seen]}")

    def close(self):
        self.server.shutdown()


def verified(secret, headers, body):
    """The Standard Webhooks check, written from the specification."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 300
    return any(s == f"v1,{expected}" for s in headers["webhook-signature"].split())


def add(cli, owner_args, url, events):
    out = cli("webhook", *owner_args, "add", url, "--events", ",".join(events), "--allow-http")
    hook_id, secret = out.strip().split("\t")
    assert secret.startswith("whsec_")
    return hook_id, secret


def test_realm_webhooks_are_signed_retried_and_logged(tmp_path):
    idp = Idp(tmp_path)
    receiver, other = Receiver(codes=[500]), Receiver()
    try:
        idp.cli("realm", "create", "acme")
        idp.cli("realm", "create", "other")
        hook, secret = add(idp.cli, ["--realm", "acme"], receiver.url, ["user.created", "sign-in.failed", "configuration.changed"])
        add(idp.cli, ["--realm", "other"], other.url, ["user.created"])
        idp.cli("user", "add", "--realm", "acme", "alice", "--email", "alice@acme.test", "--password-stdin", stdin="alice password 1\n")

        # Adding the webhook was itself a configuration change: that first message got a 500,
        # and comes again, with the same ID, after the backoff (5 s).
        first = receiver.wait(lambda h, b: b["type"] == "configuration.changed")[0]
        first_id = first[0]["webhook-id"]
        end = time.time() + 40
        while sum(h["webhook-id"] == first_id for h, _ in receiver.seen) < 2 and time.time() < end:
            time.sleep(0.2)
        again = [(h, b) for h, b in receiver.seen if h["webhook-id"] == first_id]
        assert len(again) == 2 and again[0][1] == again[1][1], receiver.seen
        assert "added webhook" in json.loads(again[0][1])["data"]["change"]
        for h, body in again:
            assert verified(secret, h, body), h
            assert h["content-type"] == "application/json"
        got = receiver.wait(lambda h, b: b["type"] == "user.created")
        h, body = got[0]
        payload = json.loads(body)
        assert verified(secret, h, body)
        assert payload["data"]["username"] == "alice" and payload["data"]["realm"] == "acme" and payload["timestamp"]
        # A tampered body does not verify with the secret.
        assert not verified(secret, h, body.replace(b"alice", b"mallo"))
        log = idp.cli("webhook", "--realm", "acme", "deliveries")
        line = next(l for l in log.splitlines() if first_id in l)
        assert "\tdelivered\t2\t204\tconfiguration.changed\t" in line, log

        # A failed sign-in at the realm's login page.
        s = requests.Session()
        login = s.get(f"{idp.base}/realms/acme/account", timeout=10)
        f = form(login.text)
        s.post(f["action"], data={**f["fields"], "username": "alice", "password": "wrong password 1"}, timeout=30)
        receiver.wait(lambda h, b: b["type"] == "sign-in.failed" and b["data"]["username"] == "alice")

        # The test event, whatever the subscription; an admin change is configuration.changed.
        idp.cli("webhook", "--realm", "acme", "test", hook)
        receiver.wait(lambda h, b: b["type"] == "webhook.test")
        idp.cli("realm", "update", "acme", "--display-name", "Acme Corp")
        receiver.wait(lambda h, b: b["type"] == "configuration.changed" and "display name" in b["data"]["change"])
        # The other realm's endpoint heard of the other realm only (nothing: no user there).
        assert other.seen == []

        # Removed, it hears nothing more.
        idp.cli("webhook", "--realm", "acme", "remove", hook)
        assert idp.cli("webhook", "--realm", "acme", "list") == ""
        n = len(receiver.seen)
        idp.cli("user", "add", "--realm", "acme", "bob")
        time.sleep(7)
        assert len(receiver.seen) == n
    finally:
        receiver.close()
        other.close()
        idp.stop()


def test_account_webhooks(tmp_path):
    sp = Sp(tmp_path)
    receiver = Receiver()
    try:
        account = sp.cli("account", "create", "Acme").strip()
        out = sp.cli("webhook", "--account", account, "add", "ftp://nope.test/x", "--events", "user.created", ok=False)
        assert out.returncode == 1 and "https://" in out.stderr
        out = sp.cli("webhook", "--account", account, "add", receiver.url, "--events", "user.made", "--allow-http", ok=False)
        assert out.returncode == 1 and "unknown event type" in out.stderr
        hook, secret = add(sp.cli, ["--account", account], receiver.url, ["configuration.changed", "user.created"])
        sp.cli("role", "add", "--account", account, "Billing")
        got = receiver.wait(lambda h, b: b["type"] == "configuration.changed" and "Billing" in b["data"]["detail"])
        assert verified(secret, *got[0]) and json.loads(got[0][1])["data"]["account"] == account
        sp.cli("user", "add", "--account", account, "ops@acme.test", "--password-stdin", stdin="ops password 12\n")
        receiver.wait(lambda h, b: b["type"] == "user.created" and b["data"]["email"] == "ops@acme.test")
        sp.cli("webhook", "--account", account, "test", hook)
        receiver.wait(lambda h, b: b["type"] == "webhook.test")
        assert "\tdelivered\t1\t204\twebhook.test\t" in sp.cli("webhook", "--account", account, "deliveries")
        # An account deleted takes its webhooks along.
        sp.cli("account", "delete", account, "--yes")
        out = sp.cli("webhook", "--account", account, "list", ok=False)
        assert out.returncode == 1
    finally:
        receiver.close()
        sp.stop()


def test_consoles_add_test_and_remove_webhooks(tmp_path):
    """Realm > Webhooks at the IdP and Webhooks in the SP account console, as administrators
    use them: the secret shown once, errors next to the field, a test event delivered and
    logged, removal after a confirmation."""
    import re
    from test_idp_server import console_session
    receiver = Receiver()
    (tmp_path / "i").mkdir()
    (tmp_path / "s").mkdir()
    idp, sp = Idp(tmp_path / "i"), Sp(tmp_path / "s")
    try:
        idp.cli("realm", "create", "acme")
        s = console_session(idp)
        base = f"{idp.base}/admin/console/acme/webhooks"
        page = s.get(base, timeout=10)
        assert "No webhooks yet." in page.text and f'href="/admin/console/acme/webhooks" aria-current="page"' in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        once = lambda text: ("once", re.search(r'name="once" value="([0-9a-f]{64})"', text).group(1))
        r = s.post(base, data=[("csrf", csrf), once(page.text), ("url", "ftp://x.test/"), ("event", "user.created")], timeout=10)
        assert r.status_code == 400 and 'id="url-error"' in r.text
        r = s.post(base, data=[("csrf", csrf), once(r.text), ("url", receiver.url)], timeout=10)
        assert r.status_code == 400 and 'id="events-error"' in r.text
        sent = [("csrf", csrf), once(r.text), ("url", receiver.url), ("allow_http", "on"), ("event", "user.created"), ("event", "user.removed")]
        r = s.post(base, data=sent, timeout=10)
        secret = re.search(r'<code id="new-secret">([^<]+)</code>', r.text).group(1)
        assert r.status_code == 200 and secret.startswith("whsec_") and "user.created, user.removed" in r.text
        # The answer reloaded: no second webhook, no new secret.
        again = s.post(base, data=sent, timeout=10)
        assert again.status_code == 200 and "This form was already sent" in again.text and "whsec_" not in again.text
        assert again.text.count("/test\"") == 1
        assert secret not in s.get(base, timeout=10).text, "the secret is shown once"
        hook = re.search(r'/admin/console/acme/webhooks/([0-9a-z_-]+)/test', r.text).group(1)
        r = s.post(f"{base}/{hook}/test", data={"csrf": csrf}, timeout=10)
        assert r.status_code == 200 and "A test event is on its way" in r.text
        got = receiver.wait(lambda h, b: b["type"] == "webhook.test" and b["data"]["realm"] == "acme")
        assert verified(secret, *got[0])
        end = time.time() + 20
        while "Delivered" not in s.get(base, timeout=10).text and time.time() < end:
            time.sleep(0.5)
        assert "<td>Delivered</td>" in s.get(base, timeout=10).text
        confirm = s.get(f"{base}/{hook}/remove", timeout=10)
        assert "Remove the webhook" in confirm.text
        assert "No webhooks yet." not in s.get(base, timeout=10).text, "nothing before confirmation"
        r = s.post(f"{base}/{hook}/remove", data={"csrf": csrf}, timeout=10)
        assert "The webhook was removed." in r.text and "No webhooks yet." in r.text
        assert "Webhook" in s.get(base, headers={"Accept-Language": "ja"}, timeout=10).text

        # The SP account console (a master administrator).
        sp.cli("account", "create", "Acme")
        sp.cli("user", "add", "--account", "Acme", "admin@acme.test", "--master", "--password-stdin", stdin="acme admin pw 1\n")
        u = requests.Session()
        f = form(u.get(f"{sp.base}/login", timeout=10).text, "/login")
        u.post(f"{sp.base}/login", data={**f["fields"], "email": "admin@acme.test", "password": "acme admin pw 1"}, timeout=30)
        page = u.get(f"{sp.base}/account/webhooks", timeout=10)
        assert page.status_code == 200 and "No webhooks yet." in page.text, page.text[:500]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        sent = [("csrf", csrf), once(page.text), ("action", "add"), ("url", receiver.url), ("allow_http", "on"), ("event", "configuration.changed")]
        r = u.post(f"{sp.base}/account/webhooks", data=sent, timeout=10)
        secret = re.search(r'<code id="new-secret">([^<]+)</code>', r.text).group(1)
        again = u.post(f"{sp.base}/account/webhooks", data=sent, timeout=10)
        assert "This form was already sent" in again.text and "whsec_" not in again.text
        assert again.text.count('name="action" value="test"') == 1, "one webhook"
        hook = re.search(r'name="id" value="([0-9a-z_-]+)"', r.text).group(1)
        r = u.post(f"{sp.base}/account/webhooks", data={"csrf": csrf, "action": "test", "id": hook}, timeout=10)
        assert "A test event is on its way" in r.text
        got = receiver.wait(lambda h, b: b["type"] == "webhook.test" and "account" in b["data"])
        assert verified(secret, *got[0])
        r = u.post(f"{sp.base}/account/webhooks", data={"csrf": csrf, "action": "remove", "id": hook}, timeout=10)
        assert "Remove the webhook" in r.text and sp.cli("webhook", "--account", "Acme", "list").strip()
        r = u.post(f"{sp.base}/account/webhooks", data={"csrf": csrf, "action": "remove", "id": hook, "confirm": "yes"}, timeout=10)
        assert "The webhook was removed." in r.text and sp.cli("webhook", "--account", "Acme", "list") == ""
    finally:
        receiver.close()
        idp.stop()
        sp.stop()
