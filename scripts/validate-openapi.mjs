#!/usr/bin/env node
// Validates src/openapi.json against the OpenAPI 3.1 specification with @readme/openapi-parser
// (schema validation plus its semantic checks: $refs resolve, path parameters are declared,
// operationIds are unique, ...), then checks the project's own rules:
//   - every operation has an operationId;
//   - every operation documents at least one 2xx answer;
//   - security is either inherited (the global bearerAuth) or explicitly empty;
//   - every schema is a valid JSON Schema 2020-12 (the OpenAPI meta-schema does not look inside
//     schemas), compiled with the Ajv the parser itself depends on, and every example given next
//     to a schema (`examples` in a schema, `example`/`examples` of a media type, parameter or
//     header) is valid against it.
// Exits non-zero on any error; prints "openapi: valid (N paths, M operations)" on success.
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
    if (op.security !== undefined && op.security.length !== 0) {
      problems.push(`${where}: security should be inherited or []`);
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
if (problems.length) fail(`\n  ${problems.join("\n  ")}`);

console.log(`openapi: valid (${paths.length} paths, ${operations} operations)`);
