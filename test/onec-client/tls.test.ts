/**
 * A 1C publication whose certificate the supplier's own CA issued: the 1C sandbox served over
 * HTTPS on 127.0.0.1 with certificates made by the test (`#test/test-pki`). The plan's
 * `onec.caBundle` makes that plan's 1C client trust the publication; nothing else trusts it
 * (no other client, no other host, not the process's global agents), and a refused
 * certificate is a permanent error that names the fix and never turns a create into an
 * unknown outcome.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { demoPlan, demoSecrets } from '#local/runtime/demo-plan';
import { localAccess } from '#test/plans';
import { OneCClient, type OneCClientOptions } from '#onec/client';
import { OneCCertificateError, OneCTimeoutError } from '#onec/errors';
import { parsePlan, type Plan } from '#plans/plan';
import { checkPlan } from '#runs/check-plan';
import { clientConnectors } from '#runs/connectors';
import { LocalSecretsProvider } from '#secrets/secrets';
import { connectOneC } from '#sync/plan-clients';
import { fakeClock } from '#test/onec-stub';
import { createTestCa, opensslMissing, type TestCa } from '#test/test-pki';

const WAREHOUSES = 'Catalog_Склады';

let supplierCa: TestCa;
let otherCa: TestCa;
/** 1C published with a certificate of the supplier's CA. */
let onec: OneCSandbox;
/** Another publication, with a certificate of another CA. */
let elsewhere: OneCSandbox;
let goodwix: GoodwixSandbox;

before(async () => {
  if (opensslMissing) return;
  supplierCa = createTestCa('Supplier Root CA');
  otherCa = createTestCa('Somebody Else CA');
  [onec, elsewhere, goodwix] = await Promise.all([
    startOneCSandbox({ tls: supplierCa.issueServer('erp.supplier.test') }),
    startOneCSandbox({ tls: otherCa.issueServer('erp.elsewhere.test') }),
    startGoodwixSandbox(),
  ]);
});
after(async () => {
  await Promise.all([onec?.close(), elsewhere?.close(), goodwix?.close()]);
  supplierCa?.close();
  otherCa?.close();
});

function client(sandbox: OneCSandbox, options: Partial<OneCClientOptions> = {}) {
  const clock = fakeClock();
  const c = new OneCClient({ baseUrl: sandbox.baseUrl, login: sandbox.login, password: sandbox.password, clock, retry: { attempts: 3, baseDelayMs: 10 }, ...options });
  return { c, clock };
}

function sandboxPlan(caBundle?: string): Plan {
  const input = demoPlan({ onecBaseUrl: onec.baseUrl, goodwixBaseUrl: goodwix.baseUrl });
  return parsePlan({ ...input, onec: { ...input.onec, ...(caBundle ? { caBundle } : {}) } });
}

