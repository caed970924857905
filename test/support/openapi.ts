/**
 * An OpenAPI 3.1 document compiled with ajv (JSON Schema 2020-12, which OpenAPI 3.1 uses):
 * validators by JSON pointer into the document, and `$ref` resolution for the parts that are
 * not schemas (responses, headers, parameters). Shared by the contract checks in test/support.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type Json = Record<string, any>;

export class OpenApiDocument {
  readonly doc: Json;
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  /** `relativePath` from the repository root, e.g. docs/control-api.openapi.json */
  constructor(relativePath: string) {
    this.doc = JSON.parse(readFileSync(join(repoRoot, relativePath), 'utf8')) as Json;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema(this.doc, 'openapi');
  }

  /** A validator for the schema at `pointer` (e.g. `/components/schemas/Plan`). */
  validator(pointer: string): ValidateFunction {
    let v = this.compiled.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `openapi#${pointer}` });
      this.compiled.set(pointer, v);
    }
    return v;
  }

  /** Errors (empty when valid) of `value` against the schema at `pointer`, prefixed with `where`. */
  errors(pointer: string, value: unknown, where: string): string[] {
    const v = this.validator(pointer);
    return v(value) ? [] : (v.errors ?? []).map((e: ErrorObject) => `${where}: ${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
  }

  /** Follows `$ref`s (local ones) to the object they name. */
  deref(obj: Json): Json {
    let o = obj;
    while (o && typeof o.$ref === 'string') o = this.at(o.$ref.slice(1));
    return o;
  }

  /** The object at a JSON pointer. */
  at(pointer: string): Json {
    return pointer
      .split('/')
      .slice(1)
      .map(unescapePointer)
      .reduce((acc: Json, key: string) => acc?.[key], this.doc);
  }

  /** The pointer an object reached by `path` really lives at (its `$ref` target, if it is one). */
  pointerOf(path: string): string {
    let pointer = path;
    let o = this.at(pointer);
    while (o && typeof o.$ref === 'string') {
      pointer = o.$ref.slice(1);
      o = this.at(pointer);
    }
    return pointer;
  }
}

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
