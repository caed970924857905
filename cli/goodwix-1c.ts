/**
 * `goodwix-1c`: the control API from a terminal (docs/api.md, "Command line").
 *
 * In AWS it signs every request with SigV4 (service `execute-api`) using the standard AWS
 * credential chain (environment, profiles, SSO, …), against the API's URL (`--url` or
 * GOODWIX_1C_API_URL, the stack output). With `--local` it talks to `npm start -- --serve`
 * with its bearer token (`--url`/`--token` or GOODWIX_1C_URL/GOODWIX_1C_TOKEN).
 *
 * Tables by default, `--json` for scripts; the exit code says what happened (EXIT below).
 * Secrets are read from a prompt that does not echo, or from stdin, and are never printed.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** Exit codes: documented in docs/api.md. */
export const EXIT = {
  ok: 0,
  /** Something unexpected (a bug, an answer that is not JSON) */
  error: 1,
  /** Bad command line: unknown command, missing argument, bad flag */
  usage: 2,
  /** 404: no such plan, run or order */
  notFound: 3,
  /** 409/412: a run holds the plan, the plan changed meanwhile, the order is not parked */
  conflict: 4,
  /** 400/415 (and any other 4xx but those below): the request (a plan, a query) was refused as invalid */
  invalid: 5,
  /** 401/403: not signed, no token, or not allowed */
  auth: 6,
  /** 5xx, 408/429 (API Gateway's timeout and throttling), network: the service or the connection failed; try again */
  unavailable: 7,
  /** `plans check` ran and found problems; a run that ended failed or attention (`runs show`) */
  problems: 8,
} as const;

class UsageError extends Error {}

/**
 * Where the command reads and writes: the process's own streams from bin/goodwix-1c.js; a test
 * passes its own, so that its output never mixes with the test runner's on stdout.
 */
