// The customer portal (/portal) in Chromium, with the admin console beside it: an admin invites a
// customer user by email from the console; the person activates through the emailed link (the
// email is captured from the simulated Email Service binding), lands in the portal signed in,
// creates a sub-customer and invites a colleague, who activates and later signs in with an
// emailed sign-in link. Found by role and label (tests/browser.mjs); axe, keyboard and 375 px.
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { uniqueEmail } from "./harness.mjs";
import { axe, heading, openConsole, startConsole, task, until } from "./browser.mjs";

let env;
let w;
let base;
before(async () => {
  env = await startConsole({ vars: { ACTIVATION_URL_BASE: "http://localhost/portal#activate=", PORTAL_URL_BASE: "http://localhost/portal" } });
  w = env.worker;
  // The cookie is `Secure`: browsers keep it over plain http only for localhost.
  base = w.url.replace("127.0.0.1", "localhost");
});
after(async () => { await env?.close(); });

// The link in the latest email to `to` (waiting for the `count`th), pointed at this test's server.
async function linkIn(to, count) {
  const mails = await w.mailTo(to, count);
  assert.equal(mails.length, count, `emails to ${to}: ${JSON.stringify(mails.map((m) => m.subject))}`);
  const link = mails.at(-1).text.match(/http:\/\/localhost\/portal#(?:activate|token)=[A-Za-z0-9_-]{43}/)?.[0];
  assert.ok(link, mails.at(-1).text);
  return { link: link.replace("http://localhost", base), mail: mails.at(-1) };
}

async function portalPage(pages, path = "/portal", { width = 1280, height = 900 } = {}) {
  const context = await env.browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  pages.push(page);
  await page.goto(`${base}${path}`);
  return page;
}

describe("the customer portal", () => {
  task("an invited user activates from the email, creates a sub-customer and invites a colleague who signs in with an emailed link", async ({ pages }) => {
    const org = await w.createCustomer({ name: "Portal Org", email: uniqueEmail("org") });
    const email = uniqueEmail("manager");

    // The admin adds the contact as a manager and sends the activation email from the console.
    const admin = await openConsole(env, { hash: `#/customers/${org.id}/contacts` });
    pages.push(admin);
    await admin.getByRole("heading", { name: "Contacts", level: 2 }).waitFor();
    await admin.getByLabel("Contact email").fill(email);
    await admin.getByLabel("Portal role").selectOption("manager");
    await admin.getByRole("button", { name: "Add contact" }).click();
    await admin.getByRole("button", { name: `Send activation email to ${email}` }).click();
    await admin.getByText(`Activation email sent to ${email}.`).waitFor();
    const row = admin.getByRole("row").filter({ hasText: email });
    await row.getByText("Manager", { exact: true }).waitFor();
    await row.getByText("Never", { exact: true }).waitFor();

    const { link, mail } = await linkIn(email, 1);
    assert.equal(mail.subject, "Activate your access for Portal Org");

    // The person opens the link: activated, signed in, on their organisation's page.
    const portal = await portalPage(pages, link.slice(base.length));
    await heading(portal, "Portal Org").waitFor();
    await portal.getByText("Your access is active. Welcome!").waitFor();
    await portal.getByText(`Signed in as ${email}`).waitFor();
    assert.ok(!portal.url().includes("activate="), "the spent token leaves the address");
    assert.deepEqual(await axe(portal), [], "the organisation page passes axe");

    // A sub-customer.
    await portal.getByRole("button", { name: "Add sub-customer" }).click();
    const add = portal.getByRole("dialog", { name: "Add a sub-customer" });
    await add.getByLabel("Name").fill("Branch Office");
    await add.getByRole("button", { name: "Create sub-customer" }).click();
    await add.waitFor({ state: "detached" });
    await portal.getByRole("region", { name: "Sub-customers" }).getByRole("link", { name: "Branch Office" }).waitFor();
    const created = (await w.get(`/v1/customers?parent_id=${org.id}`)).body.data;
    assert.deepEqual(created.map((c) => c.name), ["Branch Office"]);

    // A colleague, invited by email.
    const colleague = uniqueEmail("colleague");
    await portal.getByLabel("User email").fill(colleague);
    await portal.getByRole("button", { name: "Invite user" }).click();
    await portal.getByText(`Invited ${colleague}: an activation email is on its way.`).waitFor();
    await portal.getByRole("region", { name: "Users" }).getByRole("cell", { name: colleague, exact: true }).waitFor();

    const invited = await linkIn(colleague, 1);
    const theirs = await portalPage(pages, invited.link.slice(base.length));
    await heading(theirs, "Portal Org").waitFor();
    await theirs.getByText("you are a member here").waitFor();
    assert.equal(await theirs.getByRole("button", { name: "Add sub-customer" }).count(), 0, "a member is offered no changes");

    // Later, on another browser: the colleague signs in with an emailed link, by keyboard.
    const later = await portalPage(pages);
    await heading(later, "Sign in to the customer portal").waitFor();
    assert.deepEqual(await axe(later), [], "the sign-in page passes axe");
    await later.getByLabel("Email").focus();
    await later.keyboard.type(colleague);
    await later.keyboard.press("Enter");
    await heading(later, "Check your email").waitFor();
    const signIn = await linkIn(colleague, 2);
    assert.equal(signIn.mail.subject, "Your sign-in link");
    await later.goto(signIn.link);
    await heading(later, "Portal Org").waitFor();
    await later.getByText(`Signed in as ${colleague}`).waitFor();
    // The link worked once.
    const again = await portalPage(pages, signIn.link.slice(base.length));
    await heading(again, "Sign-in failed").waitFor();

    const contacts = (await w.get(`/v1/customers/${org.id}/contacts`)).body.data;
    assert.ok(contacts.every((c) => c.last_signed_in_at), "the console sees both sign-ins");
    for (const p of [portal, theirs, later]) assert.deepEqual(p.errors, []);
  });

  task("fits 375 px: the organisation page and the sign-in page scroll only downwards", async ({ pages }) => {
    const org = await w.createCustomer({ name: "Narrow Org" });
    await w.createCustomer({ name: "Narrow Branch", parent_id: org.id });
    const email = uniqueEmail("narrow");
    const contact = await w.createContact(org.id, { email, role: "manager" });
    assert.equal((await w.post(`/v1/customers/${org.id}/contacts/${contact.id}/activation-link`, { send: true })).status, 201);
    const { link } = await linkIn(email, 1);
    const page = await portalPage(pages, link.slice(base.length), { width: 375, height: 740 });
    await heading(page, "Narrow Org").waitFor();
    await page.getByRole("link", { name: "Narrow Branch" }).waitFor();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(await overflow() <= 0, `sideways scroll of ${await overflow()} px`);
    await page.getByRole("link", { name: "Narrow Branch" }).click();
    await heading(page, "Narrow Branch").waitFor();
    await until(async () => (await overflow()) <= 0, "no sideways scroll on a sub-customer");
    await page.getByRole("button", { name: "Sign out" }).click();
    await heading(page, "Sign in to the customer portal").waitFor();
    assert.ok(await overflow() <= 0);
  });
});
