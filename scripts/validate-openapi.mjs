#!/usr/bin/env node
// Validates src/openapi.json against the OpenAPI 3.1 specification with @readme/openapi-parser
// (schema validation plus its semantic checks: $refs resolve, path parameters are declared,
// operationIds are unique, ...), then checks the project's own rules:
//   - every operation has an operationId;
//   - every operation documents at least one 2xx answer;
//   - security is either inherited (the global bearerAuth), explicitly empty, or the portal's
//     session cookie alone (`portalSession`, the /v1/portal/* routes);
//   - every schema is a valid JSON Schema 2020-12 (the OpenAPI meta-schema does not look inside
//     schemas), compiled with the Ajv the parser itself depends on, and every example given next
//     to a schema (`examples` in a schema, `example`/`examples` of a media type, parameter or
//     header) is valid against it;
//   - the rules below that keep generated clients clean (openapi-python-client and
//     openapi-typescript + openapi-fetch, checked for real by scripts/clients.sh).
// Exits non-zero on any error; prints "openapi: valid (N paths, M operations)" on success.
//
// How to document a route (each rule is checked here, so a new route that breaks one fails
// `make e2e`; tests/openapi_answers.test.mjs then checks the real answers against the document):
//   1. The operation: operationId (camelCase verb + noun), one tag, summary, description (the
//      permission it needs and every error code it can answer, with its status), and
//      `x-required-permissions` (every permission the route always needs) and `x-conditional-permissions` (condition: permission), as the route table in src/lib.rs states them (a unit test holds the two equal). Responses $ref the shared error responses
//      (`#/components/responses/...`); every answer lists `X-Request-Id`.
//   2. Bodies and answers are named component schemas (`{"$ref": "#/components/schemas/X"}`),
//      never inline objects: a generator names an inline object after where it sits
//      (`ErrorError`). Inside a component, an object with properties is a component of its own.
//      Text answers (`text/csv`, `text/html`) may be an inline `{"type": "string"}`.
//   3. One media type per request body; media type keys carry no parameters (`text/csv`, not
//      `text/csv; charset=utf-8`: say the charset in the description). A merge patch is
//      `application/merge-patch+json` (the server takes `application/json` too); a file upload
//      is `multipart/form-data` with a `format: binary` field.
//   4. Every component schema, property, parameter and header has a `description`. A property
//      that is only a `$ref` borrows the description of the component it names.
//   5. Objects are flat: no `anyOf`/`oneOf`/`allOf`, no `if`/`then`; a rule across fields ("name
//      or email", "value unless op is is_null") is said in the description and enforced by the
//      server. Allowed: `anyOf: [{$ref}, {"type": "null"}]` for a nullable component, and a
//      response's top-level `oneOf` of component $refs that each have a required property the
//      others lack (a client tells them apart by it).
//   6. Every object schema says `additionalProperties`: `false` for one with `properties` (the
//      server refuses unknown members in bodies and sends none it does not declare), a schema or
//      `true` for a map or free-form object.
//   7. Closed sets are `enum`s, and every enum is a named component (`"$ref":
//      "#/components/schemas/ErrorCode"`), declared once; an open set (field error codes) is a
//      string whose description lists the known values.
//   8. No `default` on a property: openapi-typescript makes such a property required in request
//      bodies. Say it in the description instead ("Left out: `false`."). Parameters may have one.
//   9. A response header declared through `$ref` is one the answer always carries (the
//      component says `"required": true`; generated types treat it as present); a header sent
//      only sometimes is declared inline without `required`.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileErrors, validate } from "@readme/openapi-parser";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const file = resolve(root, process.argv[2] ?? "src/openapi.json");
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function fail(message) {
  console.error(`openapi: invalid: ${message}`);
  process.exit(1);
}

let doc;
try {
  doc = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  fail(`cannot read ${file}: ${e.message}`);
}

if (doc.openapi !== "3.1.0") fail(`expected "openapi": "3.1.0", found ${JSON.stringify(doc.openapi)}`);

