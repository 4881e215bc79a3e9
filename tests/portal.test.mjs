// The customer portal: email through the Email Service binding (captured), sessions for customer
// users (activation, emailed single-use sign-in links), and what a signed-in person may reach:
// their organisations' subtrees only (404 elsewhere, for every id a request names), read as a
// member, change as a manager (403 naming the role otherwise).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail, UNKNOWN_ID } from "./harness.mjs";

const ACTIVATION_BASE = "http://localhost/portal/activate#token=";
const OWN_ORIGIN = "http://localhost";

let w;
before(async () => {
  w = await startWorker({ vars: { ACTIVATION_URL_BASE: ACTIVATION_BASE } });
});
after(async () => { await w?.dispose(); });

let ip = 0;
/** A portal request: the session cookie, the portal's own origin, no admin token. */
function portal(method, path, { cookie, json, headers = {} } = {}) {
  ip += 1;
  const h = { origin: OWN_ORIGIN, "cf-connecting-ip": `198.51.100.${ip % 250}`, ...headers };
  if (cookie) h.cookie = cookie;
  return w.call(method, path, { json, token: null, headers: h });
}

function cookieOf(res) {
  const set = res.headers.get("set-cookie");
  assert.ok(set, `no Set-Cookie: ${res.status} ${res.text}`);
  return set.split(";")[0];
}

function tokenIn(text) {
  const m = text.match(/#token=([A-Za-z0-9_-]{43})/);
  assert.ok(m, `no token in ${text}`);
  return m[1];
}

/** A contact of `customerId` with `role`, activated through an emailed link: its session cookie. */
async function signedIn(customerId, { role = "member", email = uniqueEmail("person") } = {}) {
  const contact = await w.createContact(customerId, { email, role });
  const link = await w.post(`/v1/customers/${customerId}/contacts/${contact.id}/activation-link`, { send: true });
  assert.equal(link.status, 201, link.text);
  const res = await portal("POST", "/v1/public/contacts/activate", { json: { token: tokenIn(link.body.url) } });
  assert.equal(res.status, 200, res.text);
  return { cookie: cookieOf(res), contact, email };
}

/** An organisation with a sub-customer and a sub-sub-customer. */
async function organisation(tag) {
  const org = await w.createCustomer({ name: `${tag} Org`, email: uniqueEmail(tag) });
  const sub = await w.createCustomer({ name: `${tag} Sub`, parent_id: org.id });
  const subsub = await w.createCustomer({ name: `${tag} Subsub`, parent_id: sub.id });
  return { org, sub, subsub };
}

async function auditCount() {
  const rows = await w.db.prepare("SELECT count(*) AS n FROM audit_log").first();
  return rows.n;
}

async function snapshot(ids) {
  const customers = await w.db.prepare(`SELECT id, version, deleted_at, parent_id FROM customers WHERE id IN (${ids.map(() => "?").join(",")}) ORDER BY id`).bind(...ids).all();
  const contacts = await w.db.prepare(`SELECT id, role, status, email FROM contacts WHERE customer_id IN (${ids.map(() => "?").join(",")}) ORDER BY id`).bind(...ids).all();
  return JSON.stringify([customers.results, contacts.results]);
}

describe("email through the Email Service binding", () => {
  it("an activation link is emailed with {send: true}: recipient, subject, a link that works once; audited without its body", async () => {
    const org = await w.createCustomer({ name: "Mailed Org", email: uniqueEmail("mailed") });
    const email = uniqueEmail("invitee");
    const contact = await w.createContact(org.id, { email });
    const res = await w.post(`/v1/customers/${org.id}/contacts/${contact.id}/activation-link`, { send: true });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.sent, true);
    const [mail] = await w.mailTo(email);
    assert.ok(mail, "an email was sent");
    assert.equal(mail.from, "portal@example.com");
    assert.equal(mail.subject, "Activate your access for Mailed Org");
    assert.ok(mail.text.includes(res.body.url), mail.text);
    assert.ok(mail.html.includes("<a href="), mail.html);
    assert.ok(!/<img/i.test(mail.html), "no tracking pixel");
    const token = tokenIn(mail.text);
    const first = await portal("POST", "/v1/public/contacts/activate", { json: { token } });
    assert.equal(first.status, 200, first.text);
    assertError(assert, await portal("POST", "/v1/public/contacts/activate", { json: { token } }), 410, "link_expired");
    const sent = (await w.auditOf(contact.id)).find((e) => e.action === "contact.email_sent");
    assert.ok(sent, "the email is audited");
    assert.equal(sent.details.kind, "activation");
    assert.ok(!JSON.stringify(sent).includes(token) && !JSON.stringify(sent).includes(email), "no body, link or address in the audit");
  });

  it("without {send: true} nothing is emailed and sent is false", async () => {
    const org = await w.createCustomer({ name: "Quiet Org" });
    const email = uniqueEmail("quiet");
    const contact = await w.createContact(org.id, { email });
    const res = await w.post(`/v1/customers/${org.id}/contacts/${contact.id}/activation-link`, undefined);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.sent, false);
    assertError(assert, await w.post(`/v1/customers/${org.id}/contacts/${contact.id}/activation-link`, { send: "yes" }), 422, "validation_failed");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await w.mailTo(email, 0)).length, 0);
  });

  it("without the EMAIL binding or EMAIL_FROM nothing is sent: sent is false, the link still works", async () => {
    for (const options of [{ email: false }, { vars: { EMAIL_FROM: "" } }]) {
      const bare = await startWorker({ ...options, vars: { ACTIVATION_URL_BASE: ACTIVATION_BASE, ...(options.vars ?? {}) } });
      try {
        const org = await bare.createCustomer({ name: "No Mail Org" });
        const email = uniqueEmail("nomail");
        const contact = await bare.createContact(org.id, { email });
        const res = await bare.post(`/v1/customers/${org.id}/contacts/${contact.id}/activation-link`, { send: true });
        assert.equal(res.status, 201, res.text);
        assert.equal(res.body.sent, false, JSON.stringify(options));
        assert.equal(bare.mailLog.mail.length, 0);
        assert.equal((await bare.auditOf(contact.id)).filter((e) => e.action === "contact.email_sent").length, 0);
      } finally {
        await bare.dispose();
      }
    }
  });
});

