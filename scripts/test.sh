#!/usr/bin/env bash
# The test command. On a fresh machine it installs what the tests need (Debian packages, a Python
# venv with pinned peers), builds the workspace once (one profile), and runs every test:
# Rust unit/integration tests (benches run once in test mode, fuzz corpora are replayed) and the
# Python interop suites. Usage: scripts/test.sh
#
# PostgreSQL: the local server on 127.0.0.1:5432 (trust authentication) is started if it is not
# running; SYMBOLON_TEST_DATABASE_URL=postgres://USER[:PASSWORD]@HOST:PORT names another server
# instead (a role that may create databases); SYMBOLON_TEST_POSTGRES=0 skips every PostgreSQL
# test, and the last line says so. Not root: packages and the local server are handled with sudo.
#
# Self-contained: nothing outside the repository may be needed. Where a sibling `../shared`
# folder exists (the team's workspace), the whole run happens in a private mount namespace with
# an empty directory mounted over it, so a test that still read it would fail here first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d ../shared ] && [ -z "${SYMBOLON_TEST_SHARED_HIDDEN:-}" ]; then
  shared="$(cd ../shared && pwd)"
  hide='mount -t tmpfs -o ro,size=64k symbolon-hidden "$1" && shift && exec "$@"'
  if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
    SYMBOLON_TEST_SHARED_HIDDEN=1 exec unshare -m bash -c "$hide" _ "$shared" "$PWD/scripts/test.sh" "$@"
  elif unshare -rm true 2>/dev/null; then
    SYMBOLON_TEST_SHARED_HIDDEN=1 exec unshare -rm bash -c "$hide" _ "$shared" "$PWD/scripts/test.sh" "$@"
  fi
  SYMBOLON_TEST_SHARED_HIDDEN=0
fi
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n==> %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "not root and no sudo: install xmlsec1, chromium, chromium-driver, fonts-ipafont-gothic, simplesamlphp, php-cli, php-xml, php-mbstring, prometheus and postgresql first" >&2; }
  SUDO="sudo"
fi
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "$@"
}
POSTGRES="${SYMBOLON_TEST_POSTGRES:-1}"