export interface Io {
  readonly stdin: Readable & { readonly isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

interface Options {
  readonly json: boolean;
  readonly local: boolean;
  readonly url: string | undefined;
  readonly token: string | undefined;
  readonly region: string | undefined;
  readonly profile: string | undefined;
  readonly flags: Readonly<Record<string, string | true>>;
}

const HELP: Record<string, string> = {
  main: `goodwix-1c — the control API of goodwix-1c-exchange

Usage: goodwix-1c [--local] [--json] <group> <command> [arguments] [flags]

Groups:
  plans    put|get|list|delete|check   the exchange plans
  runs     start|list|show             runs and their journal
  orders   list|show|resync|dismiss    orders' sync records; stuck orders
  secrets  put                         a plan's 1C or Goodwix credentials

Connection:
  AWS (default)  --url <API URL> (or GOODWIX_1C_API_URL), signed with SigV4 from the AWS
                 credential chain; --profile <name>, --region <region> (or AWS_REGION)
  --local        npm start -- --serve: --url (GOODWIX_1C_URL) and --token
                 (GOODWIX_1C_TOKEN), both printed at start

Output: a table; --json prints the API's answer as JSON.
Exit codes: 0 ok, 2 usage, 3 not found, 4 conflict, 5 invalid, 6 not authorised,
7 service unavailable or throttled (try again), 8 problems found (check, run),
1 anything else.
Run "goodwix-1c <group> --help" for a group's commands.`,
  plans: `goodwix-1c plans <command>

  list                          the plans, with their schedule's next slot
  get <planId>                  one plan (as JSON: what put takes back)
  put <planId> [--file f.json]  create or replace a plan from a file or stdin
  delete <planId>               delete a plan (refused while a run holds it)
  check <planId> [--field-map]  check the plan against 1C and Goodwix (exit 8 on problems)`,
  runs: `goodwix-1c runs <command>

  start <planId>                a manual run (Выполнить обмен)
  list <planId> [--limit n] [--cursor c]
  show <planId> <runId>         a run, its counters, problems and orders (exit 8 unless completed)`,
  orders: `goodwix-1c orders <command>

  list <planId> [--state parked|open|dismissed|all] [--limit n] [--cursor c]
  show <planId> <orderId>       the order's sync record
  resync <planId> <orderId>     exchange the order now, or right after the run holding the plan
  dismiss <planId> <orderId>    stop retrying a parked order (a resync brings it back)`,
  secrets: `goodwix-1c secrets put <planId> onec|goodwix

  Writes the secret the plan names (onec.credentialsSecret, goodwix.passwordSecret), below the
  plan's prefix. The value is read from a prompt that does not echo, or from stdin when it is
  not a terminal: the Goodwix password as is; for 1C either {"login":…,"password":…} on stdin,
  or the login and the password at two prompts. AWS: Secrets Manager (created if absent);
  --local: the running local runtime's memory.`,
};

// ---- arguments ----------------------------------------------------------------------------------

const VALUE_FLAGS = new Set(['url', 'token', 'region', 'profile', 'file', 'state', 'limit', 'cursor']);
const BOOLEAN_FLAGS = new Set(['json', 'local', 'help', 'field-map']);

function parseArgs(argv: readonly string[]): { words: string[]; options: Options; help: boolean } {
  const words: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '-h') {
      flags['help'] = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (BOOLEAN_FLAGS.has(name)) flags[name] = true;
    else if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else throw new UsageError(`unknown flag --${name}`);
  }
  const local = flags['local'] === true;
  const text = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const env = process.env;
  return {
    words,
    help: flags['help'] === true,
    options: {
      json: flags['json'] === true,
      local,
      url: text('url') ?? (local ? env['GOODWIX_1C_URL'] : env['GOODWIX_1C_API_URL']),
      token: text('token') ?? env['GOODWIX_1C_TOKEN'],
      region: text('region') ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'],
      profile: text('profile'),
      flags,
    },
  };
}

// ---- HTTP ---------------------------------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly body: any;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** SHA-256 and HMAC-SHA-256 for the SigV4 signer, from node:crypto. */
class Sha256 {
  readonly #hash;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

/** The API Gateway region from its URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>`). */
function regionOf(url: URL, given: string | undefined): string {
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname);
  const region = given ?? match?.[1];
  if (!region) throw new UsageError('no AWS region: pass --region or set AWS_REGION');
  return region;
}

async function signedHeaders(options: Options, method: string, url: URL, body: string | undefined, headers: Record<string, string>): Promise<Record<string, string>> {
  const [{ SignatureV4 }, { defaultProvider }] = await Promise.all([import('@smithy/signature-v4'), import('@aws-sdk/credential-provider-node')]);
  const signer = new SignatureV4({
    service: 'execute-api',
    region: regionOf(url, options.region),
    credentials: defaultProvider(options.profile ? { profile: options.profile } : {}),
    sha256: Sha256,
  });
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query,
    headers: { ...headers, host: url.host },
    ...(body === undefined ? {} : { body }),
  });
  return signed.headers as Record<string, string>;
}

/** The request's URL; a `--url` the command cannot use is a mistake on the command line (exit 2), not an unexpected error. */
function urlOf(given: string, path: string, local: boolean): URL {
  let url: URL | undefined;
  try {
    url = new URL(`${given.replace(/\/+$/, '')}${path}`);
  } catch {
    // refused below, naming the flag
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') throw new UsageError(`--url ${JSON.stringify(given)} is not an http(s) URL (--url or ${local ? 'GOODWIX_1C_URL' : 'GOODWIX_1C_API_URL'})`);
  return url;
}

async function call(options: Options, method: string, path: string, payload?: unknown): Promise<Answer> {
  if (!options.url) throw new UsageError(options.local ? 'no URL: pass --url or set GOODWIX_1C_URL (printed by npm start -- --serve)' : 'no API URL: pass --url or set GOODWIX_1C_API_URL (the stack output ApiUrl)');
  const url = urlOf(options.url, path, options.local);
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  let headers: Record<string, string> = { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  if (options.local) {
    if (!options.token) throw new UsageError('no token: pass --token or set GOODWIX_1C_TOKEN (printed by npm start -- --serve)');
    headers['authorization'] = `Bearer ${options.token}`;
  } else headers = await signedHeaders(options, method, url, body, headers);
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { error: { code: 'NOT_JSON', message: `the answer is not JSON (${response.status}): ${text.slice(0, 200)}` } };
    }
  }
  return { status: response.status, body: parsed };
}

