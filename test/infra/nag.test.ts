/**
 * cdk-nag (AwsSolutions) runs on the app and every remaining finding is acknowledged: synthesis
 * throws nothing, with the stacks environment-agnostic and pinned, with a new or an existing
 * alarm topic, in each network topology. And the plugin does bite: an unacknowledged finding fails synthesis.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildApp } from './support.ts';

describe('cdk-nag AwsSolutions', () => {
  test('the app synthesises with no unacknowledged finding (environment-agnostic)', () => {
    const { app } = buildApp({}, { nag: true });
    assert.doesNotThrow(() => app.synth());
  });

  test('the app synthesises with no unacknowledged finding (pinned account and region, e-mail alarms)', () => {
    const { app } = buildApp({ account: '123456789012', region: 'eu-central-1', stage: 'prod', alarmEmail: 'ops@example.com' }, { nag: true });
    assert.doesNotThrow(() => app.synth());
  });

  test('the app synthesises with no unacknowledged finding (existing topic, no API Gateway account role)', () => {
    const { app } = buildApp({ alarmTopicArn: 'arn:aws:sns:eu-central-1:123456789012:ops', apiGatewayCloudWatchRole: 'false' }, { nag: true });
    assert.doesNotThrow(() => app.synth());
  });

  test('the app synthesises with no unacknowledged finding (network=nat, every VPC endpoint)', () => {
    const { app } = buildApp({ network: 'nat', vpcEndpoints: 'dynamodb,sqs,secretsmanager', account: '123456789012', region: 'eu-central-1' }, { nag: true });
    assert.doesNotThrow(() => app.synth());
  });

  test('the app synthesises with no unacknowledged finding (network=existing)', () => {
    const { app } = buildApp(
      {
        network: 'existing',
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        privateSubnetIds: 'subnet-0aaa1111bbbb2222c,subnet-0ddd3333eeee4444f',
        availabilityZones: 'eu-central-1a,eu-central-1b',
        privateSubnetRouteTableIds: 'rtb-0aaa1111bbbb2222c,rtb-0ddd3333eeee4444f',
        vpcEndpoints: 'dynamodb,sqs,secretsmanager',
      },
      { nag: true },
    );
    assert.doesNotThrow(() => app.synth());
  });

  test('an unacknowledged finding fails synthesis', () => {
    const { app } = buildApp({}, { nag: true });
    new sqs.Queue(new Stack(app, 'Careless'), 'NoDlqNoTls');
    assert.throws(() => app.synth(), /Validation failed/);
  });
});
