/**
 * The control API (docs/api.md): an API Gateway REST API whose every method, on `/` and on the
 * greedy `/{proxy+}`, is IAM-authorised (SigV4, `execute-api:Invoke`) and proxies to the api
 * function, which routes, validates (zod, with field paths) and answers 404/405 itself. Stage
 * throttling, JSON access logs, execution logs for errors, CloudWatch metrics.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface ControlApiProps {
  readonly handler: lambda.IFunction;
  /** Steady-state requests per second of the stage. */
  readonly rateLimit: number;
  /** Burst of the stage. */
  readonly burstLimit: number;
  readonly logRetention: logs.RetentionDays;
  /** Set API Gateway's account-wide CloudWatch role (once per account and region). */
  readonly cloudWatchRole: boolean;
  /** Stage name, the first segment of the URL path. Default `v1`. */
  readonly stageName?: string;
}

export class ControlApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ControlApiProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'Goodwix-1C exchange control API (IAM-authorised)',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole,
      ...(props.cloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });
    const integration = new apigateway.LambdaIntegration(props.handler, { proxy: true });
    const rootMethod = this.api.root.addMethod('ANY', integration);
    const proxy = this.api.root.addProxy({ defaultIntegration: integration, anyMethod: true });

    acknowledge(
      this.api,
      'AwsSolutions-APIG2',
      'Requests are validated by the api function (zod), which answers every problem with its field path (docs/api.md: PLAN_INVALID, INVALID_JSON, INVALID_QUERY …); an API Gateway model would replace those documented answers with a generic message.',
    );
    for (const method of [rootMethod, proxy.anyMethod]) {
      if (!method) continue;
      acknowledge(method, 'AwsSolutions-COG4', 'IAM (SigV4) authorisation on every method by design: the callers are AWS principals (operators, CI, other services), not end users of a Cognito user pool.');
    }
    acknowledge(
      this.api.deploymentStage,
      'AwsSolutions-APIG3',
      'No WAF web ACL: API Gateway refuses every unsigned request (IAM auth on all methods) before any code runs, and the stage is throttled; an account-wide web ACL can still be associated by central security tooling.',
    );
    if (props.cloudWatchRole) {
      const role = this.api.node.tryFindChild('CloudWatchRole');
      if (role) {
        acknowledge(
          role,
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
          "API Gateway's account-level logging role uses AWS's managed policy, the one AWS documents for it; the role can only be assumed by apigateway.amazonaws.com (disable with -c apiGatewayCloudWatchRole=false where the account already has it).",
        );
      }
    }
  }
}
