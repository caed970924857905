/**
 * One Lambda function of the exchange: `NodejsFunction` bundled with the shared esbuild
 * settings (`infra/bundling.ts`: ESM, minified, source maps, AWS SDK bundled, the
 * `createRequire` banner), Node 22 on ARM64, its own log group with the configured retention,
 * and its own role that may write that log group and nothing else until the stack grants more.
 */
import { ArnFormat, type Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BUNDLING, NODE_OPTIONS, PROJECT_ROOT, entryPath, type FunctionName } from '../bundling.ts';
import type { LogLevel } from '../config.ts';
import { acknowledge, nagValue } from '../nag.ts';
import type { FunctionPlacement } from './network.ts';

/** Powertools service name and metrics namespace (`shared/platform/observability.ts`). */
export const SERVICE_NAME = 'goodwix-1c-exchange';
export const METRICS_NAMESPACE = 'Goodwix1CExchange';

export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface ExchangeFunctionProps {
  readonly name: FunctionName;
  readonly description: string;
  readonly timeout: Duration;
  /** Default 512 MiB */
  readonly memorySize?: number;
  /** The function's own variables (table, queues, bus, …) */
  readonly environment: Readonly<Record<string, string>>;
  readonly logLevel: LogLevel;
  readonly logRetention: logs.RetentionDays;
  /** The VPC, private subnets and security group to run in. Default: outside any VPC. */
  readonly network?: FunctionPlacement;
}

export class ExchangeFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ExchangeFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    // An own role instead of AWSLambdaBasicExecutionRole: logs of this function only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.name} function of the Goodwix-1C exchange`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: entryPath(props.name),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 512,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.network ? { vpc: props.network.vpc, vpcSubnets: props.network.vpcSubnets, securityGroups: [...props.network.securityGroups] } : {}),
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        NODE_OPTIONS,
      },
      bundling: {
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        sourcesContent: BUNDLING.sourcesContent,
        target: BUNDLING.target,
        format: nodejs.OutputFormat.ESM,
        mainFields: [...BUNDLING.mainFields],
        banner: BUNDLING.banner,
        // aws-cdk-lib drops its `charset` prop (no --charset on esbuild's command line: the
        // bundle shipped \uXXXX escapes, 8 KiB more than measured); given as a raw argument.
        esbuildArgs: { '--charset': BUNDLING.charset },
        bundleAwsSDK: BUNDLING.bundleAwsSDK,
        externalModules: [...BUNDLING.externalModules],
      },
    });
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime the project builds, bundles (esbuild target node22) and tests for; a newer runtime is a deliberate, tested change, not a drift.',
    );
    if (props.network) this.grantNetworkInterfaces();
  }

  /**
   * What Lambda needs of the role to attach the function to its subnets (the actions of
   * AWSLambdaVPCAccessExecutionRole, which a role of our own does not get). Lambda documents
   * that the Describe actions work only on `*`; the others on this account and region's EC2
   * resources, as Lambda names the network interfaces it creates. Granted in the role's default
   * policy, which the function depends on, so the function is not created before it.
   */
  private grantNetworkInterfaces(): void {
    const ec2Resources = Stack.of(this).formatArn({ service: 'ec2', resource: '*', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], resources: ['*'] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      resources: [ec2Resources],
    }));
    acknowledge(this.role, 'AwsSolutions-IAM5[Resource::*]', 'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets, which Lambda needs to place the function in its VPC, only work on all resources.');
    acknowledge(
      this.role,
      `AwsSolutions-IAM5[Resource::${nagValue(this, ec2Resources)}]`,
      "Lambda creates and deletes the function's network interfaces in its subnets under names it chooses; the actions are those of AWSLambdaVPCAccessExecutionRole, limited to this account and region.",
    );
  }
}
