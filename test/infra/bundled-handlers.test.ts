/**
 * What runs in Lambda is what is tested: the demo exchange (the three rounds of `npm start`, with the
 * run events) with every function loaded from the esbuild bundle the CDK app packages
 * (`buildFunctionBundle`, the stack's settings), not from the TypeScript sources.
 *
 * Each bundle is built into a temp folder with no node_modules above it and runs in its own
 * Node process as Lambda runs it (local/runtime/bundled-functions.ts): `index.mjs` imported,
 * its `handler` export, only the variables the synthesised template gives that function plus
 * what Lambda adds (region, credentials) and the local endpoints. The local runtime drives them
 * through its HTTP front, its queues and the table's stream; Secrets Manager and EventBridge are
 * emulated (local/runtime/aws-emulators.ts) and reached through the SDK's standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables. A module left out of a bundle, a dynamic import of
 * one, a variable the stack does not set or a top-level await that does not settle fails here;
 * the second test shows that the harness reports each.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyResult, DynamoDBBatchResponse } from 'aws-lambda';
import { FUNCTION_NAMES, buildFunctionBundle, type FunctionBundle, type FunctionName } from '../../infra/bundling.ts';
import { runDemoRounds } from '#local/demo/rounds';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { startAwsEmulators, type AwsEmulators } from '#local/runtime/aws-emulators';
import { type BundledFunctionError, startBundledFunction, type BundledFunction } from '#local/runtime/bundled-functions';
import { DEMO_PLAN_ID, demoPlan, demoSecretRefs, demoSecrets } from '#local/runtime/demo-plan';
import { startLocalRuntime, type LocalRuntime, type QueueHandler } from '#local/runtime/runtime';
import { LOCAL_REGION, startDynamoDbLocal, startSqsEmulator, type DynamoDbLocal, type SqsEmulator } from '#local/runtime/services';
import { OneCTrade } from '#onec/trade';
import type { TickResult } from '#exchange/tick';
import { localEnvironment, stackFunctions, type StackFunction } from '#test/stack-functions';

const BUS_NAME = 'goodwix-1c-exchange-local-bus';
const CREDENTIALS = { accessKeyId: 'ASIABUNDLEDTESTKEY00', secretAccessKey: 'bundled-test-secret-key', sessionToken: 'bundled-test-session' };

let dir: string;
let bundles: Record<FunctionName, FunctionBundle>;
let stack: Record<FunctionName, StackFunction>;
let onecSandbox: OneCSandbox;
let goodwixSandbox: GoodwixSandbox;
let emulators: AwsEmulators;
/** The demo's secrets under the names a plan has in AWS: below the stack's SECRETS_PREFIX */
let secretNames: { goodwixPassword: string; oneCCredentials: string };
const functions: Partial<Record<FunctionName, BundledFunction>> = {};
let dynamo: DynamoDbLocal;
let sqs: SqsEmulator;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw1c-bundled-'));
  // esbuild bundles and DynamoDB Local starts in their own processes while this one synthesises the app.
  const building = Promise.all(FUNCTION_NAMES.map((name) => buildFunctionBundle(name, join(dir, name))));
  const starting = Promise.all([startDynamoDbLocal(), startSqsEmulator()]);
  await new Promise((resolve) => setImmediate(resolve));
  stack = stackFunctions();
  [dynamo, sqs] = await starting;
  const built = await building;
  bundles = Object.fromEntries(built.map((b) => [b.name, b])) as Record<FunctionName, FunctionBundle>;
  [onecSandbox, goodwixSandbox, emulators] = await Promise.all([
    startOneCSandbox({ seed: 'demo' }),
    startGoodwixSandbox({ seed: 'demo' }),
    (async () => {
      const prefix = stack.api.variables['SECRETS_PREFIX'];
      assert.equal(typeof prefix, 'string', 'the stack gives the api its SECRETS_PREFIX');
      secretNames = { goodwixPassword: `${prefix}${DEMO_PLAN_ID}/goodwix-password`, oneCCredentials: `${prefix}${DEMO_PLAN_ID}/onec-credentials` };
      const local = demoSecrets();
      return startAwsEmulators({
        busName: BUS_NAME,
        secrets: { [secretNames.goodwixPassword]: local[demoSecretRefs.goodwixPassword]!, [secretNames.oneCCredentials]: local[demoSecretRefs.oneCCredentials]! },
        accessKeyId: CREDENTIALS.accessKeyId,
      });
    })(),
  ]);
});