step "System packages"
need=()
command -v xmlsec1 >/dev/null 2>&1 || need+=(xmlsec1)
# Headless Chromium for the seed walkthrough (driven by Playwright from the venv).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# A Japanese font, so that the walkthrough's screenshots of the Japanese UI are legible.
[ -e /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || need+=(fonts-ipafont-gothic)
# SimpleSAMLphp, a real SAML peer in PHP, run by PHP's built-in server (tests/python/test_simplesamlphp.py).
[ -e /usr/share/simplesamlphp/lib/_autoload.php ] || need+=(simplesamlphp)
command -v php >/dev/null 2>&1 || need+=(php-cli)
php -r 'exit(class_exists("DOMDocument") ? 0 : 1);' >/dev/null 2>&1 || need+=(php-xml)
php -r 'exit(function_exists("mb_strlen") ? 0 : 1);' >/dev/null 2>&1 || need+=(php-mbstring)
# npm, for the browser tests' own assets (axe-core).
command -v npm >/dev/null 2>&1 || need+=(npm)
# Prometheus and promtool: a real scrape of /metrics and the documented alert rules checked.
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# psql and the server binaries (the restart test runs a private cluster of its own).
if [ "$POSTGRES" != "0" ]; then
  command -v psql >/dev/null 2>&1 || need+=(postgresql)
fi
if [ ${#need[@]} -gt 0 ]; then
  apt_install "${need[@]}"
fi
xmlsec1 --version
chromium --version

if [ "$POSTGRES" = "0" ]; then
  step "PostgreSQL: skipped (SYMBOLON_TEST_POSTGRES=0)"
elif [ -n "${SYMBOLON_TEST_DATABASE_URL:-}" ]; then
  step "PostgreSQL at SYMBOLON_TEST_DATABASE_URL"
  export SYMBOLON_TEST_PG="${SYMBOLON_TEST_DATABASE_URL%/}"
  psql "$SYMBOLON_TEST_PG/postgres" -q -c "SELECT 1" >/dev/null || {
    echo "cannot reach PostgreSQL at SYMBOLON_TEST_DATABASE_URL (see above); fix it, or set SYMBOLON_TEST_POSTGRES=0 to skip the PostgreSQL tests" >&2
    exit 1
  }
else
  step "PostgreSQL on 127.0.0.1:5432 (the PostgreSQL store's tests and the server suites on PostgreSQL)"
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    # The installed cluster, whatever its version (Debian's pg_lsclusters: version, name, ...).
    cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2}')
    if [ -n "$cluster" ]; then
      # shellcheck disable=SC2086
      $SUDO pg_ctlcluster --skip-systemctl-redirect $cluster start || $SUDO service postgresql start || true
    else
      $SUDO service postgresql start || true
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432 || {
    echo "PostgreSQL does not answer on 127.0.0.1:5432 (its start errors are above). Start it, name another server with SYMBOLON_TEST_DATABASE_URL, or set SYMBOLON_TEST_POSTGRES=0 to skip the PostgreSQL tests." >&2
    exit 1
  }
  psql "postgres://postgres@127.0.0.1:5432/postgres" -q -c "SELECT 1" >/dev/null || {
    echo "PostgreSQL on 127.0.0.1:5432 refuses the postgres role without a password (the tests expect trust authentication for local TCP connections); set SYMBOLON_TEST_DATABASE_URL with credentials instead" >&2
    exit 1
  }
fi

step "Python venv (.venv) with pinned peers"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -r tests/python/requirements.txt

step "Browser test assets (npm ci: axe-core for the accessibility check)"
( cd tests/browser && npm ci --no-audit --no-fund --silent )

step "Self-contained: no test, script or doc reads ../shared"
scripts/check-self-contained.sh
case "${SYMBOLON_TEST_SHARED_HIDDEN:-}" in
  1) echo "../shared is hidden for this run (an empty read-only mount over $(cd ../shared && pwd))" ;;
  0) echo "../shared exists and could not be hidden (no mount namespace here): the check above stands in" ;;
esac

step "Build (once, dev profile)"
cargo build --workspace --all-targets --locked

step "Rust tests"
if [ "$POSTGRES" = "0" ]; then
  cargo test --workspace --all-targets --locked --no-fail-fast --exclude symbolon-store-postgres
else
  cargo test --workspace --all-targets --locked --no-fail-fast

  step "Rust server tests (testkit) again on PostgreSQL"
  SYMBOLON_TEST_BACKEND=postgres cargo test -p symbolon-testkit --all-targets --locked
fi

step "Python interop and server tests (SQLite; scale-out and PostgreSQL restart always on PostgreSQL)"
SYMBOLON_BIN="$PWD/target/debug/symbolon" .venv/bin/python -m pytest -q -p no:cacheprovider tests/python

shared_note=""
[ "${SYMBOLON_TEST_SHARED_HIDDEN:-}" = "1" ] && shared_note=" ../shared was hidden throughout."
if [ "$POSTGRES" != "0" ]; then
  step "The server suites again on PostgreSQL"
  SYMBOLON_TEST_BACKEND=postgres SYMBOLON_BIN="$PWD/target/debug/symbolon" .venv/bin/python -m pytest -q -p no:cacheprovider \
    tests/python/test_idp_server.py tests/python/test_sp_server.py tests/python/test_sp_day2.py tests/python/test_idp_day2.py tests/python/test_passkeys.py tests/python/test_browser_walkthrough.py \
    tests/python/test_metadata_refresh.py tests/python/test_slo_pysaml2.py tests/python/test_simplesamlphp.py \
    tests/python/test_tenant_api.py tests/python/test_scim.py tests/python/test_scim_provisioning.py tests/python/test_home_realm.py \
    tests/python/test_declarative.py tests/python/test_webhooks.py tests/python/test_client_keys.py tests/python/test_slo_frames.py tests/python/test_slo_backchannel.py tests/python/test_branding.py
  echo "All tests passed, PostgreSQL included.${shared_note}"
else
  echo "All tests passed; PostgreSQL tests SKIPPED (SYMBOLON_TEST_POSTGRES=0).${shared_note}"
fi
