"""Prometheus metrics: `/metrics` on each role's listener for loopback clients only (never for a
client behind a trusted proxy), or on `metrics_listen` for anyone who reaches it; the names and
types are right, and the counters move with sign-ins. The exposition passes `promtool check
metrics`, the alert rules of docs/monitoring `promtool check rules`, and a real Prometheus
(Debian's) scrapes the server and loads those rules."""
import json
import re
import shutil
import subprocess
import time

import requests

from conftest import REPO, symbolon_bin
from test_demo import free_port, sign_in_at_sp, start


def series(text: str) -> dict[str, float]:
    """`name{labels}` -> value, for every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def value(text: str, name: str, **labels) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for key, v in series(text).items():
        m = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})?", key)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if all(have.get(k) == v2 for k, v2 in labels.items()):
            total += v
    return total


def test_metrics_move_with_sign_ins(tmp_path):
    data = tmp_path / "demo"
    idp_port, sp_port = free_port(), free_port()
    p, _ = start(data, idp_port, sp_port)
    try:
        info = json.loads((data / "demo.json").read_text())
        users = {u["username"]: u for u in info["users"]}
        before = requests.get(f"http://127.0.0.1:{sp_port}/metrics", timeout=10)
        assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert before.headers["cache-control"] == "no-store"
        for user in ("bob", "alice", "carol"):
            sign_in_at_sp(info, users[user])
        after = requests.get(f"http://127.0.0.1:{sp_port}/metrics", timeout=10).text
        # One process serves both roles: both listeners show the same series.
        assert "symbolon_idp_password_checks_total" in requests.get(f"http://127.0.0.1:{idp_port}/metrics", timeout=10).text
        for name, kind in [("symbolon_store_query_duration_seconds", "histogram"), ("symbolon_http_requests_total", "counter"), ("symbolon_http_request_duration_seconds", "histogram"),
                           ("symbolon_sp_sign_ins_total", "counter"), ("symbolon_idp_password_checks_total", "counter"),
                           ("symbolon_idp_responses_total", "counter"), ("symbolon_job_runs_total", "counter"),
                           ("symbolon_job_duration_seconds", "histogram"), ("symbolon_certificate_expiry_seconds", "gauge")]:
            assert f"# TYPE {name} {kind}" in after, name
        b = before.text
        # bob and alice get in (alice to the picker), carol has no access.
        assert value(after, "symbolon_sp_sign_ins_total", outcome="accepted") - value(b, "symbolon_sp_sign_ins_total", outcome="accepted") == 2
        assert value(after, "symbolon_sp_sign_ins_total", outcome="refused", reason="no_access") - value(b, "symbolon_sp_sign_ins_total", outcome="refused", reason="no_access") == 1
        assert value(after, "symbolon_idp_password_checks_total", outcome="ok") - value(b, "symbolon_idp_password_checks_total", outcome="ok") == 3
        assert value(after, "symbolon_idp_responses_total", outcome="success") - value(b, "symbolon_idp_responses_total", outcome="success") == 3
        # Every statement is timed, attributed to the role whose request ran it: the SP's ACS
        # records each assertion against replay (3 responses, 2 of them accepted: at least 2).
        assert "# TYPE symbolon_store_query_duration_seconds histogram" in after
        replay = value(after, "symbolon_store_query_duration_seconds_count", server="sp", op="insert", table="sp_consumed_assertions") \
            - value(b, "symbolon_store_query_duration_seconds_count", server="sp", op="insert", table="sp_consumed_assertions")
        assert replay >= 2, replay
        assert value(after, "symbolon_store_query_duration_seconds_count", server="idp", op="select") > 0
        assert value(after, "symbolon_store_query_duration_seconds_sum", server="sp") > 0
        # HTTP series are labelled by the route's pattern, never by the path itself.
        assert value(after, "symbolon_http_requests_total", server="sp", route="/saml/acs", method="POST") >= 3
        assert value(after, "symbolon_http_requests_total", server="idp", route="/realms/{realm}/protocol/saml/clients/{name}") >= 3, \
            [k for k in series(after) if k.startswith("symbolon_http_requests_total") and "idp" in k][:10]
        assert value(after, "symbolon_http_request_duration_seconds_count", server="sp", route="/saml/acs") >= 3
        assert "/realms/demo/" not in after, "no series per realm path"
        # Read from the store at each scrape: the assertions just consumed are remembered.
        assert "# TYPE symbolon_sp_replay_cache_entries gauge" in after
        assert value(after, "symbolon_sp_replay_cache_entries") - value(b, "symbolon_sp_replay_cache_entries") >= 2
        # The store's pool, read at the scrape: open connections within the maximum.
        for server in ("idp", "sp"):
            top = value(after, "symbolon_store_pool_max_connections", server=server)
            idle = value(after, "symbolon_store_pool_connections", server=server, state="idle")
            busy = value(after, "symbolon_store_pool_connections", server=server, state="busy")
            assert top >= 1 and 0 <= idle + busy <= top and idle + busy >= 1, (server, top, idle, busy)
        # Certificates: the realm's key, the SP's key and the IdP certificate the SP pinned, with
        # about ten years (the demo's keys) left.
        for server, kind in [("idp", "realm-key"), ("sp", "sp-key"), ("sp", "idp-signing")]:
            left = value(after, "symbolon_certificate_expiry_seconds", server=server, kind=kind)
            assert left > 300 * 86400, (server, kind, left)
        # A wrong password counts as failed.
        s = requests.Session()
        from test_idp_server import authn_request, redirect_request, sign_in
        sign_in(s, s.get(info["idpInitiatedUrl"], timeout=30), username="bob", password="not bob's password", expect=401)
        # An AuthnRequest from a client the realm does not know is refused and counted so.
        class Demo:
            base = f"http://localhost:{idp_port}"
        url = redirect_request(Demo, authn_request(Demo, issuer="https://stranger.test")).replace("/realms/acme/", "/realms/demo/")
        assert requests.get(url, timeout=10).status_code == 400
        # A post the ACS cannot even decode is counted as malformed.
        assert requests.post(f"http://127.0.0.1:{sp_port}/saml/acs", data={"SAMLResponse": "%%%"}, timeout=10).status_code == 400
        final = requests.get(f"http://127.0.0.1:{sp_port}/metrics", timeout=10).text
        assert value(final, "symbolon_idp_password_checks_total", outcome="failed") - value(after, "symbolon_idp_password_checks_total", outcome="failed") == 1
        assert value(final, "symbolon_sp_sign_ins_total", reason="malformed") - value(after, "symbolon_sp_sign_ins_total", reason="malformed") == 1
        assert value(final, "symbolon_idp_authn_requests_total", outcome="refused") - value(after, "symbolon_idp_authn_requests_total", outcome="refused") == 1
        # The exposition is well-formed for Prometheus's own linter.
        lint = subprocess.run(["promtool", "check", "metrics"], input=final, capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_metrics_are_not_public(tmp_path):
    idp_port, sp_port, metrics_port = free_port(), free_port(), free_port()
    cfg = tmp_path / "symbolon.toml"
    cfg.write_text(f"""[server]
