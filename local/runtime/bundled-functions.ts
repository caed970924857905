/**
 * A function's deployment bundle run as Lambda runs it: its own Node process (the execution
 * environment) started in the bundle's folder with only the environment given (what the stack
 * sets plus what Lambda adds), `lambda-bootstrap.mjs` importing `index.mjs` and taking its
 * `handler` export, then one invocation at a time, event and answer as JSON.
 *
 * A process per function, not an import into this process: configuration is parsed from
 * `process.env` at module load and the SDK reads region, credentials and endpoints from it when
 * a client first calls, so bundles sharing one `process.env` would see each other's variables
 * (and the test runner's); and a module that fails to load, a crash or an unsettled top-level
 * await stays in its own process, reported as Lambda would (init error, `Runtime.ExitError`).
 * The bundle's folder should be outside any node_modules tree (a temp folder), so that a module
 * left out of the bundle cannot be found, as in Lambda.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const BOOTSTRAP = fileURLToPath(new URL('./lambda-bootstrap.mjs', import.meta.url));

/** Lambda's limit on the init phase (module load) of an on-demand function. */
export const LAMBDA_INIT_TIMEOUT_MS = 10_000;

export interface BundledFunctionOptions {
  /** Function name (the context's functionName, log prefix) */
  readonly name: string;
  /** The folder holding index.mjs (LAMBDA_TASK_ROOT) */
  readonly taskRoot: string;
  /** The function's own variables (the stack's) and the caller's local overrides */
  readonly environment: Readonly<Record<string, string>>;
  readonly region: string;
  /** Credentials in the environment, as Lambda puts the role's there */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  readonly memoryMb?: number;
  /** The function's timeout (default 60 s): an invocation over it kills the environment */
  readonly timeoutMs?: number;
  readonly initTimeoutMs?: number;
  /** Lines the process writes (its logs); default: kept, see `output` */
  readonly onOutput?: (line: string) => void;
}

export class BundledFunctionError extends Error {
  constructor(
    message: string,
    /** Lambda's error type: Runtime.ImportModuleError, Runtime.HandlerNotFound, Runtime.ExitError, Sandbox.Timedout, or the handler's error name */
    readonly errorType: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BundledFunctionError';
  }
}

export interface BundledFunction {
  readonly name: string;
  /** Invokes the handler (queued behind a running invocation, as one execution environment does) */
  invoke(event: unknown, context?: { awsRequestId?: string }): Promise<unknown>;
  /** Invocations answered so far (results and handler errors) */
  readonly invocations: number;
  /** The environment's end, if it ended: crash, timeout, exit */
  readonly failure: BundledFunctionError | null;
  /** The last lines of its stdout/stderr */
  output(): string[];
  close(): Promise<void>;
}

type Message =
  | { type: 'ready' }
  | { type: 'init-error'; error: { name: string; message: string; stack?: string } }
  | { type: 'crash'; kind: string; error: { name: string; message: string; stack?: string } }
  | { type: 'result'; id: string; result: unknown }
  | { type: 'error'; id: string; error: { name: string; message: string; stack?: string } };

/** The variables Lambda sets in every execution environment (reserved; the stack cannot set them). */
export function lambdaEnvironment(options: Pick<BundledFunctionOptions, 'name' | 'taskRoot' | 'region' | 'credentials' | 'memoryMb'>): Record<string, string> {
  const credentials = options.credentials ?? { accessKeyId: 'ASIALOCALLOCALLOCAL0', secretAccessKey: 'local-secret-key', sessionToken: 'local-session' };
  return {
    _HANDLER: 'index.handler',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: options.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb ?? 512),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    LAMBDA_TASK_ROOT: options.taskRoot,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    PATH: '/usr/local/bin:/usr/bin/:/bin',
  };
}

/** Starts the function's execution environment and waits for its init (module load) to finish. */
export async function startBundledFunction(options: BundledFunctionOptions): Promise<BundledFunction> {
  const env = { ...lambdaEnvironment(options), ...options.environment };
  const tail: string[] = [];
  const keep = (line: string) => {
    if (options.onOutput) options.onOutput(line);
    tail.push(line);
    if (tail.length > 200) tail.shift();
  };
  const child: ChildProcess = spawn(process.execPath, [BOOTSTRAP], { cwd: options.taskRoot, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) keep(line);
    });
  }

  const pending = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let failure: BundledFunctionError | null = null;
  let invocations = 0;
  let closing = false;
  const end = (error: BundledFunctionError) => {
    failure ??= error;
    for (const [id, call] of pending) {
      clearTimeout(call.timer);
      call.reject(failure);
      pending.delete(id);
    }
  };

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new BundledFunctionError(`${options.name}: init did not finish within ${options.initTimeoutMs ?? LAMBDA_INIT_TIMEOUT_MS} ms (an unsettled top-level await?)`, 'Sandbox.Timedout'));
      child.kill('SIGKILL');
    }, options.initTimeoutMs ?? LAMBDA_INIT_TIMEOUT_MS);
    child.on('message', (raw) => {
      const message = raw as Message;
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve();
      } else if (message.type === 'init-error') {
        clearTimeout(timer);
        reject(new BundledFunctionError(`${options.name}: init failed: ${message.error.name}: ${message.error.message}`, message.error.name));
      } else if (message.type === 'crash') {
        end(new BundledFunctionError(`${options.name}: execution environment ended (${message.kind}): ${message.error.name}: ${message.error.message}`, 'Runtime.ExitError'));
      } else if (message.type === 'result' || message.type === 'error') {
        const call = pending.get(message.id);
        if (!call) return;
        pending.delete(message.id);
        clearTimeout(call.timer);
        invocations += 1;
        if (message.type === 'result') call.resolve(message.result);
        else {
          const error = new BundledFunctionError(`${options.name}: ${message.error.name}: ${message.error.message}`, message.error.name);
          if (message.error.stack) error.stack = message.error.stack;
          call.reject(error);
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const error = new BundledFunctionError(`${options.name}: execution environment exited (${code ?? signal})${closing ? '' : `; last output:\n${tail.slice(-20).join('\n')}`}`, 'Runtime.ExitError');
      reject(error);
      end(error);
    });
  });
  try {
    await ready;
  } catch (error) {
    child.kill('SIGKILL');
    if (error instanceof BundledFunctionError && tail.length) error.message += `\n${tail.slice(-20).join('\n')}`;
    throw error;
  }

  // One invocation at a time, as one execution environment serves them.
  let queue: Promise<unknown> = Promise.resolve();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const invokeNow = (event: unknown, context: { awsRequestId?: string }) =>
    new Promise<unknown>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = randomUUID();
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new BundledFunctionError(`${options.name}: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, 'Sandbox.Timedout'));
        end(new BundledFunctionError(`${options.name}: timed out; environment ended`, 'Sandbox.Timedout'));
        child.kill('SIGKILL');
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      const awsRequestId = context.awsRequestId ?? randomUUID();
      child.send({
        type: 'invoke',
        id,
        event,
        deadlineMs: Date.now() + timeoutMs,
        context: {
          functionName: options.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: `arn:aws:lambda:${options.region}:000000000000:function:${options.name}`,
          memoryLimitInMB: String(options.memoryMb ?? 512),
          awsRequestId,
          logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
          logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
        },
      });
    });

  return {
    name: options.name,
    invoke(event, context = {}) {
      const result = queue.then(() => invokeNow(event, context));
      queue = result.catch(() => undefined);
      return result;
    },
    get invocations() {
      return invocations;
    },
    get failure() {
      return failure;
    },
    output: () => [...tail],
    async close() {
      closing = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
