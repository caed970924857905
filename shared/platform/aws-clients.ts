/**
 * A hook on the AWS SDK clients a function builds. In AWS nothing is attached; the local runtime
 * attaches a middleware that records every call a function makes (service, operation, table,
 * queue), so the IAM coverage test can check each recorded call against that function's role in
 * the synthesized stack: DynamoDB Local and the SQS emulator check no IAM themselves.
 */
import type { MiddlewareStack } from '@smithy/types';

/** What the hook sees of a client: its middleware stack (shared by a document client and its client). */
export interface InstrumentableClient {
  // The stack's input and output types differ per client; the hook works on any of them.
  readonly middlewareStack: MiddlewareStack<any, any>;
}

/** Called once for each SDK client a function builds. */
export type ClientInstrument = (client: InstrumentableClient) => void;
