/**
 * `npm start` under Ctrl+C: DynamoDB Local runs as a child process, so a start that dies by the
 * signal leaves a Java process behind. Each child here leads its own process group; after it
 * exits, nothing of that group may still run.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs local/main.ts as `npm start` does, signalling itself (SIGINT) once its output shows `signalOn`. */
async function startInterrupted(args: string[], signalOn: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; survivors: number[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', join(repoRoot, 'test/support/signal-on-output.ts'), join(repoRoot, 'local/main.ts'), ...args], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SIGNAL_ON_OUTPUT: signalOn, SIGNAL_NAME: 'SIGINT' },
  });
  const group = child.pid!;
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (c: string) => { output += c; });
  child.stderr.on('data', (c: string) => { output += c; });
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    return { code, signal, output, survivors: await survivorsOf(group) };
  } finally {
    try { process.kill(-group, 'SIGKILL'); } catch { /* the group is gone */ }
  }
}

/** The processes of a group still running a few seconds after its leader exited (a killed child takes a moment to go). */
async function survivorsOf(group: number): Promise<number[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const rows = execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' }).trim().split('\n');
    const alive = rows
      .map((row) => row.trim().split(/\s+/u))
      .filter(([, pgid, stat]) => Number(pgid) === group && !stat?.startsWith('Z'))
      .map(([pid]) => Number(pid));
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start under Ctrl+C', () => {
  test('--serve closes everything it started and exits 0 when Ctrl+C arrives the moment its banner shows', async () => {
    // Act
    const run = await startInterrupted(['--serve'], 'Ctrl+C stops everything.');
    // Assess
    assert.deepEqual({ code: run.code, signal: run.signal }, { code: 0, signal: null }, run.output);
    assert.deepEqual(run.survivors, [], 'a process of the local deployment (DynamoDB Local) outlived npm start');
  });

  test('the demo stops at once with 130 and leaves no DynamoDB Local behind when interrupted midway', async () => {
    // Act
    const run = await startInterrupted([], 'control API:');
    // Assess
    assert.deepEqual({ code: run.code, signal: run.signal }, { code: 130, signal: null }, run.output);
    assert.doesNotMatch(run.output, /Done\./u);
    assert.deepEqual(run.survivors, [], 'a process of the local deployment (DynamoDB Local) outlived npm start');
  });
});
