#!/usr/bin/env bash
# Runs Tempest 33 (Debian's `tempest` package, Zed's tempest) against a fresh Nimbus
# started from the bundle, on the API tests of compute, network and image v2.
#
#   scripts/tempest.sh [extra `tempest run` args...]
#
# Env: NIMBUS_TEMPEST_WORKERS (default 2, max 2 on the shared CI box),
#      NIMBUS_TEMPEST_DIR (workspace; default a fresh /tmp/nimbus-tempest.XXXX),
#      NIMBUS_TEMPEST_NO_EXCLUDE=1 runs without scripts/tempest/exclude-list.txt
#      (to see everything that fails).
# Prints pass/fail/skip per area and the skip reasons; exits non-zero when any test
# failed or was skipped for a reason allowed-skips.txt does not list (exit 77: Tempest
# is missing and cannot be installed here).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HERE=$ROOT/scripts/tempest
# tempest, stestr and subunit are Debian's: run them with the system python, not a pyenv one.
export PATH=/usr/bin:/bin:$PATH

if ! command -v tempest >/dev/null || ! /usr/bin/python3 -c 'import tempest' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "tempest.sh: tempest missing; installing Debian's tempest"
    apt-get update </dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y tempest </dev/null
  else
    echo "tempest.sh: tempest is missing and not root (or no apt-get); install it with: apt-get install tempest" >&2
    exit 77
  fi
fi

[ -f dist/nimbus.mjs ] || npm run --silent build

W=${NIMBUS_TEMPEST_DIR:-$(mktemp -d /tmp/nimbus-tempest.XXXXXX)}
mkdir -p "$W/etc" "$W/logs" "$W/lock" "$W/data"
DATA=$W/data
echo "tempest.sh: workspace $W"

node --max-semi-space-size=8 dist/nimbus.mjs up --data-dir "$DATA" \
  --identity-port 0 --image-port 0 --network-port 0 --compute-port 0 --metadata-port 0 \
  >"$W/logs/nimbus.log" 2>&1 &
NIMBUS_PID=$!
cleanup() { kill "$NIMBUS_PID" 2>/dev/null || true; wait "$NIMBUS_PID" 2>/dev/null || true; }
trap cleanup EXIT

UP=
for _ in $(seq 1 120); do
  UP=$(grep -h -m1 '"Nimbus is up' "$W/logs/nimbus.log" || true)
  [ -n "$UP" ] && break
  kill -0 "$NIMBUS_PID" 2>/dev/null || { echo "tempest.sh: nimbus exited:" >&2; cat "$W/logs/nimbus.log" >&2; exit 2; }
  sleep 0.5
done
[ -n "$UP" ] || { echo "tempest.sh: nimbus did not come up in 60 s" >&2; exit 2; }

/usr/bin/python3 "$HERE/configure.py" "$UP" "$W"

TP=$(/usr/bin/python3 -c 'import os, tempest; print(os.path.dirname(os.path.dirname(tempest.__file__)))')
cat >"$W/.stestr.conf" <<CONF
[DEFAULT]
test_path=$TP/tempest/test_discover
top_dir=$TP
group_regex=([^\.]*\.)*
CONF

(cd "$W" && stestr init >/dev/null)
excl=(--exclude-list "$HERE/exclude-list.txt")
[ "${NIMBUS_TEMPEST_NO_EXCLUDE:-}" = 1 ] && excl=()
workers=${NIMBUS_TEMPEST_WORKERS:-2}
[ "$workers" -gt 2 ] && workers=2   # the CI box has 2 cores shared with other jobs

start=$(date +%s)
set +e
(cd "$W" && TEMPEST_CONFIG_DIR="$W/etc" TEMPEST_CONFIG=tempest.conf \
  tempest run --config-file "$W/etc/tempest.conf" \
    --include-list "$HERE/include-list.txt" "${excl[@]}" \
    --concurrency "$workers" "$@" >"$W/logs/tempest-run.log" 2>&1)
rc=$?
set -e
echo "tempest.sh: tempest run exited $rc after $(( $(date +%s) - start )) s (log: $W/logs/tempest-run.log, tempest log: $W/logs/tempest.log)"

(cd "$W" && stestr last --subunit) >"$W/results.subunit" 2>/dev/null || true
/usr/bin/python3 "$HERE/summary.py" "$W/results.subunit" "$W/failures.txt" "$HERE/allowed-skips.txt" || rc=1
if [ -s "$W/failures.txt" ]; then
  /usr/bin/python3 "$HERE/failures.py" "$W/results.subunit" "$W/logs/tempest.log" >"$W/failures.md" || true
  echo "tempest.sh: failed tests (each with its error and HTTP exchange in $W/failures.md):"
  cat "$W/failures.txt"
fi
exit $rc
