#!/usr/bin/env bash
# The newcomer's walk, as the README's quick start tells it, on a fresh clone right after
# `npm ci` (.ci/run runs it there; `npm test`, the walk's last step, follows in .ci/run):
#   npm start   builds everything and serves; on this very first start the health answer,
#               the task pane (page and bundle) and the browser preview at / with its
#               sample mailbox must all be there
#   SIGTERM     to `npm start` ends every process of it, and the server stops
#               cleanly: shutdown logged, data-root lock removed
# It listens on a free port (TOA_PORT=0) instead of 3100, so it can run beside anything.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() {
  echo "newcomer walk: FAILED: $*" >&2
  [ -n "${out:-}" ] && tail -n 40 "$out" >&2
  exit 1
}

if [ "${CI:-}" = true ] && [ -e apps/addin/dist ]; then fail "not a fresh clone: apps/addin/dist exists before npm start"; fi
fresh=()
for dir in data logs archive; do [ -e "$dir" ] || fresh+=("$dir"); done

out=$(mktemp)
started=$(date +%s)
TOA_PORT=0 setsid npm start >"$out" 2>&1 &
pid=$!
cleanup() {
  kill -TERM -- "-$pid" 2>/dev/null || true
  rm -f "$out"
  for dir in "${fresh[@]}"; do rm -rf "$dir"; done
}
trap cleanup EXIT

url=
for _ in $(seq 1 600); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$out" | head -n 1 | cut -d' ' -f3 || true)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || fail "npm start exited before the server listened"
  sleep 0.5
done
[ -n "$url" ] || fail "the server did not listen within 5 minutes"
echo "newcomer walk: npm start listened on $url after $(($(date +%s) - started)) s"

health=$(curl -fsS "$url/api/health") || fail "GET /api/health"
case "$health" in *'"status":"ok"'*) ;; *) fail "GET /api/health answered $health" ;; esac
pane=$(curl -fsS "$url/taskpane.html") || fail "GET /taskpane.html on the first start"
bundle=$(printf '%s' "$pane" | grep -o 'src="\./assets/[^"]*\.js"' | head -n 1 | cut -d'"' -f2)
[ -n "$bundle" ] || fail "taskpane.html names no bundle"
curl -fsS -o /dev/null "$url/${bundle#./}" || fail "GET ${bundle#./}"
curl -fsS -o /dev/null -H 'X-TOA-User-Email: newcomer@example.com' "$url/api/domains" || fail "GET /api/domains as a dev user"
preview=$(curl -fsS -L "$url/") || fail "GET / (the browser preview)"
case "$preview" in *'<title>TOA — browser preview</title>'*) ;; *) fail "GET / does not lead to the browser preview" ;; esac
for file in preview/taskpane.html preview/office-stand-in.js preview/mailbox/mailbox.json; do
  curl -fsS -o /dev/null "$url/$file" || fail "GET /$file"
done
case "$(curl -fsS "$url/preview/mailbox/mailbox.json")" in *'.eml'*) ;; *) fail "the sample mailbox lists no message" ;; esac
case "$(curl -fsS "$url/preview/taskpane.html")" in *'office-stand-in.js'*) ;; *) fail "the preview's pane does not load the Office stand-in" ;; esac
echo "newcomer walk: health ok, task pane and its bundle served, domains listed, browser preview at /"

# SIGTERM to npm start itself, as a process manager sends it; npm, turbo and the server must pass it on
kill -TERM "$pid"
for _ in $(seq 1 60); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.5; done
kill -0 -- "-$pid" 2>/dev/null && fail "a process of npm start still runs 30 s after SIGTERM"
grep -q '"msg":"TOA server stopped"' logs/toa-server.log || fail "the server log has no clean shutdown"
[ ! -e data/.toa-server.lock ] || fail "the data-root lock outlived the server"
echo "newcomer walk: SIGTERM stopped npm start cleanly (shutdown logged, lock removed); passed in $(($(date +%s) - started)) s"
