import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsSecretsProvider } from '#aws/secrets-manager';
import {
  LocalSecretsProvider,
  SecretInvalidError,
  SecretNotFoundError,
  SecretUnavailableError,
  getGoodwixPassword,
  getOneCCredentials,
  SecretAccessDeniedError,
  SecretOutOfScopeError,
} from '#secrets/secrets';

/** A real Secrets Manager client whose `send` answers from a map (no network) and counts calls. */
function fakeSecretsManager(values: Record<string, string>, failWith?: string) {
  const calls: string[] = [];
  const client = new SecretsManagerClient({ region: 'eu-central-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  Object.assign(client, {
    async send(command: { input: { SecretId: string } }) {
      calls.push(command.input.SecretId);
      if (failWith) throw Object.assign(new Error(`${failWith}: boom`), { name: failWith });
      const value = values[command.input.SecretId];
      if (value === undefined) throw Object.assign(new Error("Secrets Manager can't find the specified secret."), { name: 'ResourceNotFoundException' });
      return { SecretString: value };
    },
  });
  return { client, calls };
}

/** Plan alfa's scope in the local runtime: its secrets are named below local/alfa/. */
const alfa = { prefix: 'local/', planId: 'alfa' };

describe('secrets by reference', () => {
  test('reads a Goodwix password stored as the bare string or as JSON', async () => {
    const secrets = new LocalSecretsProvider({ 'local/alfa/plain': 'goodwix-demo', 'local/alfa/wrapped': { password: 'goodwix-demo' } });

    assert.equal(await getGoodwixPassword(secrets, 'local/alfa/plain', alfa), 'goodwix-demo');
    assert.equal(await getGoodwixPassword(secrets, 'local/alfa/wrapped', alfa), 'goodwix-demo');
  });

  test('reads 1C credentials with a Cyrillic login', async () => {
    const secrets = new LocalSecretsProvider({ 'local/alfa/onec': { login: 'Обмен', password: 'exchange-demo' } });
    assert.deepEqual(await getOneCCredentials(secrets, 'local/alfa/onec', alfa), { login: 'Обмен', password: 'exchange-demo' });
  });

  test('names the reference, never the value, when a secret is missing or malformed', async () => {
    const secrets = new LocalSecretsProvider({ 'local/alfa/onec': 'not-json-but-a-password' });

    await assert.rejects(getOneCCredentials(secrets, 'local/alfa/onec', alfa), (error: unknown) => {
      assert.ok(error instanceof SecretInvalidError);
      assert.equal(error.message, 'Secret local/alfa/onec: expected JSON {"login": "…", "password": "…"}');
      assert.ok(!JSON.stringify(error.toJSON()).includes('not-json-but-a-password'));
      return true;
    });
    await assert.rejects(getGoodwixPassword(secrets, 'local/alfa/absent', alfa), SecretNotFoundError);
  });

  test('reads a local secrets file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secrets-'));
    try {
      const file = join(dir, 'secrets.json');
      await writeFile(file, JSON.stringify({ 'local/alfa/onec': { login: 'Обмен', password: 'p' }, 'local/alfa/goodwix': 'pw' }));
      const secrets = await LocalSecretsProvider.fromFile(file);
      assert.equal(await getGoodwixPassword(secrets, 'local/alfa/goodwix', alfa), 'pw');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('caches Secrets Manager reads for five minutes, not per request', async () => {
    const { client, calls } = fakeSecretsManager({ 'goodwix/alfa': 'pw' });
    const secrets = new AwsSecretsProvider({ client });

    await secrets.getSecret('goodwix/alfa');
    await secrets.getSecret('goodwix/alfa');
    await secrets.getSecret('goodwix/alfa');

    assert.deepEqual(calls, ['goodwix/alfa']);
  });

  test('reads past the cache when asked fresh (credentials just refused), and caches what it read', async () => {
    const values: Record<string, string> = { 'goodwix/alfa': 'old' };
    const { client, calls } = fakeSecretsManager(values);
    const secrets = new AwsSecretsProvider({ client });
    assert.equal(await secrets.getSecret('goodwix/alfa'), 'old');
    values['goodwix/alfa'] = 'rotated';

    assert.equal(await secrets.getSecret('goodwix/alfa'), 'old', 'cached');
    assert.equal(await secrets.getSecret('goodwix/alfa', { fresh: true }), 'rotated');
    assert.equal(await secrets.getSecret('goodwix/alfa'), 'rotated');
    assert.equal(calls.length, 2);
  });

  test("refuses a reference outside the plan's own secrets before reading it", async () => {
    const { client, calls } = fakeSecretsManager({ 'local/beta/onec': JSON.stringify({ login: 'Обмен', password: 'beta' }) });
    const secrets = new AwsSecretsProvider({ client });
    for (const ref of ['local/beta/onec', 'local/alfa', 'local/alfa-2/onec', 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:local/alfa/onec-AbCdEf']) {
      await assert.rejects(getOneCCredentials(secrets, ref, alfa), (error: unknown) => {
        assert.ok(error instanceof SecretOutOfScopeError, ref);
        assert.equal(error.message, `Secret ${ref}: not one of plan alfa's secrets; a plan may only name secrets below local/alfa/`);
        return true;
      });
    }
    assert.deepEqual(calls, []);
  });

  test('tells a missing secret and one outside the granted prefix from an unavailable Secrets Manager', async () => {
    const missing = new AwsSecretsProvider({ client: fakeSecretsManager({}).client });
    const denied = new AwsSecretsProvider({ client: fakeSecretsManager({}, 'AccessDeniedException').client });
    const throttled = new AwsSecretsProvider({ client: fakeSecretsManager({}, 'ThrottlingException').client });

    await assert.rejects(missing.getSecret('goodwix/none'), (error: unknown) => error instanceof SecretNotFoundError && !error.retryable);
    await assert.rejects(denied.getSecret('other/secret'), (error: unknown) => error instanceof SecretAccessDeniedError && !error.retryable);
    await assert.rejects(throttled.getSecret('goodwix/none'), (error: unknown) => error instanceof SecretUnavailableError && error.retryable);
  });
});
