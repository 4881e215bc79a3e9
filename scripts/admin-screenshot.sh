#!/usr/bin/env bash
# Renders the admin console (GET /admin) in headless Chromium against a throw-away dev server
# seeded with a few customers, and writes a screenshot (default /tmp/admin.png).
# Not part of `make test`: it may install Debian's chromium. PORT and OUT may be overridden.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
PORT="${PORT:-8797}"
OUT="${OUT:-/tmp/admin.png}"
BASE="http://127.0.0.1:$PORT"
say() { printf '[admin-screenshot] %s\n' "$*"; }

if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
[ -f .dev.vars ] || { say "no .dev.vars (run make dev once; it creates the admin token)"; exit 1; }
TOKEN="$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars | head -n1 | tr -d '"\r')"
[ -n "$TOKEN" ] || { say "ADMIN_TOKEN is empty in .dev.vars"; exit 1; }
if curl -s -o /dev/null --max-time 2 "$BASE/health"; then
  say "something already listens on port $PORT; run with PORT=<free port>"; exit 1
fi

persist="$(mktemp -d)"; profile="$(mktemp -d)"; log="$(mktemp)"
server=""
cleanup() {
  # The dev server runs in its own process group: end wrangler and workerd together.
  [ -n "$server" ] && kill -- "-$server" 2>/dev/null || true
  [ -n "$server" ] && wait "$server" 2>/dev/null || true
  rm -rf "$persist" "$profile" "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting the dev server on $BASE (log: $log)"
set -m
PORT="$PORT" PERSIST_TO="$persist" bash scripts/dev.sh >"$log" 2>&1 &
server=$!
set +m
for _ in $(seq 1 240); do
  curl -s -o /dev/null --max-time 2 "$BASE/health" && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; say "the dev server stopped"; exit 1; }
  sleep 1
done
curl -sf -o /dev/null "$BASE/health" || { tail -n 40 "$log"; say "the dev server did not come up"; exit 1; }

say "seeding customers"
call() { # method path json
  curl -sS -f -o /dev/null -X "$1" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' ${3:+-d "$3"} "$BASE$2"
}
create() { # json -> id
  curl -sS -f -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$1" "$BASE/v1/customers" |
    node -e 'let s = ""; process.stdin.on("data", (d) => { s += d; }).on("end", () => process.stdout.write(JSON.parse(s).id))'
}
public() { call POST /v1/public/interactions "$1"; }
create '{"name":"Ada Lovelace","email":"ada@analytical.example","phone":"+44 20 7946 0001","company":"Analytical Engines Ltd","attributes":{"plan":"pro"}}' >/dev/null
create '{"name":"Grace Hopper","email":"grace@cobol.example","phone":"+1 202 555 0142","company":"US Navy"}' >/dev/null
create '{"name":"Alan Turing","email":"alan@bletchley.example","company":"Bletchley Park"}' >/dev/null
create '{"name":"Katherine Johnson","email":"katherine@langley.example","notes":"Prefers phone calls"}' >/dev/null
create '{"email":"no-name@example.com","company":"Nameless Inc."}' >/dev/null
create '{"name":"<img src=x onerror=alert(1)> Mallory","email":"mallory@example.com","company":"<b>not bold</b>"}' >/dev/null
gone="$(create '{"name":"Charles Babbage","email":"charles@difference.example"}')"
call DELETE "/v1/customers/$gone"
public '{"email":"linus@visitor.example","name":"Linus Visitor","type":"meeting_booked","resource_id":"evt_2041","details":{"slot":"2026-12-01T10:00:00Z"}}'
public '{"email":"margaret@apollo.example","name":"Margaret Hamilton","type":"form_submitted","resource_id":"form_88"}'
public '{"email":"ada@analytical.example","type":"chat_started","resource_id":"room_7"}'
public '{"email":"guest42@visitor.example","type":"conference_joined","resource_id":"conf_room_3"}'

token_enc="$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$TOKEN")"
say "rendering $BASE/admin to $OUT"
rm -f "$OUT"
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --virtual-time-budget=10000 \
  --screenshot="$OUT" --window-size=1400,900 "$BASE/admin#token=$token_enc" 2>/dev/null || true
[ -s "$OUT" ] || { say "no screenshot was written"; exit 1; }
say "wrote $OUT"
