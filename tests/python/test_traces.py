"""OpenTelemetry traces (issue 21): with `[server] otlp_endpoint` set, `symbolon serve` posts
OTLP/HTTP protobuf batches to the collector, a span per request named by its route pattern with
the resource `service.name=symbolon`, the statements as span events, and a request carrying a
W3C `traceparent` continues that trace. The collector is an HTTP server of the test's own on
127.0.0.1; the protobuf is read with a few lines of wire-format decoding (no generated code), so
the test checks field numbers of the OTLP schema, not just bytes somewhere in the body."""
import http.server
import os
import subprocess
import threading
import time

import requests

from conftest import symbolon_bin
from test_demo import free_port


class Collector:
    def __init__(self):
        self.batches = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.batches.append((self.path, self.headers.get("Content-Type"), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def fields(buf):
    """Protobuf wire format: (field number, wire type, value) for each field of a message."""
    out, i = [], 0

    def varint():
        nonlocal i
        shift = n = 0
        while True:
            b = buf[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return n

    while i < len(buf):
        key = varint()
        num, wt = key >> 3, key & 7
        if wt == 0:
            out.append((num, wt, varint()))
        elif wt == 1:
            out.append((num, wt, buf[i:i + 8]))
            i += 8
        elif wt == 2:
            n = varint()
            out.append((num, wt, buf[i:i + n]))
            i += n
        elif wt == 5:
            out.append((num, wt, buf[i:i + 4]))
            i += 4
        else:
            raise ValueError(f"wire type {wt}")
    return out


def sub(msg, num):
    return [v for n, wt, v in fields(msg) if n == num and wt == 2]


def attributes(kvs):
    """KeyValue (1: key, 2: AnyValue{1: string_value, 3: int_value}) -> dict."""
    out = {}
    for kv in kvs:
        key = sub(kv, 1)[0].decode()
        value = sub(kv, 2)
        if value:
            f = fields(value[0])
            out[key] = f[0][2].decode() if f and f[0][0] == 1 else (f[0][2] if f else None)
    return out


def spans(body):
    """ExportTraceServiceRequest -> [(resource attributes, span dict)]."""
    out = []
    for rs in sub(body, 1):                       # resource_spans
        resource = attributes(sub(sub(rs, 1)[0], 1)) if sub(rs, 1) else {}
        for ss in sub(rs, 2):                     # scope_spans
            for sp in sub(ss, 2):                 # spans
                out.append((resource, {
                    "trace_id": sub(sp, 1)[0].hex(),
                    "span_id": sub(sp, 2)[0].hex(),
                    "parent": (sub(sp, 4) or [b""])[0].hex(),
                    "name": sub(sp, 5)[0].decode(),
                    "attributes": attributes(sub(sp, 9)),
                    "events": [sub(e, 2)[0].decode() if sub(e, 2) else "" for e in sub(sp, 11)],
                    "event_attributes": [attributes(sub(e, 3)) for e in sub(sp, 11)],
                }))
    return out


def test_requests_are_exported_as_spans_and_continue_a_callers_trace(tmp_path):
    collector = Collector()
    idp_port, sp_port = free_port(), free_port()
    cfg = tmp_path / "symbolon.toml"
    cfg.write_text(f"""[server]
database_url = "sqlite://{tmp_path}/data/symbolon.db"
otlp_endpoint = "{collector.url}"
[idp]
listen = "127.0.0.1:{idp_port}"
base_url = "http://127.0.0.1:{idp_port}"
[sp]
listen = "127.0.0.1:{sp_port}"
base_url = "http://127.0.0.1:{sp_port}"
""")
    subprocess.run([symbolon_bin(), "idp", "--database-url", f"sqlite://{tmp_path}/data/symbolon.db", "realm", "create", "acme"],
                   check=True, capture_output=True, timeout=60)
    p = subprocess.Popen([symbolon_bin(), "serve", "--config", str(cfg)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, env={**os.environ, "OTEL_BSP_SCHEDULE_DELAY": "200"})
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    try:
        for _ in range(2):
            p.stdout.readline()
        r = requests.get(f"http://127.0.0.1:{idp_port}/realms/acme/protocol/saml/descriptor",
                         headers={"traceparent": f"00-{trace_id}-{parent_id}-01"}, timeout=10)
        assert r.status_code == 200
        assert requests.get(f"http://127.0.0.1:{sp_port}/login", timeout=10).status_code == 200
    finally:
        # A graceful stop sends what is still batched.
        p.terminate()
        p.wait(timeout=20)
    deadline = time.time() + 10
    while time.time() < deadline and not collector.batches:
        time.sleep(0.1)
    collector.close()
    assert collector.batches, "no OTLP batch arrived"
    assert {(path, ctype) for path, ctype, _ in collector.batches} == {("/v1/traces", "application/x-protobuf")}
    got = [s for _, _, body in collector.batches for s in spans(body)]
    assert all(res.get("service.name") == "symbolon" for res, _ in got), got[:1]
    by_name = {s["name"]: s for _, s in got}
    d = by_name.get("GET /realms/{realm}/protocol/saml/descriptor")
    assert d, sorted(by_name)
    # The caller's trace is continued: same trace ID, the caller's span as parent.
    assert d["trace_id"] == trace_id and d["parent"] == parent_id, d
    assert d["attributes"].get("http.route") == "/realms/{realm}/protocol/saml/descriptor"
    assert d["attributes"].get("server") == "idp"
    assert d["attributes"].get("http.response.status_code") == 200
    # The realm's statements are events of the request's span.
    statements = [a for a in d["event_attributes"] if "summary" in a]
    assert any("realm" in (a.get("db.statement", "") + a["summary"]).lower() for a in statements), d["event_attributes"]
    # A request without traceparent starts a trace of its own.
    login = by_name.get("GET /login")
    assert login and login["trace_id"] != trace_id and not login["parent"] and login["attributes"].get("server") == "sp"
    # The path itself never names a span (it may hold IDs): only route patterns do.
    assert not any("/realms/acme/" in name for name in by_name)
