import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoOneC } from '#local/demo/supplier';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { LOCAL_SECRETS_PREFIX, demoPlan, demoSecrets, secretRefsOf } from '#local/runtime/demo-plan';
import { OneCAuthError } from '#onec/errors';
import type { PlanAccess } from '#plans/access';
import { PlanAccessError } from '#plans/errors';
import { parsePlan, type Plan } from '#plans/plan';
import { LocalSecretsProvider, SecretOutOfScopeError, type ReadOptions, type SecretsProvider } from '#secrets/secrets';
import { PlanClientCache } from '#sync/plan-clients';
import { planId } from '#test/plans';

/**
 * Secrets as Secrets Manager behind the Powertools cache serves them: a value once read is
 * answered again until it is older than the cache, unless the read asks to be `fresh`.
 */
class CachedSecrets implements SecretsProvider {
  readonly reads: { ref: string; fresh: boolean }[] = [];
  private readonly cache = new Map<string, { value: string; at: number }>();
  constructor(
    readonly store: LocalSecretsProvider,
    private readonly clock: () => number,
    private readonly maxAgeMs = 300_000,
  ) {}
  async getSecret(ref: string, options: ReadOptions = {}): Promise<string> {
    this.reads.push({ ref, fresh: options.fresh === true });
    const cached = this.cache.get(ref);
    if (cached && !options.fresh && this.clock() - cached.at < this.maxAgeMs) return cached.value;
    const value = await this.store.getSecret(ref);
    this.cache.set(ref, { value, at: this.clock() });
    return value;
  }
}

const access: PlanAccess = { secretsPrefix: LOCAL_SECRETS_PREFIX, allowPlainHttp: false, allowedHosts: null };
const quick = { onecRetry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 }, goodwixMaxAttempts: 2, goodwixBackoff: { baseMs: 5, maxMs: 10 } };

let onec: OneCSandbox;
let goodwix: GoodwixSandbox;

before(async () => {
  [onec, goodwix] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'empty' })]);
});
after(async () => {
  await Promise.all([onec?.close(), goodwix?.close()]);
});

/** A plan of its own, its secrets, a cache over them with a clock the test moves. */
function setup() {
  const plan: Plan = parsePlan(demoPlan({ onecBaseUrl: onec.baseUrl, goodwixBaseUrl: goodwix.baseUrl }, { id: planId('clients') }));
  const store = new LocalSecretsProvider({
    ...demoSecrets(plan.id),
    [secretRefsOf(plan.id).oneCCredentials]: { login: onec.login, password: onec.password },
    [secretRefsOf(plan.id).goodwixPassword]: goodwix.supplier.password,
  });
  let now = Date.parse('2026-03-02T09:00:00Z');
  const secrets = new CachedSecrets(store, () => now);
  const cache = new PlanClientCache(secrets, { access, secretsMaxAgeSeconds: 300, tuning: quick, now: () => now });
  const rotate = (system: '1c' | 'goodwix', password: string) => {
    const refs = secretRefsOf(plan.id);
    if (system === '1c') {
      onec.setPassword(onec.login, password);
      store.set(refs.oneCCredentials, { login: onec.login, password });
    } else {
      goodwix.actions.changePassword(password);
      store.set(refs.goodwixPassword, password);
    }
  };
  const refused = () => onec.stats.requests.filter((r) => r.status === 401).length;
  return { plan, store, secrets, cache, rotate, refused, advance: (ms: number) => (now += ms) };
}

const readOrganization = async (cache: PlanClientCache, plan: Plan) => (await cache.get(plan)).onec.readCatalogItem('organizations', demoOneC.organization.ref);

