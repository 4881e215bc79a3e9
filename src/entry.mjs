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

// The Rust side's futures run in microtasks: wasm-bindgen's executor schedules each round of
// polls with the global `queueMicrotask` when there is one, else with a resolved promise's
// `then`. workerd's `queueMicrotask` wraps every callback in a new native function: 3 to 4 µs a
// call in a loop here against 0.2 µs for a `then`, and a request schedules a round for each
// promise it awaits; CPU profiles of GET /health put 6% of the isolate's time in the call
// (docs/performance.md, "Fixed cost of a request"). The executor looks for it at its first use
// (the first request, after this module ran), so it finds this one: a promise's `then`, as the
// executor's own fallback does, where a callback that throws (a Rust panic: the wasm instance
// is dead) is thrown again from the runtime's own `queueMicrotask`, so it reaches the runtime's
// error reporting and the `error` listeners exactly as before.
const runtimeQueueMicrotask = globalThis.queueMicrotask;
const settled = Promise.resolve();
globalThis.queueMicrotask = (task) => {
  settled.then(task).catch((err) => runtimeQueueMicrotask(() => { throw err; }));
};

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
      // workers-rs's `Request` reads `request.cf` as it wraps the request, which makes the
      // runtime build that object (6% of the isolate's time in the same profiles); nothing in
      // this worker reads it, so the request handed over has none. With the `queueMicrotask`
      // above: 120 to 160 µs less CPU a request (GET /health 1,402 → 1,279 µs, GET by id
      // 3,007 → 2,843 µs, bench/fixed-cost.mjs).
      Object.defineProperty(request, "cf", { value: undefined });
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
