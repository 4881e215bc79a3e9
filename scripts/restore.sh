#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into a fresh, empty D1 database.
#   bash scripts/restore.sh <file.sql> <database> [--remote | --local]   (default --remote)
# 1. applies migrations/ (the schema, the search index and the triggers);
# 2. sets the triggers aside while the rows go in: they would otherwise act on restored rows as
#    on new ones (a second change event for every audit row, counts added twice);
# 3. loads the rows, puts the triggers back exactly as the migrations made them, rebuilds
#    the search index from the customers, and leaves the per-order indexes to the cron.
# Extra wrangler arguments (e.g. `--config`) come from WRANGLER_ARGS.
set -euo pipefail
source "$(dirname "$0")/env.sh"
file="${1:?usage: restore.sh <file.sql> <database> [--remote|--local]}"
db="${2:?usage: restore.sh <file.sql> <database> [--remote|--local]}"
where="${3:---remote}"
export WRANGLER_SEND_METRICS=false CI=true
# shellcheck disable=SC2086
wr() { wrangler ${WRANGLER_ARGS:-} "$@"; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

count="SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM audit_log) AS n"
wr d1 migrations apply "$db" "$where" > "$work/migrations.log" 2>&1 || { cat "$work/migrations.log" >&2; exit 1; }
existing="$(wr d1 execute "$db" "$where" --json --command "$count" | node -e '
  let t = ""; process.stdin.on("data", (c) => t += c).on("end", () => process.stdout.write(String(JSON.parse(t)[0].results[0].n)));')"
[ "$existing" = "0" ] || { echo "[restore] $db is not empty ($existing customers and audit rows): restore into a new database" >&2; exit 1; }

# The rows the migrations themselves insert (counters, built-in groups) come back with the
# backup's, so the tables the backup fills are emptied first.
schema="SELECT type, name, sql FROM sqlite_master WHERE type = 'trigger' OR (type = 'table' \
  AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> 'd1_migrations' \
  AND name <> 'customers_search' AND name NOT LIKE 'customers\\_search\\_%' ESCAPE '\\' \
  AND name NOT LIKE 'customers\\_by\\_%' ESCAPE '\\' AND name NOT IN ('sort_buckets', 'sorted_search')) ORDER BY name"
wr d1 execute "$db" "$where" --json --command "$schema" | node -e '
  const { writeFileSync } = require("node:fs");
  let t = ""; process.stdin.on("data", (c) => t += c).on("end", () => {
    const rows = JSON.parse(t)[0].results;
    const triggers = rows.filter((r) => r.type === "trigger"), tables = rows.filter((r) => r.type === "table");
    writeFileSync(process.argv[1], [
      ...triggers.map((r) => `DROP TRIGGER "${r.name}";`),
      "PRAGMA defer_foreign_keys = TRUE;",
      ...tables.map((r) => `DELETE FROM "${r.name}";`),
    ].join("\n") + "\n");
    writeFileSync(process.argv[2], triggers.map((r) => `${r.sql};`).join("\n") + "\n");
  });' "$work/drop.sql" "$work/create.sql"

wr d1 execute "$db" "$where" --file "$work/drop.sql" > /dev/null
wr d1 execute "$db" "$where" --file "$file" > /dev/null
wr d1 execute "$db" "$where" --file "$work/create.sql" > /dev/null
wr d1 execute "$db" "$where" --command "INSERT INTO customers_search (customers_search) VALUES ('rebuild')" > /dev/null
# The per-order indexes (migrations/0028) were left empty by the load: the cron numbers their
# buckets and builds them, a chunk a minute; pages sorted by name, email or last seen walk until then.
wr d1 execute "$db" "$where" --command "UPDATE sorted_search SET indexed_below = -1" > /dev/null
echo "[restore] $file restored into $db; search index rebuilt, per-order indexes left to the cron"
