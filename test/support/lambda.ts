/** A Lambda invocation context, for calling a function's handler in-process. */
import type { Context } from 'aws-lambda';

export interface LambdaContextOverrides {
  /** The function's name, also in its ARN and log group. */
  readonly functionName?: string;
  /** What `getRemainingTimeInMillis` answers: ample by default, so no handler runs short of time unless a test says so. */
  readonly remainingMs?: number;
}

export function aLambdaContext({ functionName = 'handler', remainingMs = 60_000 }: LambdaContextOverrides = {}): Context {
  const refuse = () => {
    throw new Error('the handlers return promises: the deprecated done/fail/succeed callbacks are not used');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'test',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => remainingMs,
    done: refuse,
    fail: refuse,
    succeed: refuse,
  };
}
