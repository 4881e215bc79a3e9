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

export default class extends RustWorker {
  async fetch(request) {
    let fail;
    const aborted = new Promise((_, reject) => { fail = reject; });
    inFlight.add(fail);
    try {
      return await Promise.race([super.fetch(request), aborted]);
    } catch (err) {
      return internalError(request, err);
    } finally {
      inFlight.delete(fail);
    }
  }
}
