#!/usr/bin/env bash
# `npm test`: installs the real OpenStack clients if they are missing (root only),
# builds the TypeScript, then runs every test file (unit, functional, acceptance) in
# ONE node:test invocation so the runner prints one closing summary.
set -euo pipefail
cd "$(dirname "$0")/.."

clients=(/usr/bin/openstack /usr/bin/neutron /usr/bin/nova)
missing=()
for c in "${clients[@]}"; do [ -x "$c" ] || missing+=("$c"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: ${missing[*]} missing; installing the Debian OpenStack clients"
    apt-get update </dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y \
      python3-openstackclient python3-neutronclient python3-novaclient python3-openstacksdk </dev/null
  else
    echo "test.sh: ${missing[*]} missing and not root (or no apt-get): acceptance tests will be SKIPPED." >&2
    echo "test.sh: install them with: apt-get install python3-openstackclient python3-neutronclient python3-novaclient python3-openstacksdk" >&2
  fi
fi

# The tests run the TypeScript through tsx; still build dist/nimbus.mjs (what
# `npm start` runs) and type-check src/ and test/, so neither can rot unnoticed.
npm run --silent build
npx --no-install tsc -p tsconfig.json --noEmit

shopt -s globstar nullglob
files=(test/unit/**/*.test.ts test/functional/**/*.test.ts test/acceptance/**/*.test.ts)
if [ ${#files[@]} -eq 0 ]; then
  echo "test.sh: no test files found" >&2
  exit 1
fi
# Each file starts its own cloud on free ports; 2 at a time suits a 2-core machine
# (the Python clients of the acceptance tests are CPU-bound).
exec node --import tsx --test --test-concurrency="${NIMBUS_TEST_CONCURRENCY:-2}" --test-reporter=spec "${files[@]}"