describe("sessions", () => {
  it("activation signs in: an HttpOnly, Secure, SameSite=Lax cookie, stored hashed; /me names the organisations", async () => {
    const org = await w.createCustomer({ name: "Session Org" });
    const contact = await w.createContact(org.id, { email: uniqueEmail("sess"), role: "manager" });
    const link = await w.post(`/v1/customers/${org.id}/contacts/${contact.id}/activation-link`, {});
    const res = await portal("POST", "/v1/public/contacts/activate", { json: { token: tokenIn(link.body.url) } });
    assert.equal(res.status, 200, res.text);
    const set = res.headers.get("set-cookie");
    for (const part of ["portal_session=", "HttpOnly", "Secure", "SameSite=Lax", "Path=/"]) assert.ok(set.includes(part), set);
    const token = set.split(";")[0].split("=")[1];
    const stored = await w.db.prepare("SELECT token_hash FROM portal_sessions").all();
    assert.ok(stored.results.length > 0 && stored.results.every((r) => r.token_hash !== token && r.token_hash.length === 64), "only hashes are stored");
    const me = await portal("GET", "/v1/portal/me", { cookie: cookieOf(res) });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.email, contact.email);
    assert.deepEqual(me.body.organisations, [{ customer_id: org.id, name: "Session Org", role: "manager" }]);
    const admin = await w.get(`/v1/customers/${org.id}/contacts`);
    assert.ok(admin.body.data[0].last_signed_in_at, "the console sees the sign-in");
  });

  it("portal routes take the cookie only, admin routes never take it", async () => {
    const org = await w.createCustomer({ name: "Cookie Org" });
    const { cookie } = await signedIn(org.id);
    assertError(assert, await portal("GET", "/v1/portal/me"), 401, "unauthorized");
    assertError(assert, await w.get("/v1/portal/me"), 401, "unauthorized"); // the admin token
    assertError(assert, await portal("GET", "/v1/portal/me", { cookie: "portal_session=" + "a".repeat(43) }), 401, "unauthorized");
    assertError(assert, await w.call("GET", `/v1/customers/${org.id}`, { token: null, headers: { cookie } }), 401, "unauthorized");
  });

  it("a sign-in link: always 202, emailed to an active contact only, works once, a second revokes the first", async () => {
    const org = await w.createCustomer({ name: "Link Org" });
    const { email } = await signedIn(org.id);
    const unknown = uniqueEmail("nobody");
    const none = await portal("POST", "/v1/portal/sign-in", { json: { email: unknown } });
    assert.equal(none.status, 202);
    assert.deepEqual(none.body, {});
    const pendingEmail = uniqueEmail("pending");
    await w.createContact(org.id, { email: pendingEmail });
    assert.equal((await portal("POST", "/v1/portal/sign-in", { json: { email: pendingEmail } })).status, 202);

    const a = await portal("POST", "/v1/portal/sign-in", { json: { email: email.toUpperCase() } });
    assert.equal(a.status, 202);
    assert.deepEqual(a.body, {});
    const b = await portal("POST", "/v1/portal/sign-in", { json: { email } });
    assert.equal(b.status, 202);
    const mails = await w.mailTo(email, 3); // the activation, then two sign-in links
    const signIns = mails.filter((m) => m.subject === "Your sign-in link");
    assert.equal(signIns.length, 2);
    assert.ok(signIns[0].text.includes("http://localhost/portal#token="), signIns[0].text);
    const [first, second] = signIns.map((m) => tokenIn(m.text));
    assertError(assert, await portal("POST", "/v1/portal/session", { json: { token: first } }), 410, "link_expired");
    const ok = await portal("POST", "/v1/portal/session", { json: { token: second } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.organisations[0].customer_id, org.id);
    assert.equal((await portal("GET", "/v1/portal/me", { cookie: cookieOf(ok) })).status, 200);
    assertError(assert, await portal("POST", "/v1/portal/session", { json: { token: second } }), 410, "link_expired");
    assertError(assert, await portal("POST", "/v1/portal/session", { json: { token: "b".repeat(43) } }), 404, "not_found");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await w.mailTo(unknown, 0)).length + (await w.mailTo(pendingEmail, 0)).length, 0, "nobody else got mail");
  });

  it("a sign-in link expires after 15 minutes", async () => {
    const org = await w.createCustomer({ name: "Expiry Org" });
    const { email } = await signedIn(org.id);
    const at = (minutes) => ({ "x-test-now": new Date(Date.parse("2030-01-01T12:00:00.000Z") + minutes * 60000).toISOString() });
    assert.equal((await portal("POST", "/v1/portal/sign-in", { json: { email }, headers: at(0) })).status, 202);
    const late = tokenIn((await w.mailTo(email, 2)).at(-1).text);
    assertError(assert, await portal("POST", "/v1/portal/session", { json: { token: late }, headers: at(15) }), 410, "link_expired");
    assert.equal((await portal("POST", "/v1/portal/sign-in", { json: { email }, headers: at(0) })).status, 202);
    const timely = tokenIn((await w.mailTo(email, 3)).at(-1).text);
    assert.equal((await portal("POST", "/v1/portal/session", { json: { token: timely }, headers: at(14.9) })).status, 200);
  });

  it("20 simultaneous uses of one link make exactly one session", async () => {
    const org = await w.createCustomer({ name: "Race Org" });
    const { email } = await signedIn(org.id);
    await portal("POST", "/v1/portal/sign-in", { json: { email } });
    const token = tokenIn((await w.mailTo(email, 2)).at(-1).text);
    const before = (await w.db.prepare("SELECT count(*) AS n FROM portal_sessions").first()).n;
    const answers = await Promise.all(Array.from({ length: 20 }, () => portal("POST", "/v1/portal/session", { json: { token } })));
    assert.equal(answers.filter((r) => r.status === 200).length, 1, answers.map((r) => r.status).join());
    assert.ok(answers.every((r) => r.status === 200 || r.status === 410), answers.map((r) => r.status).join());
    assert.equal((await w.db.prepare("SELECT count(*) AS n FROM portal_sessions").first()).n, before + 1);
  });

  it("a disabled or removed contact, or a soft-deleted customer, ends the session at once", async () => {
    for (const end of ["disable", "remove", "delete customer"]) {
      const org = await w.createCustomer({ name: `Ending Org ${end}` });
      const { cookie, contact } = await signedIn(org.id);
      assert.equal((await portal("GET", "/v1/portal/me", { cookie })).status, 200);
      if (end === "disable") assert.equal((await w.patch(`/v1/customers/${org.id}/contacts/${contact.id}`, { status: "disabled" })).status, 200);
      if (end === "remove") assert.equal((await w.delete(`/v1/customers/${org.id}/contacts/${contact.id}`)).status, 204);
      if (end === "delete customer") assert.equal((await w.delete(`/v1/customers/${org.id}`)).status, 200);
      assertError(assert, await portal("GET", "/v1/portal/me", { cookie }), 401, "unauthorized");
      assertError(assert, await portal("GET", `/v1/portal/customers/${org.id}`, { cookie }), 401, "unauthorized");
    }
  });

  it("signing out ends the session", async () => {
    const org = await w.createCustomer({ name: "Bye Org" });
    const { cookie } = await signedIn(org.id);
    const out = await portal("DELETE", "/v1/portal/session", { cookie });
    assert.equal(out.status, 204);
    assert.ok(out.headers.get("set-cookie").includes("Max-Age=0"));
    assertError(assert, await portal("GET", "/v1/portal/me", { cookie }), 401, "unauthorized");
  });

  it("a change from another origin is refused (CSRF)", async () => {
    const { org, sub } = await organisation("csrf");
    const { cookie } = await signedIn(org.id, { role: "manager" });
    for (const headers of [{ origin: "https://evil.example" }, { origin: "null" }, { origin: undefined, "sec-fetch-site": "cross-site" }]) {
      const h = { ...headers };
      if (h.origin === undefined) delete h.origin;
      const res = await w.call("PATCH", `/v1/portal/customers/${sub.id}`, { token: null, json: { notes: "csrf" }, headers: { cookie, ...h } });
      assertError(assert, res, 403, "forbidden");
      assertError(assert, await w.call("POST", "/v1/portal/sign-in", { token: null, json: { email: "a@example.com" }, headers: h }), 403, "forbidden");
    }
    assert.equal((await w.get(`/v1/customers/${sub.id}`)).body.notes, null);
    // A read is not a change: allowed from anywhere the cookie goes (SameSite=Lax keeps it home).
    assert.equal((await w.call("GET", "/v1/portal/me", { token: null, headers: { cookie, origin: "https://evil.example" } })).status, 200);
  });

  it("sign-in is rate-limited per client address and per email", async () => {
    const small = await startWorker({ portalRateLimit: 3 });
    try {
      const send = (email, addr) => small.call("POST", "/v1/portal/sign-in", { token: null, json: { email }, headers: { "cf-connecting-ip": addr } });
      const perAddress = [];
      for (let i = 0; i < 4; i++) perAddress.push((await send(uniqueEmail("rl"), "203.0.113.1")).status);
      assert.deepEqual(perAddress, [202, 202, 202, 429]);
      const email = uniqueEmail("rl-one");
      const perEmail = [];
      for (let i = 0; i < 4; i++) perEmail.push((await send(email, `203.0.113.${10 + i}`)).status);
      assert.deepEqual(perEmail, [202, 202, 202, 429]);
      const limited = await send(email, "203.0.113.99");
      assertError(assert, limited, 429, "rate_limited");
      assert.ok(limited.headers.get("retry-after"));
    } finally {
      await small.dispose();
    }
  });
});

