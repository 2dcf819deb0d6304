"""Two `symbolon serve` instances (IdP and SP roles each) on different ports sharing one
PostgreSQL database, as behind a load balancer: a sign-in on A continues on B; the same
SAMLResponse posted to A and B at the same moment is accepted exactly once (many rounds); a
scheduled job runs on one instance only; SIGKILL on A mid-traffic leaves B serving and loses no
committed change."""
import concurrent.futures
import json
import signal
import subprocess
import time

import pytest
import requests

from conftest import fresh_pg_database, symbolon_bin
from test_demo import free_port
from test_idp_server import form, saml_response

PASSWORD = "scale out password 1"


def sign_in_at(session, page, inst, username="alice"):
    """Post the login form to this instance (the form's action carries the public base URL, which
    the load balancer would route to some instance; here the test is the load balancer)."""
    f = form(page.text, "/login-actions/authenticate")
    path = f["action"].split("/realms/", 1)[1]
    r = session.post(f"{inst.idp}/realms/{path}", data={**f["fields"], "username": username, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    return r


class Instance:
    def __init__(self, tmp, name, url, ports, bases):
        cfg = tmp / f"{name}.toml"
        cfg.write_text(f"""[server]
database_url = "{url}"
purge_interval_secs = 1
pool_size = 8
[idp]
listen = "127.0.0.1:{ports[0]}"
base_url = "{bases[0]}"
[sp]
listen = "127.0.0.1:{ports[1]}"
base_url = "{bases[1]}"
""")
        self.idp, self.sp = f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"
        self.log = open(tmp / f"{name}.log", "w")
        self.proc = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=self.log, text=True)
        for _ in range(2):
            line = self.proc.stdout.readline()
            assert " listening on " in line, line + (tmp / f"{name}.log").read_text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale")
    url = fresh_pg_database()
    # Public base URLs as a load balancer would present them: one for the IdP, one for the SP.
    # Both instances use the same ones; the test talks to each instance's own port.
    bases = (f"http://localhost:{free_port()}", f"http://127.0.0.1:{free_port()}")
    a = Instance(tmp, "a", url, (free_port(), free_port()), bases)
    b = Instance(tmp, "b", url, (free_port(), free_port()), bases)
    cli = lambda side, *args, stdin=None: subprocess.run([symbolon_bin(), side, "--database-url", url, *args], input=stdin,
                                                         capture_output=True, text=True, timeout=60, check=True).stdout
    cli("idp", "realm", "create", "acme")
    cli("idp", "user", "add", "--realm", "acme", "alice", "--email", "alice@corp.test", "--password-stdin", stdin=PASSWORD + "\n")
    cli("idp", "group", "add", "--realm", "acme", "/eng")
    cli("idp", "group", "join", "--realm", "acme", "/eng", "alice")
    sp_md = tmp / "sp.xml"
    sp_md.write_text(requests.get(f"{a.sp}/saml/metadata", timeout=10).text)
    cli("idp", "client", "import", "--realm", "acme", str(sp_md), "--url-name", "app")
    cli("idp", "client", "add-mapper", "--realm", "acme", f"{bases[1]}/saml/metadata", "--attribute", "groups", "--source", "group-list-full")
    idp_md = tmp / "idp.xml"
    idp_md.write_text(requests.get(f"{b.idp}/realms/acme/protocol/saml/descriptor", timeout=10).text)
    cli("sp", "account", "create", "Acme")
    cli("sp", "idp", "add", "--account", "Acme", "--metadata", str(idp_md), "--name", "Corp")
    cli("sp", "idp", "profile", "--account", "Acme", "Corp", "--role-attribute", "groups")
    cli("sp", "idp", "map-group", "--account", "Acme", "Corp", "/eng", "Full Access")
    token = cli("idp", "token", "create", "--name", "scale").strip()
    yield a, b, url, token, tmp
    a.stop()
    b.stop()


def test_a_sign_in_on_a_continues_on_b(pair):
    a, b, *_ = pair
    s = requests.Session()  # cookies ignore ports: one browser, both instances
    login = s.get(f"{a.idp}/realms/acme/protocol/saml/clients/app", timeout=30)
    _, b64, _ = saml_response(sign_in_at(s, login, a))
    r = s.post(f"{b.sp}/saml/acs", data={"SAMLResponse": b64}, timeout=30, allow_redirects=False)
    assert r.status_code == 303, r.text
    home = s.get(f"{a.sp}/", timeout=10)
    assert home.status_code == 200 and '<dd id="role">Full Access</dd>' in home.text, "the SP session made on B works on A"
    again = s.get(f"{b.idp}/realms/acme/protocol/saml/clients/app", timeout=30)
    assert 'name="SAMLResponse"' in again.text and 'name="password"' not in again.text, "the IdP session made on A works on B"
    # A login form shown by A can be posted to B (the flow is in the database).
    fresh = requests.Session()
    page = fresh.get(f"{a.idp}/realms/acme/protocol/saml/clients/app", timeout=30)
    assert 'name="SAMLResponse"' in sign_in_at(fresh, page, b).text


def test_one_response_posted_to_both_at_once_is_accepted_once(pair):
    a, b, *_ = pair
    s = requests.Session()
    login = s.get(f"{a.idp}/realms/acme/protocol/saml/clients/app", timeout=30)
    sign_in_at(s, login, a)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for round in range(25):
            page = s.get(f"{(a, b)[round % 2].idp}/realms/acme/protocol/saml/clients/app", timeout=30)
            _, b64, _ = saml_response(page)
            post = lambda inst: requests.post(f"{inst.sp}/saml/acs", data={"SAMLResponse": b64}, timeout=30, allow_redirects=False).status_code
            codes = sorted(pool.map(post, [a, b, a, b]))
            assert codes.count(303) == 1 and all(c == 403 for c in codes if c != 303), (round, codes)


def jobs(url):
    out = subprocess.run([symbolon_bin(), "jobs", "--database-url", url, "--json"], capture_output=True, text=True, check=True, timeout=60).stdout
    return {j["name"]: j for j in map(json.loads, out.splitlines())}


def test_a_scheduled_job_runs_on_one_instance(pair):
    *_, url, _, _ = pair
    first = jobs(url)["idp:purge-state"]
    time.sleep(4.5)
    later = jobs(url)["idp:purge-state"]
    ran = later["runs"] - first["runs"]
    # Every second on one instance: about 4 runs, not 8 (both instances tick every second).
    assert 2 <= ran <= 6, (first, later)
    assert later["holder"] == first["holder"] and later["ok"]


def test_sigkill_mid_traffic_leaves_b_serving_and_loses_nothing(pair):
    a, b, url, token, _ = pair
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    acknowledged, errors_on_b = [], []

    def write(i):
        inst = (a, b)[i % 2]
        try:
            r = api.post(f"{inst.idp}/admin/realms/acme/users", json={"username": f"user{i}", "enabled": True}, timeout=10)
        except requests.RequestException:
            return
        if r.status_code == 201:
            acknowledged.append(f"user{i}")
        elif inst is b:
            errors_on_b.append(r.status_code)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(write, i) for i in range(60)]
        time.sleep(0.3)
        a.proc.send_signal(signal.SIGKILL)
        futures += [pool.submit(write, i) for i in range(60, 120)]
        for f in futures:
            f.result()
    assert a.proc.wait(timeout=10) == -signal.SIGKILL
    assert not errors_on_b, errors_on_b
    assert requests.get(f"{b.idp}/readyz", timeout=10).text == "ready"
    listed = api.get(f"{b.idp}/admin/realms/acme/users", params={"max": 1000}, timeout=10).json()
    names = {u["username"] for u in listed}
    missing = [u for u in acknowledged if u not in names]
    assert not missing, f"acknowledged but lost: {missing}"
    assert len(acknowledged) >= 60, "B kept taking writes after A died"
    # B keeps signing users in.
    s = requests.Session()
    login = s.get(f"{b.idp}/realms/acme/protocol/saml/clients/app", timeout=30)
    _, b64, _ = saml_response(sign_in_at(s, login, b))
    r = s.post(f"{b.sp}/saml/acs", data={"SAMLResponse": b64}, timeout=30, allow_redirects=False)
    assert r.status_code == 303 and s.get(f"{b.sp}/", timeout=10).status_code == 200
