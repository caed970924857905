/** Deployment context: defaults, strings from `-c key=value`, and refusals naming the key. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULTS, parseConfig, secretsPrefix } from '../../infra/config.ts';

describe('deployment configuration', () => {
  test('defaults apply when no context is given, and the stacks stay environment-agnostic', () => {
    const config = parseConfig({});
    assert.equal(config.account, undefined);
    assert.equal(config.region, undefined);
    assert.deepEqual(config, { ...DEFAULTS });
  });

  test('context values from the command line arrive as strings and are parsed', () => {
    const config = parseConfig({
      stage: 'prod',
      workerMaxConcurrency: '8',
      logRetentionDays: '365',
      logLevel: 'debug',
      apiGatewayCloudWatchRole: 'false',
      alarmEmail: 'ops@example.com',
      runRetentionDays: '30',
    });
    assert.equal(config.stage, 'prod');
    assert.equal(config.workerMaxConcurrency, 8);
    assert.equal(config.logRetentionDays, 365);
    assert.equal(config.logLevel, 'DEBUG');
    assert.equal(config.apiGatewayCloudWatchRole, false);
    assert.equal(config.alarmEmail, 'ops@example.com');
    assert.equal(config.runRetentionDays, 30);
  });

  test("the CLI's account and region pin the stacks unless the context names others", () => {
    const env = { CDK_DEFAULT_ACCOUNT: '111111111111', CDK_DEFAULT_REGION: 'eu-central-1' };
    assert.deepEqual([parseConfig({}, env).account, parseConfig({}, env).region], ['111111111111', 'eu-central-1']);
    const pinned = parseConfig({ account: '222222222222', region: 'eu-west-1' }, env);
    assert.deepEqual([pinned.account, pinned.region], ['222222222222', 'eu-west-1']);
  });

  test('refuses bad values, naming each key', () => {
    assert.throws(
      () => parseConfig({ stage: 'Prod_1', workerMaxConcurrency: '1', logRetentionDays: '10', logLevel: 'loud', alarmEmail: 'not-an-email' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const keys = error.issues.map((i) => i.split(':')[0]);
        assert.deepEqual(keys.sort(), ['alarmEmail', 'logLevel', 'logRetentionDays', 'stage', 'workerMaxConcurrency']);
        return true;
      },
    );
  });

  test('alarms go to a new topic with an e-mail, or to an existing topic, not both', () => {
    assert.throws(() => parseConfig({ alarmEmail: 'ops@example.com', alarmTopicArn: 'arn:aws:sns:eu-central-1:123456789012:ops' }), /alarmTopicArn/);
    assert.equal(parseConfig({ alarmTopicArn: 'arn:aws:sns:eu-central-1:123456789012:ops' }).alarmTopicArn, 'arn:aws:sns:eu-central-1:123456789012:ops');
  });

  test('allowed hosts come as a comma-separated list (or a list in cdk.json), each checked', () => {
    assert.deepEqual(parseConfig({ allowedHosts: ' ERP.alfa.example , *.goodwix.com,' }).allowedHosts, ['erp.alfa.example', '*.goodwix.com']);
    assert.deepEqual(parseConfig({ allowedHosts: ['pub.goodwix.com'] }).allowedHosts, ['pub.goodwix.com']);
    assert.equal(parseConfig({ allowedHosts: '' }).allowedHosts, undefined);
    assert.throws(() => parseConfig({ allowedHosts: 'erp.example.com,https://evil.example/' }), /allowedHosts\.1: expected host names/);
  });

  test('secrets live below goodwix-1c-exchange/<stage>/', () => {
    assert.equal(secretsPrefix('prod'), 'goodwix-1c-exchange/prod/');
  });
});
