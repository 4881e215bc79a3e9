#!/usr/bin/env bash
# CPU time a request costs each process of a running `wrangler dev` server, under load:
#   bash bench/dev-cpu.sh PGID URL [HEADER_FILE]
# PGID is the server's process group (wrangler's pid when started with setsid, as
# scripts/dev-server.sh and bench/peer.sh start theirs); HEADER_FILE holds one header line
# (`Authorization: Bearer ...`). Loads URL with `wrk -t1 -c8 -d${DEV_CPU_SECONDS:-5}s` and prints,
# per process, the CPU µs it spent per request answered (utime + stime from /proc, so the figure
# holds whatever else the machine runs). workerd runs every worker of a server on one thread
# (its entry, the assets router, the worker, D1's object), one request at a time: the busiest
# workerd's µs a request bounds the server's requests a second.
set -euo pipefail
pg=$1 url=$2 hdr=${3:-}
command -v wrk >/dev/null || { echo "wrk is missing (make bench installs it)" >&2; exit 1; }
pids=$(ps -eo pid=,pgid= | awk -v g="$pg" '$2 == g { print $1 }')
[ -n "$pids" ] || { echo "no process in group $pg" >&2; exit 1; }
tick=$(getconf CLK_TCK)
snap() { for p in $pids; do awk -v p="$p" '{ print p, $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true; done; }
declare -A before
while read -r p t; do before[$p]=$t; done < <(snap)
args=()
[ -z "$hdr" ] || args=(-H "$(tr -d '\n' < "$hdr")")
out=$(wrk -t1 -c8 -d"${DEV_CPU_SECONDS:-5}s" "${args[@]}" "$url")
reqs=$(awk '/requests in/ { print $1 }' <<< "$out")
rps=$(awk '/Requests\/sec/ { print $2 }' <<< "$out")
[ "${reqs:-0}" -gt 0 ] || { echo "no request answered: $out" >&2; exit 1; }
while read -r p t; do
  us=$(( (t - before[$p]) * 1000000 / tick / reqs ))
  what=$(ps -o args= -p "$p" | awk '{ n = $1; sub(".*/", "", n); s = ""; if (match($0, /socket-addr=entry=[^ ]*/)) s = substr($0, RSTART + 18, RLENGTH - 18); print n, s }')
  printf '%8d µs  %s (pid %s)\n' "$us" "$what" "$p"
done < <(snap)
printf '%s: %s req/s, %s requests\n' "$url" "$rps" "$reqs"
