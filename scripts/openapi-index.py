#!/usr/bin/env python3
"""Render the operation index of a REST API reference from its OpenAPI document.

Usage: scripts/openapi-index.py docs/openapi/idp-admin.json docs/admin-api.md
Replaces the text between `<!-- openapi-index:start -->` and `<!-- openapi-index:end -->` in
the Markdown file with a table of every operation (method, path, what it answers), so that the
Markdown reference names exactly the operations the code serves. tests/python/test_openapi.py
checks that the index is current."""
import json
import sys

START = "<!-- openapi-index:start -->"
END = "<!-- openapi-index:end -->"
METHODS = ("get", "post", "put", "patch", "delete")


def index(doc):
    rows = ["| method | path | tag | success |", "|---|---|---|---|"]
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            ok = sorted(s for s in op["responses"] if s.startswith("2"))
            rows.append(f"| `{method.upper()}` | `{path}` | {', '.join(op.get('tags', []))} | {', '.join(ok)} |")
    spec = doc.get("info", {}).get("title", "the API")
    return "\n".join([
        START,
        f"Every operation of {spec}, generated from `docs/openapi/` (the document the server",
        "serves) by `scripts/openapi-index.py`; the error answers of each are in the document.",
        "",
        *rows,
        END,
    ])


def render(doc, markdown):
    head, rest = markdown.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + index(doc) + tail


if __name__ == "__main__":
    doc = json.load(open(sys.argv[1]))
    md = open(sys.argv[2]).read()
    open(sys.argv[2], "w").write(render(doc, md))
