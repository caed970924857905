/**
 * Where the functions that call 1C (api for the plan check, collector, worker) run when 1C is
 * not open to the internet (docs/deploy.md, "Network"):
 *
 * - `nat`: a VPC of the stack's own — two zones, a public and a private subnet in each — with
 *   NAT gateways on Elastic IPs the stack allocates. The supplier allow-lists those addresses
 *   (stack output `NatPublicIps`). The addresses are retained if the stack is deleted: they are
 *   what the supplier's firewall knows the exchange by.
 * - `existing`: a VPC that already reaches 1C (site-to-site VPN, Direct Connect), imported from
 *   its ids without a lookup, so `cdk synth` stays offline.
 *
 * Both give the functions one security group whose egress is the configured TCP ports only
 * (default 443), and the chosen VPC endpoints: a DynamoDB gateway endpoint (free, default) and
 * SQS / Secrets Manager interface endpoints that admit that security group only. The functions
 * also call Goodwix on the internet, so the VPC needs a way out in any case (the NAT here, the
 * customer's NAT or proxy route for `existing`); the endpoints keep AWS traffic off it.
 *
 * It lives in the data stack: the Elastic IPs are a contract with the supplier's network team
 * and must survive a redeploy, a rollback or a re-creation of the service stack, and Lambda's
 * network interfaces hold a VPC for a long while after their functions are gone.
 */
import { Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ExistingNetwork, NatNetwork, VpcEndpointService } from '../config.ts';

export interface NetworkProps {
  /** The topology (`network=nat` or `network=existing` and the keys that go with it; infra/config.ts). */
  readonly config: NatNetwork | ExistingNetwork;
  /** Retention of the VPC flow log (the stack's own VPC only). */
  readonly logRetention: logs.RetentionDays;
}

/** How a function is placed in the VPC (`ExchangeFunction`'s `network`). */
export interface FunctionPlacement {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: readonly ec2.ISecurityGroup[];
}

const INTERFACE_SERVICES: Readonly<Record<Exclude<VpcEndpointService, 'dynamodb'>, ec2.InterfaceVpcEndpointAwsService>> = {
  sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  secretsmanager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
};

export class Network extends Construct {
  readonly vpc: ec2.IVpc;
  /** The security group of the functions that call 1C. */
  readonly securityGroup: ec2.SecurityGroup;
  /** The Elastic IPs the stack allocated for the NAT gateways (`nat` without `eipAllocationIds`); the supplier allow-lists their addresses. */
  readonly natAddresses: readonly ec2.CfnEIP[];
  /** The allocations the NAT gateways use, allocated here or given (`nat` only). */
  readonly eipAllocationIds: readonly string[];
  readonly gatewayEndpoints: readonly ec2.GatewayVpcEndpoint[];
  readonly interfaceEndpoints: readonly ec2.InterfaceVpcEndpoint[];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { config } = props;

    if (config.mode === 'nat') {
      // Allocated here rather than by the VPC so that they can be retained and output; or given.
      this.natAddresses = config.eipAllocationIds
        ? []
        : Array.from({ length: config.natGateways }, (_, i) => {
            const eip = new ec2.CfnEIP(this, `NatAddress${i + 1}`, { domain: 'vpc' });
            eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
            return eip;
          });
      this.eipAllocationIds = config.eipAllocationIds ? [...config.eipAllocationIds] : this.natAddresses.map((eip) => eip.attrAllocationId);
      this.vpc = new ec2.Vpc(this, 'Vpc', {
        // Tokens (Fn::GetAZs) unless the zones are named: a pinned region would otherwise need a lookup at synth.
        availabilityZones: config.availabilityZones ? [...config.availabilityZones] : [0, 1].map((i) => Fn.select(i, Fn.getAzs())),
        natGateways: config.natGateways,
        natGatewayProvider: ec2.NatProvider.gateway({ eipAllocationIds: [...this.eipAllocationIds] }),
        subnetConfiguration: [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'Functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        ],
        // Restricting the default group takes a custom-resource Lambda; nothing here uses that group.
        restrictDefaultSecurityGroup: false,
      });
      // The flows show which connections to 1C left through the NAT (and which were refused).
      new ec2.FlowLog(this, 'FlowLog', {
        resourceType: ec2.FlowLogResourceType.fromVpc(this.vpc),
        destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention })),
        trafficType: ec2.FlowLogTrafficType.ALL,
      });
    } else {
      this.natAddresses = [];
      this.eipAllocationIds = [];
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: config.vpcId,
        availabilityZones: [...config.availabilityZones],
        privateSubnetIds: [...config.privateSubnetIds],
        ...(config.privateSubnetRouteTableIds ? { privateSubnetRouteTableIds: [...config.privateSubnetRouteTableIds] } : {}),
      });
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: 'Functions of the Goodwix-1C exchange that call 1C: out to the listed TCP ports only, nothing in',
      allowAllOutbound: false,
    });
    for (const port of config.egressPorts) {
      this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), `1C, Goodwix and AWS APIs on ${port}`);
    }

    const subnets = this.subnets();
    const gateway: ec2.GatewayVpcEndpoint[] = [];
    const interfaces: ec2.InterfaceVpcEndpoint[] = [];
    if (config.endpoints.includes('dynamodb')) {
      gateway.push(this.vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [subnets] }));
    }
    for (const service of config.endpoints) {
      if (service === 'dynamodb') continue;
      const endpoint = this.vpc.addInterfaceEndpoint(`${service === 'sqs' ? 'Sqs' : 'SecretsManager'}Endpoint`, {
        service: INTERFACE_SERVICES[service],
        subnets,
        privateDnsEnabled: true,
        // Not open to the whole VPC: the functions' group only.
        open: false,
      });
      endpoint.connections.allowDefaultPortFrom(this.securityGroup, 'Functions of the Goodwix-1C exchange');
      interfaces.push(endpoint);
    }
    this.gatewayEndpoints = gateway;
    this.interfaceEndpoints = interfaces;
  }

  /** The private subnets the functions run in. */
  subnets(): ec2.SubnetSelection {
    return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  }

  /** How the functions that call 1C are placed. */
  placement(): FunctionPlacement {
    return { vpc: this.vpc, vpcSubnets: this.subnets(), securityGroups: [this.securityGroup] };
  }
}
