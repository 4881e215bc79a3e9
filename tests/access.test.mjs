// Admins signed in through Cloudflare Access: the worker verifies the Access JWT (RS256, keys
// from the team's certs URL, served here by Miniflare's outbound hook), maps the email to an admin
// and their role, and names them in the audit log. Bearer credentials keep working beside it.
import assert from "node:assert/strict";
import { createHmac, createSign, generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN, assertError, startWorker, uniqueEmail } from "./harness.mjs";

const TEAM = "https://team.example";
const AUD = "test-app-aud";
const OWNER = "owner@example.com";
const b64 = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

function keyPair(kid) {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, publicKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}
const first = keyPair("k-first");
const rotated = keyPair("k-rotated");
const stranger = keyPair("k-first"); // same kid, key the team never published
let published = [first];
let certFetches = 0;

function sign(key, claims = {}, header = {}) {
  const now = Math.floor(Date.now() / 1000);
  const h = b64({ alg: "RS256", kid: key.kid, typ: "JWT", ...header });
  const p = b64({ iss: TEAM, aud: [AUD], exp: now + 300, nbf: now - 5, iat: now, email: OWNER, sub: "x", ...claims });
  const signer = createSign("RSA-SHA256");
  signer.update(`${h}.${p}`);
  return `${h}.${p}.${signer.sign(key.privateKey).toString("base64url")}`;
}

// Machines behind Access sign in with a service token: Access's JWT then names the token's client
// id in `common_name` and carries no email. ACCESS_SERVICE_TOKENS maps client ids to API keys.
const READER_CLIENT = "0a1b2c3d4e5f.access";
const REVOKED_CLIENT = "9f8e7d6c5b4a.access";
const READER_KEY = "01936f8e-0000-7000-8000-00000000a001";
const REVOKED_KEY = "01936f8e-0000-7000-8000-00000000a002";
const serviceToken = (clientId) => sign(first, { email: undefined, common_name: clientId, sub: "" });

let w;
before(async () => {
  w = await startWorker({
    vars: {
      ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: AUD, ADMIN_OWNERS: `${OWNER}, second-owner@example.com`, ACCESS_CERTS_REFETCH_SECS: "0",
      ACCESS_SERVICE_TOKENS: `${READER_CLIENT}=${READER_KEY}, ${REVOKED_CLIENT}=${REVOKED_KEY}`,
    },
    outbound: (req) => {
      if (new URL(req.url).href === `${TEAM}/cdn-cgi/access/certs`) {
        certFetches += 1;
        return new Response(JSON.stringify({ keys: published.map((k) => k.jwk) }), { headers: { "content-type": "application/json" } });
      }
      return new Response("no such host here", { status: 502 });
    },
  });
});
after(async () => { await w?.dispose(); });

// A request as a person behind Access: the assertion header, no bearer token.
const as = (email, opts = {}) => ({ token: null, headers: { "cf-access-jwt-assertion": sign(first, { email }), ...opts } });

