/**
 * The three network topologies (`network=public|nat|existing`), synthesised (bundling skipped):
 * which functions run in which subnets, how they leave the VPC (NAT gateways on the Elastic IPs
 * the stack outputs, or the customer's own routes), what their security group lets out, the VPC
 * endpoints, the ENI permissions Lambda needs, and that no topology needs an AWS lookup at synth.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Template } from 'aws-cdk-lib/assertions';
import type { FunctionName } from '../../infra/bundling.ts';
import { CALLS_ONEC } from '../../infra/constructs/exchange-functions.ts';
import { actionsOf, buildApp, buildForTest, logicalId, resourcesOf, roleStatements, type Built } from './support.ts';

const EXISTING = {
  network: 'existing',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  privateSubnetIds: 'subnet-0aaa1111bbbb2222c,subnet-0ddd3333eeee4444f',
  availabilityZones: 'eu-central-1a,eu-central-1b',
  privateSubnetRouteTableIds: 'rtb-0aaa1111bbbb2222c,rtb-0ddd3333eeee4444f',
} as const;

const ALL_FUNCTIONS: readonly FunctionName[] = ['tick', 'api', 'collector', 'worker', 'events'];

function fn(built: Built, name: FunctionName) {
  return built.service.functions[name];
}

function functionProps(built: Built, name: FunctionName): Record<string, any> {
  const resource = built.serviceTemplate.findResources('AWS::Lambda::Function')[logicalId(fn(built, name).function)];
  assert.ok(resource, `no function ${name}`);
  return resource['Properties'];
}

function resourcesOfType(template: Template, type: string): [string, Record<string, any>][] {
  return Object.entries(template.findResources(type));
}

/** The ids a function's VPC config names, rendered (imports of the data stack's exports, or literals). */
function vpcConfigOf(built: Built, name: FunctionName): { subnets: string[]; groups: string[] } | undefined {
  const config = functionProps(built, name)['VpcConfig'];
  if (!config) return undefined;
  return { subnets: config.SubnetIds.map((s: unknown) => JSON.stringify(s)), groups: config.SecurityGroupIds.map((g: unknown) => JSON.stringify(g)) };
}

function ec2Statements(built: Built, name: FunctionName) {
  return roleStatements(built.serviceTemplate, logicalId(fn(built, name).role)).filter((s) => actionsOf(s).some((a) => a.startsWith('ec2:')));
}

describe('network=public (the default)', () => {
  const built = buildForTest({});

  test('no function runs in a VPC, none may create network interfaces, and the data stack has no network', () => {
    for (const name of ALL_FUNCTIONS) {
      assert.equal(vpcConfigOf(built, name), undefined, name);
      assert.deepEqual(ec2Statements(built, name), [], name);
    }
    assert.equal(built.data.network, undefined);
    assert.deepEqual(resourcesOfType(built.dataTemplate, 'AWS::EC2::VPC'), []);
    assert.equal(built.dataTemplate.toJSON()['Outputs']['NatPublicIps'], undefined);
  });
});