after(async () => {
  await Promise.all(Object.values(functions).map((f) => f.close()));
  await Promise.all([onecSandbox?.close(), goodwixSandbox?.close(), emulators?.close(), dynamo?.stop(), sqs?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A function's execution environment: its bundle, the stack's variables with local resources, the local endpoints. */
function startFunction(name: FunctionName, env: Readonly<Record<string, string>>, options: { drop?: string } = {}): Promise<BundledFunction> {
  const environment: Record<string, string> = {
    ...localEnvironment(stack[name], { table: env['TABLE_NAME']!, runQueue: env['RUN_QUEUE_URL']!, orderQueue: env['ORDER_QUEUE_URL']!, bus: BUS_NAME }),
    // Local endpoints: DynamoDB Local and the SQS emulator through the functions' own settings,
    // Secrets Manager and EventBridge through the SDK's standard variables.
    DYNAMODB_ENDPOINT: env['DYNAMODB_ENDPOINT']!,
    SQS_ENDPOINT: env['SQS_ENDPOINT']!,
    ...emulators.endpointEnvironment(),
  };
  if (options.drop) delete environment[options.drop];
  return startBundledFunction({
    name,
    taskRoot: bundles[name].dir,
    environment,
    region: env['AWS_REGION'] ?? LOCAL_REGION,
    credentials: CREDENTIALS,
    memoryMb: stack[name].memoryMb,
    timeoutMs: stack[name].timeoutSeconds * 1000,
  });
}

const output = () => Object.values(functions).map((f) => `--- ${f.name}\n${f.output().slice(-15).join('\n')}`).join('\n');

describe('the functions as bundled for Lambda', () => {
  test('run the three rounds of the demo exchange, with the run events, each from its bundle in its own process', { timeout: 240_000 }, async () => {
    // The bundles' folder has no node_modules above it: what a bundle leaves out cannot be found.
    assert.throws(() => createRequire(join(dir, 'api', 'index.mjs')).resolve('@aws-sdk/client-sqs'), /Cannot find module/);

    const onec = OneCTrade.connect({ baseUrl: onecSandbox.baseUrl, login: onecSandbox.login, password: onecSandbox.password });
    let runtime: LocalRuntime | undefined;
    const lines: string[] = [];
    try {
      runtime = await startLocalRuntime({
        // The demo plan as an operator stores it in AWS: its secrets below the stage's prefix.
        plans: [(() => {
          const plan = demoPlan({ onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl });
          return { ...plan, goodwix: { ...plan.goodwix, passwordSecret: secretNames.goodwixPassword }, onec: { ...plan.onec, credentialsSecret: secretNames.oneCCredentials } };
        })()],
        secretsPrefix: stack.api.variables['SECRETS_PREFIX'] as string,
        services: { dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint },
        tick: false,
        logLevel: 'SILENT',
        print: () => undefined,
        handlers: async (env) => {
          // Each kept as it starts, so that after() stops them even when another fails its init.
          const started = await Promise.allSettled(FUNCTION_NAMES.map(async (name) => (functions[name] = await startFunction(name, env))));
          const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
          if (failed) throw failed.reason;
          const fn = functions as Record<FunctionName, BundledFunction>;
          return {
            api: async (event, context) => (await fn.api.invoke(event, context)) as APIGatewayProxyResult,
            tick: async (event, context) => (await fn.tick.invoke(event, context)) as TickResult,
            collector: (async (event, context) => fn.collector.invoke(event, context)) as QueueHandler,
            worker: (async (event, context) => fn.worker.invoke(event, context)) as QueueHandler,
            events: async (event, context) => (await fn.events.invoke(event, context ?? {})) as DynamoDBBatchResponse,
          };
        },
      });

      const { runs, conflictedOrder } = await runDemoRounds(runtime, goodwixSandbox, onec, (line = '') => lines.push(line)).catch((error: Error) => {
        // What the demo printed and the functions logged say why.
        error.message += `\n${lines.join('\n')}\n${output()}`;
        throw error;
      });
      const diagnostics = `\n${lines.join('\n')}\n${output()}`;
      const [first, second] = runs;
      assert.equal(first!.status, 'completed', diagnostics);
      assert.deepEqual(
        { exported: first!.counters.exported, updatedInGoodwix: first!.counters.updatedInGoodwix, failed: first!.counters.failed },
        { exported: 2, updatedInGoodwix: 0, failed: 0 },
        diagnostics,
      );
      assert.equal(second!.status, 'completed', diagnostics);
      assert.deepEqual(
        { updatedInGoodwix: second!.counters.updatedInGoodwix, conflicts: second!.counters.conflicts, failed: second!.counters.failed },
        { updatedInGoodwix: 2, conflicts: 1, failed: 0 },
        diagnostics,
      );
      assert.deepEqual(
        (conflictedOrder.conflicts ?? []).map((c: Record<string, unknown>) => c['field']),
        ['price'],
        diagnostics,
      );
      const third = runs[2]!;
      assert.equal(third.status, 'completed', diagnostics);
      assert.deepEqual({ updatedInGoodwix: third.counters.updatedInGoodwix, failed: third.counters.failed }, { updatedInGoodwix: 1, failed: 0 }, diagnostics);
      assert.equal(goodwixSandbox.actions.supplierView(100002).status, 'closed', `the shipped order closed in 1C shows closed in Goodwix${diagnostics}`);

      // The run events, put on the (emulated) bus by the bundled events function from the table's stream.
      const byRun = (runId: string) => emulators.events.filter((e) => e.detail['runId'] === runId).map((e) => e.detailType).sort();
      assert.deepEqual(byRun(first!.runId), ['run.completed', 'run.started'], `events: ${JSON.stringify(emulators.events)}`);
      assert.deepEqual(byRun(second!.runId), ['order.conflict', 'run.completed', 'run.started'], `events: ${JSON.stringify(emulators.events)}`);
      assert.deepEqual(byRun(third.runId), ['run.completed', 'run.started'], `events: ${JSON.stringify(emulators.events)}`);
      assert.ok(emulators.events.every((e) => e.source === 'goodwix-1c-exchange' && e.eventBusName === BUS_NAME));
      assert.equal(runtime.events.length, 0, 'nothing was put by the in-process events function');

      // The plan's secrets were read from Secrets Manager with the role's credentials from the environment.
      const secretsRead = new Set(emulators.calls.filter((c) => c.operation === 'GetSecretValue' && c.status === 200).map((c) => c.resource));
      assert.deepEqual([...secretsRead].sort(), [secretNames.goodwixPassword, secretNames.oneCCredentials].sort());
      assert.deepEqual(emulators.calls.filter((c) => c.status !== 200), [], 'every emulated call answered 200');

      // The schedule's tick, too (the demo plan's schedule starts from the runtime's start: no run is due yet).
      const tick = await runtime.tickNow();
      assert.equal(typeof tick, 'object', 'the tick answered');
      await runtime.drain({ timeoutMs: 120_000 });

      for (const name of FUNCTION_NAMES) {
        const f = functions[name]!;
        assert.equal(f.failure, null, `${name}: ${f.failure?.message}`);
        assert.ok(f.invocations > 0, `${name} was invoked from its bundle`);
        // Logged at the stack's level (POWERTOOLS_LOG_LEVEL): nothing went wrong on the way.
        assert.deepEqual(f.output().filter((line) => line.includes('"level":"ERROR"')), [], `${name} logged errors`);
      }
    } finally {
      onec.close();
      await runtime?.close();
    }
  });

  test('a bundle that cannot run in Lambda fails: a variable left unset, a module left out, a dynamic import of one, an unsettled top-level await', { timeout: 60_000 }, async () => {
    // The worker bundle without a variable its configuration requires: init fails, naming it.
    const env = { TABLE_NAME: 'gw1c-none', RUN_QUEUE_URL: 'http://127.0.0.1:9/000000000000/runs.fifo', ORDER_QUEUE_URL: 'http://127.0.0.1:9/000000000000/orders.fifo', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', SQS_ENDPOINT: 'http://127.0.0.1:9', AWS_REGION: LOCAL_REGION };
    await assert.rejects(startFunction('worker', env, { drop: 'ORDER_QUEUE_URL' }), (error: BundledFunctionError) => {
      assert.match(error.message, /worker: init failed: .*Invalid configuration of the worker function: ORDER_QUEUE_URL/);
      return true;
    });

    const fake = async (name: string, code: string) => {
      const root = join(dir, 'fake', name);
      await mkdir(root, { recursive: true });
      await writeFile(join(root, 'index.mjs'), code);
      return root;
    };
    const start = (name: string, taskRoot: string) => startBundledFunction({ name, taskRoot, environment: {}, region: LOCAL_REGION, initTimeoutMs: 3_000 });

    // A package the bundle imports but does not contain.
    await assert.rejects(start('left-out', await fake('left-out', "import { SQSClient } from '@aws-sdk/client-sqs';\nexport const handler = async () => String(SQSClient);\n")), (error: BundledFunctionError) => {
      assert.equal(error.errorType, 'Runtime.ImportModuleError');
      assert.match(error.message, /@aws-sdk\/client-sqs/);
      return true;
    });

    // One it loads with import() only when called: the invocation fails.
    const lazy = await start('dynamic', await fake('dynamic', "export const handler = async () => (await import('@smithy/credential-provider-imds')).fromInstanceMetadata;\n"));
    try {
      await assert.rejects(lazy.invoke({}), /Cannot find (package|module) '@smithy\/credential-provider-imds'/);
    } finally {
      await lazy.close();
    }

    // A top-level await that never settles: Lambda's init phase times out.
    await assert.rejects(start('stuck', await fake('stuck', 'await new Promise(() => {});\nexport const handler = async () => 1;\n')), (error: BundledFunctionError) => {
      assert.equal(error.errorType, 'Sandbox.Timedout');
      return true;
    });

    // No `handler` export.
    await assert.rejects(start('unnamed', await fake('unnamed', 'export const main = async () => 1;\n')), /Runtime.HandlerNotFound|not exported/);
  });
});
