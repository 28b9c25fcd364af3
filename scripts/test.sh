#!/usr/bin/env bash
# Segue's test command: installs what the tests need when it is missing, builds once, starts one
# single-node Apache Cassandra for the CQL tests (or uses SCYLLA_URI), runs every test (Rust, then
# the web player's tests when present), stops the node again even when tests fail, and prints a
# summary. CI runs exactly this (.ci/run).
#
# Environment:
#   SCYLLA_URI=HOST:PORT[,HOST:PORT...]  run the CQL suites against that cluster, start no Cassandra
#   SEGUE_CI_CLIPPY=1                    also run `cargo clippy --all-targets -- -D warnings`
#   SEGUE_KEEP_CASSANDRA=1               keep the test node's directory (logs) after the run
#   any extra arguments are passed to `cargo test` (e.g. scripts/test.sh --test it scylla_)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
ARTIFACTS="$ROOT/test-artifacts"
mkdir -p "$ARTIFACTS"

declare -a SUMMARY=()
FAILED=0
STEP_START=0
step() {
    STEP_START=$SECONDS
    echo
    echo "==> $*"
}
done_step() { # NAME STATUS
    SUMMARY+=("$(printf '%-28s %-6s %4ss' "$1" "$2" $((SECONDS - STEP_START)))")
    if [[ "$2" == FAIL ]]; then FAILED=1; fi
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo -n "$@"
    else
        echo "need root to run: $*" >&2
        return 1
    fi
}

