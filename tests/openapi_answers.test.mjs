// The answers are the document's: every operation of the served /openapi.json is called for real
// (and most of its error answers too), and each answer is checked against what the document
// declares for that operation and status: the status is documented, the content type is the
// declared one, the JSON body validates against the declared schema (additional properties off,
// as the schemas say), and every header declared `required` is sent. A number the schema types
// `integer` must also be written as one (`3`, not `3.0`): typed clients read `3.0` as a float.
// The last test fails if an operation of the document was never answered with a 2xx here.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import { startWorker, UNKNOWN_ID, uniqueEmail } from "./harness.mjs";

const ACTIVATION_BASE = "https://portal.example/activate#token=";
const METHODS = ["get", "put", "post", "delete", "patch"];

// The Ajv that @readme/openapi-parser depends on (scripts/validate-openapi.mjs uses it too).
const requireFromParser = createRequire(createRequire(import.meta.url).resolve("@readme/openapi-parser"));
const Ajv2020 = requireFromParser("ajv/dist/2020").default;

/** JSON.parse that keeps a whole number written with a fraction or exponent (`3.0`, `3e0`) from
 * passing as an integer: it becomes `3.5`, which an `integer` schema refuses and a `number`
 * schema still takes. */
function parseStrict(text) {
  return JSON.parse(text, (_key, value, context) =>
    typeof value === "number" && Number.isInteger(value) && context?.source && !/^-?\d+$/.test(context.source) ? value + 0.5 : value);
}

class Contract {
  constructor(doc) {
    this.doc = doc;
    this.answered = new Set();
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const ID = "https://openapi.invalid/components.json";
    const rewrite = (v) => {
      if (Array.isArray(v)) return v.map(rewrite);
      if (v === null || typeof v !== "object") return v;
      return Object.fromEntries(Object.entries(v).map(([k, x]) =>
        [k, k === "$ref" && typeof x === "string" && x.startsWith("#/components/schemas/") ? `${ID}#/$defs/${x.slice(21)}` : rewrite(x)]));
    };
    this.rewrite = rewrite;
    this.ajv.addSchema({ $id: ID, $defs: rewrite(doc.components.schemas) });
    this.validators = new Map();
  }

  resolve(obj) {
    while (obj?.$ref) obj = obj.$ref.split("/").slice(1).reduce((o, k) => o[k.replace(/~1/g, "/").replace(/~0/g, "~")], this.doc);
    return obj;
  }

  validator(key, schema) {
    if (!this.validators.has(key)) this.validators.set(key, this.ajv.compile(this.rewrite(schema)));
    return this.validators.get(key);
  }

  /** Checks `res` (a harness answer) against the declared response of `method template`. */
  check(method, template, res, declared) {
    const where = `${method} ${template} → ${res.status}`;
    let response = declared;
    if (!response) {
      const op = this.doc.paths[template]?.[method.toLowerCase()];
      assert.ok(op, `${method} ${template} is not in the document`);
      const s = String(res.status);
      response = op.responses[s] ?? op.responses[`${s[0]}XX`] ?? op.responses.default;
      assert.ok(response, `${where}: the status is not documented (${res.text.slice(0, 300)})`);
    }
    response = this.resolve(response);
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (this.resolve(header).required) assert.ok(res.headers.has(name), `${where}: the declared header ${name} is missing`);
    }
    if (!response.content) {
      assert.equal(res.text, "", `${where}: a body where none is declared`);
    } else {
      const media = (res.headers.get("content-type") ?? "").split(";")[0].trim();
      const entry = response.content[media];
      assert.ok(entry, `${where}: content type ${media} is not one of ${Object.keys(response.content)}`);
      if (media.endsWith("json")) {
        const validate = this.validator(`${where} ${media}`, entry.schema);
        const body = parseStrict(res.text);
        assert.ok(validate(body), `${where}: the body does not match its schema: ${this.ajv.errorsText(validate.errors)}\n${res.text.slice(0, 1500)}`);
      } else {
        assert.equal(typeof res.text, "string");
      }
    }
    this.answered.add(`${method} ${template} ${res.status}`);
  }
}

let w;
let contract;

/** Calls `method template` with `params` filled in, checks the answer, returns it. */
async function call(method, template, { params = {}, query = "", ...opts } = {}) {
  const path = template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(params[name]));
  const res = await w.call(method, path + query, opts);
  contract.check(method, template, res);
  return res;
}
const mergePatch = { "content-type": "application/merge-patch+json" };

