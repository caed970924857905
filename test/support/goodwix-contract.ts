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
      o = o.$ref.slice(2).split('/').map(unescapePointer).reduce((acc: Json, key: string) => acc[key], this.doc);
    }
    return o;
  }

  /** The documented methods of the path `path` falls under (empty when no path matches). */
  methodsOf(path: string): string[] {
    return this.operations.filter((o) => o.pattern.test(path)).map((o) => o.method);
  }

  /**
   * A method the document does not list on a path it does: the answer the document promises
   * for it (`x-method-not-allowed`: 405 with `Allow` naming the listed methods).
   */
  private checkMethodNotAllowed(method: string, path: string, status: number, body: unknown, headers: Headers): string[] {
    const where = `${method} ${path}`;
    const promise = this.doc['x-method-not-allowed'] as Json | undefined;
    if (!promise?.response) return [`${where} is not in the contract (no x-method-not-allowed)`];
    if (status !== promise.status) return [`${where}: status ${status}, the contract promises ${String(promise.status)} for an unlisted method`];
    this.seen.add(`* ${status}`);
    const errors: string[] = [];
    const allow = (headers.get('allow') ?? '').split(',').map((m) => m.trim()).filter(Boolean).sort();
    const listed = [...new Set(this.methodsOf(path))].sort();
    if (JSON.stringify(allow) !== JSON.stringify(listed)) errors.push(`${where} 405: Allow is ${JSON.stringify(allow)}, the contract lists ${JSON.stringify(listed)}`);
    const v = this.validator(`${(promise.response.$ref as string).slice(1)}/content/application~1json/schema`);
    if (!v(body)) errors.push(...(v.errors ?? []).map((e) => `${where} 405: ${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`));
    return errors;
  }

  /** A path the document does not have: the answer it promises for one (`x-unknown-path`). */
  private checkUnknownPath(method: string, path: string, status: number, body: unknown): string[] {
    const where = `${method} ${path}`;
    const promise = this.doc['x-unknown-path'] as Json | undefined;
    if (!promise?.response) return [`${where} is not in the contract`];
    if (status !== promise.status) return [`${where}: status ${status}, the contract promises ${String(promise.status)} for a path it does not have`];
    this.seen.add(`? ${status}`);
    const v = this.validator(`${(promise.response.$ref as string).slice(1)}/content/application~1json/schema`);
    return v(body) ? [] : (v.errors ?? []).map((e) => `${where} ${status}: ${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
  }

  /** Errors (empty when valid) of an answer against the documented response. */
  checkResponse(method: string, path: string, status: number, body: unknown, headers: Headers): string[] {
    const op = this.operation(method, path);
    if (!op && this.methodsOf(path).length > 0) return this.checkMethodNotAllowed(method, path, status, body, headers);
    if (!op) return this.checkUnknownPath(method, path, status, body);
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
    const pointer = `/paths/${escapePointer(op.template)}/${op.method.toLowerCase()}/requestBody/content/application~1json/schema`;
    const v = this.validator(pointer);
    return v(body) ? [] : (v.errors ?? []).map((e) => `${op.id} request: ${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
  }

  /**
   * Why the document refuses a whole request — path parameters, query parameters, header
   * parameters and body — or [] when it accepts it. Parameter values are read as the document
   * types them (an integer parameter that is not digits is refused); a repeated query parameter
   * is checked occurrence by occurrence.
   */
  checkRequestParts(method: string, url: URL, headers: Headers, rawBody: string | undefined): string[] {
    const op = this.operation(method, url.pathname);
    if (!op) return [`${method} ${url.pathname} is not in the contract`];
    const errors: string[] = [];
    const prefix = (this.doc.servers?.[0]?.url as string | undefined) ?? '';
    const names: string[] = [];
    const templateRe = new RegExp(`^${(prefix + op.template).replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`);
    const pathValues = templateRe.exec(url.pathname)!.slice(1);
    const params = ((op.spec.parameters ?? []) as Json[]).map((p, i) => ({ spec: this.deref(p), pointer: typeof p.$ref === 'string' ? `${(p.$ref as string).slice(1)}/schema` : `/paths/${escapePointer(op.template)}/${op.method.toLowerCase()}/parameters/${i}/schema` }));
    for (const { spec, pointer } of params) {
      let values: string[];
      if (spec.in === 'path') values = [decodeURIComponent(pathValues[names.indexOf(spec.name)] ?? '')];
      else if (spec.in === 'query') values = url.searchParams.getAll(spec.name);
      else if (spec.in === 'header') values = headers.has(spec.name) ? [headers.get(spec.name)!] : [];
      else continue;
      if (values.length === 0) {
        if (spec.required) errors.push(`${op.id} request: ${spec.in} parameter ${spec.name} is required`);
        continue;
      }
      const v = this.validator(pointer);
      const type = this.deref(spec.schema ?? {}).type;
      // Parameters are `style: form, explode: false` (or simple): one occurrence, lists comma-separated.
      if (values.length > 1 && type !== 'array') errors.push(`${op.id} request: ${spec.in} parameter ${spec.name} given ${values.length} times`);
      for (const text of values) {
        const value = type === 'integer' ? (/^-?\d+$/.test(text) ? Number(text) : text) : type === 'number' ? (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text) : text;
        if (!v(value)) errors.push(...(v.errors ?? []).map((e) => `${op.id} request: ${spec.in} parameter ${spec.name}=${JSON.stringify(text.slice(0, 60))} ${e.message} ${JSON.stringify(e.params)}`));
      }
    }
    const body = op.spec.requestBody as Json | undefined;
    if (!body) {
      if (rawBody !== undefined && rawBody !== '') errors.push(`${op.id}: takes no body`);
    } else if (rawBody === undefined || rawBody.trim() === '') {
      if (body.required) errors.push(`${op.id} request: a body is required`);
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rawBody);
      } catch {
        errors.push(`${op.id} request: the body is not JSON`);
        return errors;
      }
      errors.push(...this.checkRequest(method, url.pathname, parsed));
    }
    return errors;
  }

  private responsePointer(op: Operation, key: string, response: Json): string {
    if (typeof response.$ref === 'string') return `${response.$ref.slice(1)}/content/application~1json/schema`;
    return `/paths/${escapePointer(op.template)}/${op.method.toLowerCase()}/responses/${key}/content/application~1json/schema`;
  }

  /** A fetch that checks requests to (parameters, headers, body) and answers from the API and remembers any violation. */
  fetch(inner: typeof fetch = fetch): typeof fetch {
    return async (input, init) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const method = (init?.method ?? 'GET').toUpperCase();
      const where = `${method} ${url.pathname}${url.search}`;
      if (url.pathname.startsWith('/api/') && this.operation(method, url.pathname)) {
        const body = init?.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : '(not text)';
        const errors = this.checkRequestParts(method, url, new Headers(init?.headers), body);
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

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
