/**
 * The control API's contract (docs/control-api.openapi.json) as a check on every answer the
 * API tests get: status, headers, content type and body must be what the document describes
 * for that method and path, errors included. The ways in are wrappers the tests call the API
 * through — `checkedFetch` (HTTP, the local runtime's front), `checkedApi` (the same calls as
 * `runtime.api`) and `contract.assertAnswer` (the Lambda handler's own results) — and each fails
 * the test at the call that got an undescribed answer.
 *
 * Beyond the schemas it holds the API to two rules the document states: an id in the path that
 * breaks its parameter's pattern never gets a 2xx, and a body the API accepted (2xx) is one the
 * document's request schema accepts. Requests matching no path, or a path with another method,
 * are checked against the document's `x-unmatched-requests`.
 */
import assert from 'node:assert/strict';
import type { ApiAnswer, LocalRuntime } from '#local/runtime/runtime';
import { escapePointer, OpenApiDocument, type Json } from './openapi.ts';

export const CONTROL_API_DOCUMENT = 'docs/control-api.openapi.json';

const METHODS = ['get', 'head', 'put', 'post', 'delete', 'patch', 'options'] as const;

interface PathTemplate {
  readonly template: string;
  readonly pattern: RegExp;
  readonly params: readonly string[];
  readonly item: Json;
}

/** One answer of the API, as a test saw it. */
export interface ControlAnswer {
  readonly method: string;
  /** The request's path as sent (percent-encoded), query allowed */
  readonly path: string;
  readonly status: number;
  readonly headers: Headers | Readonly<Record<string, string | number | boolean | undefined>>;
  /** The body as text ('' for none) */
  readonly body: string;
  /** The request's body as sent, if any */
  readonly requestBody?: string;
}

export class ControlApiContract extends OpenApiDocument {
  readonly paths: readonly PathTemplate[];
  /** "operationId status" (or "anyOtherPath 404") pairs answered so far */
  readonly seen = new Set<string>();

