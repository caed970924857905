/**
 * `onec.caBundle`: the supplier CA's PEM certificate(s) in the plan. Accepted as PEM
 * certificates only (a private key is refused, never stored), with an https publication only,
 * and kept as given. The certificates are made by the test (`#test/test-pki`), so nothing in the
 * repository expires.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { demoPlan } from '#local/runtime/demo-plan';
import { CA_BUNDLE_MAX_LENGTH } from '#plans/ca-bundle';
import { parsePlan, safeParsePlan } from '#plans/plan';
import { createTestCa, opensslMissing, type TestCa } from '#test/test-pki';

const HTTPS_ROOT = 'https://erp.supplier.example/trade/odata/standard.odata/';

let root: TestCa;
let intermediate: TestCa;
before(() => {
  if (opensslMissing) return;
  root = createTestCa('Supplier Root CA');
  intermediate = createTestCa('Supplier Issuing CA');
});
after(() => {
  root?.close();
  intermediate?.close();
});

function withBundle(caBundle: unknown, baseUrl = HTTPS_ROOT): unknown {
  const input = demoPlan({ onecBaseUrl: baseUrl, goodwixBaseUrl: 'https://pub.goodwix.com' });
  return { ...input, onec: { ...input.onec, caBundle } };
}

function issuesOf(input: unknown): string[] {
  const result = safeParsePlan(input);
  return result.ok ? [] : result.issues;
}

describe('plan onec.caBundle', { skip: opensslMissing }, () => {
  test('takes one or several PEM certificates and keeps them as given', () => {
    const bundle = `${root.cert}${intermediate.cert}`;
    assert.equal(parsePlan(withBundle(bundle)).onec.caBundle, bundle);
    assert.equal(parsePlan(withBundle(undefined)).onec.caBundle, undefined, 'optional');
  });

  test('refuses a private key, naming the field and never echoing the key', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const issues = issuesOf(withBundle(`${root.cert}${key}`));
    assert.equal(issues.length, 1);
    assert.match(issues[0]!, /^plan\.onec\.caBundle: holds a private key/);
    assert.ok(!issues[0]!.includes(key.split('\n')[1]!), 'the key is not in the message');
  });

  test('refuses what is not PEM certificates, naming the field', () => {
    assert.deepEqual(issuesOf(withBundle('MIIBszCCAVmgAwIBAgIU')), ['plan.onec.caBundle: expected PEM certificates: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----']);
    assert.deepEqual(issuesOf(withBundle(`${root.cert}\nsome notes\n`)), ['plan.onec.caBundle: expected PEM certificates and nothing else between them']);
    assert.deepEqual(issuesOf(withBundle('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n')), ['plan.onec.caBundle: certificate 1 is not a readable X.509 certificate']);
    assert.match(issuesOf(withBundle(`${root.cert}-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n`))[0]!, /block 2 is a CERTIFICATE REQUEST/);
    assert.match(issuesOf(withBundle(root.cert.repeat(Math.ceil(CA_BUNDLE_MAX_LENGTH / root.cert.length) + 1)))[0]!, /^plan\.onec\.caBundle: expected at most/);
    assert.match(issuesOf(withBundle(42))[0]!, /^plan\.onec\.caBundle: /);
  });

  test('applies to an https publication only', () => {
    assert.deepEqual(issuesOf(withBundle(root.cert, 'http://10.0.0.5/trade/odata/standard.odata/')), ['plan.onec.caBundle: a CA bundle applies to an https baseUrl only']);
  });
});