async function addAdmin(email, role) {
  const res = await w.post("/v1/admins", { email, role });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

describe("Access sign-in", () => {
  it("lets an owner from ADMIN_OWNERS in on first sign-in and names them", async () => {
    const me = await w.get("/v1/me", as(OWNER));
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.actor, `admin:${OWNER}`);
    assert.equal(me.body.who.role, "owner");
    assert.ok(me.body.permissions.includes("admins:manage"));
  });

  it("reads the CF_Authorization cookie the console's browser sends", async () => {
    const res = await w.get("/v1/me", { token: null, headers: { cookie: `theme=dark; CF_Authorization=${sign(first)}` } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.who.email, OWNER);
  });

  const refused = {
    "an expired token": () => sign(first, { exp: Math.floor(Date.now() / 1000) - 120 }),
    "a token not valid yet": () => sign(first, { nbf: Math.floor(Date.now() / 1000) + 600 }),
    "another application's audience": () => sign(first, { aud: ["other-app"] }),
    "another issuer": () => sign(first, { iss: "https://evil.example" }),
    "a bad signature": () => sign(stranger),
    "alg none": () => `${b64({ alg: "none", kid: first.kid })}.${b64({ iss: TEAM, aud: [AUD], exp: 2e9, email: OWNER })}.`,
    "HS256 signed with the public key": () => {
      const h = b64({ alg: "HS256", kid: first.kid });
      const p = b64({ iss: TEAM, aud: [AUD], exp: Math.floor(Date.now() / 1000) + 300, email: OWNER });
      const mac = createHmac("sha256", first.publicKey.export({ format: "pem", type: "spki" })).update(`${h}.${p}`).digest("base64url");
      return `${h}.${p}.${mac}`;
    },
    "an unknown key id": () => sign({ ...stranger, kid: "k-nobody" }),
    "garbage": () => "not.a.jwt",
  };
  for (const [what, token] of Object.entries(refused)) {
    it(`answers 401 to ${what}`, async () => {
      const res = await w.get("/v1/me", { token: null, headers: { "cf-access-jwt-assertion": token() } });
      assertError(assert, res, 401, "unauthorized");
    });
  }

  it("accepts a key that appears after a rotation, fetching the certs again", async () => {
    const before = certFetches;
    published = [first, rotated];
    const res = await w.get("/v1/me", { token: null, headers: { "cf-access-jwt-assertion": sign(rotated) } });
    assert.equal(res.status, 200, res.text);
    assert.ok(certFetches > before, "the certs were fetched again for the new key id");
    published = [first];
  });

  it("answers 403 not_an_admin to a verified stranger and to a disabled admin", async () => {
    assertError(assert, await w.get("/v1/me", as("stranger@example.com")), 403, "not_an_admin");
    const a = await addAdmin(uniqueEmail("disabled"), "editor");
    assert.equal((await w.get("/v1/customers", as(a.email))).status, 200);
    assert.equal((await w.patch(`/v1/admins/${a.id}`, { disabled: true })).status, 200);
    assertError(assert, await w.get("/v1/customers", as(a.email)), 403, "not_an_admin");
  });

  it("keeps bearer tokens and API keys working beside Access", async () => {
    assert.equal((await w.get("/v1/me")).body.actor, "admin-token");
    const key = await w.createKey(["customers:read"]);
    const me = await w.get("/v1/me", { token: key.secret });
    assert.equal(me.body.actor, `key:${key.id}`);
    assert.deepEqual(me.body.permissions, ["customers:read"]);
  });
});

describe("roles", () => {
  // One request per permission, each needing exactly that permission.
  const PROBES = {
    "customers:read": () => w.get("/v1/customers", CURRENT),
    "customers:create": () => w.post("/v1/customers", { name: "Role probe" }, CURRENT),
    "customers:update": async () => w.patch(`/v1/customers/${(await w.createCustomer()).id}`, { notes: "n" }, CURRENT),
    "customers:delete": async () => w.delete(`/v1/customers/${(await w.createCustomer()).id}`, CURRENT),
    "customers:force_delete": async () => w.delete(`/v1/customers/${(await w.createCustomer()).id}?permanent=true`, CURRENT),
    "customers:import": () => w.call("POST", "/v1/customers/import?dry_run=true",
      { ...CURRENT, body: "name\nRole Probe\n", headers: { ...CURRENT.headers, "content-type": "text/csv" } }),
    "customers:export": () => w.get("/v1/customers/export", CURRENT),
    "groups:manage": () => w.post("/v1/groups", { name: `role group ${Math.random()}` }, CURRENT),
    "keys:manage": () => w.get("/v1/api-keys", CURRENT),
    "audit:read": () => w.get("/v1/audit-log", CURRENT),
    "admins:manage": () => w.get("/v1/admins", CURRENT),
    "events:read": () => w.get("/v1/events", CURRENT),
    "webhooks:manage": () => w.get("/v1/webhooks", CURRENT),
  };
  const ROLES = {
    owner: Object.keys(PROBES),
    admin: Object.keys(PROBES).filter((p) => p !== "admins:manage"),
    editor: ["customers:read", "customers:create", "customers:update", "customers:delete", "customers:import", "customers:export", "groups:manage"],
    viewer: ["customers:read", "customers:export"],
    auditor: ["customers:read", "audit:read", "events:read"],
  };
  let CURRENT;
  for (const [role, allowed] of Object.entries(ROLES)) {
    it(`gives a ${role} exactly the role's permissions on every route`, async () => {
      const a = await addAdmin(uniqueEmail(role), role);
      CURRENT = as(a.email);
      const me = await w.get("/v1/me", CURRENT);
      assert.deepEqual([...me.body.permissions].sort(), [...allowed].sort());
      for (const [permission, probe] of Object.entries(PROBES)) {
        const res = await probe();
        if (allowed.includes(permission)) {
          assert.ok(res.status < 400, `${role} may ${permission}: ${res.status} ${res.text.slice(0, 200)}`);
        } else {
          assertError(assert, res, 403, "forbidden");
          assert.match(res.body.error.message, new RegExp(permission));
        }
      }
    });
  }

  it("names the admin in the audit log, filterable by actor", async () => {
    const a = await addAdmin(uniqueEmail("auditme"), "editor");
    const c = await w.post("/v1/customers", { name: "Audited by a person" }, as(a.email));
    assert.equal(c.status, 201, c.text);
    const log = await w.get(`/v1/audit-log?actor=${encodeURIComponent(`admin:${a.email}`)}`);
    assert.equal(log.status, 200, log.text);
    assert.deepEqual(log.body.data.map((e) => [e.action, e.target_id]), [["customer.create", c.body.id]]);
  });
});

describe("admins", () => {
  it("protects the last enabled owner from demotion, disabling and removal", async () => {
    const owners = (await w.get("/v1/admins")).body.data.filter((a) => a.role === "owner" && !a.disabled);
    // The role tests made owners too: leave exactly one.
    for (const extra of owners.slice(1)) assert.equal((await w.patch(`/v1/admins/${extra.id}`, { role: "admin" })).status, 200);
    const [owner] = owners;
    assertError(assert, await w.patch(`/v1/admins/${owner.id}`, { role: "admin" }), 409, "last_owner");
    assertError(assert, await w.patch(`/v1/admins/${owner.id}`, { disabled: true }), 409, "last_owner");
    assertError(assert, await w.delete(`/v1/admins/${owner.id}`), 409, "last_owner");
    const second = await addAdmin(uniqueEmail("owner2"), "owner");
    assert.equal((await w.patch(`/v1/admins/${owner.id}`, { role: "admin" })).status, 200);
    assertError(assert, await w.delete(`/v1/admins/${second.id}`), 409, "last_owner");
    assert.equal((await w.patch(`/v1/admins/${owner.id}`, { role: "owner" })).status, 200);
  });

  it("refuses a second admin with the same email and bad bodies", async () => {
    const email = uniqueEmail("dup");
    await addAdmin(email, "viewer");
    assertError(assert, await w.post("/v1/admins", { email: email.toUpperCase(), role: "viewer" }), 409, "admin_exists");
    assertError(assert, await w.post("/v1/admins", { email: "nope", role: "boss" }), 422, "validation_failed");
    assertError(assert, await w.patch(`/v1/admins/${(await addAdmin(uniqueEmail(), "viewer")).id}`, { email: "x@y.io" }), 422, "validation_failed");
  });

  it("is for admins:manage only", async () => {
    const key = await w.createKey(["keys:manage"]);
    assertError(assert, await w.get("/v1/admins", { token: key.secret }), 403, "forbidden");
  });

  it("works without Access configured: bearer only, and Access headers are ignored", async () => {
    const plain = await startWorker();
    try {
      assertError(assert, await plain.get("/v1/me", { token: null, headers: { "cf-access-jwt-assertion": sign(first) } }), 401, "unauthorized");
      assert.equal((await plain.get("/v1/me", { token: ADMIN_TOKEN })).status, 200);
    } finally {
      await plain.dispose();
    }
  });
});

describe("admins who leave", () => {
  it("does not bring back a removed owner that ADMIN_OWNERS still names, and the audit log says who removed them", async () => {
    const email = "second-owner@example.com";
    // The tests above may have demoted the first owner while keeping exactly one.
    const first = (await w.get("/v1/me", as(OWNER))).body.who;
    assert.equal((await w.patch(`/v1/admins/${first.id}`, { role: "owner" })).status, 200);
    const me = await w.get("/v1/me", as(email));
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.who.role, "owner");
    const id = me.body.who.id;
    assert.equal((await w.delete(`/v1/admins/${id}`, as(OWNER))).status, 204);
    for (let i = 0; i < 2; i++) assertError(assert, await w.get("/v1/me", as(email)), 403, "not_an_admin");
    assert.ok(!(await w.get("/v1/admins")).body.data.some((a) => a.email === email), "no admin row came back");
    const audit = (await w.get(`/v1/audit-log?target_id=${id}`)).body.data;
    assert.deepEqual(audit.map((e) => [e.action, e.actor]), [["admin.delete", `admin:${OWNER}`]]);
    // An owner may still add them again on purpose.
    const again = await addAdmin(email, "viewer");
    assert.equal((await w.get("/v1/me", as(email))).body.who.role, "viewer");
    assert.equal((await w.delete(`/v1/admins/${again.id}`)).status, 204);
  });

  it("records who minted a key; disabling the admin suspends their keys, removing them revokes them", async () => {
    const minter = await addAdmin(uniqueEmail("minter"), "admin");
    const made = await w.post("/v1/api-keys", { name: "minted", permissions: ["customers:read", "keys:manage"] }, as(minter.email));
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.created_by, `admin:${minter.email}`);
    const key = made.body;
    // A key minted by that key rests on the same admin.
    const child = await w.createKey(["customers:read"], { name: "child", token: key.secret });
    assert.equal(child.created_by, `key:${key.id}`);
    const byToken = await w.createKey(["customers:read"], { name: "by token" });
    assert.equal(byToken.created_by, "admin-token");
    const listed = (await w.get("/v1/api-keys")).body.data;
    assert.equal(listed.find((k) => k.id === key.id).created_by, `admin:${minter.email}`);
    const works = async (secret) => (await w.get("/v1/customers?limit=1", { token: secret })).status;
    assert.deepEqual([await works(key.secret), await works(child.secret)], [200, 200]);

    // Disabled: suspended at once; enabled again: back.
    assert.equal((await w.patch(`/v1/admins/${minter.id}`, { disabled: true })).status, 200);
    assert.deepEqual([await works(key.secret), await works(child.secret), await works(byToken.secret)], [401, 401, 200]);
    assert.equal((await w.patch(`/v1/admins/${minter.id}`, { disabled: false })).status, 200);
    assert.deepEqual([await works(key.secret), await works(child.secret)], [200, 200]);

    // Demoted: the key holds no more than the admin's role now.
    assert.equal((await w.patch(`/v1/admins/${minter.id}`, { role: "viewer" })).status, 200);
    assert.equal(await works(key.secret), 200);
    assertError(assert, await w.get("/v1/api-keys", { token: key.secret }), 403, "forbidden");

    // Removed: revoked for good, and the list says so.
    assert.equal((await w.delete(`/v1/admins/${minter.id}`)).status, 204);
    assert.deepEqual([await works(key.secret), await works(child.secret), await works(byToken.secret)], [401, 401, 200]);
    const after = (await w.get("/v1/api-keys")).body.data;
    for (const id of [key.id, child.id]) assert.ok(after.find((k) => k.id === id).revoked_at, `${id} is revoked`);
    assert.equal(after.find((k) => k.id === byToken.id).revoked_at, null);
  });
});