before(async () => {
  w = await startWorker({ vars: { ACTIVATION_URL_BASE: ACTIVATION_BASE }, queues: true });
  const res = await w.get("/openapi.json", { token: null });
  assert.equal(res.status, 200);
  contract = new Contract(res.body);
});
after(async () => { await w?.dispose(); });

describe("answers match the served OpenAPI document", () => {
  it("meta: health, the document, the console page", async () => {
    await call("GET", "/health", { token: null });
    await call("GET", "/openapi.json", { token: null });
    await call("GET", "/admin", { token: null });
  });

  it("customers: create, get, list, filter, patch with If-Match, restore, redact, interactions", async () => {
    const tag = `ans${Date.now()}`;
    const created = await call("POST", "/v1/customers", { json: { name: `Ada ${tag}`, email: uniqueEmail(tag), attributes: { plan: "pro", seats: 3 } } });
    assert.equal(created.status, 201);
    const id = created.body.id;
    await call("POST", "/v1/customers", { json: { email: uniqueEmail(tag) } });
    await call("POST", "/v1/customers", { json: { name: `Only name ${tag}` }, headers: { "idempotency-key": `k-${tag}` } });
    const got = await call("GET", "/v1/customers/{id}", { params: { id } });
    await call("GET", "/v1/customers", { query: `?q=${tag}&include_total=true&limit=2` });
    await call("GET", "/v1/customers", { query: `?group_id=all&status=all&sort=name` });
    await call("POST", "/v1/customers/filter", { json: { q: tag, include_total: true, conditions: [{ field: "attributes.plan", op: "eq", value: "pro" }] } });
    const patched = await call("PATCH", "/v1/customers/{id}", { params: { id }, json: { phone: "+44 20 7946 0000", attributes: { seats: null } },
      headers: { ...mergePatch, "if-match": got.headers.get("etag") } });
    assert.equal(patched.status, 200);
    await call("PATCH", "/v1/customers/{id}", { params: { id }, json: { notes: "plain json" } });
    await call("POST", "/v1/public/interactions", { token: null, json: { email: created.body.email, type: "form_submitted", resource_id: "form-1", details: { answer: 42 } },
      headers: { origin: "https://pages.example", "cf-connecting-ip": "192.0.2.77" } });
    await call("POST", "/v1/public/interactions", { token: null, json: { visitor_id: `visitor-${tag}`, type: "chat_started", resource_id: "chat-1" },
      headers: { "cf-connecting-ip": "192.0.2.78" } });
    const history = await call("GET", "/v1/customers/{id}/interactions", { params: { id }, query: "?limit=5" });
    assert.equal(history.body.data.length, 1);
    await call("DELETE", "/v1/customers/{id}", { params: { id } });
    await call("POST", "/v1/customers/{id}/restore", { params: { id } });
    await call("POST", "/v1/customers/{id}/redact", { params: { id } });
  });

  it("customers: sub-customers, permanent delete and its dry run, bulk delete, merge, the own company", async () => {
    const parent = await w.createCustomer({ name: "Parent Co" });
    const child = await call("POST", "/v1/customers", { json: { name: "Child Co", parent_id: parent.id, handle: `child-${Date.now()}` } });
    const got = await call("GET", "/v1/customers/{id}", { params: { id: parent.id } });
    assert.equal(got.body.children_count, 1);
    await call("DELETE", "/v1/customers/{id}", { params: { id: parent.id }, query: "?cascade=true" });
    await call("POST", "/v1/customers/{id}/restore", { params: { id: parent.id } });
    const dry = await call("DELETE", "/v1/customers/{id}", { params: { id: parent.id }, query: "?permanent=true&dry_run=true" });
    assert.equal(dry.body.deleted.customers, 2);
    await call("DELETE", "/v1/customers/{id}", { params: { id: parent.id }, query: "?permanent=true" });
    assert.equal((await w.get(`/v1/customers/${child.body.id}`)).status, 404);

    const a = await w.createCustomer();
    const b = await w.createCustomer();
    const bulk = await call("POST", "/v1/customers/bulk-delete", { json: { ids: [a.id, UNKNOWN_ID] } });
    assert.deepEqual(bulk.body.results.map((r) => r.status), ["deleted", "not_found"]);
    await call("POST", "/v1/customers/bulk-delete", { json: { ids: [a.id], dry_run: true } });
    const forced = await call("POST", "/v1/customers/bulk-delete", { json: { ids: [b.id], permanent: true, dry_run: true } });
    assert.equal(forced.body.counts.customers, 1);

    const target = await w.createCustomer({ name: "Target" });
    const source = await w.createCustomer({ name: "Source", email: uniqueEmail("source") });
    await call("POST", "/v1/customers/{id}/merge", { params: { id: target.id }, json: { source_ids: [source.id], dry_run: true } });
    await call("POST", "/v1/customers/{id}/merge", { params: { id: target.id }, json: { source_ids: [source.id] } });

    await call("GET", "/v1/own-company");
    await call("PUT", "/v1/own-company", { json: { customer_id: target.id } });
    await call("GET", "/v1/own-company");
    await call("DELETE", "/v1/customers/{id}", { params: { id: target.id } });
    await call("DELETE", "/v1/own-company");
  });

  it("import and export", async () => {
    const tag = `imp${Date.now()}`;
    const form = new FormData();
    form.append("file", new Blob([`name,email,plan\nMulti ${tag},${uniqueEmail(tag)},pro\n`], { type: "text/csv" }), "customers.csv");
    const req = new Request("http://x", { method: "POST", body: form });
    const multipart = { body: Buffer.from(await req.arrayBuffer()), headers: { "content-type": req.headers.get("content-type") } };
    const imported = await call("POST", "/v1/customers/import", multipart);
    assert.equal(imported.status, 200);
    await call("POST", "/v1/customers/import", { query: "?dry_run=true", body: `name\nRaw ${tag}\n`, headers: { "content-type": "text/csv" } });
    const email = uniqueEmail(tag);
    const failed = await call("POST", "/v1/customers/import", { body: `name,email\nA,${email}\nB,${email}\n`, headers: { "content-type": "text/csv" } });
    assert.equal(failed.status, 422);
    assert.equal(failed.body.error.code, "validation_failed");
    const empty = new FormData();
    empty.append("other", "x");
    const emptyReq = new Request("http://x", { method: "POST", body: empty });
    const noFile = await call("POST", "/v1/customers/import", {
      body: Buffer.from(await emptyReq.arrayBuffer()), headers: { "content-type": emptyReq.headers.get("content-type") } });
    assert.equal(noFile.status, 400);
    const csv = await call("GET", "/v1/customers/export", { query: `?q=${tag}` });
    assert.match(csv.text, new RegExp(`Multi ${tag}`));
    await call("POST", "/v1/customers/export", { json: { q: tag } });
  });

  it("contacts and activation links", async () => {
    const customer = await w.createCustomer({ name: "Org" });
    const params = { id: customer.id };
    const contact = await call("POST", "/v1/customers/{id}/contacts", { params, json: { email: uniqueEmail("contact"), first_name: "Grace" } });
    await call("GET", "/v1/customers/{id}/contacts", { params });
    const both = { id: customer.id, contact_id: contact.body.id };
    await call("PATCH", "/v1/customers/{id}/contacts/{contact_id}", { params: both, json: { last_name: "Hopper" }, headers: mergePatch });
    const link = await call("POST", "/v1/customers/{id}/contacts/{contact_id}/activation-link", { params: both });
    const token = link.body.url.slice(ACTIVATION_BASE.length);
    const headers = { origin: "https://pages.example", "cf-connecting-ip": "192.0.2.90" };
    await call("POST", "/v1/public/contacts/activate", { token: null, json: { token }, headers });
    const again = await call("POST", "/v1/public/contacts/activate", { token: null, json: { token }, headers });
    assert.equal(again.status, 410);
    await call("POST", "/v1/customers/{id}/contacts/{contact_id}/activation-link", { params: both });
    await call("DELETE", "/v1/customers/{id}/contacts/{contact_id}", { params: both });
  });

  it("the customer portal: sign-in, session, customers, contacts", async () => {
    const org = await w.createCustomer({ name: "Portal Org" });
    const email = uniqueEmail("portal");
    const contact = await w.createContact(org.id, { email, role: "manager" });
    const both = { id: org.id, contact_id: contact.id };
    const link = await call("POST", "/v1/customers/{id}/contacts/{contact_id}/activation-link", { params: both, json: { send: true } });
    const headers = { origin: "http://localhost", "cf-connecting-ip": "192.0.2.91" };
    const activated = await call("POST", "/v1/public/contacts/activate", { token: null, json: { token: link.body.url.slice(ACTIVATION_BASE.length) }, headers });
    const cookie = activated.headers.get("set-cookie").split(";")[0];
    const as = { token: null, headers: { ...headers, cookie } };
    await call("POST", "/v1/portal/sign-in", { token: null, json: { email }, headers });
    const mail = (await w.mailTo(email, 2)).at(-1);
    const token = mail.text.match(/#token=([A-Za-z0-9_-]{43})/)[1];
    await call("POST", "/v1/portal/session", { token: null, json: { token }, headers });
    await call("POST", "/v1/portal/session", { token: null, json: { token }, headers });
    await call("GET", "/v1/portal/me", as);
    const sub = await call("POST", "/v1/portal/customers", { ...as, json: { name: "Portal Sub", parent_id: org.id } });
    const params = { id: sub.body.id };
    await call("GET", "/v1/portal/customers", { ...as, query: `?under=${org.id}&limit=1` });
    await call("GET", "/v1/portal/customers/{id}", { ...as, params });
    await call("PATCH", "/v1/portal/customers/{id}", { ...as, params, json: { notes: "from the portal" }, headers: { ...as.headers, ...mergePatch } });
    await call("GET", "/v1/portal/customers/{id}/interactions", { ...as, params });
    const invited = await call("POST", "/v1/portal/customers/{id}/contacts", { ...as, params, json: { email: uniqueEmail("colleague") } });
    await call("GET", "/v1/portal/customers/{id}/contacts", { ...as, params });
    const theirs = { id: sub.body.id, contact_id: invited.body.id };
    await call("PATCH", "/v1/portal/customers/{id}/contacts/{contact_id}", { ...as, params: theirs, json: { role: "manager" } });
    await call("POST", "/v1/portal/customers/{id}/contacts/{contact_id}/activation-link", { ...as, params: theirs });
    await call("DELETE", "/v1/portal/customers/{id}/contacts/{contact_id}", { ...as, params: theirs });
    const deleted = await call("DELETE", "/v1/portal/customers/{id}", { ...as, params });
    assert.equal(deleted.status, 200, deleted.text);
    await call("GET", "/v1/portal/customers/{id}", { ...as, params });
    await call("DELETE", "/v1/portal/session", as);
    await call("GET", "/v1/portal/me", as);
  });

  it("groups and members", async () => {
    await call("GET", "/v1/groups");
    await call("GET", "/v1/groups/{id}", { params: { id: "all" } });
    const group = await call("POST", "/v1/groups", { json: { name: `VIP ${Date.now()}`, description: "big accounts" } });
    const params = { id: group.body.id };
    await call("GET", "/v1/groups/{id}", { params });
    await call("PATCH", "/v1/groups/{id}", { params, json: { description: null }, headers: mergePatch });
    const c = await w.createCustomer();
    await call("POST", "/v1/groups/{id}/members", { params, json: { customer_ids: [c.id] } });
    await call("POST", "/v1/customers", { json: { name: "In a group", group_ids: [group.body.id] } });
    await call("DELETE", "/v1/groups/{id}/members", { params, json: { customer_ids: [c.id] } });
    const builtin = await call("DELETE", "/v1/groups/{id}", { params: { id: "all" } });
    assert.equal(builtin.status, 409);
    await call("DELETE", "/v1/groups/{id}", { params });
  });

  it("events and webhooks", async () => {
    await w.createCustomer({ name: "Eventful" });
    const events = await call("GET", "/v1/events", { query: "?limit=5" });
    const stats = await call("GET", "/v1/stats/daily", { query: "?days=7" });
    assert.equal(stats.status, 200, stats.text);
    assert.ok(events.body.data.length > 0);
    const hook = await call("POST", "/v1/webhooks", { json: { url: "https://hooks.example.com/in", event_types: ["customer.created"] } });
    assert.equal(hook.status, 201, hook.text);
    const params = { id: hook.body.id };
    await call("GET", "/v1/webhooks");
    await call("GET", "/v1/webhooks/{id}", { params });
    await call("PATCH", "/v1/webhooks/{id}", { params, json: { enabled: false }, headers: mergePatch });
    await call("POST", "/v1/webhooks/{id}/rotate-secret", { params });
    await call("POST", "/v1/webhooks/{id}/test", { params });
    await call("GET", "/v1/webhooks/{id}/deliveries", { params });
    await call("PATCH", "/v1/webhooks/{id}", { params, json: { enabled: true }, headers: mergePatch });
    await call("POST", "/v1/webhooks/{id}/replay", { params, json: { since: new Date(Date.now() - 60000).toISOString() } });
    await call("DELETE", "/v1/webhooks/{id}", { params });
  });

  it("API keys, the audit log, the caller, admins", async () => {
    const key = await call("POST", "/v1/api-keys", { json: { name: "reader", permissions: ["customers:read"] } });
    await call("GET", "/v1/api-keys");
    await call("GET", "/v1/me", { token: key.body.secret });
    await call("GET", "/v1/me");
    const forbidden = await call("POST", "/v1/customers", { token: key.body.secret, json: { name: "nope" } });
    assert.equal(forbidden.status, 403);
    await call("DELETE", "/v1/api-keys/{id}", { params: { id: key.body.id } });
    await call("GET", "/v1/api-keys");
    const log = await call("GET", "/v1/audit-log", { query: "?limit=100" });
    assert.ok(log.body.data.length > 0);
    await call("GET", "/v1/audit-log", { query: "?action=customer.create&limit=1" });
    const admin = await call("POST", "/v1/admins", { json: { email: uniqueEmail("admin"), role: "viewer" } });
    await call("GET", "/v1/admins");
    await call("PATCH", "/v1/admins/{id}", { params: { id: admin.body.id }, json: { role: "editor", disabled: true } });
    await call("DELETE", "/v1/admins/{id}", { params: { id: admin.body.id } });
  });

  it("error answers", async () => {
    const c = await w.createCustomer();
    const codes = [];
    const expect = async (status, code, method, template, opts) => {
      const res = await call(method, template, opts);
      assert.equal(res.status, status, res.text);
      assert.equal(res.body.error.code, code, res.text);
      codes.push(code);
      return res;
    };
    const bad = await expect(400, "invalid_parameter", "GET", "/v1/customers", { query: "?limit=abc" });
    assert.equal(bad.body.error.parameter, "limit");
    await expect(400, "invalid_json", "POST", "/v1/customers", { body: "{", headers: { "content-type": "application/json" } });
    const header = await expect(400, "invalid_header", "PATCH", "/v1/customers/{id}", { params: { id: c.id }, json: { notes: "x" }, headers: { "if-match": "nope" } });
    assert.equal(header.body.error.header, "If-Match");
    await expect(401, "unauthorized", "GET", "/v1/customers", { token: "wrong" });
    await expect(404, "not_found", "GET", "/v1/customers/{id}", { params: { id: UNKNOWN_ID } });
    const exists = await expect(409, "customer_exists", "POST", "/v1/customers", { json: { email: c.email } });
    assert.equal(exists.body.error.existing_id, c.id);
    const stale = await expect(412, "version_mismatch", "PATCH", "/v1/customers/{id}", { params: { id: c.id }, json: { notes: "x" }, headers: { "if-match": '"999"' } });
    assert.equal(stale.body.error.current_version, c.version);
    await expect(413, "payload_too_large", "POST", "/v1/customers", { json: { name: "x", notes: "n".repeat(1024 * 1024 + 1) } });
    await expect(415, "unsupported_media_type", "POST", "/v1/customers", { body: "name=x", headers: { "content-type": "text/plain" } });
    const invalid = await expect(422, "validation_failed", "POST", "/v1/customers", { json: {} });
    assert.equal(invalid.body.error.fields[0].field, "name");
    await expect(422, "validation_failed", "POST", "/v1/customers", { json: { name: "x", id: "y", bogus: 1 } });
    await expect(422, "invalid_parent", "POST", "/v1/customers", { json: { name: "x", parent_id: UNKNOWN_ID } });
    const parent = await w.createCustomer({ name: "Parent" });
    await w.createCustomer({ name: "Child", parent_id: parent.id });
    await expect(409, "has_children", "DELETE", "/v1/customers/{id}", { params: { id: parent.id } });
    // The router's own answers are the shared responses.
    const notAllowed = await w.call("PUT", "/v1/customers");
    contract.check("PUT", "/v1/customers", notAllowed, contract.doc.components.responses.MethodNotAllowed);
    const unknown = await w.call("GET", "/v1/nothing-here");
    contract.check("GET", "/v1/nothing-here", unknown, contract.doc.components.responses.NotFound);
    for (const code of codes) assert.ok(contract.doc.components.schemas.ErrorCode.enum.includes(code));
  });

  it("answered every operation of the document with a success", () => {
    const missing = [];
    for (const [path, item] of Object.entries(contract.doc.paths)) {
      for (const m of METHODS) {
        if (!item[m]) continue;
        const ok = [...contract.answered].some((a) => a.startsWith(`${m.toUpperCase()} ${path} 2`));
        if (!ok) missing.push(`${m.toUpperCase()} ${path}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
