/**
 * A hook on the AWS SDK clients a function builds. In AWS nothing is attached; the local runtime
 * attaches a middleware that records every call a function makes (service, operation, table,
 * queue), so the IAM coverage test can check each recorded call against that function's role in
 * the synthesized stack: DynamoDB Local and the SQS emulator check no IAM themselves.
 */
import type { MiddlewareStack } from '@smithy/types';

/** What the hook sees of a client: its middleware stack (shared by a document client and its client). */
export interface InstrumentableClient {
  // biome-ignore lint/suspicious/noExplicitAny: the stack's input and output types differ per client (and are invariant: `object` is refused); the hook works on any of them.
  readonly middlewareStack: MiddlewareStack<any, any>;
}

/** Called once for each SDK client a function builds. */
export type ClientInstrument = (client: InstrumentableClient) => void;

/**
 * An SDK client built on first use. Building one resolves its whole configuration (region,
 * credential chain, endpoint rules, retry strategy, middleware stack): a few ms of CPU per
 * client, which the module init of every cold start paid for each client a function wires,
 * used by its first invocation or not (an api request that reads no secret, a worker batch that
 * changes no visibility). The proxy hands out the real client's members, methods bound to it,
 * so `send`, `middlewareStack` and `destroy` behave as on the client itself; `build` runs once.
 */
export function lazyClient<T extends object>(build: () => T): T {
  let client: T | undefined;
  const real = (): T => (client ??= build());
  return new Proxy({} as T, {
    get(_target, key) {
      const target = real();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    set: (_target, key, value) => Reflect.set(real(), key, value),
    has: (_target, key) => Reflect.has(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}
