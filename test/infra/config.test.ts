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
