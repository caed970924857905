/**
 * `$filter` (and virtual-table `Condition`) as 1C's standard OData interface understands it:
 * a tokenizer, a recursive-descent parser to an AST, a binder that resolves fields and checks
 * types once per request (so an unknown field fails even on an empty collection), and a compiled
 * predicate.
 *
 * Grammar (OData v3 subset 1C supports): `or` < `and` < comparison (`eq ne gt ge lt le`) <
 * additive (`add sub`) < multiplicative (`mul div mod`) < unary (`not`, `-`) < primary:
 * parentheses, literals (`'str'` with `''` escaping, numbers, `true`/`false`/`null`,
 * `guid'…'`, `datetime'…'`), field paths (`Field`, `Nav/Field`) and functions
 * (`substringof`, `startswith`, `endswith`, `tolower`, `toupper`, `trim`, `length`, `concat`,
 * `year`…`second`, `cast(guid'…', 'Document_X')`).
 * Syntax errors → code 14; unknown fields → code 6; type errors → code 14.
 * Text matching (`substringof`, `startswith`, `endswith`) ignores case, like 1C's ПОДОБНО.
 */
import { filterSyntax } from './errors.ts';
import { parseDateTime, isGuid } from './values.ts';

// ---------------------------------------------------------------------------------------------
// Tokens

type Tok =
  | { t: 'lp' | 'rp' | 'comma' | 'end'; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'num'; v: number; at: number }
  | { t: 'typed'; prefix: string; v: string; at: number }
  | { t: 'id'; v: string; at: number };

const ID_START = /[\p{L}_]/u;
const ID_PART = /[\p{L}\p{N}_]/u;

export function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const readQuoted = (start: number): [string, number] => {
    // src[start] is the opening quote
    let j = start + 1;
    let s = '';
    for (;;) {
      if (j >= src.length) throw filterSyntax(`незакрытая строка в позиции ${start + 1}`);
      const c = src[j]!;
      if (c === "'") {
        if (src[j + 1] === "'") { s += "'"; j += 2; continue; }
        return [s, j + 1];
      }
      s += c;
      j += 1;
    }
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/u.test(c)) { i += 1; continue; }
    if (c === '(') { out.push({ t: 'lp', at: i }); i += 1; continue; }
    if (c === ')') { out.push({ t: 'rp', at: i }); i += 1; continue; }
    if (c === ',') { out.push({ t: 'comma', at: i }); i += 1; continue; }
    if (c === "'") {
      const [v, next] = readQuoted(i);
      out.push({ t: 'str', v, at: i });
      i = next;
      continue;
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfFlL]?/u.exec(src.slice(i));
    if (num && (c !== '-' || /\d/u.test(src[i + 1] ?? ''))) {
      const text = num[0].replace(/[mMdDfFlL]$/u, '');
      out.push({ t: 'num', v: Number(text), at: i });
      i += num[0].length;
      continue;
    }
    if (c === '-') { out.push({ t: 'id', v: '-', at: i }); i += 1; continue; }
    if (ID_START.test(c)) {
      let j = i + 1;
      while (j < src.length && (ID_PART.test(src[j]!) || (src[j] === '/' && ID_START.test(src[j + 1] ?? '')))) j += 1;
      const word = src.slice(i, j);
      if (src[j] === "'" && !word.includes('/')) {
        const [v, next] = readQuoted(j);
        out.push({ t: 'typed', prefix: word, v, at: i });
        i = next;
        continue;
      }
      out.push({ t: 'id', v: word, at: i });
      i = j;
      continue;
    }
    throw filterSyntax(`неожиданный символ "${c}" в позиции ${i + 1}`);
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

// ---------------------------------------------------------------------------------------------
// AST

export type Literal =
  | { k: 'lit'; type: 'string'; v: string }
  | { k: 'lit'; type: 'number'; v: number }
  | { k: 'lit'; type: 'bool'; v: boolean }
  | { k: 'lit'; type: 'null'; v: null }
  | { k: 'lit'; type: 'guid'; v: string }
  | { k: 'lit'; type: 'datetime'; v: string };

export type Expr =
  | Literal
  | { k: 'field'; path: string }
  | { k: 'bin'; op: string; l: Expr; r: Expr }
  | { k: 'not'; e: Expr }
  | { k: 'neg'; e: Expr }
  | { k: 'call'; name: string; args: Expr[] };

const COMPARISON = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const ADDITIVE = new Set(['add', 'sub']);
const MULTIPLICATIVE = new Set(['mul', 'div', 'mod']);
const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false', 'null', ...COMPARISON, ...ADDITIVE, ...MULTIPLICATIVE]);