describe('network=nat', () => {
  const built = buildForTest({ network: 'nat' });
  const network = built.data.network!;
  const data = built.dataTemplate.toJSON() as { Resources: Record<string, any>; Outputs: Record<string, any> };

  test('the functions that call 1C run in the private subnets with the functions security group; tick and events stay outside', () => {
    const privateSubnets = network.vpc.privateSubnets.map((s) => logicalId(s.node.defaultChild as never));
    const publicSubnets = network.vpc.publicSubnets.map((s) => logicalId(s.node.defaultChild as never));
    assert.equal(privateSubnets.length, 2, 'two zones');
    for (const name of CALLS_ONEC) {
      const config = vpcConfigOf(built, name);
      assert.ok(config, `${name} is in the VPC`);
      assert.deepEqual(config.subnets.map((s) => privateSubnets.find((id) => s.includes(id))), privateSubnets, `${name}: every private subnet`);
      for (const s of config.subnets) assert.ok(!publicSubnets.some((id) => s.includes(id)), `${name}: no public subnet`);
      assert.deepEqual(config.groups.length, 1);
      assert.ok(config.groups[0]!.includes(logicalId(network.securityGroup)), `${name}: the functions security group`);
    }
    for (const name of ['tick', 'events'] as const) assert.equal(vpcConfigOf(built, name), undefined, name);
  });

  test('each private subnet leaves through a NAT gateway whose Elastic IP is retained and named in the NatPublicIps output', () => {
    const eips = network.natAddresses.map((e) => logicalId(e));
    assert.equal(eips.length, 2, 'one NAT gateway per zone by default');
    for (const id of eips) assert.equal(data.Resources[id].DeletionPolicy, 'Retain', `${id} retained`);
    const output = JSON.stringify(data.Outputs['NatPublicIps']);
    for (const id of eips) assert.ok(output.includes(`"${id}","PublicIp"`), `output names ${id}`);

    const nats = resourcesOfType(built.dataTemplate, 'AWS::EC2::NatGateway');
    const natOnEip = new Map(nats.map(([id, r]) => [id, eips.find((e) => JSON.stringify(r['Properties']['AllocationId']).includes(e))]));
    for (const subnet of network.vpc.privateSubnets) {
      const routes = resourcesOfType(built.dataTemplate, 'AWS::EC2::Route').filter(([, r]) => JSON.stringify(r['Properties']['RouteTableId']).includes(JSON.stringify(built.data.resolve(subnet.routeTable.routeTableId))));
      const defaultRoute = routes.find(([, r]) => r['Properties']['DestinationCidrBlock'] === '0.0.0.0/0');
      assert.ok(defaultRoute, `${subnet.node.path}: a default route`);
      const nat = nats.find(([id]) => JSON.stringify(defaultRoute[1]['Properties']['NatGatewayId']).includes(id));
      assert.ok(nat, `${subnet.node.path}: the default route goes to a NAT gateway`);
      assert.ok(natOnEip.get(nat[0]), `${subnet.node.path}: that NAT gateway uses one of the output addresses`);
    }
  });

  test('one NAT gateway when asked: both private subnets leave through the single address', () => {
    const single = buildForTest({ network: 'nat', natGateways: '1' });
    assert.equal(single.data.network!.natAddresses.length, 1);
    const nats = resourcesOfType(single.dataTemplate, 'AWS::EC2::NatGateway');
    assert.equal(nats.length, 1);
    const defaults = resourcesOfType(single.dataTemplate, 'AWS::EC2::Route').filter(([, r]) => r['Properties']['DestinationCidrBlock'] === '0.0.0.0/0' && r['Properties']['NatGatewayId']);
    assert.equal(defaults.length, 2);
    for (const [, r] of defaults) assert.ok(JSON.stringify(r['Properties']['NatGatewayId']).includes(nats[0]![0]));
  });

  test('on given Elastic IPs (kept addresses) the NAT gateways use them, the stack allocates none, and outputs the allocations', () => {
    const given = ['eipalloc-0aaa1111bbbb2222c', 'eipalloc-0ddd3333eeee4444f'];
    const kept = buildForTest({ network: 'nat', natEipAllocationIds: given.join(',') });
    assert.deepEqual(resourcesOfType(kept.dataTemplate, 'AWS::EC2::EIP'), []);
    const allocations = resourcesOfType(kept.dataTemplate, 'AWS::EC2::NatGateway').map(([, r]) => r['Properties']['AllocationId']).sort();
    assert.deepEqual(allocations, given);
    const outputs = kept.dataTemplate.toJSON()['Outputs'];
    assert.equal(outputs['NatPublicIps'], undefined);
    assert.deepEqual(outputs['NatEipAllocationIds']['Value'], given.join(','));
  });

  test('the functions security group admits nothing and lets out TCP 443 only', () => {
    const group = data.Resources[logicalId(network.securityGroup)].Properties;
    assert.equal(group.SecurityGroupIngress, undefined);
    assert.deepEqual(group.SecurityGroupEgress.map((e: any) => [e.IpProtocol, e.FromPort, e.ToPort, e.CidrIp]), [['tcp', 443, 443, '0.0.0.0/0']]);
    assert.deepEqual(resourcesOfType(built.dataTemplate, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => JSON.stringify(r['Properties']['GroupId']).includes(logicalId(network.securityGroup))), []);
  });

  test('egressPorts opens exactly the listed ports', () => {
    const other = buildForTest({ network: 'nat', egressPorts: '443,8443' });
    const group = other.dataTemplate.toJSON()['Resources'][logicalId(other.data.network!.securityGroup)].Properties;
    assert.deepEqual(group.SecurityGroupEgress.map((e: any) => e.FromPort).sort(), [443, 8443]);
  });

  test('DynamoDB is reached through a gateway endpoint on the private route tables; the VPC has a flow log', () => {
    const [endpoint, ...more] = resourcesOfType(built.dataTemplate, 'AWS::EC2::VPCEndpoint');
    assert.equal(more.length, 0, 'no interface endpoints by default');
    assert.equal(endpoint![1]['Properties']['VpcEndpointType'], 'Gateway');
    assert.match(JSON.stringify(endpoint![1]['Properties']['ServiceName']), /dynamodb/);
    const tables = JSON.stringify(endpoint![1]['Properties']['RouteTableIds']);
    for (const subnet of network.vpc.privateSubnets) assert.ok(tables.includes(JSON.stringify(built.data.resolve(subnet.routeTable.routeTableId))));
    assert.equal(resourcesOfType(built.dataTemplate, 'AWS::EC2::FlowLog').length, 1);
  });

  test("the VPC functions' roles may manage their network interfaces, the others may not; * only for the Describe actions", () => {
    for (const name of CALLS_ONEC) {
      const statements = ec2Statements(built, name);
      const actions = statements.flatMap(actionsOf).sort();
      assert.deepEqual(actions, ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:UnassignPrivateIpAddresses'], name);
      for (const s of statements) {
        if (resourcesOf(s).includes('*')) assert.deepEqual(actionsOf(s).sort(), ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], `${name}: * for Describe only`);
      }
      // The function is created after the policy that lets Lambda attach it.
      const dependsOn = built.serviceTemplate.findResources('AWS::Lambda::Function')[logicalId(fn(built, name).function)]!['DependsOn'] as string[];
      assert.ok(dependsOn.some((d) => d.includes('DefaultPolicy')), `${name} depends on its role's policy`);
    }
    for (const name of ['tick', 'events'] as const) assert.deepEqual(ec2Statements(built, name), [], name);
  });

  test('interface endpoints for SQS and Secrets Manager admit the functions security group only', () => {
    const withEndpoints = buildForTest({ network: 'nat', vpcEndpoints: 'dynamodb,sqs,secretsmanager' });
    assertInterfaceEndpoints(withEndpoints);
  });
});

