/**
 * Parsing of 1C OData resource paths below the service root:
 * `Set`, `Set/$count`, `Set(guid'…')`, `Set(Ref_Key=guid'…',LineNumber=1)`,
 * `Set(guid'…')/Post`, `Set(guid'…')/Nav`, `Register/Balance(Condition='…',Dimensions='…',Period=datetime'…')`.
 * Quotes are respected: a `/` or `)` inside `'…'` does not split.
 */
import { badValue, unknownSegment } from './errors.ts';
import { isGuid, parseDateTime } from './values.ts';

export interface Segment {
  readonly name: string;
  /** Raw text between the parentheses, when present */
  readonly args?: string;
}

export function splitPath(path: string): Segment[] {
  const segments: Segment[] = [];
  let i = 0;
  while (i < path.length) {
    let name = '';
    while (i < path.length && path[i] !== '/' && path[i] !== '(') name += path[i++];
    let args: string | undefined;
    if (path[i] === '(') {
      i += 1;
      let depth = 1;
      let inQuote = false;
      args = '';
      while (i < path.length) {
        const c = path[i]!;
        if (inQuote) {
          if (c === "'" && path[i + 1] === "'") { args += "''"; i += 2; continue; }
          if (c === "'") inQuote = false;
        } else if (c === "'") inQuote = true;
        else if (c === '(') depth += 1;
        else if (c === ')') {
          depth -= 1;
          if (depth === 0) { i += 1; break; }
        }
        args += c;
        i += 1;
      }
      if (depth !== 0) throw unknownSegment(path);
      // anything glued after ')' other than '/' is malformed
      if (i < path.length && path[i] !== '/') throw unknownSegment(path);
    }
    if (path[i] === '/') i += 1;
    segments.push(args === undefined ? { name } : { name, args });
  }
  return segments;
}

/** Splits `a='x,y',b=1` at top-level commas into name → raw value. An unnamed single value gets ''. */
export function splitArgs(args: string): Map<string, string> {
  const parts: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < args.length; i += 1) {
    const c = args[i]!;
    if (c === "'") {
      if (inQuote && args[i + 1] === "'") { cur += "''"; i += 1; continue; }
      inQuote = !inQuote;
    }
    if (c === ',' && !inQuote) { parts.push(cur); cur = ''; continue; }
    cur += c;
  }
  if (cur.trim() !== '' || parts.length > 0) parts.push(cur);
  const out = new Map<string, string>();
  for (const p of parts) {
    const eq = /^\s*([\p{L}_][\p{L}\p{N}_]*)\s*=(.*)$/su.exec(p);
    if (eq && !/^\s*'/u.test(p)) out.set(eq[1]!, eq[2]!.trim());
    else out.set('', p.trim());
  }
  return out;
}

/** `'it''s'` → `it's`; throws code 1 when not a quoted string. */
export function unquote(raw: string, what: string): string {
  const m = /^'((?:[^']|'')*)'$/su.exec(raw.trim());
  if (!m) throw badValue(`Неверное значение параметра ${what}: ${raw}`);
  return m[1]!.replace(/''/gu, "'");
}

/** `guid'…'` → the guid, lowercase; code 1 when it is not one. */
export function parseGuidLiteral(raw: string): string {
  const m = /^guid'([^']*)'$/iu.exec(raw.trim());
  if (!m || !isGuid(m[1]!)) throw badValue(`Невозможно преобразовать значение "${raw}" к типу Edm.Guid`);
  return m[1]!.toLowerCase();
}

export function parseDateLiteral(raw: string, what: string): string {
  const m = /^datetime'([^']*)'$/iu.exec(raw.trim());
  const d = m ? parseDateTime(m[1]!) : undefined;
  if (!d) throw badValue(`Невозможно преобразовать значение параметра ${what} "${raw}" к типу Edm.DateTime`);
  return d;
}

/** Query string as 1C reads it: `&`-separated, percent-decoded, `+` as a space. */
export function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    const dec = (s: string): string => {
      try {
        return decodeURIComponent(s.replace(/\+/gu, ' '));
      } catch {
        throw badValue(`Неверная кодировка параметра запроса: ${s}`);
      }
    };
    out[dec(k)] = dec(v);
  }
  return out;
}
