#!/usr/bin/env bash
# A backup of the D1 database as SQL: every table's rows, without the search index.
#   bash scripts/backup.sh <database> <file.sql> [--remote | --local]   (default --remote)
# `wrangler d1 export` refuses a database with a virtual table (the FTS5 search index,
# customers_search), so this exports every other table by name, rows only (`--no-schema`): the
# schema is the migrations', and the index is rebuilt from the customers on restore
# (scripts/restore.sh). Extra wrangler arguments (e.g. `--config`) come from WRANGLER_ARGS.
set -euo pipefail
source "$(dirname "$0")/env.sh"
db="${1:?usage: backup.sh <database> <file.sql> [--remote|--local]}"
out="${2:?usage: backup.sh <database> <file.sql> [--remote|--local]}"
where="${3:---remote}"
export WRANGLER_SEND_METRICS=false CI=true
# shellcheck disable=SC2086
wr() { wrangler ${WRANGLER_ARGS:-} "$@"; }

# Every table but SQLite's, Cloudflare's, the migrations' record (a restore applies the
# migrations itself), the search index with its shadow tables, and the per-order indexes with
# their buckets (migrations/0028), which the cron builds again after a restore.
list="SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
  AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> 'd1_migrations' \
  AND name <> 'customers_search' AND name NOT LIKE 'customers\\_search\\_%' ESCAPE '\\' \
  AND name NOT LIKE 'customers\\_by\\_%' ESCAPE '\\' AND name NOT IN ('sort_buckets', 'sorted_search') ORDER BY name"
tables="$(wr d1 execute "$db" "$where" --json --command "$list" | node -e '
  let text = ""; process.stdin.on("data", (c) => text += c).on("end", () => {
    const rows = JSON.parse(text)[0].results;
    process.stdout.write(rows.map((r) => r.name).join("\n"));
  });')"
[ -n "$tables" ] || { echo "[backup] no tables found in $db" >&2; exit 1; }
args=()
while read -r t; do args+=(--table "$t"); done <<< "$tables"
wr d1 export "$db" "$where" --no-schema "${args[@]}" --output "$out"
echo "[backup] $(wc -l <<< "$tables") tables of $db written to $out"