export function parseFilter(src: string): Expr {
  if (src.trim() === '') throw filterSyntax('пустое выражение');
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Tok => toks[p]!;
  const next = (): Tok => toks[p++]!;
  const isWord = (w: string): boolean => {
    const t = peek();
    return t.t === 'id' && t.v === w;
  };
  const where = (t: Tok): string => (t.t === 'end' ? 'в конце выражения' : `в позиции ${t.at + 1}`);
  const expect = (t: Tok['t']): Tok => {
    const tok = next();
    if (tok.t !== t) throw filterSyntax(`ожидается "${t === 'rp' ? ')' : t === 'lp' ? '(' : t === 'comma' ? ',' : t}" ${where(tok)}`);
    return tok;
  };

  const parseOr = (): Expr => {
    let l = parseAnd();
    while (isWord('or')) { next(); l = { k: 'bin', op: 'or', l, r: parseAnd() }; }
    return l;
  };
  const parseAnd = (): Expr => {
    let l = parseComparison();
    while (isWord('and')) { next(); l = { k: 'bin', op: 'and', l, r: parseComparison() }; }
    return l;
  };
  const parseComparison = (): Expr => {
    let l = parseAdditive();
    for (;;) {
      const t = peek();
      if (t.t === 'id' && COMPARISON.has(t.v)) { next(); l = { k: 'bin', op: t.v, l, r: parseAdditive() }; } else return l;
    }
  };
  const parseAdditive = (): Expr => {
    let l = parseMultiplicative();
    for (;;) {
      const t = peek();
      if (t.t === 'id' && ADDITIVE.has(t.v)) { next(); l = { k: 'bin', op: t.v, l, r: parseMultiplicative() }; } else return l;
    }
  };
  const parseMultiplicative = (): Expr => {
    let l = parseUnary();
    for (;;) {
      const t = peek();
      if (t.t === 'id' && MULTIPLICATIVE.has(t.v)) { next(); l = { k: 'bin', op: t.v, l, r: parseUnary() }; } else return l;
    }
  };
  const parseUnary = (): Expr => {
    if (isWord('not')) { next(); return { k: 'not', e: parseUnary() }; }
    if (isWord('-')) { next(); return { k: 'neg', e: parseUnary() }; }
    return parsePrimary();
  };
  const parsePrimary = (): Expr => {
    const t = next();
    switch (t.t) {
      case 'lp': {
        const e = parseOr();
        expect('rp');
        return e;
      }
      case 'str': return { k: 'lit', type: 'string', v: t.v };
      case 'num': return { k: 'lit', type: 'number', v: t.v };
      case 'typed': {
        const prefix = t.prefix.toLowerCase();
        if (prefix === 'guid') {
          if (!isGuid(t.v)) throw filterSyntax(`неверный литерал guid'${t.v}'`);
          return { k: 'lit', type: 'guid', v: t.v.toLowerCase() };
        }
        if (prefix === 'datetime') {
          const d = parseDateTime(t.v);
          if (!d) throw filterSyntax(`неверный литерал datetime'${t.v}'`);
          return { k: 'lit', type: 'datetime', v: d };
        }
        throw filterSyntax(`неизвестный тип литерала ${t.prefix}'…' в позиции ${t.at + 1}`);
      }
      case 'id': {
        if (t.v === 'true' || t.v === 'false') return { k: 'lit', type: 'bool', v: t.v === 'true' };
        if (t.v === 'null') return { k: 'lit', type: 'null', v: null };
        if (KEYWORDS.has(t.v) || t.v === '-') throw filterSyntax(`неожиданное "${t.v}" в позиции ${t.at + 1}`);
        if (peek().t === 'lp') {
          next();
          const args: Expr[] = [];
          if (peek().t !== 'rp') {
            args.push(parseOr());
            while (peek().t === 'comma') { next(); args.push(parseOr()); }
          }
          expect('rp');
          return { k: 'call', name: t.v, args };
        }
        return { k: 'field', path: t.v };
      }
      default:
        throw filterSyntax(`ожидается операнд ${where(t)}`);
    }
  };

  const e = parseOr();
  const rest = peek();
  if (rest.t !== 'end') throw filterSyntax(`лишний текст ${where(rest)}`);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Binding and evaluation

/** Static types of expressions. `composite` values are `{ value, type }` (type: entity set or ''). */
export type ValueType = 'string' | 'number' | 'bool' | 'guid' | 'datetime' | 'composite' | 'null';

export interface CompositeValue { readonly value: string; readonly type: string }

/** What a field path resolves to: its type and how to read it from a record. */
export interface BoundField<R> {
  readonly type: ValueType;
  get(rec: R): unknown;
}

/** Resolves a field path (`Field` or `Nav/Field`) or throws code 6. */
export type FieldResolver<R> = (path: string) => BoundField<R>;

interface Bound<R> { type: ValueType; ev: (rec: R) => unknown }

const typeNames: Record<ValueType, string> = {
  string: 'Edm.String', number: 'Edm.Double', bool: 'Edm.Boolean', guid: 'Edm.Guid', datetime: 'Edm.DateTime', composite: 'составной тип', null: 'null',
};

function typeError(msg: string): never {
  throw filterSyntax(msg);
}

const lower = (v: unknown): string => String(v ?? '').toLowerCase();

function compareValues(type: ValueType, a: unknown, b: unknown): number {
  if (type === 'number') return (a as number) - (b as number);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function bindFilter<R>(expr: Expr, resolve: FieldResolver<R>): (rec: R) => boolean {
  const b = bind(expr, resolve);
  if (b.type !== 'bool') typeError(`выражение должно иметь тип Edm.Boolean, а не ${typeNames[b.type]}`);
  return (rec) => b.ev(rec) === true;
}

function bind<R>(e: Expr, resolve: FieldResolver<R>): Bound<R> {
  switch (e.k) {
    case 'lit': {
      const v = e.v;
      return { type: e.type, ev: () => v };
    }
    case 'field': {
      const f = resolve(e.path);
      return { type: f.type, ev: (r) => f.get(r) };
    }
    case 'not': {
      const x = bind(e.e, resolve);
      if (x.type !== 'bool') typeError(`операция not неприменима к ${typeNames[x.type]}`);
      return { type: 'bool', ev: (r) => !(x.ev(r) as boolean) };
    }
    case 'neg': {
      const x = bind(e.e, resolve);
      if (x.type !== 'number') typeError(`унарный минус неприменим к ${typeNames[x.type]}`);
      return { type: 'number', ev: (r) => -(x.ev(r) as number) };
    }
    case 'bin': return bindBinary(e.op, bind(e.l, resolve), bind(e.r, resolve));
    case 'call': return bindCall(e.name, e.args, resolve);
  }
}

function bindBinary<R>(op: string, l: Bound<R>, r: Bound<R>): Bound<R> {
  if (op === 'and' || op === 'or') {
    if (l.type !== 'bool' || r.type !== 'bool') typeError(`операция ${op} применима только к Edm.Boolean`);
    return op === 'and'
      ? { type: 'bool', ev: (x) => (l.ev(x) as boolean) && (r.ev(x) as boolean) }
      : { type: 'bool', ev: (x) => (l.ev(x) as boolean) || (r.ev(x) as boolean) };
  }
  if (ADDITIVE.has(op) || MULTIPLICATIVE.has(op)) {
    if (l.type !== 'number' || r.type !== 'number') typeError(`операция ${op} применима только к числам`);
    const fn: Record<string, (a: number, b: number) => number> = {
      add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, mod: (a, b) => a % b,
    };
    const f = fn[op]!;
    return { type: 'number', ev: (x) => f(l.ev(x) as number, r.ev(x) as number) };
  }
  // comparison
  if (l.type === 'null' || r.type === 'null') {
    if (op !== 'eq' && op !== 'ne') typeError(`операция ${op} неприменима к null`);
    const other = l.type === 'null' ? r : l;
    return { type: 'bool', ev: (x) => (other.ev(x) === null) === (op === 'eq') };
  }
  if (l.type !== r.type) {
    const hint = l.type === 'composite' || r.type === 'composite'
      ? ' (значение составного типа сравнивается с cast(guid\'…\', \'<Тип>\'))'
      : '';
    typeError(`несовместимые типы операндов ${op}: ${typeNames[l.type]} и ${typeNames[r.type]}${hint}`);
  }
  const type = l.type;
  if (type === 'composite') {
    if (op !== 'eq' && op !== 'ne') typeError(`операция ${op} неприменима к составному типу`);
    return {
      type: 'bool',
      ev: (x) => {
        const a = l.ev(x) as CompositeValue;
        const b = r.ev(x) as CompositeValue;
        return (a.value === b.value && a.type === b.type) === (op === 'eq');
      },
    };
  }
  if ((type === 'bool' || type === 'guid') && op !== 'eq' && op !== 'ne') typeError(`операция ${op} неприменима к ${typeNames[type]}`);
  const test: Record<string, (c: number) => boolean> = {
    eq: (c) => c === 0, ne: (c) => c !== 0, gt: (c) => c > 0, ge: (c) => c >= 0, lt: (c) => c < 0, le: (c) => c <= 0,
  };
  const t = test[op]!;
  return {
    type: 'bool',
    ev: (x) => {
      const a = l.ev(x);
      const b = r.ev(x);
      // A value behind a broken reference is null: it equals nothing and orders with nothing.
      if (a === null || b === null) return op === 'ne' ? a !== b : op === 'eq' ? a === b : false;
      return t(compareValues(type, a, b));
    },
  };
}

function bindCall<R>(name: string, args: Expr[], resolve: FieldResolver<R>): Bound<R> {
  const arity = (n: number): void => {
    if (args.length !== n) typeError(`функция ${name} ожидает ${n} аргумент(а), получено ${args.length}`);
  };
  const str = (i: number): Bound<R> => {
    const b = bind(args[i]!, resolve);
    if (b.type !== 'string') typeError(`аргумент ${i + 1} функции ${name} должен иметь тип Edm.String`);
    return b;
  };
  const date = (i: number): Bound<R> => {
    const b = bind(args[i]!, resolve);
    if (b.type !== 'datetime') typeError(`аргумент функции ${name} должен иметь тип Edm.DateTime`);
    return b;
  };
  switch (name) {
    case 'substringof': {
      arity(2);
      const needle = str(0);
      const hay = str(1);
      return { type: 'bool', ev: (r) => lower(hay.ev(r)).includes(lower(needle.ev(r))) };
    }
    case 'startswith': case 'endswith': {
      arity(2);
      const s = str(0);
      const part = str(1);
      return name === 'startswith'
        ? { type: 'bool', ev: (r) => lower(s.ev(r)).startsWith(lower(part.ev(r))) }
        : { type: 'bool', ev: (r) => lower(s.ev(r)).endsWith(lower(part.ev(r))) };
    }
    case 'tolower': case 'toupper': case 'trim': {
      arity(1);
      const s = str(0);
      const fn = name === 'tolower' ? (v: string) => v.toLowerCase() : name === 'toupper' ? (v: string) => v.toUpperCase() : (v: string) => v.trim();
      return { type: 'string', ev: (r) => fn(String(s.ev(r))) };
    }
    case 'length': {
      arity(1);
      const s = str(0);
      return { type: 'number', ev: (r) => [...String(s.ev(r))].length };
    }
    case 'concat': {
      arity(2);
      const a = str(0);
      const b = str(1);
      return { type: 'string', ev: (r) => String(a.ev(r)) + String(b.ev(r)) };
    }
    case 'year': case 'month': case 'day': case 'hour': case 'minute': case 'second': {
      arity(1);
      const d = date(0);
      const slice: Record<string, [number, number]> = { year: [0, 4], month: [5, 7], day: [8, 10], hour: [11, 13], minute: [14, 16], second: [17, 19] };
      const [from, to] = slice[name]!;
      return { type: 'number', ev: (r) => Number(String(d.ev(r)).slice(from, to)) };
    }
    case 'cast': {
      arity(2);
      const target = args[1]!;
      if (target.k !== 'lit' || target.type !== 'string') typeError('второй аргумент cast должен быть строкой с именем типа');
      const typeName = (target.v as string).replace(/^StandardODATA\./u, '');
      const value = bind(args[0]!, resolve);
      if (value.type !== 'guid') typeError(`cast к "${typeName}" ожидает значение Edm.Guid`);
      if (!/^(Catalog|Document|ChartOfCharacteristicTypes|ExchangePlan|BusinessProcess|Task|ChartOfAccounts|ChartOfCalculationTypes)_/u.test(typeName)) {
        typeError(`неизвестный тип "${typeName}" в cast`);
      }
      return { type: 'composite', ev: (r): CompositeValue => ({ value: String(value.ev(r)), type: typeName }) };
    }
    default:
      typeError(`неизвестная функция ${name}`);
  }
}

/** Parses and binds in one go: a predicate over records, or an OData error. */
export function compileFilter<R>(src: string, resolve: FieldResolver<R>): (rec: R) => boolean {
  return bindFilter(parseFilter(src), resolve);
}

/** The date literal helper for callers that build filters (tests, seed). */
export const datetimeLiteral = (d: string): string => `datetime'${d}'`;
