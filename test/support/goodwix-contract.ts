/**
 * The Goodwix contract (docs/goodwix-api.openapi.json) compiled with ajv (JSON Schema 2020-12,
 * which OpenAPI 3.1 uses), and a fetch wrapper that checks every request and answer against it
 * and records which operations and statuses were exercised.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const contractPath = join(repoRoot, 'docs/goodwix-api.openapi.json');

type Json = Record<string, any>;

export interface Operation {
  id: string;
  method: string;
  template: string;
  pattern: RegExp;
  spec: Json;
}

export interface ContractViolation {
  where: string;
  errors: string[];
}

export class GoodwixContract {
  readonly doc: Json;
  readonly operations: Operation[];
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  /** Answers that break the contract. */
  readonly violations: ContractViolation[] = [];
  /** Requests that break the contract (tests send some on purpose, so these are kept apart). */
  readonly requestViolations: ContractViolation[] = [];
  /** "operationId status" pairs seen, e.g. "updateOrder 409". */
  readonly seen = new Set<string>();

  constructor() {
    this.doc = JSON.parse(readFileSync(contractPath, 'utf8')) as Json;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema(this.doc, 'openapi');
    const prefix = (this.doc.servers?.[0]?.url as string | undefined) ?? '';
    this.operations = [];
    for (const [template, item] of Object.entries(this.doc.paths as Json)) {
      for (const [method, spec] of Object.entries(item as Json)) {
        const pattern = new RegExp(`^${(prefix + template).replace(/\{\w+\}/g, '[^/]+')}$`);
        this.operations.push({ id: (spec as Json).operationId, method: method.toUpperCase(), template, pattern, spec: spec as Json });
      }
    }
  }

  operation(method: string, path: string): Operation | undefined {
    return this.operations.find((o) => o.method === method.toUpperCase() && o.pattern.test(path));
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.compiled.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `openapi#${pointer}` });
      this.compiled.set(pointer, v);
    }
    return v;
  }

  private deref(obj: Json): Json {
    let o = obj;
    while (o && typeof o.$ref === 'string') {
      o = o.$ref.slice(2).split('/').map(unescape).reduce((acc: Json, key: string) => acc[key], this.doc);
    }
    return o;
  }

  /** Errors (empty when valid) of an answer against the documented response. */
  checkResponse(method: string, path: string, status: number, body: unknown, headers: Headers): string[] {
    const op = this.operation(method, path);
    if (!op) return [`${method} ${path} is not in the contract`];
    const key = String(status) in op.spec.responses ? String(status) : `${String(status)[0]}XX`;
    const response = op.spec.responses[key];
    if (!response) return [`${op.id}: status ${status} is not documented`];
    this.seen.add(`${op.id} ${key}`);
    const resolved = this.deref(response);
    const errors: string[] = [];
    for (const [name, h] of Object.entries((resolved.headers ?? {}) as Json)) {
      if ((h as Json).required && !headers.has(name)) errors.push(`${op.id} ${status}: header ${name} missing`);
    }
    const pointer = this.responsePointer(op, key, response);
    const v = this.validator(pointer);
    if (!v(body)) errors.push(...(v.errors ?? []).map((e) => `${op.id} ${status}: ${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`));
    return errors;
  }

  /** Errors of a request body against the documented request schema. */
  checkRequest(method: string, path: string, body: unknown): string[] {
    const op = this.operation(method, path);
    if (!op) return [`${method} ${path} is not in the contract`];
    if (!op.spec.requestBody) return body === undefined ? [] : [`${op.id}: takes no body`];
    const pointer = `/paths/${escape(op.template)}/${op.method.toLowerCase()}/requestBody/content/application~1json/schema`;
    const v = this.validator(pointer);
    return v(body) ? [] : (v.errors ?? []).map((e) => `${op.id} request: ${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
  }

  private responsePointer(op: Operation, key: string, response: Json): string {
    if (typeof response.$ref === 'string') return `${response.$ref.slice(1)}/content/application~1json/schema`;
    return `/paths/${escape(op.template)}/${op.method.toLowerCase()}/responses/${key}/content/application~1json/schema`;
  }

  /** A fetch that checks requests to and answers from the API and remembers any violation. */
  fetch(inner: typeof fetch = fetch): typeof fetch {
    return async (input, init) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const method = (init?.method ?? 'GET').toUpperCase();
      const where = `${method} ${url.pathname}${url.search}`;
      if (typeof init?.body === 'string') {
        const errors = this.checkRequest(method, url.pathname, JSON.parse(init.body));
        if (errors.length) this.requestViolations.push({ where, errors });
      }
      const res = await inner(input, init);
      const text = await res.text();
      if (url.pathname.startsWith('/api/')) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        const errors = this.checkResponse(method, url.pathname, res.status, body, res.headers);
        if (errors.length) this.violations.push({ where, errors });
      }
      return new Response(res.status === 204 ? null : text, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
  }
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