database_url = "sqlite://{tmp_path}/data/symbolon.db"
trusted_proxies = ["127.0.0.1"]
metrics_listen = "127.0.0.1:{metrics_port}"
[idp]
listen = "127.0.0.1:{idp_port}"
base_url = "http://localhost:{idp_port}"
[sp]
listen = "127.0.0.1:{sp_port}"
base_url = "http://127.0.0.1:{sp_port}"
""")
    p = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = [p.stdout.readline() for _ in range(3)]
        assert lines[0] == f"metrics listening on http://127.0.0.1:{metrics_port}/metrics\n", lines
        for port in (idp_port, sp_port):
            requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
            # A client behind the (trusted) reverse proxy is not local: the product's 404 page.
            behind = requests.get(f"http://127.0.0.1:{port}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
            assert behind.status_code == 404 and "symbolon_" not in behind.text and "<html" in behind.text
            assert requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).status_code == 200, "loopback itself"
        # The scrape address answers anyone who reaches it.
        m = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
        assert m.status_code == 200 and "# TYPE symbolon_http_requests_total counter" in m.text
        assert value(m.text, "symbolon_http_requests_total", route="/metrics", status="404") >= 2
        # A real Prometheus scrapes it and loads the documented alert rules.
        scraped = prometheus_scrape(tmp_path, f"127.0.0.1:{metrics_port}")
        assert scraped["up"] == 1.0
        assert scraped["requests"] >= 2
        assert scraped["rules"] == 7 and scraped["rule_health"] == {"ok"}, scraped
    finally:
        p.terminate()
        p.wait(timeout=10)
    bad = tmp_path / "bad.toml"
    bad.write_text(cfg.read_text().replace(f'metrics_listen = "127.0.0.1:{metrics_port}"', f'metrics_listen = "127.0.0.1:{sp_port}"'))
    out = subprocess.run([symbolon_bin(), "config", "check", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and "metrics_listen" in out.stderr, out.stderr


def test_alert_rules_are_valid():
    out = subprocess.run(["promtool", "check", "rules", str(REPO / "docs" / "monitoring" / "alerts.yml")], capture_output=True, text=True)
    assert out.returncode == 0 and "SUCCESS: 7 rules found" in out.stdout, out.stdout + out.stderr


def test_grafana_dashboard_loads_and_queries_what_exists(tmp_path):
    """The sample dashboard: an importable Grafana document whose every query parses (each one
    checked by promtool as a recording rule) and names only metrics the monitoring page lists."""
    import re
    doc = json.loads((REPO / "docs" / "monitoring" / "grafana-dashboard.json").read_text())
    assert doc["title"] and doc["uid"] and doc["schemaVersion"] >= 36 and doc["__inputs"][0]["pluginId"] == "prometheus"
    exprs = [t["expr"] for p in doc["panels"] for t in p["targets"]]
    assert len(exprs) >= 10 and len({p["id"] for p in doc["panels"]}) == len(doc["panels"])
    for p in doc["panels"]:
        assert p["type"] in ("timeseries", "stat") and p["datasource"]["uid"] == "${DS_PROMETHEUS}"
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24
    listed = set(re.findall(r"^\| `(symbolon_[a-z_]+)`", (REPO / "docs" / "monitoring.md").read_text(), re.M))
    used = {re.sub(r"_(bucket|sum|count)$", "", m) for e in exprs for m in re.findall(r"symbolon_[a-z_]+", e)}
    assert used and used <= listed, used - listed
    rules = tmp_path / "dashboard-rules.yml"
    rules.write_text("groups:\n  - name: dashboard\n    rules:\n" + "".join(
        f"      - record: dashboard:q{i}\n        expr: {json.dumps(e)}\n" for i, e in enumerate(exprs)))
    out = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True)
    assert out.returncode == 0 and f"SUCCESS: {len(exprs)} rules found" in out.stdout, out.stdout + out.stderr


def prometheus_scrape(tmp_path, target: str) -> dict:
    """Run Debian's Prometheus against `target` every second until it has scraped it; what it saw."""
    assert shutil.which("prometheus"), "Prometheus is not installed: scripts/test.sh installs Debian's prometheus"
    port = free_port()
    rules = REPO / "docs" / "monitoring" / "alerts.yml"
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["{rules}"]
scrape_configs:
  - job_name: symbolon
    static_configs:
      - targets: ["{target}"]
