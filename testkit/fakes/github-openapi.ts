// GitHub's REST description (@octokit/openapi) turned into a router and validators, so the fake
// refuses exactly what the real API would: unknown routes, bad parameters, bodies off schema.
// The 13 MB description is parsed once per process; schemas are compiled per operation on first use.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

const SPEC_ID = "https://fake-github.invalid/openapi.json";
const HTTP_METHODS = ["get", "post", "put", "patch", "delete"] as const;
// Trailing path parameters whose values may contain unencoded slashes (file paths, git refs).
const GREEDY_PARAMS = new Set(["path", "ref", "branch"]);

type Json = Record<string, unknown>;

interface ParameterSpec {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required: boolean;
  schema: Json;
}

export interface Operation {
  operationId: string;
  method: string;
  template: string;
  parameters: ParameterSpec[];
  requestBody: { required: boolean; schema: Json } | undefined;
  responses: Record<string, { schema: Json | undefined; hasContent: boolean }>;
}

interface Route {
  template: string;
  segments: (string | { param: string } | RegExp)[];
  literals: number;
  greedyTail: string | undefined;
  methods: Map<string, Json>;
}

export type RouteMatch =
  | { kind: "found"; operation: Operation; params: Record<string, string> }
  | { kind: "not-found" };

export interface Problem {
  /** Human-readable, for `violations` and GitHub's `message`. */
  message: string;
  errors: { resource: string; field: string; code: string; message: string }[];
}

interface Spec {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown>; parameters: Record<string, unknown> };
}

let cached: OpenApi | undefined;

/** The process-wide instance: loading and indexing the description takes a few hundred milliseconds. */
export function githubOpenApi(): OpenApi {
  cached ??= new OpenApi(loadSpec());
  return cached;
}

function loadSpec(): Spec {
  const require = createRequire(import.meta.url);
  const file = require.resolve("@octokit/openapi/generated/api.github.com.json");
  return JSON.parse(readFileSync(file, "utf8")) as Spec;
}

