import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { basicAuth } from '#local/onec/sandbox';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Starts the CLI as `npm run sandbox:onec` does (tsx local/onec/cli.ts) and waits for its banner. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; output: () => string; banner: Record<string, string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'local/onec/cli.ts'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => { out += c; });
  child.stderr!.on('data', (c: string) => { out += c; });
  const deadline = Date.now() + 20_000;
  while (!/Press Ctrl\+C/u.test(out)) {
    if (child.exitCode !== null) throw new Error(`CLI exited early (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`CLI did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const field = (name: string): string => new RegExp(`${name}:\\s+(\\S+)`, 'u').exec(out)?.[1] ?? '';
  return { child, output: () => out, banner: { baseUrl: field('base URL'), login: field('login'), password: field('password') } };
}

describe('npm run sandbox:onec', () => {
  const started: ChildProcess[] = [];
  after(() => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  test('is the script that runs local/onec/cli.ts', () => {
    // Assess
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts['sandbox:onec'], 'tsx local/onec/cli.ts');
  });

  test('starts the demo base on 127.0.0.1, prints URL and credentials, serves them, and stops cleanly on SIGTERM', async () => {
    // Prepare
    const { child, output, banner } = await startCli(['--port', '0']);
    started.push(child);
    // Act
    const res = await fetch(`${banner.baseUrl}Catalog_Номенклатура?$format=json&$select=Артикул`, { headers: { authorization: basicAuth(banner.login!, banner.password!) } });
    const body = (await res.json()) as { value: unknown[] };
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    // Assess
    assert.match(banner.baseUrl!, /^http:\/\/127\.0\.0\.1:\d+\/trade\/odata\/standard\.odata\/$/u);
    assert.equal(banner.login, 'Обмен');
    assert.equal(banner.password, 'exchange-demo');
    assert.equal(res.status, 200);
    assert.equal(body.value.length, 10);
    assert.equal(code, 0);
    assert.match(output(), /SIGTERM: stopping/u);
  });

  test('stops cleanly on SIGINT too, and honours --port and --publication', async () => {
    // Prepare: find a free port, then ask the CLI for it
    const probe = await startCli(['--port', '0', '--publication', 'ut', '--empty']);
    started.push(probe.child);
    const port = Number(new URL(probe.banner.baseUrl!).port);
    probe.child.kill('SIGINT');
    const [probeCode] = (await once(probe.child, 'exit')) as [number | null];
    const { child, banner } = await startCli(['--port', String(port), '--publication', 'ut', '--empty']);
    started.push(child);
    // Act
    const res = await fetch(`${banner.baseUrl}Catalog_Номенклатура?$format=json`, { headers: { authorization: basicAuth(banner.login!, banner.password!) } });
    const body = (await res.json()) as { value: unknown[] };
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    // Assess
    assert.equal(probeCode, 0);
    assert.equal(banner.baseUrl, `http://127.0.0.1:${port}/ut/odata/standard.odata/`);
    assert.deepEqual(body.value, []);
    assert.equal(code, 0);
  });

  test('stops cleanly when Ctrl+C arrives the moment its banner shows', async () => {
    // Prepare: the child signals itself right after writing its last banner line
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', join(repoRoot, 'test/support/signal-on-output.ts'), join(repoRoot, 'local/onec/cli.ts'), '--port', '0', '--empty'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SIGNAL_ON_OUTPUT: 'Press Ctrl+C', SIGNAL_NAME: 'SIGINT' },
    });
    started.push(child);
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => { out += c; });
    // Act
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    // Assess
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, out);
    assert.match(out, /SIGINT: stopping the 1C sandbox/u);
  });
});