describe("a plan's clients and rotated credentials", () => {
  test('reads the secrets again once they are older than the secrets cache, and not before', async () => {
    const w = setup();
    assert.ok(await readOrganization(w.cache, w.plan));
    const readsAfterOpen = w.secrets.reads.length;
    w.advance(299_000);
    assert.ok(await readOrganization(w.cache, w.plan));
    assert.equal(w.secrets.reads.length, readsAfterOpen, 'within the cache: no read');

    w.rotate('1c', 'after-300-seconds');
    w.advance(2_000);
    onec.stats.reset();
    assert.ok(await readOrganization(w.cache, w.plan));

    assert.equal(w.refused(), 0, 'the new password was in use before 1C could refuse the old one');
    assert.ok(w.secrets.reads.slice(readsAfterOpen).every((r) => !r.fresh));
  });

  test('a 401 from 1C reads the credentials past the cache and repeats the request once with them', async () => {
    const w = setup();
    assert.ok(await readOrganization(w.cache, w.plan));
    w.rotate('1c', 'rotated-now');
    onec.stats.reset();

    assert.ok(await readOrganization(w.cache, w.plan));

    assert.equal(w.refused(), 1);
    assert.deepEqual(w.secrets.reads.filter((r) => r.fresh).map((r) => r.ref).sort(), Object.values(secretRefsOf(w.plan.id)).sort());
  });

  test('a 401 from the Goodwix login does the same', async () => {
    const w = setup();
    const { goodwix: client } = await w.cache.get(w.plan);
    await client.catalog();
    w.rotate('goodwix', 'rotated-goodwix');
    goodwix.stats.reset();

    assert.equal((await client.catalog()).id, goodwix.catalogId);

    assert.equal(goodwix.stats.requests.filter((r) => r.status === 401).length, 2, 'the revoked token, then the old password');
    assert.ok(w.secrets.reads.some((r) => r.fresh));
  });

  test('a 401 with credentials that did not change stands: the error, with no second attempt', async () => {
    const w = setup();
    assert.ok(await readOrganization(w.cache, w.plan));
    const password = onec.password;
    onec.setPassword(onec.login, 'changed-in-1c-only');
    onec.stats.reset();
    try {
      await assert.rejects(readOrganization(w.cache, w.plan), OneCAuthError);
      assert.equal(w.refused(), 1);
    } finally {
      onec.setPassword(onec.login, password);
    }
  });

  test("refuses to read a secret outside the plan's own, or to connect where the deployment does not allow", async () => {
    const w = setup();
    const other = secretRefsOf('another-plan').oneCCredentials;
    w.store.set(other, { login: onec.login, password: onec.password });
    await assert.rejects(w.cache.get({ ...w.plan, onec: { ...w.plan.onec, credentialsSecret: other } }), (error: unknown) => {
      assert.ok(error instanceof PlanAccessError, String(error));
      assert.match(error.message, /plan\.onec\.credentialsSecret: must name one of this plan's secrets, below local\/clients-[\w-]+\//);
      return true;
    });
    assert.ok(!w.secrets.reads.some((r) => r.ref === other), 'never read');

    const listed = new PlanClientCache(w.secrets, { access: { ...access, allowedHosts: ['erp.example.com'] }, tuning: quick });
    await assert.rejects(listed.get(w.plan), /plan\.onec\.baseUrl: host 127\.0\.0\.1 is not among the deployment's allowed hosts/);
  });
});

describe('secret reads are scoped to the plan', () => {
  test('a reference outside <prefix><planId>/ is refused before it is read', async () => {
    const { getOneCCredentials } = await import('#secrets/secrets');
    const store = new LocalSecretsProvider(demoSecrets('beta'));
    await assert.rejects(getOneCCredentials(store, secretRefsOf('beta').oneCCredentials, { prefix: LOCAL_SECRETS_PREFIX, planId: 'alfa' }), SecretOutOfScopeError);
    await assert.rejects(getOneCCredentials(store, 'local/alfa', { prefix: LOCAL_SECRETS_PREFIX, planId: 'alfa' }), SecretOutOfScopeError);
    assert.equal((await getOneCCredentials(store, secretRefsOf('beta').oneCCredentials, { prefix: LOCAL_SECRETS_PREFIX, planId: 'beta' })).login, demoOneC.login);
  });
});
