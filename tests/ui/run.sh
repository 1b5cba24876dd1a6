#!/usr/bin/env bash
# End-to-end tests of the web front end in headless chromium (playwright-core, axe-core), run by
# CTest (tests/ui/CMakeLists.txt) and so by scripts/test.
#
#   tests/ui/run.sh [BUILD_DIR]      (default: <repo>/build)
#
# Installs the npm packages from the committed lock file (only when they changed), provisions a
# fresh data dir with build/samverka-seed, starts the real server on a free loopback port, runs
# the tests with node's test runner and stops the server. Screenshots of the main pages go to
# BUILD_DIR/ui-artifacts/ (not committed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (scripts/install-deps --test)" >&2; exit 1; }
done
chromium="${SAMVERKA_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "run.sh: $chromium is missing (scripts/install-deps --test)" >&2; exit 1; }

# npm ci only when the lock file changed since the last install: idempotent and quick.
cd "$here"
stamp="node_modules/.samverka-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

data="$(mktemp -d "${TMPDIR:-/tmp}/samverka-ui.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT INT TERM

# Eksjö, Sävsjö and Vetlanda (partners) with people in every role, news, and a cross-employed
# person; the large tenant is kept small so seeding takes seconds.
"$build/samverka-seed" --data-dir "$data/d" demo --people 30 > "$data/logins.txt"

"$build/samverka" serve --data-dir "$data/d" --listen 127.0.0.1:0 > "$data/server.out" 2> "$data/server.log" &
server_pid=$!
port=""
for _ in $(seq 1 200); do
  port="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$data/server.out" "$data/server.log" | head -n1)"
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "run.sh: the server exited:" >&2; cat "$data/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "run.sh: the server did not start" >&2; exit 1; }

export SAMVERKA_UI_PORT="$port"
export SAMVERKA_CHROMIUM="$chromium"
export SAMVERKA_UI_ARTIFACTS="${SAMVERKA_UI_ARTIFACTS:-$build/ui-artifacts}"
mkdir -p "$SAMVERKA_UI_ARTIFACTS"
node --test --test-concurrency=1 "$here"/*.test.mjs