function exitOf(status: number): number {
  if (status < 300) return EXIT.ok;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 412) return EXIT.conflict;
  if (status === 401 || status === 403) return EXIT.auth;
  // API Gateway's throttling (429) and a request timeout (408) pass: the same request may succeed later.
  if (status >= 500 || status === 408 || status === 429) return EXIT.unavailable;
  if (status >= 400) return EXIT.invalid;
  return EXIT.error;
}

// ---- output -------------------------------------------------------------------------------------

function table(rows: readonly (readonly unknown[])[], header: readonly string[]): string {
  const cells = [header, ...rows].map((row) => row.map((c) => (c === null || c === undefined ? '—' : String(c))));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  return cells.map((r) => r.map((c, i) => c + ' '.repeat(widths[i]! - [...c].length)).join('  ').trimEnd()).join('\n');
}

function short(text: unknown, max = 60): string {
  const s = String(text ?? '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function fields(pairs: readonly [string, unknown][]): string {
  return table(pairs.map(([k, v]) => [`${k}:`, typeof v === 'object' && v !== null ? JSON.stringify(v) : v]), ['', '']).split('\n').slice(1).join('\n');
}

/** A string from an answer's field, or undefined. */
function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function nextPage(body: { nextCursor?: string }): string {
  return body.nextCursor ? `\nmore: --cursor ${body.nextCursor}` : '';
}

const views = {
  plans: (b: any) =>
    table(b.items.map((p: any) => [p.id, p.name ?? '', p.schedule?.enabled ? 'on' : 'off', p.scheduleState?.nextSlot, p.version]), ['PLAN', 'NAME', 'SCHEDULE', 'NEXT SLOT', 'VERSION']) +
    // Stored plans that no longer validate are not in `items` and the tick skips them: without this the operator would not know they exist.
    (b.invalid?.length
      ? `\n\nstored plans that no longer validate (the tick skips them):\n${table(
          b.invalid.flatMap((p: any) => (p.issues?.length ? p.issues : ['']).map((issue: string, i: number) => [i === 0 ? p.planId : '', short(issue, 100)])),
          ['PLAN', 'ISSUE'],
        )}`
      : '') +
    nextPage(b),
  plan: (p: any) => JSON.stringify(p, null, 2),
  check: (c: any) =>
    `${c.ok ? 'ok' : 'problems found'}\n${c.problems?.length ? table(c.problems.map((p: any) => [p.code, short(p.subject, 30), short(p.message, 80)]), ['CODE', 'SUBJECT', 'MESSAGE']) : ''}`,
  runs: (b: any) => table(b.items.map((r: any) => [r.runId, r.trigger, r.status, r.startedAt, r.endedAt, r.counters.exported, r.counters.failed, r.errorCount]), ['RUN', 'TRIGGER', 'STATUS', 'STARTED', 'ENDED', 'EXPORTED', 'PARKED', 'PROBLEMS']) + nextPage(b),
  run: (r: any) =>
    fields([
      ['run', r.runId],
      ['status', r.status],
      ['trigger', r.trigger],
      ['started', r.startedAt],
      ['ended', r.endedAt],
      ['summary', r.summary],
      ['counters', Object.entries(r.counters).map(([k, v]) => `${k} ${v}`).join(', ')],
    ]) +
    (r.errors?.length ? `\n\nproblems:\n${table(r.errors.map((p: any) => [p.code, short(p.subject, 30), short(p.message, 80)]), ['CODE', 'SUBJECT', 'MESSAGE'])}` : '') +
    (r.orders?.items?.length ? `\n\norders:\n${table(r.orders.items.map((o: any) => [o.orderId, o.outcome, o.error?.code, short(o.error?.message ?? o.detail?.message, 70)]), ['ORDER', 'OUTCOME', 'ERROR', 'MESSAGE'])}` : '') +
    nextPage(r.orders ?? {}),
  accepted: (a: any) =>
    a.runId ? `run ${a.runId} started (${a.trigger})${a.orderId ? ` for order ${a.orderId}` : ''}` : `resync of order ${a.orderId} requested: run ${a.afterRunId ?? '?'} holds the plan; it starts right after`,
  orders: (b: any) =>
    table(
      b.items.map((o: any) => [o.orderId, o.state, o.status, o.onecNumber, o.parked?.code, o.parked?.since ?? o.dismissed?.at, o.parked?.attempts, short(o.dismissed ? `dismissed by ${o.dismissed.by}` : o.parked?.message, 60)]),
      ['ORDER', 'STATE', 'STATUS', '1C NUMBER', 'REASON', 'SINCE', 'ATTEMPTS', 'MESSAGE'],
    ) + nextPage(b),
  order: (o: any) =>
    fields([
      ['order', o.orderId],
      ['status', o.status],
      ['1C document', o.onec ? `${o.onec.number} (${o.onec.ref})` : null],
      ['open', o.open],
      ['parked', o.parked ? `${o.parked.code} since ${o.parked.since}, ${o.parked.attempts} attempt(s): ${o.parked.message}` : null],
      ['dismissed', o.dismissed ? `by ${o.dismissed.by} at ${o.dismissed.at}` : null],
      ['updated', o.updatedAt],
    ]) + (o.history?.length ? `\n\nhistory:\n${table(o.history.map((h: any) => [h.at, h.outcome, h.runId, short(h.message, 60)]), ['AT', 'OUTCOME', 'RUN', 'MESSAGE'])}` : ''),
};

// ---- secrets ------------------------------------------------------------------------------------

async function readAllStdin({ stdin }: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer | string));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
async function promptHidden({ stdin, stderr }: Io, question: string): Promise<string> {
  stderr.write(question);
  stdin.setRawMode?.(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.off('data', onData);
          stdin.setRawMode?.(false);
          stdin.pause();
          stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          stdin.setRawMode?.(false);
          reject(new UsageError('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function secretValue(io: Io, kind: 'onec' | 'goodwix'): Promise<string | object> {
  if (!io.stdin.isTTY) {
    const text = await readAllStdin(io);
    if (!text) throw new UsageError('no secret on stdin');
    if (kind === 'goodwix') return text;
    try {
      const parsed = JSON.parse(text) as { login?: unknown; password?: unknown };
      if (typeof parsed.login === 'string' && typeof parsed.password === 'string' && parsed.login && parsed.password) return { login: parsed.login, password: parsed.password };
    } catch {
      // fall through to the usage error, which never repeats the input
    }
    throw new UsageError('the 1C secret on stdin must be {"login": "…", "password": "…"}');
  }
  if (kind === 'goodwix') return promptHidden(io, 'Goodwix password: ');
  const login = await promptHidden(io, '1C login: ');
  const password = await promptHidden(io, '1C password: ');
  if (!login || !password) throw new UsageError('both the login and the password are needed');
  return { login, password };
}

async function putSecret(options: Options, io: Io, planId: string, kind: 'onec' | 'goodwix'): Promise<{ code: number; out: unknown; status?: number }> {
  const plan = await call(options, 'GET', `/plans/${encodeURIComponent(planId)}`);
  if (plan.status !== 200) return { code: exitOf(plan.status), out: plan.body, status: plan.status };
  const name: string | undefined = kind === 'onec' ? plan.body?.onec?.credentialsSecret : plan.body?.goodwix?.passwordSecret;
  if (!name) throw new UsageError(`plan ${planId} names no ${kind} secret`);
  const value = await secretValue(io, kind);
  if (options.local) {
    const answer = await call(options, 'PUT', `/local/secrets/${encodeURIComponent(name)}`, { value });
    return { code: exitOf(answer.status), out: answer.status < 300 ? { name, stored: true } : answer.body, status: answer.status };
  }
  const sm = await import('@aws-sdk/client-secrets-manager');
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  // The secret goes to the deployment the API belongs to: the region the request to the API was
  // signed for (its URL's, unless --region or AWS_REGION says otherwise), not the profile's default.
  const client = new sm.SecretsManagerClient({
    region: regionOf(new URL(options.url!), options.region),
    ...(options.profile ? { profile: options.profile } : {}),
    credentials: defaultProvider(options.profile ? { profile: options.profile } : {}),
  });
  const SecretString = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    await client.send(new sm.PutSecretValueCommand({ SecretId: name, SecretString }));
  } catch (error) {
    if (!(error instanceof sm.ResourceNotFoundException)) throw error;
    await client.send(new sm.CreateSecretCommand({ Name: name, SecretString, Description: `goodwix-1c-exchange: ${kind} secret of plan ${planId}` }));
  } finally {
    client.destroy();
  }
  return { code: EXIT.ok, out: { name, stored: true } };
}

// ---- commands -----------------------------------------------------------------------------------

/**
 * The command's arguments, `count` of them. Those the usage names `<…>` are ids that become one
 * path segment each: "." and ".." would be read by URL normalisation as path steps (`orders show
 * demo ..` would ask for the plan itself), and an empty one would drop the segment.
 */
function need(words: readonly string[], count: number, usage: string): string[] {
  if (words.length < count) throw new UsageError(`usage: goodwix-1c ${usage}`);
  if (words.length > count) throw new UsageError(`unexpected argument "${words[count]}"; usage: goodwix-1c ${usage}`);
  const ids = [...usage.matchAll(/<(\w+)>/g)].map((m) => m[1]!);
  for (const [i, name] of ids.entries()) {
    const word = words[i]!;
    if (word === '' || word === '.' || word === '..') throw new UsageError(`<${name}> ${JSON.stringify(word)} is not an id; usage: goodwix-1c ${usage}`);
  }
  return [...words];
}

/** A plan from `--file`: a file that cannot be read is a mistake on the command line (exit 2), named. */
function readPlanFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--file ${JSON.stringify(file)}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : (error as Error).message}`);
  }
}

function pageQuery(options: Options, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams(extra);
  for (const name of ['limit', 'cursor']) if (typeof options.flags[name] === 'string') q.set(name, options.flags[name] as string);
  const text = q.toString();
  return text ? `?${text}` : '';
}

const enc = encodeURIComponent;

/** What a command answered: the exit code, the body to print, how to print it, and the HTTP status of the API's answer (for errors that carry no code of ours). */
type Result = { code: number; out: unknown; view?: (body: any) => string; status?: number };

async function run(words: readonly string[], options: Options, io: Io): Promise<Result> {
  const [group, command, ...args] = words;
  const answer = async (method: string, path: string, view: (b: any) => string, payload?: unknown, okCode?: (b: any) => number): Promise<Result> => {
    const a = await call(options, method, path, payload);
    const code = exitOf(a.status);
    return { code: code === EXIT.ok && okCode ? okCode(a.body) : code, out: a.body, view, status: a.status };
  };
  switch (`${group} ${command}`) {
    case 'plans list':
      need(args, 0, 'plans list');
      return answer('GET', `/plans${pageQuery(options)}`, views.plans);
    case 'plans get': {
      const [id] = need(args, 1, 'plans get <planId>');
      return answer('GET', `/plans/${enc(id!)}`, views.plan);
    }
    case 'plans put': {
      const [id] = need(args, 1, 'plans put <planId> [--file plan.json]');
      const file = options.flags['file'];
      const text = typeof file === 'string' && file !== '-' ? readPlanFile(file) : await readAllStdin(io);
      let plan: unknown;
      try {
        plan = JSON.parse(text);
      } catch {
        throw new UsageError('the plan is not valid JSON');
      }
      return answer('PUT', `/plans/${enc(id!)}`, views.plan, plan);
    }
    case 'plans delete': {
      const [id] = need(args, 1, 'plans delete <planId>');
      const deleted = await answer('DELETE', `/plans/${enc(id!)}`, (b) => `plan ${b.id} deleted`);
      // The API answers 204 without a body: say what was done (and give --json an object to read, as secrets put does).
      return deleted.code === EXIT.ok ? { ...deleted, out: { id, deleted: true } } : deleted;
    }
    case 'plans check': {
      const [id] = need(args, 1, 'plans check <planId> [--field-map]');
      return answer('POST', `/plans/${enc(id!)}/check${options.flags['field-map'] ? '?fieldMap=true' : ''}`, views.check, undefined, (b) => (b.ok ? EXIT.ok : EXIT.problems));
    }
    case 'runs start': {
      const [id] = need(args, 1, 'runs start <planId>');
      return answer('POST', `/plans/${enc(id!)}/runs`, views.accepted);
    }
    case 'runs list': {
      const [id] = need(args, 1, 'runs list <planId>');
      return answer('GET', `/plans/${enc(id!)}/runs${pageQuery(options)}`, views.runs);
    }
    case 'runs show': {
      const [id, runId] = need(args, 2, 'runs show <planId> <runId>');
      return answer('GET', `/plans/${enc(id!)}/runs/${enc(runId!)}${pageQuery(options)}`, views.run, undefined, (b) => (b.status === 'completed' || b.status === 'running' ? EXIT.ok : EXIT.problems));
    }
    case 'orders list': {
      const [id] = need(args, 1, 'orders list <planId> [--state parked|open|dismissed|all]');
      const state = options.flags['state'];
      return answer('GET', `/plans/${enc(id!)}/orders${pageQuery(options, typeof state === 'string' ? { state } : {})}`, views.orders);
    }
    case 'orders show': {
      const [id, orderId] = need(args, 2, 'orders show <planId> <orderId>');
      return answer('GET', `/plans/${enc(id!)}/orders/${enc(orderId!)}`, views.order);
    }
    case 'orders resync': {
      const [id, orderId] = need(args, 2, 'orders resync <planId> <orderId>');
      return answer('POST', `/plans/${enc(id!)}/orders/${enc(orderId!)}/resync`, views.accepted);
    }
    case 'orders dismiss': {
      const [id, orderId] = need(args, 2, 'orders dismiss <planId> <orderId>');
      return answer('POST', `/plans/${enc(id!)}/orders/${enc(orderId!)}/dismiss`, (o) => `order ${o.orderId} dismissed by ${o.dismissed?.by} at ${o.dismissed?.at}; a resync brings it back`);
    }
    case 'secrets put': {
      const [id, kind] = need(args, 2, 'secrets put <planId> onec|goodwix');
      if (kind !== 'onec' && kind !== 'goodwix') throw new UsageError('the secret is onec or goodwix');
      return { ...(await putSecret(options, io, id!, kind)), view: (b) => `secret ${b.name} stored` };
    }
    default:
      throw new UsageError(group && HELP[group] ? `unknown command "${group} ${command ?? ''}"\n\n${HELP[group]}` : `unknown command "${words.join(' ')}"\n\n${HELP['main']}`);
  }
}

export async function main(argv: readonly string[], io: Io = process): Promise<number> {
  const { stdout, stderr } = io;
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    stderr.write(`${(error as Error).message}\n`);
    return EXIT.usage;
  }
  const { words, options, help } = parsed;
  if (help || words.length === 0) {
    stdout.write(`${HELP[words[0] ?? 'main'] ?? HELP['main']}\n`);
    return words.length === 0 && !help ? EXIT.usage : EXIT.ok;
  }
  try {
    const { code, out, view, status } = await run(words, options, io);
    const failed = code !== EXIT.ok && code !== EXIT.problems;
    if (options.json) (failed ? stderr : stdout).write(`${JSON.stringify(out, null, 2)}\n`);
    else if (failed) {
      const body = out as { error?: { code?: string; message?: string; details?: { issues?: string[] } }; message?: unknown; Message?: unknown } | null;
      const error = body?.error;
      // API Gateway answers with its own body, `{"message": …}` (throttling, timeout, a missing token) or
      // `{"Message": …}` (an IAM deny), before the API is reached: its message and the status say why.
      const message = error?.message ?? textOf(body?.message) ?? textOf(body?.Message) ?? 'failed';
      stderr.write(`${error?.code ?? (status === undefined ? 'ERROR' : `HTTP ${status}`)}: ${message}\n${(error?.details?.issues ?? []).map((i) => `  ${i}\n`).join('')}`);
    } else if (view && out !== null) stdout.write(`${view(out)}\n`);
    return code;
  } catch (error) {
    if (error instanceof UsageError) {
      stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    const name = (error as Error).name;
    // fetch failures (connection refused, DNS) and AWS credential problems are not bugs of ours.
    if (error instanceof TypeError && /fetch failed/.test((error as Error).message)) {
      stderr.write(`cannot reach ${options.url}: ${((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message)}\n`);
      return EXIT.unavailable;
    }
    if (name === 'CredentialsProviderError' || name === 'AccessDeniedException' || name === 'UnrecognizedClientException') {
      stderr.write(`AWS: ${(error as Error).message}\n`);
      return EXIT.auth;
    }
    stderr.write(`${name}: ${(error as Error).message}\n`);
    return EXIT.error;
  }
}
