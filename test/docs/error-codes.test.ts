/**
 * The error codes the docs name are the codes the code answers with: an operator greps the logs
 * and the API's answers for what the docs say. Codes are read from the sources (`readonly code =
 * '…'`, `code: '…'`, fallback codes given to `errorCode(…)`); every upper-case name in backticks
 * in docs/*.md must be one of them, or a name the sources use otherwise (an environment
 * variable, a constant), or one of AWS's and Node's own names listed here.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, ext));
    else if (entry.endsWith(ext)) out.push(path);
  }
  return out;
}

const sources = ['shared', 'functions', 'infra', 'local', 'bench', 'cli'].flatMap((d) => filesUnder(join(root, d), '.ts')).map((f) => readFileSync(f, 'utf8'));

/** The codes errors and answers carry. */
const codes = new Set(sources.flatMap((text) => [...text.matchAll(/(?:\bcode\s*[=:]\s*|errorCode\([^,()]+,\s*)'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)].map((m) => m[1]!)));

/** Names of AWS and Node that the docs quote and the sources need not. */
const FOREIGN = new Set(['AT_SEQUENCE_NUMBER', 'SELF_SIGNED_CERT_IN_CHAIN', 'NODE_OPTIONS', 'AWS_REGION', 'CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION', 'AWS_PROFILE']);

/** Upper-case names with an underscore inside backticks (code spans and blocks), per doc. */
function namesIn(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const span of markdown.matchAll(/```[\s\S]*?```|`[^`\n]+`/g)) {
    for (const m of span[0].matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)) out.add(m[0]);
  }
  return out;
}

/** The sources and the tests, for names used other than as an error code (environment variables of the tests and benches, constants). */
const allSources = [...sources, ...filesUnder(join(root, 'test'), '.ts').map((f) => readFileSync(f, 'utf8'))];
const usedInSources = (name: string) => allSources.some((text) => new RegExp(`\\b${name}\\b`).test(text));

/** Shell variables a doc sets itself (`NAME=…` in a command block). */
const setIn = (markdown: string) => new Set([...markdown.matchAll(/(?:^|\s|export )([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));

const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));

describe('error codes in the docs', () => {
  test('the sources answer with a known set of codes (the check reads them)', () => {
    for (const code of ['SECRET_ACCESS_DENIED', 'SECRET_OUT_OF_SCOPE', 'PLAN_INVALID', 'ONEC_AUTH', 'GOODWIX_AUTH_FAILED', 'RUN_IN_PROGRESS']) assert.ok(codes.has(code), code);
  });

  for (const doc of docs) {
    test(`every code docs/${doc} names exists in the code`, () => {
      const text = readFileSync(join(root, 'docs', doc), 'utf8');
      const shell = setIn(text);
      const unknown = [...namesIn(text)].filter((name) => !codes.has(name) && !FOREIGN.has(name) && !shell.has(name) && !usedInSources(name));
      assert.deepEqual(unknown, [], `docs/${doc} names codes the code does not have: ${unknown.join(', ')}`);
    });
  }

  test('the deployment runbook names the secret codes an operator meets', () => {
    const deploy = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8');
    for (const code of ['SECRET_ACCESS_DENIED', 'SECRET_NOT_FOUND', 'SECRET_OUT_OF_SCOPE']) assert.ok(namesIn(deploy).has(code), code);
  });
});