// The parser dereferences what it is given: hand it a copy, keep `doc` as written.
let result;
try {
  result = await validate(structuredClone(doc));
} catch (e) {
  fail(e.message);
}
if (!result.valid) fail(`\n${compileErrors(result)}`);
if (result.warnings?.length) fail(`\n${compileErrors(result)}`);

const problems = [];
let operations = 0;
const paths = Object.entries(doc.paths ?? {});
for (const [path, item] of paths) {
  for (const method of METHODS) {
    const op = item[method];
    if (!op) continue;
    operations += 1;
    const where = `${method.toUpperCase()} ${path}`;
    if (typeof op.operationId !== "string" || op.operationId === "") problems.push(`${where}: no operationId`);
    if (!Object.keys(op.responses ?? {}).some((code) => /^2(\d\d|XX)$/.test(code))) {
      problems.push(`${where}: no success response`);
    }
    const portalCookie = op.security?.length === 1 && Object.keys(op.security[0]).join() === "portalSession";
    if (op.security !== undefined && op.security.length !== 0 && !portalCookie) {
      problems.push(`${where}: security should be inherited, [] or the portal cookie`);
    }
  }
}
if (operations === 0) problems.push("no operations");

// JSON Schema checks, with the parser's own Ajv (no dependency of ours beyond the parser).
const requireFromParser = createRequire(createRequire(import.meta.url).resolve("@readme/openapi-parser"));
const Ajv2020 = requireFromParser("ajv/dist/2020").default;
const ajv = new Ajv2020({
  strict: true,
  strictTypes: false, // `type` arrays and keyword/type combinations are fine in 3.1 schemas
  strictRequired: false,
  allowUnionTypes: true,
  allErrors: true,
  validateFormats: false, // email, uuid, date-time are annotations here
});
// The OpenAPI 3.1 dialect's extra schema keywords.
for (const keyword of ["discriminator", "xml", "externalDocs", "example"]) ajv.addKeyword(keyword);
// Component schemas become one schema's `$defs`; every `#/components/schemas/X` reference is
// rewritten to point there, so inline schemas (in paths, parameters, headers) can reference them too.
const DOC_ID = "https://openapi.invalid/components.json";
const COMPONENT_REF = "#/components/schemas/";
function rewriteRefs(value) {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== "object") return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === "$ref" && typeof v === "string" && v.startsWith(COMPONENT_REF)
      ? `${DOC_ID}#/$defs/${v.slice(COMPONENT_REF.length)}`
      : rewriteRefs(v);
  }
  return out;
}
try {
  ajv.addSchema({ $id: DOC_ID, $defs: rewriteRefs(doc.components?.schemas ?? {}) });
} catch (e) {
  fail(`components.schemas: ${e.message}`);
}

const pointer = (segments) => "#" + segments.map((s) => "/" + String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
const compiled = new Map();
/** The validator for the schema at `segments` of the document (`schema` is that object). */
function validator(segments, schema) {
  const key = pointer(segments);
  if (!compiled.has(key)) {
    const inComponents = segments[0] === "components" && segments[1] === "schemas";
    compiled.set(key, ajv.compile(inComponents
      ? { $ref: DOC_ID + pointer(["$defs", ...segments.slice(2)]) }
      : rewriteRefs(schema)));
  }
  return compiled.get(key);
}
function checkExample(segments, schema, value, where) {
  const v = validator(segments, schema);
  if (!v(value)) problems.push(`${where}: example is invalid: ${ajv.errorsText(v.errors)}`);
}

/** Walks a schema: meta-validates it and checks its own `examples`. */
function walkSchema(schema, segments) {
  if (schema === null || typeof schema !== "object") return;
  if (Array.isArray(schema)) return schema.forEach((s, i) => walkSchema(s, [...segments, i]));
  const where = pointer(segments);
  if (!ajv.validateSchema(schema)) problems.push(`${where}: not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}`);
  try {
    validator(segments, schema);
  } catch (e) {
    problems.push(`${where}: does not compile: ${e.message}`);
    return;
  }
  if (Array.isArray(schema.examples)) {
    schema.examples.forEach((ex, i) => checkExample(segments, schema, ex, `${where}/examples/${i}`));
  }
  for (const [key, sub] of Object.entries(schema)) {
    if (["examples", "example", "const", "default", "enum"].includes(key)) continue;
    if (sub && typeof sub === "object") walkSchemaChildren(sub, [...segments, key], key);
  }
}
// Subschemas live under these keywords, directly or inside arrays/maps.
const SUBSCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "dependentSchemas"]);
function walkSchemaChildren(value, segments, key) {
  if (SUBSCHEMA_MAPS.has(key)) {
    for (const [name, sub] of Object.entries(value)) walkSchema(sub, [...segments, name]);
  } else if (Array.isArray(value)) {
    value.forEach((sub, i) => walkSchema(sub, [...segments, i]));
  } else {
    walkSchema(value, segments);
  }
}

