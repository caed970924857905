/**
 * The `goodwix-1c` command in process (cli/goodwix-1c.ts `main`), for answers the local runtime
 * of cli.test.ts never gives: API Gateway's own error bodies, throttling, a 204 delete, stored
 * plans that no longer validate, a run's next page of orders; command lines that must stop
 * before any request; and `secrets put` in AWS, against a Secrets Manager stand-in.
 * `fetch` is replaced for each test; the command writes to streams the test passes, so that its
 * output never mixes with the test runner's own on stdout.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../cli/goodwix-1c.ts';

const API = 'http://127.0.0.1:9';
const AWS_API = 'https://abc123.execute-api.eu-central-1.amazonaws.com/prod';

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the command with the given stdin; `local(…)` prefixes the connection to a local runtime. */
async function cli(args: readonly string[], options: { stdin?: string } = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

const local = (...args: string[]) => ['--local', '--url', API, '--token', 't', ...args];

type Reply = { status: number; body?: unknown };

const realFetch = globalThis.fetch;
let requests: { method: string; path: string }[] = [];

/** The API (or API Gateway in front of it) answers every request with `reply`; requests are recorded. */
function answering(reply: (method: string, url: URL) => Reply): void {
  globalThis.fetch = (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    requests.push({ method, path: url.pathname });
    const r = reply(method, url);
    const body = r.status === 204 || r.body === undefined ? null : JSON.stringify(r.body);
    return new Response(body, { status: r.status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

const savedEnv = { ...process.env };

afterEach(() => {
  globalThis.fetch = realFetch;
  requests = [];
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
});

describe('goodwix-1c: errors that API Gateway answers itself', () => {
  test('a gateway timeout prints its message and the status, and is "try again" (exit 7)', async () => {
    // Prepare: API Gateway's own answer when the integration outlasts 29 s (plans check on a cold 1C)
    answering(() => ({ status: 504, body: { message: 'Endpoint request timed out' } }));

    // Act
    const ran = await cli(local('plans', 'check', 'demo'));

    // Assess
    assert.equal(ran.code, 7);
    assert.equal(ran.stderr, 'HTTP 504: Endpoint request timed out\n');
  });

  test('an IAM refusal ({"Message": …}) names why, exit 6', async () => {
    // Prepare
    answering(() => ({ status: 403, body: { Message: 'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: execute-api:Invoke' } }));

    // Act
    const ran = await cli(local('plans', 'get', 'demo'));

    // Assess
    assert.equal(ran.code, 6);
    assert.match(ran.stderr, /^HTTP 403: User: .* is not authorized to perform: execute-api:Invoke\n$/);
  });

  test('throttling (429) and a request timeout (408) are "try again" (exit 7); other refusals stay "invalid" (exit 5)', async () => {
    for (const [status, exit] of [
      [429, 7],
      [408, 7],
      [400, 5],
      [422, 5],
    ] as const) {
      // Prepare
      answering(() => ({ status, body: { message: `answered ${status}` } }));

      // Act
      const ran = await cli(local('runs', 'start', 'demo'));

      // Assess
      assert.equal(ran.code, exit, `HTTP ${status}`);
    }
  });

  test("the API's own error keeps its code and message", async () => {
    // Prepare
    answering(() => ({ status: 409, body: { error: { code: 'RUN_IN_PROGRESS', message: 'run 01JX… holds the plan' } } }));

    // Act
    const ran = await cli(local('plans', 'delete', 'demo'));

    // Assess
    assert.equal(ran.code, 4);
    assert.equal(ran.stderr, 'RUN_IN_PROGRESS: run 01JX… holds the plan\n');
  });
});

describe('goodwix-1c: what a successful answer shows', () => {
  test('plans delete says the plan was deleted (the API answers 204 without a body)', async () => {
    // Prepare
    answering(() => ({ status: 204 }));

    // Act
    const ran = await cli(local('plans', 'delete', 'demo'));
    const json = await cli(local('--json', 'plans', 'delete', 'demo'));

    // Assess
    assert.equal(ran.code, 0);
    assert.equal(ran.stdout, 'plan demo deleted\n');
    assert.deepEqual(requests[0], { method: 'DELETE', path: '/plans/demo' });
    assert.deepEqual(JSON.parse(json.stdout), { id: 'demo', deleted: true });
  });

  test('plans list shows, after the table, the stored plans that no longer validate with their issues', async () => {
    // Prepare: the tick skips such plans; the list answers them apart from the items
    answering(() => ({
      status: 200,
      body: { items: [{ id: 'demo', name: 'Demo', schedule: { enabled: true }, version: 3 }], invalid: [{ planId: 'legacy', issues: ['plan.goodwix.baseUrl: must not carry credentials', 'plan.onec.baseUrl: required'] }] },
    }));

    // Act
    const ran = await cli(local('plans', 'list'));

    // Assess
    assert.equal(ran.code, 0);
    const [valid, invalid] = ran.stdout.split('\n\n');
    assert.match(valid!, /^demo +Demo +on/m);
    assert.match(invalid!, /no longer validate/);
    assert.match(invalid!, /^legacy +plan\.goodwix\.baseUrl: must not carry credentials$/m);
    assert.match(invalid!, /^ +plan\.onec\.baseUrl: required$/m);
  });

  test("runs show tells there are more of the run's orders, and the cursor that gets them", async () => {
    // Prepare
    const run = {
      planId: 'demo', runId: '01JX0000000000000000000000', trigger: 'manual', status: 'completed', startedAt: '2025-06-10T10:00:00.000Z', endedAt: '2025-06-10T10:01:00.000Z',
      counters: { exported: 26, updatedInOneC: 0, updatedInGoodwix: 0, conflicts: 0, failed: 0 }, errors: [], errorCount: 0,
      orders: { items: [{ orderId: '1001', outcome: 'exported', at: '2025-06-10T10:00:30.000Z' }], nextCursor: 'eyJwayI6IlBMQU4jZGVtbyJ9' },
    };
    answering(() => ({ status: 200, body: run }));

    // Act
    const ran = await cli(local('runs', 'show', 'demo', run.runId, '--limit', '1'));

    // Assess
    assert.equal(ran.code, 0);
    assert.match(ran.stdout, /^1001 +exported/m);
    assert.match(ran.stdout, /^more: --cursor eyJwayI6IlBMQU4jZGVtbyJ9$/m);
  });
});

describe('goodwix-1c: a bad command line stops before any request (exit 2)', () => {
  test('a malformed --url or one that is not http(s) is named', async () => {
    for (const url of ['http://[::1', 'example.org', 'ftp://example.org']) {
      // Prepare
      answering(() => ({ status: 200, body: { items: [], invalid: [] } }));

      // Act
      const ran = await cli(['--local', '--url', url, '--token', 't', 'plans', 'list']);

      // Assess
      assert.equal(ran.code, 2, url);
      assert.match(ran.stderr, /^--url .* is not an http\(s\) URL/, url);
      assert.deepEqual(requests, [], url);
    }
  });

  test('plans put --file of a file that is not there names the file', async () => {
    // Prepare
    answering(() => ({ status: 200, body: {} }));

    // Act
    const ran = await cli(local('plans', 'put', 'demo', '--file', '/nonexistent/plan.json'));

    // Assess
    assert.equal(ran.code, 2, ran.stderr);
    assert.match(ran.stderr, /--file "\/nonexistent\/plan\.json": no such file/);
    assert.deepEqual(requests, []);
  });

  test('an id ".", ".." or "" is refused naming the argument: URL normalisation would make ".." the plan itself', async () => {
    // Prepare: the API answers whatever is asked with the plan (as GET /plans/demo would)
    answering(() => ({ status: 200, body: { id: 'demo', name: 'Demo', version: 3 } }));

    for (const [args, argument] of [
      [['orders', 'show', 'demo', '..'], '<orderId>'],
      [['orders', 'resync', 'demo', '.'], '<orderId>'],
      [['runs', 'show', 'demo', '..'], '<runId>'],
      [['plans', 'delete', '..'], '<planId>'],
      [['plans', 'get', ''], '<planId>'],
    ] as const) {
      // Act
      const ran = await cli(local(...args));

      // Assess
      assert.equal(ran.code, 2, args.join(' '));
      assert.ok(ran.stderr.startsWith(`${argument} `), ran.stderr);
    }
    assert.deepEqual(requests, []);
  });
});

/** A Secrets Manager stand-in: records each request's signing region and access key; answers PutSecretValue, or fails with a 500. */
async function secretsManager(options: { failing?: boolean } = {}): Promise<{ url: string; calls: { region: string; key: string }[]; close: () => void }> {
  const calls: { region: string; key: string }[] = [];
  const server = createServer((req, res) => {
    const scope = /Credential=([^/]+)\/\d{8}\/([a-z0-9-]+)\/secretsmanager\//.exec(req.headers['authorization'] ?? '');
    calls.push({ key: scope?.[1] ?? '?', region: scope?.[2] ?? '?' });
    req.resume();
    req.on('end', () => {
      res.writeHead(options.failing ? 500 : 200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(options.failing ? { __type: 'InternalServiceError', message: 'try again' } : { ARN: 'arn:x', Name: 'n', VersionId: 'v' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => server.close() };
}

/** AWS's shared config and credentials files in a fresh directory, Secrets Manager at `endpoint`, and nothing else of AWS from the environment. */
function awsFiles(endpoint: string, config: string, credentials = ''): void {
  const dir = mkdtempSync(join(tmpdir(), 'goodwix-1c-cli-'));
  writeFileSync(join(dir, 'config'), config);
  writeFileSync(join(dir, 'credentials'), credentials);
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_') && name !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED') delete process.env[name];
  Object.assign(process.env, {
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
  });
}

const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const planNaming = (secret: { goodwix?: string; onec?: string }): Reply => ({
  status: 200,
  body: { id: 'demo', goodwix: { passwordSecret: secret.goodwix }, onec: { credentialsSecret: secret.onec } },
});

describe('goodwix-1c secrets put in AWS', () => {
  test("writes the secret in the region of the API it names (the URL), not the profile's default region", async () => {
    // Prepare: the API in eu-central-1; the default profile says us-west-2
    const sm = await secretsManager();
    awsFiles(sm.url, '[default]\nregion = us-west-2\n');
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET_KEY });
    answering(() => planNaming({ goodwix: 'goodwix-1c-exchange/prod/demo/goodwix-password' }));

    // Act
    const ran = await cli(['--url', AWS_API, 'secrets', 'put', 'demo', 'goodwix'], { stdin: 's3cret\n' }).finally(sm.close);

    // Assess
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'secret goodwix-1c-exchange/prod/demo/goodwix-password stored\n');
    assert.deepEqual(sm.calls.map((c) => c.region), ['eu-central-1']);
  });

  test("with --profile, Secrets Manager is reached with the profile's credentials, in the API's region", async () => {
    // Prepare: the "ops" profile and the default one each have their own keys and region
    const sm = await secretsManager();
    awsFiles(
      sm.url,
      '[default]\nregion = us-west-2\n\n[profile ops]\nregion = ap-southeast-2\n',
      `[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = ${SECRET_KEY}\n\n[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = ${SECRET_KEY}\n`,
    );
    answering(() => planNaming({ onec: 'goodwix-1c-exchange/prod/demo/onec-credentials' }));

    // Act
    const ran = await cli(['--url', AWS_API, '--profile', 'ops', 'secrets', 'put', 'demo', 'onec'], { stdin: '{"login":"exchange","password":"s3cret"}' }).finally(sm.close);

    // Assess
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(sm.calls, [{ key: 'AKIDOPS', region: 'eu-central-1' }]);
  });

  test("with --profile, the profile's client settings apply to Secrets Manager (its max_attempts)", async () => {
    // Prepare: Secrets Manager fails; the "ops" profile allows one attempt, where the SDK's default is three
    const sm = await secretsManager({ failing: true });
    awsFiles(sm.url, '[profile ops]\nmax_attempts = 1\n', `[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = ${SECRET_KEY}\n`);
    answering(() => planNaming({ goodwix: 'goodwix-1c-exchange/prod/demo/goodwix-password' }));

    // Act
    const ran = await cli(['--url', AWS_API, '--profile', 'ops', 'secrets', 'put', 'demo', 'goodwix'], { stdin: 's3cret' }).finally(sm.close);

    // Assess
    assert.notEqual(ran.code, 0);
    assert.equal(sm.calls.length, 1);
  });
});
