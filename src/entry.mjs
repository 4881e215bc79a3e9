// The worker's entry: the Rust worker built by worker-build, with one safety net. A Rust panic
// aborts the wasm instance; the request it was serving would otherwise never settle and reach
// the client as workerd's plain-text 500. Here it becomes the contract's JSON error, and
// worker-build's shim re-initialises the instance for the next request.
import RustWorker from "../build/index.js";

// Requests in flight, each with a way to end it if the instance dies under it.
const inFlight = new Set();

addEventListener("error", (event) => {
  if (event.error instanceof WebAssembly.RuntimeError) {
    for (const fail of inFlight) fail(event.error);
  }
});

function internalError(request, err) {
  const requestId = request.headers.get("cf-ray") || crypto.randomUUID().replaceAll("-", "");
  console.error(`request ${requestId}: unhandled failure`, err);
  const body = { error: { code: "internal_error", message: "internal error", request_id: requestId } };
  return new Response(JSON.stringify(body), {
    status: 500,
    headers: { "content-type": "application/json; charset=utf-8", "x-request-id": requestId },
  });
}

// Rows D1 read and wrote for one request, for its log line: the Rust side hands each request's
// D1 session here once (src/http/mod.rs); every statement prepared through it adds its result's
// meta to `session.__usage`. `first()` is answered from `all()` so its meta is seen too.
// `fault` (tests only: the Rust side passes it when asked to) makes every statement and batch
// fail with that message instead of reaching D1.
globalThis.__customersCountD1 = (session, fault) => {
  const usage = { rows_read: 0, rows_written: 0 };
  const tally = (result) => {
    usage.rows_read += result?.meta?.rows_read ?? 0;
    usage.rows_written += result?.meta?.rows_written ?? 0;
    return result;
  };
  const wrap = (stmt) => {
    if (stmt.__counted) return stmt; // `bind` may hand back the same statement
    stmt.__counted = true;
    const bind = stmt.bind.bind(stmt);
    const all = fault ? () => Promise.reject(new Error(fault)) : stmt.all.bind(stmt);
    const run = fault ? () => Promise.reject(new Error(fault)) : stmt.run.bind(stmt);
    stmt.bind = (...values) => wrap(bind(...values));
    stmt.all = () => all().then(tally);
    stmt.run = () => run().then(tally);
    stmt.first = async (column) => {
      const row = (tally(await all()).results ?? [])[0] ?? null;
      return column === undefined || column === null ? row : row === null ? null : row[column];
    };
    return stmt;
  };
  const prepare = session.prepare.bind(session);
  const batch = fault ? () => Promise.reject(new Error(fault)) : session.batch.bind(session);
  session.prepare = (sql) => wrap(prepare(sql));
  session.batch = (statements) => batch(statements).then((results) => results.map(tally));
  session.__usage = usage;
};

// Runs `work`, failing it at once if the instance dies under it (else it would never settle).
async function guarded(work) {
  let fail;
  const aborted = new Promise((_, reject) => { fail = reject; });
  inFlight.add(fail);
  try {
    return await Promise.race([work(), aborted]);
  } finally {
    inFlight.delete(fail);
  }
}

export default class extends RustWorker {
  async fetch(request) {
    try {
      return await guarded(() => super.fetch(request));
    } catch (err) {
      return internalError(request, err);
    }
  }

  // The webhooks queue and its dead-letter queue (src/api/dispatch.rs). A failure leaves the
  // messages not yet acknowledged to the queue, which retries them.
  async queue(batch) {
    return guarded(() => super.queue(batch));
  }

  // The cron trigger: its next run does what this one could not.
  async scheduled(controller) {
    return guarded(() => super.scheduled(controller));
  }
}