describe('network=existing', () => {
  const built = buildForTest({ ...EXISTING, vpcEndpoints: 'dynamodb,sqs,secretsmanager' });
  const network = built.data.network!;

  test('the functions that call 1C run in the given subnets; the stack creates no VPC, NAT or address', () => {
    for (const name of CALLS_ONEC) {
      const config = functionProps(built, name)['VpcConfig'];
      assert.deepEqual(config.SubnetIds, EXISTING.privateSubnetIds.split(','), name);
      assert.ok(JSON.stringify(config.SecurityGroupIds).includes(logicalId(network.securityGroup)), name);
    }
    for (const name of ['tick', 'events'] as const) assert.equal(vpcConfigOf(built, name), undefined, name);
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::Route']) {
      assert.deepEqual(resourcesOfType(built.dataTemplate, type), [], type);
    }
    const group = built.dataTemplate.toJSON()['Resources'][logicalId(network.securityGroup)].Properties;
    assert.equal(group.VpcId, EXISTING.vpcId);
    assert.equal(built.dataTemplate.toJSON()['Outputs']['NatPublicIps'], undefined);
  });

  test('the DynamoDB gateway endpoint goes on the given route tables', () => {
    const gateway = resourcesOfType(built.dataTemplate, 'AWS::EC2::VPCEndpoint').filter(([, r]) => r['Properties']['VpcEndpointType'] === 'Gateway');
    assert.equal(gateway.length, 1);
    assert.deepEqual(gateway[0]![1]['Properties']['RouteTableIds'], EXISTING.privateSubnetRouteTableIds.split(','));
    assert.equal(gateway[0]![1]['Properties']['VpcId'], EXISTING.vpcId);
  });

  test('interface endpoints for SQS and Secrets Manager in the given subnets admit the functions security group only', () => {
    assertInterfaceEndpoints(built);
    for (const [, r] of resourcesOfType(built.dataTemplate, 'AWS::EC2::VPCEndpoint').filter(([, r]) => r['Properties']['VpcEndpointType'] === 'Interface')) {
      assert.deepEqual(r['Properties']['SubnetIds'], EXISTING.privateSubnetIds.split(','));
    }
  });

  test('vpcEndpoints=none creates no endpoint and needs no route tables (the VPC already has them, or a NAT)', () => {
    const { privateSubnetRouteTableIds: _, ...withoutTables } = EXISTING;
    const bare = buildForTest({ ...withoutTables, vpcEndpoints: 'none' });
    assert.deepEqual(resourcesOfType(bare.dataTemplate, 'AWS::EC2::VPCEndpoint'), []);
    for (const name of CALLS_ONEC) assert.ok(vpcConfigOf(bare, name), name);
  });
});

