// Generates the benchmark's customers, the same rows either way:
//   node bench/seed.mjs csv <dir> [files] [rows-per-file] [block-files]
//       writes <dir>/part-000.csv ... (header name,email,phone,company,plan) for the import endpoint
//   node bench/seed.mjs sql <file> <from-file> [files] [rows-per-file] [block-files]
//       writes multi-row INSERTs for the files from <from-file> on, for
//       `wrangler d1 execute DB --local --file` when the import endpoint is not there
// Bench row n: name "Bench User n", email user-n@example.com, so q=user-4242 matches user-4242
// and user-42420..42429 (11 rows); plan cycles free/starter/pro/enterprise (a quarter are "pro").
// Around the bench rows, in creation order, two blocks of `block-files` files each that match
// none of the bench's other searches and filters: the oldest rows ("Zulu Archive n",
// zulu-n@archive.test, company "Zeta n%100") and the newest ("Alpha Import n",
// alpha-n@import.test, company "Acme n%100"). Each block sorts first in some order (newest
// first, oldest first, name and email either way), so a search or filter of the bench rows meets
// a block of non-matches before its first match in every sort order, and a search of one block
// has its matches at the newest or the oldest end.
import { mkdirSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const PLANS = ["free", "starter", "pro", "enterprise"];

export function row(n) {
  return benchRow(n);
}

function blockRow(block, n) {
  const old = block === "before";
  return {
    name: `${old ? "Zulu Archive" : "Alpha Import"} ${n}`,
    email: `${old ? "zulu" : "alpha"}-${n}@${old ? "archive" : "import"}.test`,
    phone: `${old ? "777" : "888"}-${String(n).padStart(6, "0")}`,
    company: `${old ? "Zeta" : "Acme"} ${n % 100}`,
    plan: PLANS[n % PLANS.length],
  };
}

// Row i of file f: the block before the bench rows, the bench rows, the block after.
function rowOf(f, i, files, perFile, blockFiles) {
  if (f < blockFiles) return blockRow("before", f * perFile + i);
  if (f >= blockFiles + files) return blockRow("after", (f - blockFiles - files) * perFile + i);
  return benchRow((f - blockFiles) * perFile + i);
}

function benchRow(n) {
  return {
    name: `Bench User ${n}`,
    email: `user-${n}@example.com`,
    phone: `555-${String(n).padStart(6, "0")}`,
    company: `Company ${n % 1000}`,
    plan: PLANS[n % PLANS.length],
  };
}

// UUID v7: 48-bit unix milliseconds, version 7, variant 10, the rest random.
function uuidv7(ms) {
  const b = randomBytes(16);
  let t = BigInt(ms);
  for (let i = 5; i >= 0; i--) {
    b[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const q = (s) => (s === null ? "NULL" : `'${String(s).replace(/'/g, "''")}'`);

function writeCsv(dir, files, perFile, blockFiles) {
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files + 2 * blockFiles; f++) {
    const lines = ["name,email,phone,company,plan"];
    for (let i = 0; i < perFile; i++) {
      const r = rowOf(f, i, files, perFile, blockFiles);
      lines.push(`${r.name},${r.email},${r.phone},${r.company},${r.plan}`);
    }
    writeFileSync(join(dir, `part-${String(f).padStart(3, "0")}.csv`), lines.join("\n") + "\n");
  }
}

function writeSql(file, fromFile, files, perFile, blockFiles) {
  // 200 rows keep each statement well under D1's 100 KB statement limit. OR IGNORE: a file the
  // import endpoint wrote after all (its answer timed out) must not fail the whole seed.
  const PER_INSERT = 200;
  const fd = openSync(file, "w");
  const first = fromFile * perFile;
  const last = (files + 2 * blockFiles) * perFile; // exclusive
  // One millisecond per row, ending now: created_at order is row order, like an import.
  const base = Date.now() - (last - first);
  let batch = [];
  const flush = () => {
    if (!batch.length) return;
    writeSync(fd,
      "INSERT OR IGNORE INTO customers (id, name, email, email_normalized, phone, company, notes, attributes, kind, source, created_at, updated_at, version) VALUES\n" +
      batch.join(",\n") + ";\n");
    batch = [];
  };
  for (let n = first; n < last; n++) {
    const r = rowOf(Math.floor(n / perFile), n % perFile, files, perFile, blockFiles);
    const ms = base + (n - first);
    const ts = new Date(ms).toISOString(); // RFC 3339, milliseconds, Z
    // attributes carries the plan, as the CSV import puts extra columns there, so the
    // attributes.plan filter measures the same data either way.
    const attrs = JSON.stringify({ plan: r.plan });
    batch.push(`(${q(uuidv7(ms))}, ${q(r.name)}, ${q(r.email)}, ${q(r.email.toLowerCase())}, ${q(r.phone)}, ` +
      `${q(r.company)}, NULL, ${q(attrs)}, 'registered', 'import', ${q(ts)}, ${q(ts)}, 1)`);
    if (batch.length >= PER_INSERT) flush();
  }
  flush();
  closeSync(fd);
}

const [mode, target, ...rest] = process.argv.slice(2);
if (mode === "csv" && target) {
  writeCsv(target, Number(rest[0] ?? 10), Number(rest[1] ?? 10000), Number(rest[2] ?? 0));
} else if (mode === "sql" && target) {
  writeSql(target, Number(rest[0] ?? 0), Number(rest[1] ?? 10), Number(rest[2] ?? 10000), Number(rest[3] ?? 0));
} else {
  console.error("usage: seed.mjs csv <dir> [files] [rows] [block-files] | seed.mjs sql <file> <from-file> [files] [rows] [block-files]");
  process.exit(2);
}
