/** Deployment context: defaults, strings from `-c key=value`, the stage's file, and refusals naming the key. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, CONTEXT_KEYS, DEFAULTS, deploymentContext, parseConfig, secretsPrefix } from '../../infra/config.ts';
import { buildExchangeApp } from '../../infra/exchange-app.ts';
import { tempOutdir } from './support.ts';

/** A folder of stage files, removed after the test. */
function configDir(files: Record<string, unknown>): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gw1c-config-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the CDK CLI hands the app besides our keys: its own `aws:cdk:…` keys, feature flags, cached lookups. */
const CDK_CONTEXT = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:version-reporting': true,
  'aws:cdk:bundling-stacks': [],
  '@aws-cdk/core:target-partitions': ['aws'],
  'availability-zones:account=123456789012:region=eu-central-1': ['eu-central-1a'],
  'acknowledged-issue-numbers': [12345],
};

const node = (context: Record<string, unknown>) => ({ getAllContext: () => ({ ...context }) });

const issuesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.issues];
  }
  assert.fail('expected a ConfigError');
};

describe("the stage's file and unknown keys (cdk synth/deploy)", () => {
  test("-c stage picks config/<stage>.json; the file's values apply and -c overrides them", () => {
    using files = configDir({ 'prod.json': { alarmEmail: 'ops@example.com', workerMaxConcurrency: 4, allowedHosts: ['erp.alfa.example'], logLevel: 'WARN' } });
    const context = deploymentContext(node({ ...CDK_CONTEXT, stage: 'prod', logLevel: 'debug' }), { configDir: files.dir });
    const config = parseConfig(context);
    assert.equal(config.stage, 'prod');
    assert.equal(config.alarmEmail, 'ops@example.com');
    assert.equal(config.workerMaxConcurrency, 4);
    assert.deepEqual(config.allowedHosts, ['erp.alfa.example']);
    assert.equal(config.logLevel, 'DEBUG');
  });

  test('without -c stage the synth is refused: no silent second dev stage', () => {
    using files = configDir({ 'dev.json': {} });
    assert.deepEqual(issuesOf(() => deploymentContext(node(CDK_CONTEXT), { configDir: files.dir })), [
      `stage: required: -c stage=<stage> picks the stage's file ${join(files.dir, '<stage>.json')} (e.g. -c stage=dev)`,
    ]);
  });

  test('a stage without its file is refused (a mistyped stage is not deployed as a new one)', () => {
    using files = configDir({ 'prod.json': {} });
    const issues = issuesOf(() => deploymentContext(node({ stage: 'prd' }), { configDir: files.dir }));
    assert.equal(issues.length, 1);
    assert.match(issues[0]!, /^stage: no file .*prd\.json: create it/);
  });

  test('unknown keys are refused, on the command line and in the file, each named with the key it likely meant', () => {
    using files = configDir({ 'prod.json': { alarmEmial: 'ops@example.com', stage: 'prod', retention: 30 } });
    const issues = issuesOf(() => deploymentContext(node({ ...CDK_CONTEXT, stage: 'prod', workerMaxConcurency: '4', 'alarm-email': 'x@example.com' }), { configDir: files.dir }));
    const file = join(files.dir, 'prod.json');
    assert.deepEqual(issues.sort(), [
      'alarm-email: unknown key in the context (-c or cdk.json) (did you mean alarmEmail?); known keys: docs/deploy.md, "Configuration"',
      `alarmEmial: unknown key in ${file} (did you mean alarmEmail?); known keys: docs/deploy.md, "Configuration"`,
      `retention: unknown key in ${file}; known keys: docs/deploy.md, "Configuration"`,
      `stage: not in ${file}: the file's name is the stage`,
      'workerMaxConcurency: unknown key in the context (-c or cdk.json) (did you mean workerMaxConcurrency?); known keys: docs/deploy.md, "Configuration"',
    ]);
  });

  test('a file that is not a JSON object is refused, naming the file', () => {
    using files = configDir({ 'a.json': '{ "logLevel": ', 'b.json': '[1]' });
    assert.match(issuesOf(() => deploymentContext(node({ stage: 'a' }), { configDir: files.dir }))[0]!, /a\.json: not JSON/);
    assert.match(issuesOf(() => deploymentContext(node({ stage: 'b' }), { configDir: files.dir }))[0]!, /b\.json: expected a JSON object/);
  });

  test("the app built for the CLI reads the stage's file and lets CDK's own context through", () => {
    using files = configDir({ 'qa.json': { logRetentionDays: 30, workerMaxConcurrency: 3 } });
    const { config, service } = buildExchangeApp({ context: { ...CDK_CONTEXT, stage: 'qa' }, outdir: tempOutdir() }, { nag: false, env: {}, configDir: files.dir });
    assert.deepEqual([config.stage, config.logRetentionDays, config.workerMaxConcurrency], ['qa', 30, 3]);
    assert.equal(service.stackName, 'Goodwix1CExchange-qa-Service');
    assert.throws(() => buildExchangeApp({ context: { ...CDK_CONTEXT, stage: 'qa', logRetention: '30' }, outdir: tempOutdir() }, { nag: false, env: {}, configDir: files.dir }), /logRetention: unknown key/);
  });

  test("the repository's stage files hold only known keys", () => {
    const dir = new URL('../../config/', import.meta.url);
    const stages = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(stages.includes('dev.json'));
    for (const f of stages) {
      const keys = Object.keys(JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as object);
      for (const key of keys) assert.ok((CONTEXT_KEYS as readonly string[]).includes(key) && key !== 'stage', `${f}: ${key}`);
    }
  });
});

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

  test('network=nat takes its defaults; lists and numbers come as comma-separated strings', () => {
    assert.deepEqual(parseConfig({ network: 'nat' }).network, { mode: 'nat', natGateways: 2, endpoints: ['dynamodb'], egressPorts: [443] });
    assert.deepEqual(parseConfig({ network: 'nat', natGateways: '1', vpcEndpoints: 'dynamodb, sqs', egressPorts: '443,8443', availabilityZones: 'eu-central-1a,eu-central-1b' }).network, {
      mode: 'nat', natGateways: 1, endpoints: ['dynamodb', 'sqs'], egressPorts: [443, 8443], availabilityZones: ['eu-central-1a', 'eu-central-1b'],
    });
  });

  test('network=nat on given Elastic IPs: one NAT gateway per allocation, a mismatch refused', () => {
    assert.deepEqual(parseConfig({ network: 'nat', natEipAllocationIds: 'eipalloc-0a1b2c3d' }).network, {
      mode: 'nat', natGateways: 1, eipAllocationIds: ['eipalloc-0a1b2c3d'], endpoints: ['dynamodb'], egressPorts: [443],
    });
    assert.throws(() => parseConfig({ network: 'nat', natGateways: '2', natEipAllocationIds: 'eipalloc-0a1b2c3d' }), /natEipAllocationIds: expected one allocation per NAT gateway \(2\)/);
    assert.throws(() => parseConfig({ network: 'nat', natEipAllocationIds: '1.2.3.4' }), /natEipAllocationIds\.0: expected Elastic IP allocation ids/);
    assert.throws(() => parseConfig({ network: 'existing', natEipAllocationIds: 'eipalloc-0a1b2c3d' }), /natEipAllocationIds: only with network=nat/);
  });

  test('network=existing takes the VPC by ids (strings or cdk.json arrays); vpcEndpoints=none needs no route tables', () => {
    const context = { network: 'existing', vpcId: 'vpc-0a1b2c3d', privateSubnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'], availabilityZones: 'eu-central-1a,eu-central-1b' };
    assert.deepEqual(parseConfig({ ...context, privateSubnetRouteTableIds: 'rtb-0aaa1111,rtb-0bbb2222' }).network, {
      mode: 'existing', vpcId: 'vpc-0a1b2c3d', privateSubnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'], availabilityZones: ['eu-central-1a', 'eu-central-1b'],
      privateSubnetRouteTableIds: ['rtb-0aaa1111', 'rtb-0bbb2222'], endpoints: ['dynamodb'], egressPorts: [443],
    });
    assert.deepEqual(parseConfig({ ...context, vpcEndpoints: 'none' }).network, {
      mode: 'existing', vpcId: 'vpc-0a1b2c3d', privateSubnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'], availabilityZones: ['eu-central-1a', 'eu-central-1b'], endpoints: [], egressPorts: [443],
    });
  });

  test('an unknown network is refused, naming the choices', () => {
    assert.throws(() => parseConfig({ network: 'vpn' }), /network: expected one of public, nat, existing/);
    assert.throws(() => parseConfig({ network: 'nat', vpcEndpoints: 's3' }), /vpcEndpoints\.0: expected dynamodb, sqs, secretsmanager or none/);
  });

  test('network=existing refuses missing or mismatched ids, naming each key', () => {
    const keysOf = (context: Record<string, unknown>) => {
      try {
        parseConfig(context);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.issues.map((i) => i.split(':')[0]).sort();
      }
      return [];
    };
    assert.deepEqual(keysOf({ network: 'existing' }), ['availabilityZones', 'privateSubnetIds', 'privateSubnetRouteTableIds', 'vpcId']);
    assert.deepEqual(
      keysOf({ network: 'existing', vpcId: 'vpc-0a1b2c3d', privateSubnetIds: 'subnet-0aaa1111,subnet-0bbb2222', availabilityZones: 'eu-central-1a', privateSubnetRouteTableIds: 'rtb-0aaa1111' }),
      ['availabilityZones', 'privateSubnetRouteTableIds'],
    );
    assert.deepEqual(keysOf({ network: 'existing', vpcId: 'vpc-nope', privateSubnetIds: 'subnet-0aaa1111', availabilityZones: 'eu-central-1a', vpcEndpoints: 'none,sqs' }), ['vpcEndpoints', 'vpcId']);
  });

  test('keys of another topology are refused rather than ignored', () => {
    assert.throws(() => parseConfig({ vpcId: 'vpc-0a1b2c3d' }), /vpcId: only with network=existing \(network is public\)/);
    assert.throws(() => parseConfig({ network: 'existing', natGateways: '1' }), /natGateways: only with network=nat/);
    assert.throws(() => parseConfig({ network: 'nat', natGateways: '3' }), /natGateways/);
  });

  test('secrets live below goodwix-1c-exchange/<stage>/', () => {
    assert.equal(secretsPrefix('prod'), 'goodwix-1c-exchange/prod/');
  });
});