/** Walks the rest of the document: every `schema` (parameters, headers, media types) and its examples. */
function walkDocument(node, segments) {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) return node.forEach((n, i) => walkDocument(n, [...segments, i]));
  if ("schema" in node && node.schema && typeof node.schema === "object") {
    const schemaAt = [...segments, "schema"];
    walkSchema(node.schema, schemaAt);
    const where = pointer(segments);
    if ("example" in node) checkExample(schemaAt, node.schema, node.example, `${where}/example`);
    if (node.examples && typeof node.examples === "object" && !Array.isArray(node.examples)) {
      for (const [name, ex] of Object.entries(node.examples)) {
        if (ex && typeof ex === "object" && "value" in ex) checkExample(schemaAt, node.schema, ex.value, `${where}/examples/${name}`);
      }
    }
  }
  for (const [key, child] of Object.entries(node)) {
    if (key === "schema") continue;
    walkDocument(child, [...segments, key]);
  }
}

for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) walkSchema(schema, ["components", "schemas", name]);
walkDocument(doc.paths ?? {}, ["paths"]);
for (const section of ["parameters", "headers", "responses", "requestBodies"]) {
  walkDocument(doc.components?.[section] ?? {}, ["components", section]);
}
checkClientRules(doc, problems);
if (problems.length) fail(`\n  ${problems.join("\n  ")}`);

console.log(`openapi: valid (${paths.length} paths, ${operations} operations)`);