describe("Access service tokens", () => {
  before(async () => {
    const now = new Date().toISOString();
    const insert = "INSERT INTO api_keys (id, name, prefix, secret_hash, permissions, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
    await w.db.prepare(insert).bind(READER_KEY, "reporting job", "svc1", "hash-svc-1", JSON.stringify(["customers:read"]), now, null).run();
    await w.db.prepare(insert).bind(REVOKED_KEY, "old job", "svc2", "hash-svc-2", JSON.stringify(["customers:read"]), now, now).run();
  });

  it("acts with the permissions of the API key its client id maps to", async () => {
    const token = serviceToken(READER_CLIENT);
    const me = await w.get("/v1/me", { token: null, headers: { "cf-access-jwt-assertion": token } });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.actor, `key:${READER_KEY}`);
    assert.deepEqual(me.body.permissions, ["customers:read"]);
    const list = await w.get("/v1/customers?limit=1", { token: null, headers: { "cf-access-jwt-assertion": token } });
    assert.equal(list.status, 200, list.text);
    const denied = await w.post("/v1/customers", { name: "By a machine" }, { token: null, headers: { "cf-access-jwt-assertion": token } });
    assertError(assert, denied, 403, "forbidden");
  });

  it("refuses a client id that is not mapped, or mapped to a revoked key", async () => {
    for (const clientId of ["unknown.access", REVOKED_CLIENT]) {
      const res = await w.get("/v1/me", { token: null, headers: { "cf-access-jwt-assertion": serviceToken(clientId) } });
      assertError(assert, res, 401, "unauthorized");
    }
  });

  it("refuses a token with neither an email nor a client id", async () => {
    const res = await w.get("/v1/me", { token: null, headers: { "cf-access-jwt-assertion": sign(first, { email: undefined }) } });
    assertError(assert, res, 401, "unauthorized");
  });
});