export class OpenApi {
  private readonly ajv: Ajv;
  private readonly routes: Route[] = [];
  private readonly operations = new Map<string, Operation>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly spec: Spec) {
    // strict off: the description carries OpenAPI-only keywords (`example`, `discriminator`, `x-*`).
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, addUsedSchema: false });
    addFormatsModule.default(this.ajv);
    // Formats GitHub uses that JSON Schema does not define; `repo.nwo` is "owner/name".
    this.ajv.addFormat("repo.nwo", /^[^/\s]+\/[^/\s]+$/);
    this.ajv.addFormat("timestamp", true);
    const schemas: Record<string, unknown> = {};
    for (const [name, schema] of Object.entries(spec.components.schemas))
      schemas[name] = toJsonSchema(schema);
    this.ajv.addSchema({ $id: SPEC_ID, components: { schemas } });
    for (const template of Object.keys(spec.paths))
      this.routes.push(buildRoute(template, spec.paths[template]));
  }

  /** Finds the operation for a request path (below `/api/v3`, no query string). */
  match(method: string, path: string): RouteMatch {
    const raw = path.split("/").slice(1);
    let segments: string[];
    try {
      segments = raw.map((s) => decodeURIComponent(s));
    } catch {
      return { kind: "not-found" };
    }
    let best: { route: Route; params: Record<string, string>; score: number } | undefined;
    for (const route of this.routes) {
      const params = matchSegments(route, segments);
      if (!params || !route.methods.has(method.toLowerCase())) continue;
      // Prefer templates that match segment for segment, then the one with the most literal segments.
      const score = (params.greedy ? 0 : 1000) + route.literals;
      if (!best || score > best.score) best = { route, params: params.values, score };
    }
    if (!best) return { kind: "not-found" };
    return {
      kind: "found",
      operation: this.operation(best.route, method.toLowerCase()),
      params: best.params,
    };
  }

  /** Path and query parameters against their schemas; values arrive as strings. */
  checkParameters(
    operation: Operation,
    pathParams: Record<string, string>,
    query: URLSearchParams,
  ): Problem | undefined {
    const errors: Problem["errors"] = [];
    for (const param of operation.parameters) {
      if (param.in !== "path" && param.in !== "query") continue;
      const value = param.in === "path" ? pathParams[param.name] : (query.get(param.name) ?? undefined);
      if (value === undefined) {
        if (param.required)
          errors.push(fieldError(operation, param.name, "missing_field", `${param.name} wasn't supplied.`));
        continue;
      }
      const validate = this.compile(`${operation.operationId}#param:${param.name}`, param.schema);
      if (!candidates(value).some((candidate) => validate(candidate))) {
        errors.push(
          fieldError(
            operation,
            param.name,
            "invalid",
            `${JSON.stringify(value)} is not a valid ${param.name}.`,
          ),
        );
      }
    }
    return errors.length ? toProblem(errors) : undefined;
  }

  /** The JSON request body against the operation's requestBody schema. `undefined` body = none sent. */
  checkBody(operation: Operation, body: unknown): Problem | undefined {
    const spec = operation.requestBody;
    if (!spec) return undefined;
    if (body === undefined) {
      return spec.required
        ? toProblem([fieldError(operation, "body", "missing", "The request body is required.")])
        : undefined;
    }
    const validate = this.compile(`${operation.operationId}#body`, spec.schema);
    if (validate(body)) return undefined;
    return toProblem(ajvErrors(operation, validate.errors ?? []));
  }

  /** A response the fake produced, against the documented response; returns what is wrong, if anything. */
  checkResponse(operation: Operation, status: number, body: unknown): string | undefined {
    const documented = operation.responses[String(status)] ?? operation.responses.default;
    if (!documented) {
      // Errors GitHub sends on every route (401, 403, 404, 422, 5xx) are often left undocumented.
      return status >= 400 ? undefined : `status ${status} is not documented`;
    }
    if (!documented.hasContent) return body === undefined ? undefined : `status ${status} must have no body`;
    if (!documented.schema) return undefined;
    const validate = this.compile(`${operation.operationId}#response:${status}`, documented.schema);
    if (validate(body)) return undefined;
    return this.describe(validate.errors, "response");
  }

  /** Validates any value against a named component schema (e.g. "workflow-run"); for tests. */
  checkComponent(name: string, value: unknown): string | undefined {
    const validate = this.compile(`component:${name}`, { $ref: `${SPEC_ID}#/components/schemas/${name}` });
    return validate(value) ? undefined : this.describe(validate.errors, name);
  }

  /** The first few schema errors; a whole object off schema would otherwise fill a screen. */
  private describe(errors: ValidateFunction["errors"], dataVar: string): string {
    const list = errors ?? [];
    const shown = this.ajv.errorsText(list.slice(0, 5), { dataVar });
    return list.length > 5 ? `${shown} (and ${list.length - 5} more)` : shown;
  }

  private operation(route: Route, method: string): Operation {
    const key = `${method} ${route.template}`;
    const known = this.operations.get(key);
    if (known) return known;
    const raw = route.methods.get(method) as Json;
    const operation: Operation = {
      operationId: String(raw.operationId),
      method,
      template: route.template,
      parameters: ((raw.parameters as unknown[]) ?? []).map((p) => this.parameter(p)),
      requestBody: this.requestBody(raw.requestBody),
      responses: {},
    };
    for (const [status, response] of Object.entries((raw.responses as Json) ?? {})) {
      const content = (this.deref(response) as { content?: Record<string, { schema?: unknown }> }).content;
      const json = content?.["application/json"]?.schema;
      operation.responses[status] = {
        schema: json === undefined ? undefined : (toJsonSchema(json) as Json),
        hasContent: content !== undefined && Object.keys(content).length > 0,
      };
    }
    this.operations.set(key, operation);
    return operation;
  }

  private parameter(raw: unknown): ParameterSpec {
    const p = this.deref(raw) as {
      name: string;
      in: ParameterSpec["in"];
      required?: boolean;
      schema?: unknown;
    };
    return {
      name: p.name,
      in: p.in,
      required: p.required === true,
      schema: toJsonSchema(p.schema ?? {}) as Json,
    };
  }

  private requestBody(raw: unknown): Operation["requestBody"] {
    if (!raw) return undefined;
    const body = this.deref(raw) as { required?: boolean; content?: Record<string, { schema?: unknown }> };
    const schema = body.content?.["application/json"]?.schema;
    if (!schema) return undefined;
    return { required: body.required === true, schema: toJsonSchema(schema) as Json };
  }

  private deref(node: unknown): unknown {
    let current = node;
    while (current && typeof current === "object" && typeof (current as Json).$ref === "string") {
      const pointer = ((current as Json).$ref as string).replace(/^#\//, "").split("/");
      current = pointer.reduce<unknown>(
        (at, key) => (at as Json)[key.replace(/~1/g, "/").replace(/~0/g, "~")],
        this.spec,
      );
    }
    return current;
  }

  private compile(key: string, schema: Json): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(key, validate);
    }
    return validate;
  }
}

