import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { demoPlan, demoSecretRefs, demoSecrets } from '#local/runtime/demo-plan';
import { parsePlan, type Plan } from '#plans/plan';
import { checkPlan, type PlanConnectors } from '#runs/check-plan';
import { clientConnectors } from '#runs/connectors';
import { LocalSecretsProvider } from '#secrets/secrets';
import { localAccess } from '#test/plans';
import { startProxy, type ProxiedAnswer } from '../bad-input/proxy.ts';

let onec: OneCSandbox;
let goodwix: GoodwixSandbox;

before(async () => {
  [onec, goodwix] = await Promise.all([startOneCSandbox(), startGoodwixSandbox()]);
});
after(async () => {
  await Promise.all([onec?.close(), goodwix?.close()]);
});

function sandboxPlan(change: (plan: Plan) => Plan = (p) => p): Plan {
  return change(parsePlan(demoPlan({ onecBaseUrl: onec.baseUrl, goodwixBaseUrl: goodwix.baseUrl })));
}

const ports = (secrets = new LocalSecretsProvider(demoSecrets()), connectors: PlanConnectors = clientConnectors) => ({ secrets, connectors, access: localAccess });

describe('plan check against the sandboxes, over HTTP with the real clients', () => {
  test('passes the demo plan, naming what each 1C reference is', async () => {
    const result = await checkPlan(ports(), sandboxPlan());

    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.deepEqual(result.items.map((i) => `${i.subject}: ${i.message}`), [
      'Goodwix login as supplier@alfa-td.example: ok',
      'Goodwix catalog 2369: ok',
      '1C login as Обмен: ok',
      'Организация 5a1f0e2c-1c7b-11ef-9a30-0800270bc601: ok (ООО "Торговый дом Альфа")',
      'Склад 5a1f0e2c-1c7b-11ef-9a30-0800270bc611: ok (Основной склад)',
      'Менеджер 5a1f0e2c-1c7b-11ef-9a30-0800270bc621: ok (Иванова Мария Сергеевна)',
      'Соглашение 5a1f0e2c-1c7b-11ef-9a30-0800270bc661: ok (Оптовые продажи (типовое))',
      'Причина отмены 5a1f0e2c-1c7b-11ef-9a30-0800270bc674: ok (Отменен на сайте)',
      '1C field map: ok',
    ]);
  });

  test('names every reference 1C does not have, and a catalog Goodwix does not have', async () => {
    const plan = sandboxPlan((p) => ({
      ...p,
      goodwix: { ...p.goodwix, catalogId: 9999 },
      orders: { ...p.orders, warehouse: '5f1c0e2c-1c7b-11ef-9a30-0800270bc699', cancelReason: '5f1c0e2c-1c7b-11ef-9a30-0800270bc698' },
    }));

    const result = await checkPlan(ports(), plan, { fieldMapping: false });

    assert.equal(result.ok, false);
    assert.deepEqual(result.problems.map((p) => p.message), [
      'Goodwix catalog 9999: not found for this supplier',
      'Склад 5f1c0e2c-1c7b-11ef-9a30-0800270bc699: not found in 1C',
      'Причина отмены 5f1c0e2c-1c7b-11ef-9a30-0800270bc698: not found in 1C',
    ]);
  });

  test('reports refused logins on both sides without repeating the passwords', async () => {
    const secrets = new LocalSecretsProvider({
      [demoSecretRefs.goodwixPassword]: 'wrong-goodwix-password',
      [demoSecretRefs.oneCCredentials]: { login: 'Обмен', password: 'wrong-onec-password' },
    });

    const result = await checkPlan(ports(secrets), sandboxPlan(), { fieldMapping: false });

    assert.deepEqual(result.problems.map((p) => [p.code, p.message]), [
      ['GOODWIX_AUTH_FAILED', 'Goodwix login as supplier@alfa-td.example: refused: wrong e-mail or password'],
      ['ONEC_AUTH', '1C login as Обмен: refused: wrong login or password, or no rights to the OData publication'],
    ]);
    assert.ok(!JSON.stringify(result).includes('wrong-'), 'no password in the answer');
  });

  test('names missing secrets by their reference', async () => {
    const result = await checkPlan(ports(new LocalSecretsProvider({})), sandboxPlan());

    assert.deepEqual(result.problems.map((p) => p.message), [
      `Goodwix password secret ${demoSecretRefs.goodwixPassword}: not found`,
      `1C credentials secret ${demoSecretRefs.oneCCredentials}: not found`,
    ]);
  });

  test('reports a 1C base that does not answer once, not once per reference', async () => {
    const plan = sandboxPlan((p) => ({ ...p, onec: { ...p.onec, baseUrl: 'http://127.0.0.1:1/trade/odata/standard.odata/' } }));

    const result = await checkPlan(ports(), plan, { fieldMapping: false });

    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0]!.message, /^1C login as Обмен: 1C at http:\/\/127\.0\.0\.1:1\/trade\/odata\/standard\.odata\/ did not answer: /);
  });

  test('names a reference marked for deletion', async () => {
    const connectors: PlanConnectors = {
      ...clientConnectors,
      oneC: (plan, credentials) => {
        const real = clientConnectors.oneC(plan, credentials);
        return {
          ...real,
          getRef: async (catalog, ref) => {
            const entry = await real.getRef(catalog, ref);
            return catalog === 'agreements' && entry ? { ...entry, deletionMark: true } : entry;
          },
        };
      },
    };

    const result = await checkPlan(ports(undefined, connectors), sandboxPlan(), { fieldMapping: false });

    assert.deepEqual(result.problems.map((p) => p.message), ['Соглашение 5a1f0e2c-1c7b-11ef-9a30-0800270bc661: marked for deletion in 1C (Оптовые продажи (типовое))']);
  });

  describe('a base whose reserve register differs from live UT 11', () => {
    /** The sandbox's $metadata, edited on the way, as another base would publish it. */
    async function checkThrough(edit: (xml: string) => string) {
      const proxy = await startProxy(onec.baseUrl);
      try {
        proxy.rule({ match: (r) => r.path.endsWith('/$metadata'), rewrite: (a: ProxiedAnswer) => ({ ...a, body: Buffer.from(edit(a.body.toString('utf8')), 'utf8') }) });
        const plan = sandboxPlan((p) => ({ ...p, onec: { ...p.onec, baseUrl: proxy.baseUrl } }));
        return await checkPlan(ports(), plan);
      } finally {
        await proxy.close();
      }
    }

    test('names the register and the dimension when the order dimension is not ДокументОтгрузки (an older shape: Распоряжение)', async () => {
      // Act
      const result = await checkThrough((xml) => xml.replaceAll('"ДокументОтгрузки', '"Распоряжение'));
      // Assess: a check problem (the run reports it and exchanges nothing), not a failed read later
      assert.equal(result.ok, false);
      const messages = result.problems.map((p) => `${p.code} ${p.message}`);
      assert.ok(messages.length >= 1, JSON.stringify(result.problems));
      for (const m of messages) assert.match(m, /^ONEC_FIELD_MAPPING 1C field map: AccumulationRegister_ТоварыКОтгрузке\/Balance\.ДокументОтгрузки(_Type)?: missing/u);
      assert.match(messages[0]!, /this base has .*Распоряжение/u);
    });

    test('names the register when the base does not publish it', async () => {
      // Act
      const result = await checkThrough((xml) => xml
        .replace(/<EntitySet Name="AccumulationRegister_ТоварыКОтгрузке"[^>]*\/>/u, ''));
      // Assess
      assert.deepEqual(result.problems.map((p) => p.message), [
        '1C field map: AccumulationRegister_ТоварыКОтгрузке: entity set missing (not in this base or not published over OData)',
      ]);
    });
  });
});
