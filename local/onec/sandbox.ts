/**
 * The 1C sandbox: an HTTP server that behaves like a UT 11 publication of 1C's standard OData
 * interface, quirks included (see ../shared/brief/onec-odata.md and local/onec/README.md).
 *
 *   const onec = await startOneCSandbox({ port: 0 });
 *   await fetch(`${onec.baseUrl}Catalog_Номенклатура?$format=json`, { headers: { authorization: basic(onec.login, onec.password) } });
 *   onec.faults.set({ loseNextResponses: 1, match: { method: 'POST', entitySet: 'Document_ЗаказКлиента' } });
 *   await onec.close();
 *
 * Listens on 127.0.0.1 only. `close()` destroys every open connection, hanging ones included.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { demoOneC } from '#local/demo/supplier';
import { OneCBase } from './base.ts';
import { Engine, balanceRows } from './engine.ts';
import { ODataError, badValue, internal, notFound, unknownSegment } from './errors.ts';
import { FaultState, faultsPatch, faultsView, type FaultRequest, type OneCFaults } from './faults.ts';
import { compileFilter } from './filter.ts';
import { buildMetadata } from './metadata.ts';
import {
  ENTITIES, NS, REGISTERS, entityByName, recordType, registerBalanceFields, registerByName, registerRecordFields,
  type EntityDef, type RecordType, type RegisterDef, type SectionDef,
} from './model.ts';
import { projectOne, resolverFor, runQuery, type Collection, type NavLookup, type QueryOptions } from './query.ts';
import { parseDateLiteral, parseGuidLiteral, parseQuery, splitArgs, splitPath, unquote, type Segment } from './router.ts';
import { seedDemo } from './seed.ts';
import type { Rec } from './values.ts';

export type { OneCFaults, FaultMatch, FaultRequest } from './faults.ts';

export interface OneCSandboxOptions {
  /** 0 (default) = a free port */
  port?: number;
  /** Publication name, the first path segment; default `demoOneC.publication` ('trade') */
  publication?: string;
  /** Users allowed in; default the demo exchange user `Обмен` */
  users?: { login: string; password: string }[];
  /** 'demo' (default): the demo supplier's base; 'empty': catalogs and documents empty */
  seed?: 'demo' | 'empty';
  /**
   * Multiplies the demo base's opening stock (default 1), so thousands of exported orders can
   * be posted with their reserves (`npm run bench`); the demo's own figures assume 1.
   */
  stockScale?: number;
  /** Generated products on top of the demo's (`bulkProducts` of #local/demo/supplier; the Goodwix sandbox's option of the same name lists them) */
  extraProducts?: number;
  faults?: Partial<OneCFaults>;
  /**
   * Longest request target (path + query, as sent, percent-encoded) answered; longer ones get
   * 414 from the web server in front of 1C, as Apache's LimitRequestLine (8190) does. Default 8190.
   */
  maxUrlLength?: number;
  /** Serve HTTPS with this key and certificate (PEM), as a publication with the supplier's own CA does; default plain HTTP. */
  tls?: { key: string; cert: string };
}

export interface OneCRequestRecord {
  method: string;
  /** Path below the service root, decoded, without the query string */
  path: string;
  entitySet?: string;
  /** HTTP status answered; 0 when no answer was sent (hang, lost response) */
  status: number;
  /** Which injected fault hit the request, if any */
  fault?: 'error' | 'hang' | 'lost';
  /** Register records a Balance call summed (all of them without a Condition): the timing model's input */
  balanceRecords?: number;
  /** Set on a register Balance call without Condition (12–25 s on a real base) */
  warning?: 'balance-without-condition';
}

export interface OneCSandbox {
  /** http(s)://127.0.0.1:<port>/<publication>/odata/standard.odata/ */
  baseUrl: string;
  /** The first user's login and current password (`setPassword`). */
  login: string;
  readonly password: string;
  /**
   * An administrator changes a user's password in 1C: the old one is refused (401) from the
   * next request on. Throws for an unknown login.
   */
  setPassword(login: string, password: string): void;
  faults: { set(p: Partial<OneCFaults>): void; reset(): void; readonly current: OneCFaults };
  stats: {
    requests: OneCRequestRecord[];
    count(filter?: { method?: string; entitySet?: string }): number;
    reset(): void;
  };
  close(): Promise<void>;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

const JSON_TYPE = 'application/json;charset=utf-8';
/** The fault control, at the server root beside the publication. */
const FAULTS_PATH = '/_sandbox/faults';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': JSON_TYPE, DataServiceVersion: '3.0', ...headers }, body: JSON.stringify(body) };
}

