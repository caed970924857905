/**
 * A minimal pull tokenizer for well-formed XML: start tags with attributes, end tags, nothing
 * else (text, comments, CDATA, processing instructions and DOCTYPE are skipped). It is all that
 * reading `$metadata` (CSDL) needs.
 *
 * Why not a library: a real UT's `$metadata` is ~17 MB; a DOM or object-tree parser materialises
 * all of it (hundreds of MB in a Lambda) while the check needs a few element kinds. This walks the
 * string once with `indexOf`, allocates only the tags it emits, and adds nothing to the bundle.
 * No regular expressions over the document: linear time whatever the input.
 */

export interface XmlStartTag {
  readonly kind: 'start';
  /** Local name, prefix removed (`edmx:Edmx` → `Edmx`). */
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** `<x/>`: no end tag follows. */
  readonly selfClosing: boolean;
}

export interface XmlEndTag {
  readonly kind: 'end';
  readonly name: string;
}

export type XmlTag = XmlStartTag | XmlEndTag;

export class XmlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'XmlSyntaxError';
  }
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const amp = text.indexOf('&', i);
    if (amp < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, amp);
    const semi = text.indexOf(';', amp);
    if (semi < 0 || semi - amp > 12) {
      out += '&';
      i = amp + 1;
      continue;
    }
    const entity = text.slice(amp + 1, semi);
    let decoded: string | undefined;
    if (entity.startsWith('#x') || entity.startsWith('#X')) decoded = String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    else if (entity.startsWith('#')) decoded = String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    else decoded = NAMED_ENTITIES[entity];
    if (decoded === undefined) {
      out += '&';
      i = amp + 1;
      continue;
    }
    out += decoded;
    i = semi + 1;
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

/** Yields the start and end tags of `xml` in document order. */
export function* xmlTags(xml: string): Generator<XmlTag> {
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) return;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end < 0) throw new XmlSyntaxError('unterminated comment', lt);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt + 9);
      if (end < 0) throw new XmlSyntaxError('unterminated CDATA', lt);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<?', lt)) {
      const end = xml.indexOf('?>', lt + 2);
      if (end < 0) throw new XmlSyntaxError('unterminated processing instruction', lt);
      i = end + 2;
      continue;
    }
    if (xml.startsWith('<!', lt)) {
      // DOCTYPE, possibly with an internal subset in [ … ].
      let depth = 0;
      let j = lt + 2;
      for (; j < n; j++) {
        const c = xml[j];
        if (c === '[') depth++;
        else if (c === ']') depth--;
        else if (c === '>' && depth <= 0) break;
      }
      if (j >= n) throw new XmlSyntaxError('unterminated declaration', lt);
      i = j + 1;
      continue;
    }
    if (xml.startsWith('</', lt)) {
      const end = xml.indexOf('>', lt + 2);
      if (end < 0) throw new XmlSyntaxError('unterminated end tag', lt);
      yield { kind: 'end', name: localName(xml.slice(lt + 2, end).trim()) };
      i = end + 1;
      continue;
    }
    // Start tag: name, then attributes until `>` or `/>`.
    let j = lt + 1;
    while (j < n && !isSpace(xml.charCodeAt(j)) && xml[j] !== '>' && xml[j] !== '/') j++;
    const name = xml.slice(lt + 1, j);
    if (!name) throw new XmlSyntaxError('empty tag name', lt);
    const attributes: Record<string, string> = {};
    let selfClosing = false;
    for (;;) {
      while (j < n && isSpace(xml.charCodeAt(j))) j++;
      if (j >= n) throw new XmlSyntaxError(`unterminated tag <${name}`, lt);
      if (xml[j] === '>') {
        j++;
        break;
      }
      if (xml[j] === '/' && xml[j + 1] === '>') {
        selfClosing = true;
        j += 2;
        break;
      }
      const nameStart = j;
      while (j < n && xml[j] !== '=' && !isSpace(xml.charCodeAt(j)) && xml[j] !== '>' && xml[j] !== '/') j++;
      const attrName = xml.slice(nameStart, j);
      while (j < n && isSpace(xml.charCodeAt(j))) j++;
      if (xml[j] !== '=' || !attrName) throw new XmlSyntaxError(`malformed attribute in <${name}`, j);
      j++;
      while (j < n && isSpace(xml.charCodeAt(j))) j++;
      const quote = xml[j];
      if (quote !== '"' && quote !== "'") throw new XmlSyntaxError(`unquoted attribute ${attrName} in <${name}`, j);
      const close = xml.indexOf(quote, j + 1);
      if (close < 0) throw new XmlSyntaxError(`unterminated attribute ${attrName} in <${name}`, j);
      attributes[attrName] = decodeEntities(xml.slice(j + 1, close));
      j = close + 1;
    }
    yield { kind: 'start', name: localName(name), attributes, selfClosing };
    i = j;
  }
}
