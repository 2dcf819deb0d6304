#!/usr/bin/env bash
# The test command. On a fresh machine it installs what the tests need (Debian packages, a Python
# venv with pinned peers), builds the workspace once (one profile), and runs every test:
# Rust unit/integration tests (benches run once in test mode, fuzz corpora are replayed) and the
# Python interop suites. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n==> %s\n' "$*"; }

step "System packages"
need=()
command -v xmlsec1 >/dev/null 2>&1 || need+=(xmlsec1)
# Headless Chromium for the seed walkthrough (driven by Playwright from the venv).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# A Japanese font, so that the walkthrough's screenshots of the Japanese UI are legible.
[ -e /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || need+=(fonts-ipafont-gothic)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
xmlsec1 --version
chromium --version

step "PostgreSQL on 127.0.0.1:5432 (the PostgreSQL store's tests and the server suites on PostgreSQL)"
command -v psql >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq --no-install-recommends postgresql; }
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  (service postgresql start || pg_ctlcluster --skip-systemctl-redirect 15 main start) >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

step "Python venv (.venv) with pinned peers"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -r tests/python/requirements.txt

step "Build (once, dev profile)"
cargo build --workspace --all-targets --locked

step "Rust tests"
cargo test --workspace --all-targets --locked --no-fail-fast

step "Rust server tests (testkit) again on PostgreSQL"
SYMBOLON_TEST_BACKEND=postgres cargo test -p symbolon-testkit --all-targets --locked

step "Python interop and server tests (SQLite; scale-out and PostgreSQL restart always on PostgreSQL)"
SYMBOLON_BIN="$PWD/target/debug/symbolon" .venv/bin/python -m pytest -q -p no:cacheprovider tests/python

step "The server suites again on PostgreSQL"
SYMBOLON_TEST_BACKEND=postgres SYMBOLON_BIN="$PWD/target/debug/symbolon" .venv/bin/python -m pytest -q -p no:cacheprovider \
  tests/python/test_idp_server.py tests/python/test_sp_server.py tests/python/test_sp_day2.py tests/python/test_idp_day2.py tests/python/test_passkeys.py tests/python/test_browser_walkthrough.py \
  tests/python/test_metadata_refresh.py tests/python/test_slo_pysaml2.py