function buildRoute(template: string, item: Record<string, unknown> | undefined): Route {
  const segments: Route["segments"] = template
    .split("/")
    .slice(1)
    .map((segment) => {
      const whole = /^\{([^}]+)\}$/.exec(segment);
      if (whole) return { param: whole[1] as string };
      if (!segment.includes("{")) return segment;
      // Mixed segments such as `{base}...{head}`.
      const source = segment
        .split(/(\{[^}]+\})/)
        .map((part) => (part.startsWith("{") ? `(?<${part.slice(1, -1)}>.+?)` : escapeRegExp(part)))
        .join("");
      return new RegExp(`^${source}$`);
    });
  const last = segments.at(-1);
  const methods = new Map<string, Json>();
  for (const method of HTTP_METHODS) {
    const op = item?.[method];
    if (op && typeof op === "object") methods.set(method, op as Json);
  }
  return {
    template,
    segments,
    literals: segments.filter((s) => typeof s === "string").length,
    greedyTail:
      last && typeof last === "object" && "param" in last && GREEDY_PARAMS.has(last.param)
        ? last.param
        : undefined,
    methods,
  };
}

function matchSegments(
  route: Route,
  segments: string[],
): { values: Record<string, string>; greedy: boolean } | undefined {
  const n = route.segments.length;
  if (segments.length < n || (segments.length > n && !route.greedyTail)) return undefined;
  const values: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const expected = route.segments[i];
    const actual = segments[i] as string;
    if (typeof expected === "string") {
      if (expected !== actual) return undefined;
    } else if (expected instanceof RegExp) {
      const m = expected.exec(actual);
      if (!m?.groups) return undefined;
      Object.assign(values, m.groups);
    } else if (expected) {
      const value = i === n - 1 ? segments.slice(i).join("/") : actual;
      if (value === "") return undefined;
      values[expected.param] = value;
    }
  }
  return { values, greedy: segments.length > n };
}

/** A query or path value is text; try it as text, number and boolean, as GitHub's parser would read it. */
function candidates(value: string): unknown[] {
  const out: unknown[] = [value];
  if (/^-?\d+(\.\d+)?$/.test(value)) out.push(Number(value));
  if (value === "true" || value === "false") out.push(value === "true");
  out.push(value.split(","));
  return out;
}

/**
 * OpenAPI 3.0 schema → JSON Schema: `nullable` becomes a null alternative, `$ref`s point into the
 * registered components document, annotations that are not JSON Schema are dropped.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== "object") return node;
  const out: Json = {};
  let nullable = false;
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === "nullable") nullable = value === true;
    else if (key === "example" || key === "examples" || key === "discriminator" || key.startsWith("x-"))
      continue;
    else if (key === "enum" || key === "default" || key === "const") out[key] = value;
    else if (key === "$ref" && typeof value === "string")
      out[key] = value.startsWith("#/") ? SPEC_ID + value : value;
    else if (key === "properties" && value && typeof value === "object") {
      const props: Json = {};
      for (const [name, schema] of Object.entries(value as Json)) props[name] = toJsonSchema(schema);
      out[key] = props;
    } else if (key === "required" || key === "description" || key === "title" || key === "pattern")
      out[key] = value;
    else out[key] = toJsonSchema(value);
  }
  if (!nullable) return out;
  if (typeof out.type === "string" && !out.enum && !out.$ref) return { ...out, type: [out.type, "null"] };
  return { anyOf: [out, { type: "null" }] };
}

function ajvErrors(operation: Operation, errors: ErrorObject[]): Problem["errors"] {
  return errors.map((e) => {
    const field = e.instancePath.replace(/^\//, "").replace(/\//g, ".") || "body";
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
    const message = allowed
      ? `${field} is not a member of ${JSON.stringify(allowed)}.`
      : `${field} ${e.message ?? "is invalid"}.`;
    return fieldError(operation, field, e.keyword === "required" ? "missing_field" : "invalid", message);
  });
}

function fieldError(
  operation: Operation,
  field: string,
  code: string,
  message: string,
): Problem["errors"][number] {
  return { resource: operation.operationId.split("/")[0] ?? "", field, code, message };
}

function toProblem(errors: Problem["errors"]): Problem {
  const unique = [...new Set(errors.map((e) => e.message))];
  return { message: `Invalid request.\n\n${unique.join("\n")}`, errors };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
