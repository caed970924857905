// The process a bundled function runs in (local/runtime/bundled-functions.ts): what Lambda's
// Node.js runtime does with a deployment package, in plain JavaScript so nothing of the
// project's tooling (tsx, its loaders, its node_modules) is there to hide a bundle's gap.
// Loads `$LAMBDA_TASK_ROOT/<module>.mjs` named by `_HANDLER` with import() (ESM, top-level await
// allowed), takes the named export, then serves one invocation at a time over the IPC channel.
// Events and answers cross as JSON, as they do in Lambda.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const send = (message) => new Promise((resolve) => process.send(message, () => resolve()));
const describe = (error) => ({
  name: error?.name ?? 'Error',
  message: error?.message ?? String(error),
  stack: error?.stack,
  code: error?.code,
});

// Lambda ends the execution environment on these; so does this process.
for (const kind of ['uncaughtException', 'unhandledRejection']) {
  process.on(kind, (error) => {
    void send({ type: 'crash', kind, error: describe(error) }).finally(() => process.exit(129));
  });
}

// The host went away (its test ended): so does the environment.
process.on('disconnect', () => process.exit(0));

// Listening from the start keeps the process alive through init, as Lambda's runtime client
// does: a top-level await that never settles runs into the init timeout instead of exiting.
let handler;
process.on('message', (message) => {
  if (message?.type === 'invoke' && handler) void invoke(message);
});

async function invoke({ id, event, context: given, deadlineMs }) {
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    ...given,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await handler(event, context);
    // Lambda serialises the answer; undefined becomes null.
    await send({ type: 'result', id, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    await send({ type: 'error', id, error: describe(error) });
  }
}

try {
  const root = process.env.LAMBDA_TASK_ROOT;
  const spec = process.env._HANDLER ?? '';
  const dot = spec.lastIndexOf('.');
  if (!root || dot <= 0) throw Object.assign(new Error(`Bad handler ${spec}`), { name: 'Runtime.MalformedHandlerName' });
  const base = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  // Lambda's order of extensions for a handler module.
  const file = ['.js', '.mjs', '.cjs'].map((ext) => join(root, base + ext)).find((f) => existsSync(f));
  if (!file) throw Object.assign(new Error(`Cannot find module '${base}' in ${root}`), { name: 'Runtime.ImportModuleError' });
  let module;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    // Lambda's names for a module that cannot be found or parsed; any other error of the
    // module's own init (a configuration error) is reported as itself.
    if (error?.code === 'ERR_MODULE_NOT_FOUND') throw Object.assign(error, { name: 'Runtime.ImportModuleError' });
    if (error instanceof SyntaxError) throw Object.assign(new Error(error.message), { name: 'Runtime.UserCodeSyntaxError', stack: error.stack });
    throw error;
  }
  handler = module[exportName];
  if (typeof handler !== 'function') throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
} catch (error) {
  await send({ type: 'init-error', error: describe(error) });
  process.exit(1);
}

await send({ type: 'ready' });