# ---------------------------------------------------------------------------------------------
step "Installing what the tests need"
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v node >/dev/null || missing+=(nodejs npm)
status=ok
if ((${#missing[@]})); then
    echo "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! { as_root apt-get update -qq </dev/null >/dev/null &&
        as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null; }; then
        echo "warning: could not install ${missing[*]}; tests that need them will fail" >&2
        status=FAIL
    fi
fi
if [[ -f web-demo/tests/package.json && ! -d web-demo/tests/node_modules/playwright-core ]]; then
    echo "npm install (web-demo/tests)"
    # playwright-core is the library only; the browser is Debian's chromium (no download).
    (cd web-demo/tests && export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 &&
        { [[ -f package-lock.json ]] && npm ci --no-audit --no-fund --loglevel=error </dev/null ||
            npm install --no-audit --no-fund --loglevel=error </dev/null; }) || status=FAIL
fi
command -v cargo >/dev/null || {
    echo "cargo is missing: install Rust (https://rustup.rs) first" >&2
    exit 1
}
done_step "install" "$status"

# ---------------------------------------------------------------------------------------------
# The CQL node starts in the background while Rust compiles; both wait for each other below.
CASS_DIR=""
CASS_JOB=""
cleanup() {
    if [[ -n "$CASS_JOB" ]]; then kill "$CASS_JOB" 2>/dev/null; fi
    if [[ -n "$CASS_DIR" ]]; then
        scripts/cassandra.sh stop "$CASS_DIR" || true
        if [[ "${SEGUE_KEEP_CASSANDRA:-}" == 1 ]]; then
            echo "Cassandra test node kept in $CASS_DIR"
        else
            rm -rf "$CASS_DIR"
        fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n "${SCYLLA_URI:-}" ]]; then
    CQL_ADDR="${SCYLLA_URI#*://}"
    echo
    echo "==> Using the CQL cluster at $CQL_ADDR (SCYLLA_URI); no Cassandra is started"
else
    step "Fetching Apache Cassandra (cached outside the repository)"
    if scripts/cassandra.sh fetch; then done_step "cassandra fetch" ok; else done_step "cassandra fetch" FAIL; fi
    CASS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/segue-cassandra.XXXXXX")"
    CASS_STARTED=$SECONDS
    scripts/cassandra.sh start "$CASS_DIR" >"$CASS_DIR/start.out" 2>"$CASS_DIR/start.err" &
    CASS_JOB=$!
fi

# ---------------------------------------------------------------------------------------------
step "cargo build --all-targets"
if cargo build --all-targets; then done_step "build" ok; else done_step "build" FAIL; fi

if [[ "${SEGUE_CI_CLIPPY:-}" == 1 ]]; then
    step "cargo clippy --all-targets -- -D warnings"
    if cargo clippy --all-targets -- -D warnings; then done_step "clippy" ok; else done_step "clippy" FAIL; fi
fi

if [[ -n "$CASS_JOB" ]]; then
    step "Waiting for the Cassandra test node"
    if wait "$CASS_JOB"; then
        CQL_ADDR="$(tail -n 1 "$CASS_DIR/start.out")"
        cat "$CASS_DIR/start.err"
        # Report launch-to-ready as measured by cassandra.sh, not the wait after the build.
        ready=$(sed -nE 's/.*CQL answers on .* after ([0-9]+)s$/\1/p' "$CASS_DIR/start.err" | tail -n 1)
        STEP_START=$((SECONDS - ${ready:-$((SECONDS - CASS_STARTED))}))
        done_step "cassandra start" ok
    else
        cat "$CASS_DIR/start.err" >&2
        cp -r "$CASS_DIR/logs" "$ARTIFACTS/cassandra-logs" 2>/dev/null
        CQL_ADDR=""
        done_step "cassandra start" FAIL
    fi
    CASS_JOB=""
fi

# ---------------------------------------------------------------------------------------------
step "cargo test"
TEST_LOG="$ARTIFACTS/cargo-test.log"
if [[ -n "${CQL_ADDR:-}" ]]; then export SEGUE_TEST_CQL="$CQL_ADDR"; fi
# The node's directory lets tests/cql_outage stop and restart it (scripts/cassandra.sh restart);
# with SCYLLA_URI that test cuts the connection through a proxy instead.
if [[ -n "${CQL_ADDR:-}" && -n "$CASS_DIR" ]]; then export SEGUE_TEST_CQL_DIR="$CASS_DIR"; fi
export SEGUE_REQUIRE_CQL=1
if cargo test --no-fail-fast "$@" 2>&1 | tee "$TEST_LOG"; then
    done_step "cargo test" ok
else
    done_step "cargo test" FAIL
    if [[ -n "$CASS_DIR" ]]; then cp -r "$CASS_DIR/logs" "$ARTIFACTS/cassandra-logs" 2>/dev/null; fi
fi

WEB_LOG="$ARTIFACTS/web-tests.log"
: >"$WEB_LOG"
if [[ -x web-demo/tests/run.sh || -f web-demo/tests/run.sh ]]; then
    step "Web player tests (web-demo/tests/run.sh)"
    if bash web-demo/tests/run.sh 2>&1 | tee "$WEB_LOG"; then done_step "web tests" ok; else done_step "web tests" FAIL; fi
fi

# ---------------------------------------------------------------------------------------------
# Totals: cargo prints one `test result:` line per test binary; node's runner prints `# pass N`.
passed=0
failed=0
while read -r p f; do
    passed=$((passed + p))
    failed=$((failed + f))
done < <(sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' "$TEST_LOG")
web_pass=$(sed -nE 's/^(# |ℹ )pass ([0-9]+)$/\2/p' "$WEB_LOG" | awk '{s+=$1} END {print s+0}')
web_fail=$(sed -nE 's/^(# |ℹ )fail ([0-9]+)$/\2/p' "$WEB_LOG" | awk '{s+=$1} END {print s+0}')
passed=$((passed + web_pass))
failed=$((failed + web_fail))

echo
echo "==> Summary"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
echo "  CQL node: ${CQL_ADDR:-none}"
echo "  logs: $ARTIFACTS"
if ((FAILED)); then echo "  FAILED: see the steps marked FAIL above"; fi
echo "tests: $passed passed, $failed failed"
exit "$FAILED"