/** The rules of "How to document a route" above (2 to 9). */
function checkClientRules(doc, problems) {
  const schemas = doc.components?.schemas ?? {};
  const named = (r) => typeof r === "string" && r.startsWith(COMPONENT_REF) ? schemas[r.slice(COMPONENT_REF.length)] : undefined;
  const isNullableRef = (list) =>
    Array.isArray(list) && list.length === 2 && list.some((s) => s.$ref) && list.some((s) => s.type === "null" && Object.keys(s).length === 1);
  const isObject = (s) => s && (s.type === "object" || (Array.isArray(s.type) && s.type.includes("object")) || s.properties);

  // Walks a schema inside a component; `top` is true for the component itself.
  function walk(schema, where, top) {
    if (!schema || typeof schema !== "object") return;
    if (!top && schema.properties) problems.push(`${where}: an inline object with properties; make it a component schema (rule 2)`);
    if (!top && schema.enum) problems.push(`${where}: an inline enum; make it a component schema and $ref it (rule 7)`);
    for (const key of ["anyOf", "oneOf"]) {
      if (schema[key] && !isNullableRef(schema[key])) problems.push(`${where}: ${key} (rule 5: flat objects; only anyOf [$ref, null])`);
    }
    for (const key of ["allOf", "if", "then", "else"]) if (key in schema) problems.push(`${where}: ${key} (rule 5: flat objects)`);
    if (isObject(schema) && !("additionalProperties" in schema)) problems.push(`${where}: no additionalProperties (rule 6)`);
    if (schema.properties && schema.additionalProperties !== false) problems.push(`${where}: additionalProperties must be false next to properties (rule 6)`);
    for (const [name, prop] of Object.entries(schema.properties ?? {})) {
      const at = `${where}/properties/${name}`;
      const borrowed = prop.$ref && Object.keys(prop).length === 1 && named(prop.$ref)?.description;
      if (!prop.description && !borrowed) problems.push(`${at}: no description (rule 4)`);
      if ("default" in prop) problems.push(`${at}: a default on a property; say it in the description (rule 8)`);
      walk(prop, at, false);
    }
    if (schema.items) walk(schema.items, `${where}/items`, false);
    if (schema.additionalProperties && typeof schema.additionalProperties === "object") walk(schema.additionalProperties, `${where}/additionalProperties`, false);
    for (const key of ["anyOf", "oneOf", "allOf"]) (schema[key] ?? []).forEach((s, i) => walk(s, `${where}/${key}/${i}`, false));
  }
  for (const [name, schema] of Object.entries(schemas)) {
    const where = `#/components/schemas/${name}`;
    if (!schema.description) problems.push(`${where}: no description (rule 4)`);
    walk(schema, where, true);
  }

  // A body or answer schema: a component $ref, a nullable one, a string, or (answers) a
  // oneOf of component $refs that each have a required property the others lack.
  function bodySchema(schema, where, answer) {
    if (schema.$ref) return;
    if (schema.type === "string") return walk(schema, where, false);
    if (answer && Array.isArray(schema.oneOf) && schema.oneOf.every((s) => s.$ref && named(s.$ref))) {
      const variants = schema.oneOf.map((s) => named(s.$ref));
      variants.forEach((v, i) => {
        const others = variants.filter((_, j) => j !== i);
        const own = (v.required ?? []).filter((p) => others.every((o) => !(o.properties ?? {})[p]));
        if (!own.length) problems.push(`${where}: variant ${schema.oneOf[i].$ref} has no required property the others lack (rule 5)`);
      });
      return;
    }
    problems.push(`${where}: make the schema a component and $ref it (rule 2)`);
  }
  const mediaKey = (key, where) => {
    if (key.includes(";")) problems.push(`${where}: media type key with parameters (rule 3)`);
  };
  function checkHeaders(headers, where) {
    for (const [name, h] of Object.entries(headers ?? {})) {
      const at = `${where}/headers/${name}`;
      if (h.$ref) {
        const target = doc.components?.headers?.[h.$ref.split("/").pop()];
        if (!target?.required) problems.push(`${at}: $ref to a header that is not \`required: true\` (rule 9)`);
      } else if (!h.description) {
        problems.push(`${at}: no description (rule 4)`);
      }
    }
  }
  function checkResponse(r, where) {
    if (r.$ref) return;
    checkHeaders(r.headers, where);
    for (const [key, media] of Object.entries(r.content ?? {})) {
      mediaKey(key, `${where}/content/${key}`);
      if (media.schema) bodySchema(media.schema, `${where}/content/${key}/schema`, true);
    }
  }
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (!op.summary) problems.push(`${where}: no summary (rule 1)`);
      if (!op.description) problems.push(`${where}: no description (rule 1)`);
      for (const p of op.parameters ?? []) if (!p.$ref && !p.description) problems.push(`${where}: parameter ${p.name}: no description (rule 4)`);
      if (op.requestBody) {
        const content = Object.entries(op.requestBody.content ?? {});
        if (!op.requestBody.description) problems.push(`${where}: request body: no description (rule 1)`);
        if (content.length !== 1) problems.push(`${where}: request body: ${content.length} media types; declare one (rule 3)`);
        for (const [key, media] of content) {
          mediaKey(key, `${where} request body ${key}`);
          if (media.schema) bodySchema(media.schema, `${where} request body ${key}`, false);
        }
      }
      for (const [status, r] of Object.entries(op.responses ?? {})) checkResponse(r, `${where} ${status}`);
    }
  }
  for (const [name, r] of Object.entries(doc.components?.responses ?? {})) checkResponse(r, `#/components/responses/${name}`);
  for (const [name, p] of Object.entries(doc.components?.parameters ?? {})) {
    if (!p.description) problems.push(`#/components/parameters/${name}: no description (rule 4)`);
    if (p.schema?.enum) problems.push(`#/components/parameters/${name}: an inline enum; $ref a component schema (rule 7)`);
  }
  for (const [name, h] of Object.entries(doc.components?.headers ?? {})) {
    if (!h.description) problems.push(`#/components/headers/${name}: no description (rule 4)`);
  }
}
