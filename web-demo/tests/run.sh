#!/usr/bin/env bash
# Browser tests of the web player: real Segue server (target/debug/segue serve --demo on a free
# port with a fresh data dir) + Debian's chromium driven by playwright-core, run with `node --test`.
# Screenshots land in test-artifacts/web/<UTC timestamp>/ (failures are prefixed FAIL-).
#
#   bash web-demo/tests/run.sh [test files...]
#
# E2E_SERVER_CMD overrides the server command ({port} is replaced by the chosen port). The
# variables here avoid the SEGUE_ prefix: Segue reads SEGUE_* as configuration.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

if ! command -v node >/dev/null; then
  echo "node is required (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
browser="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$browser" ]; then
  echo "chromium is required at $browser (Debian: apt-get install chromium)" >&2
  exit 1
fi
if [ ! -d node_modules/playwright-core ]; then
  echo "installing playwright-core (the library only; the browser is Debian's chromium)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error \
    || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error
fi

bin="$root/target/debug/segue"
if [ -z "${E2E_SERVER_CMD:-}" ]; then
  # Cheap when up to date; never test a stale binary. The same command as scripts/test.sh's build
  # step: `--bin segue` alone resolves other dependency features than `--all-targets` and would
  # recompile the server (~100 s) after every test build.
  (cd "$root" && cargo build --quiet --all-targets)
fi

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
work="$(mktemp -d "${TMPDIR:-/tmp}/segue-web-tests.XXXXXX")"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
export E2E_URL="http://127.0.0.1:$port"
export E2E_DATA_DIR="$work/data"
export E2E_PID_FILE="$work/server.pid"
export E2E_LOG="$work/server.log"
export E2E_ARTIFACTS="${E2E_ARTIFACTS:-$root/test-artifacts/web/$stamp}"
export E2E_SERVER_CMD="${E2E_SERVER_CMD:-$bin serve --demo --listen 127.0.0.1:$port --data-dir $E2E_DATA_DIR}"
# The server's own logs: informative but not chatty.
export SEGUE_LOG="${SEGUE_LOG:-info,segue::http=warn}"
export E2E_SERVER_CMD="${E2E_SERVER_CMD//\{port\}/$port}"
export CHROMIUM="$browser"
mkdir -p "$E2E_ARTIFACTS"

cleanup() {
  node server-ctl.mjs stop || true
  cp "$E2E_LOG" "$E2E_ARTIFACTS/server.log" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "starting segue at $E2E_URL (data: $E2E_DATA_DIR)"
node server-ctl.mjs start

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(*.test.mjs)
fi
set +e
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
status=$?
set -e
echo "screenshots: $E2E_ARTIFACTS"
exit $status