describe("scoped access", () => {
  let A, B, manager, member;
  before(async () => {
    A = await organisation("alpha");
    B = await organisation("bravo");
    manager = await signedIn(A.org.id, { role: "manager" });
    member = await signedIn(A.org.id, { role: "member" });
    B.contact = await w.createContact(B.sub.id, { email: uniqueEmail("bravo-user") });
    await w.post("/v1/public/interactions", { email: B.org.email, type: "form_submitted", resource_id: "f-1" }, { token: null, headers: { "cf-connecting-ip": "192.0.2.200" } });
  });

  it("a member reads the organisation, its sub-customers, their interactions and contacts", async () => {
    const { cookie } = member;
    const list = await portal("GET", `/v1/portal/customers?under=${A.org.id}`, { cookie });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.data.map((c) => c.name), ["alpha Org", "alpha Sub", "alpha Subsub"]);
    const sub = await portal("GET", `/v1/portal/customers/${A.subsub.id}`, { cookie });
    assert.equal(sub.status, 200);
    assert.equal(sub.body.id, A.subsub.id);
    assert.equal((await portal("GET", `/v1/portal/customers/${A.sub.id}/interactions`, { cookie })).status, 200);
    const contacts = await portal("GET", `/v1/portal/customers/${A.org.id}/contacts`, { cookie });
    assert.equal(contacts.status, 200);
    assert.equal(contacts.body.data.length, 2);
    assert.ok(contacts.body.data.every((c) => ["member", "manager"].includes(c.role)));
  });

  it("the list searches and pages; a cursor of another organisation's list is 404", async () => {
    const { cookie } = manager;
    const q = await portal("GET", `/v1/portal/customers?under=${A.org.id}&q=SUBSUB`, { cookie });
    assert.deepEqual(q.body.data.map((c) => c.id), [A.subsub.id]);
    const one = await portal("GET", `/v1/portal/customers?under=${A.org.id}&limit=1`, { cookie });
    assert.equal(one.body.has_more, true);
    const two = await portal("GET", `/v1/portal/customers?under=${A.org.id}&limit=1&cursor=${one.body.next_cursor}`, { cookie });
    assert.deepEqual(two.body.data.map((c) => c.name), ["alpha Sub"]);
    assertError(assert, await portal("GET", `/v1/portal/customers?under=${A.org.id}&sort=-created_at`, { cookie }), 400, "invalid_parameter");
  });

  it("every route with ids of another organisation is 404 and writes nothing", async () => {
    const bravoManager = await signedIn(B.org.id, { role: "manager" });
    const bravoPage = await portal("GET", `/v1/portal/customers?under=${B.org.id}&limit=1`, { cookie: bravoManager.cookie });
    const bravoCursor = bravoPage.body.next_cursor;
    assert.ok(bravoCursor);
    const ids = [B.org.id, B.sub.id, B.subsub.id, UNKNOWN_ID];
    const before = await snapshot([B.org.id, B.sub.id, B.subsub.id]);
    const audits = await auditCount();
    const mails = w.mailLog.mail.length;
    const { cookie } = manager;
    const attempts = [];
    for (const id of ids) {
      attempts.push(
        ["GET", `/v1/portal/customers?under=${id}`],
        ["GET", `/v1/portal/customers/${id}`],
        ["GET", `/v1/portal/customers/${id}/interactions`],
        ["GET", `/v1/portal/customers/${id}/contacts`],
        ["PATCH", `/v1/portal/customers/${id}`, { notes: "taken over" }],
        ["DELETE", `/v1/portal/customers/${id}`],
        ["DELETE", `/v1/portal/customers/${id}?cascade=true`],
        ["POST", "/v1/portal/customers", { name: "Intruder", parent_id: id }],
        ["POST", `/v1/portal/customers/${id}/contacts`, { email: uniqueEmail("intruder") }],
        ["PATCH", `/v1/portal/customers/${id}/contacts/${B.contact.id}`, { role: "manager" }],
        ["DELETE", `/v1/portal/customers/${id}/contacts/${B.contact.id}`],
        ["POST", `/v1/portal/customers/${id}/contacts/${B.contact.id}/activation-link`],
        // Moving one of A's own customers under B.
        ["PATCH", `/v1/portal/customers/${A.subsub.id}`, { parent_id: id }],
      );
    }
    // B's contact reached through A's customer: not A's contact.
    attempts.push(["PATCH", `/v1/portal/customers/${A.sub.id}/contacts/${B.contact.id}`, { role: "manager" }]);
    attempts.push(["DELETE", `/v1/portal/customers/${A.sub.id}/contacts/${B.contact.id}`]);
    attempts.push(["POST", `/v1/portal/customers/${A.sub.id}/contacts/${B.contact.id}/activation-link`]);
    // B's cursor on A's list.
    attempts.push(["GET", `/v1/portal/customers?under=${A.org.id}&limit=1&cursor=${bravoCursor}`]);
    for (const [method, path, json] of attempts) {
      const res = await portal(method, path, { cookie, json });
      assertError(assert, res, 404, "not_found");
      assert.ok(!res.text.includes(B.org.id) && !res.text.includes("bravo"), `${method} ${path} tells nothing: ${res.text}`);
    }
    assert.equal(await snapshot([B.org.id, B.sub.id, B.subsub.id]), before, "B is unchanged");
    assert.equal(await auditCount(), audits, "nothing was written");
    assert.equal(w.mailLog.mail.length, mails, "nothing was sent");
    assert.equal((await w.get(`/v1/customers/${A.subsub.id}`)).body.parent_id, A.sub.id);
  });

  it("a member trying any manager action gets 403 naming the role, and nothing is written", async () => {
    const { cookie } = member;
    const other = await w.createContact(A.sub.id, { email: uniqueEmail("colleague") });
    const audits = await auditCount();
    const attempts = [
      ["POST", "/v1/portal/customers", { name: "New", parent_id: A.org.id }],
      ["PATCH", `/v1/portal/customers/${A.sub.id}`, { notes: "member edit" }],
      ["DELETE", `/v1/portal/customers/${A.subsub.id}`],
      ["POST", `/v1/portal/customers/${A.sub.id}/contacts`, { email: uniqueEmail("m") }],
      ["PATCH", `/v1/portal/customers/${A.sub.id}/contacts/${other.id}`, { role: "manager" }],
      ["DELETE", `/v1/portal/customers/${A.sub.id}/contacts/${other.id}`],
      ["POST", `/v1/portal/customers/${A.sub.id}/contacts/${other.id}/activation-link`],
    ];
    for (const [method, path, json] of attempts) {
      const res = await portal(method, path, { cookie, json });
      assertError(assert, res, 403, "forbidden");
      assert.match(res.body.error.message, /`manager` role/, `${method} ${path}`);
      assert.match(res.body.error.message, /`member`/);
    }
    assert.equal(await auditCount(), audits);
  });

  it("a manager creates, edits and soft-deletes sub-customers by the admin rules, audited as the contact", async () => {
    const { cookie, contact } = manager;
    const created = await portal("POST", "/v1/portal/customers", { cookie, json: { name: "alpha New", email: uniqueEmail("new"), parent_id: A.sub.id, attributes: { tier: "gold" } } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.parent_id, A.sub.id);
    assert.equal(created.headers.get("location"), `/v1/portal/customers/${created.body.id}`);
    const audit = await w.auditOf(created.body.id);
    assert.equal(audit[0].actor, `contact:${contact.id}`);
    const events = await w.eventsOf(created.body.id);
    assert.deepEqual(events.map((e) => e.type), ["customer.created"]);
    // The admin rules: depth, email uniqueness, control characters, fields the portal may not give.
    const deep = await portal("POST", "/v1/portal/customers", { cookie, json: { name: "x", parent_id: A.subsub.id } });
    assert.equal(deep.status, 201, deep.text);
    const deeper = await portal("POST", "/v1/portal/customers", { cookie, json: { name: "y", parent_id: deep.body.id } });
    assert.equal(deeper.status, 201, deeper.text);
    assertError(assert, await portal("POST", "/v1/portal/customers", { cookie, json: { name: "z", parent_id: deeper.body.id } }), 422, "invalid_parent");
    assertError(assert, await portal("POST", "/v1/portal/customers", { cookie, json: { name: "dup", email: A.org.email, parent_id: A.org.id } }), 409, "customer_exists");
    assertError(assert, await portal("POST", "/v1/portal/customers", { cookie, json: { name: "bad\u0000name", parent_id: A.org.id } }), 422, "validation_failed");
    assertError(assert, await portal("POST", "/v1/portal/customers", { cookie, json: { name: "grp", parent_id: A.org.id, group_ids: [] } }), 422, "validation_failed");
    assertError(assert, await portal("POST", "/v1/portal/customers", { cookie, json: { name: "orphan" } }), 422, "invalid_parent");
    const patched = await portal("PATCH", `/v1/portal/customers/${created.body.id}`, { cookie, json: { notes: "edited", attributes: { tier: null } } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.notes, "edited");
    assertError(assert, await portal("PATCH", `/v1/portal/customers/${A.org.id}`, { cookie, json: { parent_id: A.sub.id } }), 422, "invalid_parent");
    assertError(assert, await portal("PATCH", `/v1/portal/customers/${created.body.id}`, { cookie, json: { parent_id: null } }), 422, "invalid_parent");
    const moved = await portal("PATCH", `/v1/portal/customers/${created.body.id}`, { cookie, json: { parent_id: A.org.id } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.parent_id, A.org.id);
    const deleted = await portal("DELETE", `/v1/portal/customers/${created.body.id}`, { cookie });
    assert.equal(deleted.status, 200, deleted.text);
    assert.ok(deleted.body.deleted_at);
    assertError(assert, await portal("GET", `/v1/portal/customers/${created.body.id}`, { cookie }), 404, "not_found");
    assertError(assert, await portal("DELETE", `/v1/portal/customers/${A.org.id}`, { cookie }), 409, "customer_protected");
    assertError(assert, await portal("DELETE", `/v1/portal/customers/${A.sub.id}?permanent=true`, { cookie }), 400, "invalid_parameter");
  });

  it("a manager invites, changes and removes users; the invitee is emailed; never their own contact", async () => {
    const { cookie, contact } = manager;
    const email = uniqueEmail("invited");
    const invited = await portal("POST", `/v1/portal/customers/${A.sub.id}/contacts`, { cookie, json: { email, first_name: "Ivy" } });
    assert.equal(invited.status, 201, invited.text);
    assert.equal(invited.body.activation.sent, true);
    assert.equal(invited.body.role, "member");
    const [mail] = await w.mailTo(email);
    assert.equal(mail.subject, "Activate your access for alpha Sub");
    const role = await portal("PATCH", `/v1/portal/customers/${A.sub.id}/contacts/${invited.body.id}`, { cookie, json: { role: "manager" } });
    assert.equal(role.status, 200, role.text);
    assert.equal(role.body.role, "manager");
    const resent = await portal("POST", `/v1/portal/customers/${A.sub.id}/contacts/${invited.body.id}/activation-link`, { cookie });
    assert.equal(resent.status, 201, resent.text);
    assert.deepEqual(Object.keys(resent.body).sort(), ["expires_at", "sent"]);
    assert.equal((await w.mailTo(email, 2)).length, 2);
    const audit = await w.auditOf(invited.body.id);
    assert.ok(audit.every((e) => e.actor === `contact:${contact.id}`), JSON.stringify(audit.map((e) => e.actor)));
    assertError(assert, await portal("PATCH", `/v1/portal/customers/${A.org.id}/contacts/${contact.id}`, { cookie, json: { role: "member" } }), 409, "own_contact");
    assertError(assert, await portal("DELETE", `/v1/portal/customers/${A.org.id}/contacts/${contact.id}`, { cookie }), 409, "own_contact");
    assert.equal((await portal("DELETE", `/v1/portal/customers/${A.sub.id}/contacts/${invited.body.id}`, { cookie })).status, 204);
  });

  it("shows no admin groups, and nothing above the organisation", async () => {
    const holding = await w.createCustomer({ name: "Admins' holding" });
    const group = await w.createGroup();
    const org = await w.createCustomer({ name: "Held Org", parent_id: holding.id, group_ids: [group.id] });
    const { cookie } = await signedIn(org.id, { role: "manager" });
    const got = await portal("GET", `/v1/portal/customers/${org.id}`, { cookie });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.headers.get("x-portal-role"), "manager");
    assert.equal(got.body.parent_id, null);
    assert.deepEqual(got.body.group_ids, []);
    const list = await portal("GET", `/v1/portal/customers?under=${org.id}`, { cookie });
    assert.equal(list.body.data[0].parent_id, null);
    const patched = await portal("PATCH", `/v1/portal/customers/${org.id}`, { cookie, json: { notes: "ours" } });
    assert.equal(patched.status, 200, patched.text);
    assert.ok(patched.headers.get("etag"));
    assert.equal(patched.body.parent_id, null);
    assert.ok(!got.text.includes(holding.id) && !list.text.includes(holding.id) && !patched.text.includes(holding.id));
    assertError(assert, await portal("GET", `/v1/portal/customers/${holding.id}`, { cookie }), 404, "not_found");
  });

  it("a person who is a contact of two organisations acts for both", async () => {
    const email = uniqueEmail("both");
    const first = await signedIn(A.org.id, { email });
    await signedIn(B.subsub.id, { email, role: "manager" });
    const me = await portal("GET", "/v1/portal/me", { cookie: first.cookie });
    assert.deepEqual(me.body.organisations.map((o) => [o.customer_id, o.role]).sort(), [[A.org.id, "member"], [B.subsub.id, "manager"]].sort());
    assert.equal((await portal("GET", `/v1/portal/customers/${B.subsub.id}`, { cookie: first.cookie })).status, 200);
    assertError(assert, await portal("GET", `/v1/portal/customers/${B.sub.id}`, { cookie: first.cookie }), 404, "not_found");
  });
});