function errorReply(e: ODataError): Reply {
  return json(e.status, e.body());
}

/** A header value carrying raw UTF-8 bytes, as real 1C writes Location (Node writes latin1 bytes). */
function rawUtf8Header(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

function decodeBasic(header: string | undefined): { login: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/iu.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { login: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** What a request addresses, for stats and fault matching; never throws. */
function describeRequest(method: string, rel: string): FaultRequest {
  try {
    const segs = splitPath(rel);
    const first = segs[0]?.name;
    const last = segs.length > 1 ? segs[segs.length - 1]!.name : undefined;
    const entitySet = first && first !== '' ? first : undefined;
    return { method, path: rel, ...(entitySet ? { entitySet } : {}), ...(last ? { action: last } : entitySet === '$metadata' ? { action: '$metadata' } : {}) };
  } catch {
    return { method, path: rel };
  }
}

export async function startOneCSandbox(options: OneCSandboxOptions = {}): Promise<OneCSandbox> {
  const publication = options.publication ?? demoOneC.publication;
  // Copied: `setPassword` changes the sandbox's users, never the caller's array.
  const users = (options.users ?? [{ login: demoOneC.login, password: demoOneC.password }]).map((u) => ({ ...u }));
  if (users.length === 0) throw new RangeError('at least one user is required');
  const base = new OneCBase(ENTITIES);
  const engine = new Engine(base);
  const stockScale = options.stockScale ?? 1;
  if (!(Number.isInteger(stockScale) && stockScale >= 1)) throw new RangeError(`stockScale must be a positive integer, not ${stockScale}`);
  if ((options.seed ?? 'demo') === 'demo') seedDemo(base, engine, { stockScale, extraProducts: options.extraProducts ?? 0 });
  const faults = new FaultState(options.faults ?? {});
  const requests: OneCRequestRecord[] = [];
  const metadataXml = buildMetadata();
  const prefix = `/${publication}/odata/standard.odata/`;
  const maxUrlLength = options.maxUrlLength ?? 8190;
  let baseUrl = '';

  // ---- connection and timer bookkeeping, so close() leaves nothing behind ----
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    if (ms <= 0 || closed) { resolve(); return; }
    const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
    timers.add(t);
  });
  let lastActivity = Number.NEGATIVE_INFINITY;
  let coldUntil = 0;
  const waitColdStartAndLatency = async (): Promise<void> => {
    const f = faults.current;
    const now = Date.now();
    if (f.coldStartMs > 0) {
      if (now < coldUntil) await sleep(coldUntil - now);
      else if (now - lastActivity >= f.idleMs) {
        coldUntil = now + f.coldStartMs;
        lastActivity = now;
        await sleep(f.coldStartMs);
      }
    }
    lastActivity = Math.max(lastActivity, Date.now());
    if (f.latencyMs > 0) await sleep(f.latencyMs);
  };

  const lookup: NavLookup = Object.assign(
    (targetSet: string, ref: string) => {
      const rec = base.get(targetSet, ref);
      const type = base.types.get(targetSet);
      return rec && type ? { rec, type } : undefined;
    },
    { typeOf: (targetSet: string) => base.types.get(targetSet) },
  );

  const entityUrl = (set: string) => (rec: Rec): string => `${set}(guid'${String(rec.Ref_Key)}')`;
  const metaUrl = (fragment: string): string => `${baseUrl}$metadata#${fragment}`;

  // ---- resources ----

  const registerSetTypes = new Map<string, RecordType>();
  for (const r of REGISTERS) {
    const rowSection: SectionDef = { name: 'RecordSet', rowType: `${r.set}_RowType`, fields: registerRecordFields(r), plainRows: true };
    registerSetTypes.set(r.set, recordType(r.set, [{ name: 'Recorder', kind: 'Composite', maxLength: 0 }], [rowSection]));
    registerSetTypes.set(`${r.set}_RecordType`, recordType(`${r.set}_RecordType`, registerRecordFields(r)));
  }

  /** The collection behind an entity set name, or code 6. */
  function collectionOf(name: string): { coll: Collection; def?: EntityDef; section?: SectionDef; register?: RegisterDef } {
    const def = entityByName.get(name);
    if (def) return { def, coll: { name, type: base.types.get(name)!, rows: base.list(name), entityUrl: entityUrl(name) } };
    for (const e of ENTITIES) {
      for (const s of e.sections) {
        if (`${e.set}_${s.name}` === name) {
          return { def: e, section: s, coll: { name, type: base.types.get(name)!, rows: base.sectionRows(e, s) } };
        }
      }
    }
    const reg = registerByName.get(name);
    if (reg) {
      const rows = engine.registers.recordSets(reg.set).map((rs) => ({ Recorder: rs.recorder, Recorder_Type: rs.recorderType, RecordSet: rs.rows as never }));
      return { register: reg, coll: { name, type: registerSetTypes.get(name)!, rows, keyField: 'Recorder' } };
    }
    if (name.endsWith('_RecordType')) {
      const r = registerByName.get(name.slice(0, -'_RecordType'.length));
      if (r) return { register: r, coll: { name, type: registerSetTypes.get(name)!, rows: engine.registers.records(r.set) } };
    }
    throw unknownSegment(name);
  }

  function readBalance(reg: RegisterDef, seg: Segment, query: Record<string, string>): { rows: Rec[]; type: RecordType; conditioned: boolean; share: number; records: number } {
    const args = seg.args !== undefined ? splitArgs(seg.args) : new Map<string, string>();
    for (const name of ['Condition', 'Dimensions', 'Period']) {
      if (!args.has(name) && query[name] !== undefined) args.set(name, name === 'Period' ? query[name]! : `'${query[name]!.replace(/'/gu, "''")}'`);
    }
    for (const k of args.keys()) if (!['Condition', 'Dimensions', 'Period'].includes(k)) throw unknownSegment(k === '' ? seg.args ?? '' : k);
    const dimType = recordType(`${reg.set}_Balance`, reg.dimensions);
    const conditionText = args.has('Condition') ? unquote(args.get('Condition')!, 'Condition') : '';
    const condition = conditionText.trim() === '' ? undefined : compileFilter(conditionText, resolverFor(dimType, lookup));
    let dimensions: string[] | undefined;
    if (args.has('Dimensions')) {
      const list = unquote(args.get('Dimensions')!, 'Dimensions').split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (list.length > 0) {
        dimensions = list.map((d) => {
          const f = reg.dimensions.find((x) => x.name === d || x.name === `${d}_Key`);
          if (!f) throw unknownSegment(d);
          return f.name;
        });
      }
    }
    const period = args.has('Period') && args.get('Period')!.trim() !== '' ? parseDateLiteral(args.get('Period')!, 'Period') : undefined;
    const records = engine.registers.records(reg.set);
    const rows = balanceRows(reg, records, {
      ...(period ? { period } : {}), ...(condition ? { condition } : {}), ...(dimensions ? { dimensions } : {}),
    });
    const fields = registerBalanceFields(reg).filter((f) => !dimensions || !reg.dimensions.includes(f) || dimensions.includes(f.name));
    // The timing model's share: the records 1C has to sum (all of them without a Condition).
    const admitted = condition ? records.filter((m) => m.Active !== false && condition(m)).length : records.length;
    return { rows, type: recordType(`${reg.set}_Balance`, fields), conditioned: condition !== undefined, share: records.length ? admitted / records.length : 0, records: admitted };
  }

  function keyOf(seg: Segment, section?: SectionDef): { ref: string; line?: number } {
    const args = splitArgs(seg.args ?? '');
    if (section) {
      const ref = args.get('Ref_Key');
      const line = args.get('LineNumber');
      if (!ref || !line || !/^\d+$/u.test(line.replace(/L$/u, ''))) throw badValue(`Неверный ключ сущности: (${seg.args ?? ''})`);
      return { ref: parseGuidLiteral(ref), line: Number(line.replace(/L$/u, '')) };
    }
    const raw = args.get('') ?? args.get('Ref_Key');
    if (raw === undefined || args.size !== 1) throw badValue(`Неверный ключ сущности: (${seg.args ?? ''})`);
    return { ref: parseGuidLiteral(raw) };
  }

  async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 32 * 1024 * 1024) throw badValue('Слишком большое тело запроса');
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/u, '');
    if (text.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Real 1C answers an unparsable body as an internal error (500, code -1), not as code 1.
      throw internal('Непредвиденный символ при чтении JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badValue('Тело запроса должно быть объектом JSON');
    return parsed as Record<string, unknown>;
  }

  function wantsJson(query: Record<string, string>): boolean {
    const f = (query.$format ?? '').toLowerCase();
    return f === 'json' || f.startsWith('application/json');
  }

  const notAcceptable = (): Reply => json(406, {
    'odata.error': { code: '-1', message: { lang: 'ru', value: 'Песочница 1С отвечает только в формате JSON: добавьте $format=json (реальная 1С без него отвечает Atom XML)' } },
  });

  /** Handles one authenticated request below the service root. */
  async function handle(method: string, rel: string, query: Record<string, string>, req: IncomingMessage, record: OneCRequestRecord, login: string): Promise<Reply> {
    const segs = rel === '' ? [] : splitPath(rel);
    const loadMode = String(req.headers['1c_odata_dataloadmode'] ?? '').toLowerCase() === 'true';
    const opts: QueryOptions = query;
    if (segs.length === 0) {
      if (method !== 'GET') throw unknownSegment(method);
      if (!wantsJson(query)) return notAcceptable();
      return json(200, { 'odata.metadata': `${baseUrl}$metadata`, value: [...ENTITIES.flatMap((e) => [e.set, ...e.sections.map((s) => `${e.set}_${s.name}`)]), ...REGISTERS.flatMap((r) => [r.set, `${r.set}_RecordType`])].map((n) => ({ name: n, url: n })) });
    }
    const [first, second, third] = segs as [Segment, Segment | undefined, Segment | undefined];
    if (first.name === '$metadata') {
      if (method !== 'GET' || segs.length > 1) throw unknownSegment(rel);
      return { status: 200, headers: { 'Content-Type': 'application/xml;charset=utf-8', DataServiceVersion: '3.0' }, body: metadataXml };
    }
    if (third) throw unknownSegment(third.name);
    const target = collectionOf(first.name);

    // Register virtual table: Register/Balance(...)
    if (target.register && second && first.args === undefined) {
      if (second.name !== 'Balance' || first.name !== target.register.set) throw unknownSegment(second.name);
      if (method !== 'GET') throw unknownSegment(method);
      const bal = readBalance(target.register, second, query);
      if (!bal.conditioned) record.warning = 'balance-without-condition';
      record.balanceRecords = bal.records;
      const cost = faults.current.balanceFullMs * (bal.conditioned ? bal.share : 1);
      if (cost > 0) await sleep(cost);
      if (!wantsJson(query)) return notAcceptable();
      const result = runQuery({ name: `${target.register.set}_Balance`, type: bal.type, rows: bal.rows }, opts, lookup);
      return json(200, { 'odata.metadata': metaUrl(`Collection(${NS}.${target.register.set}_Balance)`), ...(result.count !== undefined ? { 'odata.count': result.count } : {}), value: result.value });
    }

    // Collection
    if (first.args === undefined) {
      if (second) {
        if (second.name === '$count' && method === 'GET') {
          const result = runQuery(target.coll, { ...opts, $top: undefined, $skip: undefined, $inlinecount: 'allpages', $select: undefined, $expand: undefined }, lookup);
          return { status: 200, headers: { 'Content-Type': 'text/plain;charset=utf-8' }, body: result.count ?? '0' };
        }
        throw unknownSegment(second.name);
      }
      if (method === 'GET') {
        if (!wantsJson(query)) return notAcceptable();
        const result = runQuery(target.coll, opts, lookup);
        return json(200, { 'odata.metadata': metaUrl(target.coll.name), ...(result.count !== undefined ? { 'odata.count': result.count } : {}), value: result.value });
      }
      if (method === 'POST') {
        if (!target.def || target.section) throw unknownSegment(`${method} ${first.name}`);
        if (!wantsJson(query)) return notAcceptable();
        const body = await readBody(req);
        const rec = base.create(target.def, body, { author: login, loadMode });
        const location = `${baseUrl}${first.name}(guid'${String(rec.Ref_Key)}')`;
        return json(201, { 'odata.metadata': metaUrl(`${first.name}/@Element`), ...projectOne(target.coll, rec, {}, lookup) }, { Location: rawUtf8Header(location) });
      }
      throw unknownSegment(method);
    }

    // One entity: Set(key)[/Post|/Unpost|/Nav]
    if (target.register) throw unknownSegment(first.name);
    const def = target.def!;
    if (target.section) {
      const { ref, line } = keyOf(first, target.section);
      if (method !== 'GET' || second) throw unknownSegment(second?.name ?? method);
      const row = target.coll.rows.find((r) => r.Ref_Key === ref && r.LineNumber === line);
      if (!row) throw notFound();
      if (!wantsJson(query)) return notAcceptable();
      return json(200, { 'odata.metadata': metaUrl(`${first.name}/@Element`), ...projectOne(target.coll, row, opts, lookup) });
    }
    const { ref } = keyOf(first);
    if (second) {
      if ((second.name === 'Post' || second.name === 'Unpost') && method === 'POST') {
        if (def.kind !== 'Document') throw unknownSegment(second.name);
        const operational = query.PostingModeOperational ?? 'false';
        if (operational !== 'true' && operational !== 'false') throw badValue(`Невозможно преобразовать значение "${operational}" параметра PostingModeOperational к типу Edm.Boolean`);
        if (second.name === 'Post') engine.post(def, ref, operational === 'true', { loadMode });
        else engine.unpost(def, ref);
        return { status: 200 };
      }
      const navField = target.coll.type.navs.get(second.name);
      if (navField && method === 'GET') {
        const rec = base.require(def.set, ref);
        const found = lookup(navField.ref!, String(rec[navField.name]));
        if (!found) throw notFound();
        if (!wantsJson(query)) return notAcceptable();
        const coll: Collection = { name: navField.ref!, type: found.type, rows: [], entityUrl: entityUrl(navField.ref!) };
        return json(200, { 'odata.metadata': metaUrl(`${navField.ref!}/@Element`), ...projectOne(coll, found.rec, opts, lookup) });
      }
      throw unknownSegment(second.name);
    }
    if (method === 'GET') {
      const rec = base.require(def.set, ref);
      if (!wantsJson(query)) return notAcceptable();
      return json(200, { 'odata.metadata': metaUrl(`${first.name}/@Element`), ...projectOne(target.coll, rec, opts, lookup) });
    }
    if (method === 'PATCH' || method === 'MERGE') {
      base.require(def.set, ref);
      if (!wantsJson(query)) return notAcceptable();
      const body = await readBody(req);
      const rec = base.update(def, ref, body, { loadMode });
      return json(200, { 'odata.metadata': metaUrl(`${first.name}/@Element`), ...projectOne(target.coll, rec, {}, lookup) });
    }
    if (method === 'DELETE') {
      base.require(def.set, ref);
      base.remove(def, ref);
      engine.deleted(ref);
      return { status: 204 };
    }
    throw unknownSegment(method);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.headers['x-http-method'] as string | undefined)?.toUpperCase() ?? req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    const inside = path.startsWith(prefix);
    const rel = inside ? path.slice(prefix.length) : path;
    const described = describeRequest(method, rel);
    const record: OneCRequestRecord = { method, path: rel, ...(described.entitySet && inside ? { entitySet: described.entitySet } : {}), status: 0 };
    requests.push(record);

    const send = (reply: Reply): void => {
      record.status = reply.status;
      if (closed || res.destroyed) return;
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body);
      lastActivity = Date.now();
    };

    if (path === FAULTS_PATH) {
      // The harness's control, beside the publication: never faulted, delayed or counted.
      requests.pop();
      send(await faultsControl(method, req));
      return;
    }

    await waitColdStartAndLatency();
    if (closed) return;
    if (url.length > maxUrlLength) {
      send({ status: 414, headers: { 'Content-Type': 'text/html;charset=iso-8859-1' }, body: '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head><title>414 Request-URI Too Long</title></head><body><h1>Request-URI Too Long</h1><p>The requested URL\'s length exceeds the capacity limit for this server.</p></body></html>\n' });
      return;
    }
    if (!inside) {
      send({ status: 404, headers: { 'Content-Type': 'text/plain;charset=utf-8' }, body: 'Not Found' });
      return;
    }
    const creds = decodeBasic(req.headers.authorization);
    if (!creds || !users.some((u) => u.login === creds.login && u.password === creds.password)) {
      send({ status: 401, headers: { 'WWW-Authenticate': 'Basic realm="1C:Enterprise"', 'Content-Type': 'text/plain;charset=utf-8' }, body: '' });
      return;
    }
    const fault = faults.decide(described);
    if (fault) record.fault = fault;
    if (fault === 'hang') return; // accepted, never answered; close() destroys the socket
    if (fault === 'error') {
      send(errorReply(internal('Ошибка СУБД: Конфликт блокировок при выполнении транзакции: Превышено максимальное время ожидания предоставления блокировки')));
      return;
    }
    let reply: Reply;
    try {
      reply = await handle(method, rel, parseQuery(q < 0 ? '' : url.slice(q + 1)), req, record, creds.login);
    } catch (e) {
      if (e instanceof ODataError) reply = errorReply(e);
      else reply = errorReply(internal(`Внутренняя ошибка: ${(e as Error).message}`));
    }
    if (fault === 'lost') {
      // The request was performed (a write is committed); the answer never reaches the client.
      lastActivity = Date.now();
      req.socket.destroy();
      return;
    }
    send(reply);
  }

  /** `GET | PATCH | DELETE /_sandbox/faults`: what `faults.current / set / reset` do, over HTTP. */
  async function faultsControl(method: string, req: IncomingMessage): Promise<Reply> {
    const problem = (status: number, message: string, field?: string): Reply => json(status, { error: { message, ...(field ? { field } : {}) } });
    if (method === 'GET') return json(200, faultsView(faults.current));
    if (method === 'DELETE') {
      faults.reset();
      return json(200, faultsView(faults.current));
    }
    if (method !== 'PATCH') return { ...problem(405, `${method} is not allowed on ${FAULTS_PATH}: GET, PATCH or DELETE`), headers: { 'Content-Type': JSON_TYPE, Allow: 'GET, PATCH, DELETE' } };
    let body: unknown;
    try {
      body = await readBody(req);
    } catch {
      return problem(400, 'the body is not JSON');
    }
    const parsed = faultsPatch.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(body)');
      return problem(400, `${field}: ${issue.message}`, field);
    }
    const { match, ...rest } = parsed.data;
    const patch: Partial<OneCFaults> = { ...(rest as Partial<OneCFaults>), ...(match !== undefined ? { match: match ?? undefined } : {}) };
    faults.set(patch);
    return json(200, faultsView(faults.current));
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    onRequest(req, res).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': JSON_TYPE });
        res.end(JSON.stringify(internal(String(e)).body()));
      }
    });
  };
  const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createServer(handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}${prefix}`;

  const user = users[0]!;
  return {
    baseUrl,
    login: user.login,
    get password() {
      return user.password;
    },
    setPassword(login, password) {
      const found = users.find((u) => u.login === login);
      if (!found) throw new RangeError(`no 1C user ${login}`);
      found.password = password;
    },
    faults: {
      set: (p) => faults.set(p),
      reset: () => faults.reset(),
      get current() { return faults.current; },
    },
    stats: {
      requests,
      count: (filter = {}) => requests.filter((r) => (filter.method === undefined || r.method === filter.method.toUpperCase())
        && (filter.entitySet === undefined || r.entitySet === filter.entitySet)).length,
      reset: () => { requests.length = 0; },
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `Authorization` header value for Basic auth with a UTF-8 login (as 1C expects). */
export function basicAuth(login: string, password: string): string {
  return `Basic ${Buffer.from(`${login}:${password}`, 'utf8').toString('base64')}`;
}