""")
    log = open(tmp_path / "prometheus.log", "w")
    p = subprocess.Popen(["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                          f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        # Until it has scraped the target and evaluated every rule once (20 s at most).
        for _ in range(200):
            try:
                up = requests.get(f"{api}/query", params={"query": 'up{job="symbolon"}'}, timeout=2).json()["data"]["result"]
                groups = requests.get(f"{api}/rules", timeout=2).json()["data"]["groups"]
                rules = [rule for g in groups for rule in g["rules"]]
                if up and rules and all(rule.get("health") in ("ok", "err") for rule in rules):
                    break
            except (requests.ConnectionError, KeyError, ValueError):
                pass
            time.sleep(0.1)
        else:
            raise AssertionError((tmp_path / "prometheus.log").read_text()[-2000:])
        q = requests.get(f"{api}/query", params={"query": "sum(symbolon_http_requests_total)"}, timeout=5).json()
        return {
            "up": float(up[0]["value"][1]),
            "requests": float(q["data"]["result"][0]["value"][1]) if q["data"]["result"] else 0.0,
            "rules": len(rules),
            "rule_health": {rule["health"] for rule in rules},
        }
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_a_restart_runs_the_daily_jobs_at_once(tmp_path):
    """A graceful stop gives up the job leases: the restarted server runs even its daily jobs
    at start, instead of waiting a day for the old process's leases to end."""
    port = free_port()
    cfg = tmp_path / "symbolon.toml"
    cfg.write_text(f"""[server]
database_url = "sqlite://{tmp_path}/data/symbolon.db"
[idp]
listen = "127.0.0.1:{port}"
base_url = "http://127.0.0.1:{port}"
""")

    def daily_runs_after_start():
        p = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert "listening" in p.stdout.readline()
            runs = 0.0
            for _ in range(100):
                text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
                runs = value(text, "symbolon_job_runs_total", job="idp:certificate-expiry")
                if runs:
                    break
                time.sleep(0.1)
            return runs
        finally:
            p.terminate()
            assert p.wait(timeout=10) == 0

    assert daily_runs_after_start() == 1
    assert daily_runs_after_start() == 1, "the first process's lease was given up"
