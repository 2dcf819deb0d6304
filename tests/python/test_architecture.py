"""The structure ARCHITECTURE.md promises, checked from the sources (no server needed):
unsafe code only in crates/oaep, the two servers apart, domain crates without HTTP, files small."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRATES = sorted(p.parent for p in (ROOT / "crates").glob("*/Cargo.toml"))
IDP_SIDE = {"symbolon-idp", "symbolon-idp-web"}
SP_SIDE = {"symbolon-sp", "symbolon-sp-web", "symbolon-scim"}


def manifest(crate):
    return tomllib.loads((crate / "Cargo.toml").read_text())


def deps(crate, kind="dependencies"):
    return set(manifest(crate).get(kind, {}))


def sources(crate):
    return [p for d in ("src", "tests", "benches") for p in (crate / d).rglob("*.rs")]


def test_unsafe_code_lives_in_crates_oaep_only():
    ws = tomllib.loads((ROOT / "Cargo.toml").read_text())
    assert ws["workspace"]["lints"]["rust"]["unsafe_code"] == "forbid"
    assert len(CRATES) >= 16
    for crate in CRATES:
        m = manifest(crate)
        if crate.name == "oaep":
            assert "workspace" not in m.get("lints", {})
            assert m["lints"]["clippy"]["undocumented_unsafe_blocks"] == "deny"
            assert m["lints"]["clippy"]["multiple_unsafe_ops_per_block"] == "deny"
            continue
        assert m.get("lints", {}).get("workspace") is True, f"{crate.name} must take the workspace lints"
        for f in sources(crate):
            text = re.sub(r"//[^\n]*", "", f.read_text())
            assert not re.search(r"\bunsafe\b", text), f"unsafe in {f.relative_to(ROOT)}"
    # Only the XML-DSig crate calls into it.
    users = [c.name for c in CRATES if "symbolon-oaep" in deps(c)]
    assert users == ["dsig"], users


def test_the_two_servers_do_not_depend_on_each_other():
    for crate in CRATES:
        name = manifest(crate)["package"]["name"]
        d = deps(crate)
        if name in IDP_SIDE:
            assert not d & SP_SIDE, (name, d & SP_SIDE)
        if name in SP_SIDE:
            assert not d & IDP_SIDE, (name, d & IDP_SIDE)


def test_domain_and_protocol_crates_know_no_http_framework():
    for name in ("xml", "dsig", "oaep", "saml", "scim", "store", "secret", "idp", "sp"):
        d = deps(ROOT / "crates" / name)
        assert not d & {"axum", "askama", "hyper", "tower", "tower-http"}, (name, d)
    for name in ("xml", "dsig", "oaep", "saml", "scim"):  # sans-IO
        d = deps(ROOT / "crates" / name)
        assert not d & {"tokio", "sqlx", "reqwest"}, (name, d)


def test_no_source_file_is_over_a_thousand_lines():
    long = [(str(f.relative_to(ROOT)), n) for c in CRATES for f in sources(c)
            if (n := f.read_text().count("\n")) > 1000]
    assert not long, long
