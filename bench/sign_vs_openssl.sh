#!/usr/bin/env bash
# Issue signed responses (RSA-2048, Assertion signed, complete Response built each time) with
# Symbolon, and compare with `openssl speed rsa2048` signing on the same machine in the same run.
# Usage: bench/sign_vs_openssl.sh [path/to/symbolon] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/symbolon}"
secs="${2:-3}"
openssl_rate=$(openssl speed -seconds "$secs" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
ours=$("$bin" saml bench-sign --key testdata/keys/idp-rsa.key.pem --seconds "$secs")
python3 - "$openssl_rate" "$ours" <<'PY'
import json, sys
openssl = float(sys.argv[1]); ours = json.loads(sys.argv[2])
print(f"openssl speed rsa2048 sign/s:          {openssl:10.0f}")
print(f"symbolon signed responses/s:           {ours['per_second']:10.0f}  ({ours['response_bytes']} bytes each)")
print(f"ratio:                                 {ours['per_second'] / openssl:10.1%}")
PY
