// Generates the benchmark's customers, the same rows either way:
//   node bench/seed.mjs csv <dir> [files] [rows-per-file]
//       writes <dir>/part-00.csv ... (header name,email,phone,company,plan) for the import endpoint
//   node bench/seed.mjs sql <file> <from-file> [files] [rows-per-file]
//       writes multi-row INSERTs for the files from <from-file> on, for
//       `wrangler d1 execute DB --local --file` when the import endpoint is not there
// Row n: name "Bench User n", email user-n@example.com, so q=user-4242 matches user-4242 and
// user-42420..42429 (11 rows); plan cycles free/starter/pro/enterprise (a quarter are "pro").
import { mkdirSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const PLANS = ["free", "starter", "pro", "enterprise"];

export function row(n) {
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

function writeCsv(dir, files, perFile) {
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files; f++) {
    const lines = ["name,email,phone,company,plan"];
    for (let i = 0; i < perFile; i++) {
      const r = row(f * perFile + i);
      lines.push(`${r.name},${r.email},${r.phone},${r.company},${r.plan}`);
    }
    writeFileSync(join(dir, `part-${String(f).padStart(2, "0")}.csv`), lines.join("\n") + "\n");
  }
}

function writeSql(file, fromFile, files, perFile) {
  // 200 rows keep each statement well under D1's 100 KB statement limit. OR IGNORE: a file the
  // import endpoint wrote after all (its answer timed out) must not fail the whole seed.
  const PER_INSERT = 200;
  const fd = openSync(file, "w");
  const first = fromFile * perFile;
  const last = files * perFile; // exclusive
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
    const r = row(n);
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
  writeCsv(target, Number(rest[0] ?? 10), Number(rest[1] ?? 10000));
} else if (mode === "sql" && target) {
  writeSql(target, Number(rest[0] ?? 0), Number(rest[1] ?? 10), Number(rest[2] ?? 10000));
} else {
  console.error("usage: seed.mjs csv <dir> [files] [rows] | seed.mjs sql <file> <from-file> [files] [rows]");
  process.exit(2);
}