describe('1C published with a certificate of the supplier\'s own CA', { skip: opensslMissing }, () => {
  test('the client given the CA bundle trusts the publication and reads from it', async () => {
    const { c } = client(onec, { ca: supplierCa.cert });
    try {
      const page = await c.list(WAREHOUSES, { top: 1 });
      assert.equal(page.value.length, 1);
      assert.match(onec.baseUrl, /^https:/);
    } finally {
      c.close();
    }
  });

  test('without the bundle the certificate is refused at once: ONEC_CERTIFICATE, permanent, not retried, naming onec.caBundle', async () => {
    const { c, clock } = client(onec);
    onec.stats.reset();
    await assert.rejects(c.list(WAREHOUSES, { top: 1 }), (error: unknown) => {
      assert.ok(error instanceof OneCCertificateError, String(error));
      assert.equal(error.code, 'ONEC_CERTIFICATE');
      assert.equal(error.retryable, false);
      assert.match(error.message, /certificate/);
      assert.match(error.message, /onec\.caBundle/);
      return true;
    });
    assert.deepEqual(clock.sleeps, [], 'not retried');
    assert.equal(onec.stats.count(), 0, 'no request reached 1C');
    c.close();
  });

  test('a create refused by the certificate is that error, not an unknown outcome: nothing was sent', async () => {
    const { c } = client(onec);
    onec.stats.reset();
    await assert.rejects(c.create('Document_ЗаказКлиента', { Date: '2025-06-10T12:00:00' }), (error: unknown) => {
      assert.ok(error instanceof OneCCertificateError, `expected ONEC_CERTIFICATE, got ${String(error)}`);
      return true;
    });
    assert.equal(onec.stats.count(), 0);
  });

  test('a create whose TLS handshake never finishes certainly did not reach 1C: a timeout, retried, not an unknown outcome', async () => {
    // Accepts the TCP connection and never answers the ClientHello.
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => { held.add(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const { c, clock } = client(onec, { baseUrl: `https://127.0.0.1:${port}/trade/odata/standard.odata/`, ca: supplierCa.cert, requestTimeoutMs: 200, coldStartTimeoutMs: 200 });
    try {
      await assert.rejects(c.create('Document_ЗаказКлиента', {}), (error: unknown) => {
        assert.ok(error instanceof OneCTimeoutError, `expected ONEC_TIMEOUT, got ${String(error)}`);
        return true;
      });
      assert.equal(clock.sleeps.length, 2, 'a create that never left is repeated like any call');
    } finally {
      c.close();
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('the bundle trusts that client\'s publication only: not a host with another CA, not other clients, not the process', async () => {
    const trusting = client(onec, { ca: supplierCa.cert });
    await trusting.c.list(WAREHOUSES, { top: 1 });

    // The supplier's CA does not vouch for another publication.
    const { c: toElsewhere } = client(elsewhere, { ca: supplierCa.cert });
    await assert.rejects(toElsewhere.list(WAREHOUSES, { top: 1 }), OneCCertificateError);
    // Another plan's client (no bundle) and the process's own agents (Goodwix's fetch) still refuse it.
    const { c: other } = client(onec);
    await assert.rejects(other.list(WAREHOUSES, { top: 1 }), OneCCertificateError);
    await assert.rejects(fetch(onec.baseUrl), (error: unknown) => {
      assert.match(String((error as Error).cause), /certificate/i);
      return true;
    });
    for (const c of [trusting.c, toElsewhere, other]) c.close();
  });

  test('a create goes through with the bundle (its fresh connection trusts the CA too)', async () => {
    const { c } = client(onec, { ca: supplierCa.cert });
    onec.stats.reset();
    const created = await c.create('Document_ЗаказКлиента', {});
    assert.equal(typeof created['Ref_Key'], 'string');
    assert.equal(onec.stats.count({ method: 'POST' }), 1);
    c.close();
  });

  test('a plan\'s onec.caBundle reaches its 1C client, and the plan check passes over TLS', async () => {
    const plan = sandboxPlan(supplierCa.cert);
    const trade = connectOneC(plan, { login: onec.login, password: onec.password });
    try {
      assert.ok(await trade.readCatalogItem('warehouses', plan.orders.warehouse as string));
    } finally {
      trade.close();
    }
    const result = await checkPlan({ secrets: new LocalSecretsProvider(demoSecrets()), connectors: clientConnectors, access: localAccess }, plan, { fieldMapping: false });
    assert.equal(result.ok, true, JSON.stringify(result.problems));
  });

  test('the plan check without the bundle reports the refused certificate once, on the 1C login', async () => {
    const result = await checkPlan({ secrets: new LocalSecretsProvider(demoSecrets()), connectors: clientConnectors, access: localAccess }, sandboxPlan(), { fieldMapping: false });
    assert.equal(result.ok, false);
    assert.deepEqual(result.problems.map((p) => [p.code, p.subject]), [['ONEC_CERTIFICATE', '1C login as Обмен']]);
    assert.match(result.problems[0]!.message, /onec\.caBundle/);
  });
});
