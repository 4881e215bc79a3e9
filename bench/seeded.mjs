// The bench's customers at a scale, seeded straight into a local D1's SQLite file (1,000,000 in
// minutes, where the import endpoint takes most of an hour on this machine), then the compiled
// worker started on it (the tests' harness) and its cron run until the per-order indexes
// (migrations/0028) hold every customer. The rows are bench/seed.mjs's: `scale` bench rows
// between two blocks of scale/10 that match none of the bench rows' searches and filters (the
// oldest and the newest). The database is removed when the process exits.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker, ROOT } from "../tests/harness.mjs";

export async function seededWorker(scale, tag) {
  const files = scale / 10000;
  const blockFiles = Math.max(1, files / 10);
  const persist = mkdtempSync(join(tmpdir(), `${tag}-d1-`));
  process.on("exit", () => rmSync(persist, { recursive: true, force: true }));

  // The schema: one start of the worker applies the migrations to the persisted database.
  await (await startWorker({ persist })).dispose();
  const sqliteFile = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { const f = sqliteFile(p); if (f) return f; }
      else if (e.name.endsWith(".sqlite") && e.name !== "metadata.sqlite") return p;
    }
    return null;
  };
  const db = sqliteFile(persist);
  const seed = join(persist, "seed.sql");
  let t0 = Date.now();
  execFileSync("node", [join(ROOT, "bench/seed.mjs"), "sql", seed, "0", String(files), "10000", String(blockFiles)]);
  // Seeded as rows already there when migration 0028 ran: its triggers leave them to the cron,
  // which builds the per-order indexes below, as it would after that migration.
  execFileSync("sqlite3", [db, "UPDATE sorted_search SET indexed_below = -1"]);
  execFileSync("bash", ["-c", `(echo 'PRAGMA journal_mode=WAL; BEGIN;'; cat '${seed}'; echo 'COMMIT;') | sqlite3 '${db}'`]);
  rmSync(seed);
  const rows = execFileSync("sqlite3", [db, "SELECT count(*) FROM customers"]).toString().trim();
  console.error(`[${tag}] seeded ${rows} customers in ${((Date.now() - t0) / 1000).toFixed(0)} s (${(statSync(db).size / 2 ** 20).toFixed(0)} MiB)`);

  const worker = await startWorker({ persist, listen: true });
  // The cron, a minute at a time, until the per-order indexes hold every customer.
  t0 = Date.now();
  const sizeBefore = statSync(db).size;
  let ticks = 0;
  const built = "SELECT indexed_below >= 0 AND NOT EXISTS (SELECT 1 FROM customers WHERE seq >= indexed_below) AS done FROM sorted_search";
  while ((await worker.db.prepare(built).first()).done !== 1) {
    await worker.cron();
    ticks += 1;
  }
  console.error(`[${tag}] the cron built the per-order indexes in ${ticks} runs, ${((Date.now() - t0) / 1000).toFixed(0)} s (+${((statSync(db).size - sizeBefore) / 2 ** 20).toFixed(0)} MiB)`);
  return { worker, rows };
}