describe('offline synth', () => {
  const namedZones = { network: 'nat', availabilityZones: 'eu-central-1b,eu-central-1c' };
  for (const [topology, context] of [['public', {}], ['nat', { network: 'nat' }], ['nat with named zones', namedZones], ['existing', EXISTING]] as const) {
    test(`network=${topology} in a pinned account and region needs no lookup (no missing context)`, () => {
      const { app } = buildApp({ ...context, account: '123456789012', region: 'eu-central-1' });
      const assembly = app.synth();
      assert.deepEqual(assembly.manifest.missing ?? [], []);
    });
  }

  test('named zones are the VPC\'s zones', () => {
    const built = buildForTest({ ...namedZones, account: '123456789012', region: 'eu-central-1' });
    const zones = resourcesOfType(built.dataTemplate, 'AWS::EC2::Subnet').map(([, r]) => r['Properties']['AvailabilityZone']);
    assert.deepEqual([...new Set(zones)].sort(), ['eu-central-1b', 'eu-central-1c']);
  });
});

/** The SQS and Secrets Manager interface endpoints, each with private DNS, reachable from the functions' group on 443 and from nothing else. */
function assertInterfaceEndpoints(built: Built): void {
  const network = built.data.network!;
  const template = built.dataTemplate.toJSON() as { Resources: Record<string, any> };
  const interfaces = resourcesOfType(built.dataTemplate, 'AWS::EC2::VPCEndpoint').filter(([, r]) => r['Properties']['VpcEndpointType'] === 'Interface');
  assert.deepEqual(interfaces.map(([, r]) => JSON.stringify(r['Properties']['ServiceName']).match(/\.(sqs|secretsmanager)/)?.[1]).sort(), ['secretsmanager', 'sqs']);
  const functionsGroup = logicalId(network.securityGroup);
  for (const [id, r] of interfaces) {
    assert.equal(r['Properties']['PrivateDnsEnabled'], true, id);
    for (const groupRef of r['Properties']['SecurityGroupIds']) {
      const groupId = groupRef['Fn::GetAtt'][0] as string;
      assert.equal(template.Resources[groupId].Properties.SecurityGroupIngress, undefined, `${id}: no CIDR ingress`);
      const ingress = resourcesOfType(built.dataTemplate, 'AWS::EC2::SecurityGroupIngress').filter(([, i]) => JSON.stringify(i['Properties']['GroupId']).includes(groupId));
      assert.deepEqual(ingress.map(([, i]) => [i['Properties']['FromPort'], JSON.stringify(i['Properties']['SourceSecurityGroupId']).includes(functionsGroup)]), [[443, true]], `${id}: 443 from the functions only`);
    }
  }
}