  constructor() {
    super(CONTROL_API_DOCUMENT);
    this.paths = Object.entries(this.doc.paths as Json).map(([template, item]) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '([^/]+)')}$`),
      params: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
      item: item as Json,
    }));
  }

  /** What the document says about every answer to `method path`, and where it says it. */
  private lookup(method: string, rawPath: string): { name: string; pointer: string; responses: Json; path?: PathTemplate; params?: Record<string, string | null> } {
    const pathOnly = rawPath.split('?')[0]!.replace(/(.)\/$/, '$1');
    for (const path of this.paths) {
      const m = path.pattern.exec(pathOnly);
      if (!m) continue;
      const params: Record<string, string | null> = {};
      path.params.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]!);
        } catch {
          params[name] = null;
        }
      });
      const op = path.item[method.toLowerCase()] as Json | undefined;
      if (!op) return { name: `${path.template} anyOtherMethod`, pointer: '/x-unmatched-requests/anyOtherMethod', responses: this.doc['x-unmatched-requests'].anyOtherMethod, path, params };
      const pointer = `/paths/${escapePointer(path.template)}/${method.toLowerCase()}/responses`;
      return { name: op.operationId as string, pointer, responses: op.responses as Json, path, params };
    }
    return { name: 'anyOtherPath', pointer: '/x-unmatched-requests/anyOtherPath', responses: this.doc['x-unmatched-requests'].anyOtherPath };
  }

  /** Every way the answer departs from the document (empty when it is described). */
  check(answer: ControlAnswer): string[] {
    const method = answer.method.toUpperCase();
    const where = `${method} ${answer.path.length > 120 ? `${answer.path.slice(0, 120)}…` : answer.path} → ${answer.status}`;
    const headers = answer.headers instanceof Headers ? answer.headers : toHeaders(answer.headers);
    const found = this.lookup(method, answer.path);
    const key = [String(answer.status), `${String(answer.status)[0]}XX`, 'default'].find((k) => k in found.responses);
    if (!key) return [`${where}: status ${answer.status} is not documented for ${found.name}`];
    this.seen.add(`${found.name} ${key}`);
    const errors: string[] = [];
    const responsePointer = this.pointerOf(`${found.pointer}/${key}`);
    const response = this.deref(found.responses[key] as Json);

    for (const [name, spec] of Object.entries((response.headers ?? {}) as Json)) {
      const header = this.deref(spec as Json);
      const value = headers.get(name);
      if (value === null) {
        if (header.required) errors.push(`${where}: header ${name} missing`);
        continue;
      }
      if (header.schema) errors.push(...this.errors(`${this.pointerOf(`${responsePointer}/headers/${escapePointer(name)}`)}/schema`, value, `${where} header ${name}`));
    }
    if (found.pointer.endsWith('anyOtherMethod') && found.path) {
      const documented = METHODS.filter((m) => m in found.path!.item).map((m) => m.toUpperCase());
      const allow = (headers.get('allow') ?? '').split(',').map((m) => m.trim()).filter(Boolean);
      if ([...allow].sort().join() !== [...documented].sort().join()) errors.push(`${where}: Allow "${allow.join(', ')}" is not the documented methods ${documented.join(', ')}`);
    }

    const content = response.content as Json | undefined;
    if (method === 'HEAD' || !content) {
      if (answer.body !== '') errors.push(`${where}: expected no body, got ${JSON.stringify(answer.body.slice(0, 200))}`);
    } else {
      const type = headers.get('content-type') ?? '';
      if (type.split(';')[0]!.trim().toLowerCase() !== 'application/json') errors.push(`${where}: content-type "${type}" is not application/json`);
      let body: unknown;
      try {
        body = JSON.parse(answer.body);
      } catch {
        return [...errors, `${where}: body is not JSON: ${JSON.stringify(answer.body.slice(0, 200))}`];
      }
      errors.push(...this.errors(`${responsePointer}/content/application~1json/schema`, body, where));
    }

    if (answer.status < 400 && found.path && found.params) {
      for (const name of found.path.params) {
        const value = found.params[name];
        const pointer = `/components/schemas/${this.deref(this.doc.components.parameters[name]).schema.$ref.split('/').pop()}`;
        if (value === null || !this.validator(pointer)(value)) errors.push(`${where}: path parameter ${name} breaks its documented pattern yet the answer is ${answer.status}`);
      }
    }
    if (answer.status < 300 && answer.requestBody !== undefined && answer.requestBody !== '' && !found.pointer.startsWith('/x-')) {
      const requestPointer = `${found.pointer.replace(/\/responses$/, '')}/requestBody/content/application~1json/schema`;
      if (this.at(requestPointer) === undefined) errors.push(`${where}: the API accepted a body the document says ${found.name} does not take`);
      else {
        let sent: unknown;
        try {
          sent = JSON.parse(answer.requestBody);
        } catch {
          sent = answer.requestBody;
        }
        errors.push(...this.errors(requestPointer, sent, `${where} request body accepted by the API`));
      }
    }
    return errors;
  }

  /** Fails (AssertionError) when the answer is not what the document describes. */
  assertAnswer(answer: ControlAnswer): void {
    const errors = this.check(answer);
    assert.deepEqual(errors, [], `answer not described by ${CONTROL_API_DOCUMENT}:\n${errors.join('\n')}`);
  }
}

function toHeaders(record: Readonly<Record<string, string | number | boolean | undefined>>): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(record)) if (v !== undefined) headers.set(k, String(v));
  return headers;
}

let shared: ControlApiContract | undefined;
/** One compiled document per test process. */
export function controlApiContract(): ControlApiContract {
  shared ??= new ControlApiContract();
  return shared;
}

/** A fetch that checks every answer of the control API against the document (and fails the call otherwise). */
export function checkedFetch(contract: ControlApiContract = controlApiContract()): typeof fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const response = await fetch(input, init);
    const text = await response.text();
    const requestBody = typeof init?.body === 'string' ? init.body : init?.body instanceof Uint8Array ? Buffer.from(init.body).toString('utf8') : undefined;
    contract.assertAnswer({
      method: init?.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      status: response.status,
      headers: response.headers,
      body: text,
      ...(requestBody === undefined ? {} : { requestBody }),
    });
    return new Response(response.status === 204 || response.status === 304 || text === '' ? null : text, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** `runtime.api` with every answer checked against the document. */
export function checkedApi(runtime: Pick<LocalRuntime, 'apiUrl' | 'token'>, contract: ControlApiContract = controlApiContract()): LocalRuntime['api'] {
  const fetchChecked = checkedFetch(contract);
  return async (method, path, body, options = {}): Promise<ApiAnswer> => {
    const bearer = options.token === undefined ? runtime.token : options.token;
    const response = await fetchChecked(`${runtime.apiUrl}${path}`, {
      method,
      headers: { ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null, headers: response.headers };
  };
}
