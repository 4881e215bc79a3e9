// The generated TypeScript types (openapi-typescript) with openapi-fetch against a running worker:
// the tasks an integrator does first, typechecked with `tsc --strict` before it runs. Copied next
// to the generated schema.d.ts by tests/clients/clients.test.mjs, which calls `smoke`.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type ErrorCode = components["schemas"]["ErrorCode"];

export async function smoke(baseUrl: string, token: string): Promise<string[]> {
  const done: string[] = [];
  const check = (condition: boolean, what: string): void => {
    if (!condition) throw new Error(`failed: ${what}`);
    done.push(what);
  };
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
  const tag = `ts${Date.now()}`;

  const created = await client.POST("/v1/customers", { body: { name: `Ada ${tag}`, email: `ada-${tag}@example.com` } });
  if (!created.data) throw new Error(`create: ${created.response.status}`);
  const id: string = created.data.id;
  check(created.data.name === `Ada ${tag}`, "create with name and email");

  const got = await client.GET("/v1/customers/{id}", { params: { path: { id } } });
  check(got.data?.id === id, "get");
  const etag = got.response.headers.get("ETag") ?? "";

  const listed = await client.GET("/v1/customers", { params: { query: { q: tag } } });
  check(listed.data?.data.map((c) => c.id).join() === id, "list with q");

  const patched = await client.PATCH("/v1/customers/{id}", {
    params: { path: { id }, header: { "If-Match": etag } },
    body: { phone: "+44 20 7946 0000" },
  });
  check(patched.data?.phone === "+44 20 7946 0000", "patch with If-Match");

  const invalid = await client.POST("/v1/customers", { body: {} });
  const code: ErrorCode | undefined = invalid.error?.error.code;
  check(invalid.response.status === 422 && code === "validation_failed", "a 422 read as the typed error");

  const deleted = await client.DELETE("/v1/customers/{id}", { params: { path: { id } } });
  const answer = deleted.data;
  check(answer !== undefined && !("deleted" in answer) && answer.deleted_at !== null, "soft delete answers the customer");

  const other = await client.POST("/v1/customers", { body: { name: `Bulk ${tag}` } });
  const bulk = await client.POST("/v1/customers/bulk-delete", { body: { ids: [other.data?.id ?? ""] } });
  check(bulk.data?.results[0]?.status === "deleted" && bulk.data.deleted === 1, "bulk delete with only ids");

  const imported = await client.POST("/v1/customers/import", {
    body: { file: `name,email\nGrace ${tag},grace-${tag}@example.com\n` },
    bodySerializer(body) {
      const form = new FormData();
      form.append("file", new Blob([body.file], { type: "text/csv" }), "customers.csv");
      return form;
    },
  });
  check(imported.data?.created === 1 && imported.data.rows[0]?.status === "created", "import a small CSV");

  const exported = await client.GET("/v1/customers/export", { params: { query: { q: tag } }, parseAs: "text" });
  const csv: string | undefined = exported.data;
  check(csv !== undefined && csv.startsWith("id,name,email") && csv.includes(`Grace ${tag}`), "export as text");
  return done;
}
