/** The SQS client the queues share (`#aws/run-queue`, `#aws/order-queue`), and their back-off. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { lazyClient, type ClientInstrument } from '#platform/aws-clients';

/**
 * An SQS client: the function's own region and role in AWS, the emulator when `sqsEndpoint` is
 * given. Built on its first call (`lazyClient`), not at module init.
 */
export function createSqsClient(config: { sqsEndpoint?: string; region?: string; instrument?: ClientInstrument | undefined }): SQSClient {
  return lazyClient(() => {
    const client = new SQSClient(
      config.sqsEndpoint ? { endpoint: config.sqsEndpoint, region: config.region ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {},
    );
    config.instrument?.(client);
    return client;
  });
}

/** Seconds a failed message stays invisible before its next delivery: base, 2 × base, 4 × base … ≤ 10 min. */
export function backoffSeconds(receiveCount: number, baseSeconds = 10): number {
  return Math.min(600, baseSeconds * 2 ** Math.max(0, receiveCount - 1));
}

