/**
 * The `goodwix-1c` command, run as a process (bin/goodwix-1c.js) against a local runtime
 * started here: tables and --json, exit codes, --help, and a secret written from stdin that
 * the runtime then holds (and the CLI never prints).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { DEMO_PLAN_ID, demoSecretRefs } from '#local/runtime/demo-plan';
import { startLocalRuntime, type LocalRuntime } from '#local/runtime/runtime';

const BIN = fileURLToPath(new URL('../../bin/goodwix-1c.js', import.meta.url));

let onecSandbox: OneCSandbox;
let goodwixSandbox: GoodwixSandbox;
let runtime: LocalRuntime;

before(async () => {
  [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'empty' })]);
  runtime = await startLocalRuntime({
    demo: { onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl },
    tick: false,
    logLevel: 'SILENT',
    print: () => undefined,
  });
});

after(async () => {
  await runtime?.close();
  await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
});

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '', GOODWIX_1C_URL: runtime.apiUrl, GOODWIX_1C_TOKEN: runtime.token, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

describe('goodwix-1c against the local runtime', () => {
  test('--help everywhere, exit 0; no command is a usage error (2)', async () => {
    const main = await cli(['--help']);
    assert.equal(main.code, 0);
    assert.match(main.stdout, /plans +put\|get\|list\|delete\|check/);
    for (const group of ['plans', 'runs', 'orders', 'secrets']) {
      const help = await cli([group, '--help']);
      assert.equal(help.code, 0, group);
      assert.match(help.stdout, new RegExp(`goodwix-1c ${group}`));
    }
    assert.equal((await cli([])).code, 2);
    const unknown = await cli(['--local', 'plans', 'frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "plans frobnicate"/);
  });

  test('plans list prints a table; --json the API answer', async () => {
    const listed = await cli(['--local', 'plans', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^PLAN +NAME +SCHEDULE +NEXT SLOT +VERSION/);
    assert.match(listed.stdout, new RegExp(`^${DEMO_PLAN_ID} `, 'm'));
    const json = await cli(['--local', '--json', 'plans', 'get', DEMO_PLAN_ID]);
    assert.equal(json.code, 0);
    assert.equal(JSON.parse(json.stdout).id, DEMO_PLAN_ID);
  });

  test('plans put from stdin, then delete; a plan that is not there is exit 3, an invalid one exit 5', async () => {
    const plan = JSON.parse((await cli(['--local', '--json', 'plans', 'get', DEMO_PLAN_ID])).stdout);
    const { version: _v, createdAt: _c, updatedAt: _u, scheduleState: _s, ...body } = plan;
    const copy = { ...body, id: 'cli-copy', schedule: { ...body.schedule, enabled: false } };
    // The copy names the demo plan's secrets: outside its own prefix, refused as invalid.
    const refused = await cli(['--local', 'plans', 'put', 'cli-copy'], { stdin: JSON.stringify(copy) });
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(refused.stderr, /PLAN_INVALID/);
    const own = {
      ...copy,
      goodwix: { ...copy.goodwix, passwordSecret: 'local/cli-copy/goodwix-password' },
      onec: { ...copy.onec, credentialsSecret: 'local/cli-copy/onec-credentials' },
    };
    const put = await cli(['--local', 'plans', 'put', 'cli-copy'], { stdin: JSON.stringify(own) });
    assert.equal(put.code, 0, put.stderr);
    assert.equal((await cli(['--local', 'plans', 'delete', 'cli-copy'])).code, 0);
    const gone = await cli(['--local', 'plans', 'get', 'cli-copy']);
    assert.equal(gone.code, 3);
    assert.match(gone.stderr, /PLAN_NOT_FOUND/);
  });

  test('runs start, runs list and runs show; orders list and an order that has no record (exit 3)', async () => {
    const started = await cli(['--local', '--json', 'runs', 'start', DEMO_PLAN_ID]);
    assert.equal(started.code, 0, started.stderr);
    const { runId } = JSON.parse(started.stdout);
    await runtime.drain({ timeoutMs: 60_000 });
    const listed = await cli(['--local', 'runs', 'list', DEMO_PLAN_ID]);
    assert.match(listed.stdout, new RegExp(`^${runId} +manual +completed`, 'm'));
    const shown = await cli(['--local', 'runs', 'show', DEMO_PLAN_ID, runId]);
    assert.equal(shown.code, 0, shown.stdout + shown.stderr);
    assert.match(shown.stdout, /status: +completed/);
    const orders = await cli(['--local', 'orders', 'list', DEMO_PLAN_ID, '--state', 'parked']);
    assert.equal(orders.code, 0, orders.stderr);
    assert.match(orders.stdout, /^ORDER +STATE +STATUS/);
    assert.equal((await cli(['--local', 'orders', 'list', DEMO_PLAN_ID, '--state', 'stuck'])).code, 5);
    assert.equal((await cli(['--local', 'orders', 'show', DEMO_PLAN_ID, '999999'])).code, 3);
  });

  test('secrets put reads the value from stdin, stores it under the name the plan gives, and never prints it', async () => {
    const put = await cli(['--local', 'secrets', 'put', DEMO_PLAN_ID, 'goodwix'], { stdin: 'n3w-Pa55word\n' });
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.stdout.trim(), `secret ${demoSecretRefs.goodwixPassword} stored`);
    assert.ok(!put.stdout.includes('n3w-Pa55word') && !put.stderr.includes('n3w-Pa55word'));
    assert.equal(await runtime.secrets.getSecret(demoSecretRefs.goodwixPassword), 'n3w-Pa55word');

    const onec = await cli(['--local', 'secrets', 'put', DEMO_PLAN_ID, 'onec'], { stdin: 'not json' });
    assert.equal(onec.code, 2);
    assert.ok(!onec.stderr.includes('not json'), 'the refused value is not repeated');
  });

  test('no token or a wrong one: exit 6; nothing listening: exit 7', async () => {
    assert.equal((await cli(['--local', 'plans', 'list'], { env: { GOODWIX_1C_TOKEN: 'wrong' } })).code, 6);
    assert.equal((await cli(['--local', 'plans', 'list'], { env: { GOODWIX_1C_URL: 'http://127.0.0.1:9' } })).code, 7);
  });
});
