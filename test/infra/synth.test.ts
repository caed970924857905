/**
 * The real thing once: `cdk synth` through the CLI, as `cdk.json` runs the app, with esbuild
 * bundling every function, offline and without AWS credentials. Catches bundling breakage (an
 * entry that does not build, a bundle that leaves the SDK out) and runs cdk-nag on the result.
 * Each asset is byte for byte what `buildFunctionBundle` builds, the bundle the bench measures
 * and test/infra/bundled-handlers.test.ts runs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BUNDLING, ESM_REQUIRE_BANNER, FUNCTION_NAMES, PROJECT_ROOT, buildFunctionBundle, type FunctionName } from '../../infra/bundling.ts';
import { stackNames } from '../../infra/exchange-app.ts';
import { tempOutdir } from './support.ts';

const run = promisify(execFile);

/**
 * Static `import … from "<pkg>"` / `import "<pkg>"` statements of an AWS SDK or Smithy package
 * (dynamic `import()` and the SDK's own error messages that quote such statements excluded).
 */
function staticSdkImports(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:^|[;}\n])\s*import\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']((?:@aws-sdk|@smithy)\/[^"']+)["']/g)) found.add(m[1]!);
  return [...found];
}

describe('cdk synth with bundling', () => {
  test('bundles every function and synthesises both stacks under cdk-nag, offline and without credentials', { timeout: 180_000 }, async () => {
    const out = tempOutdir();
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' };
    const cli = join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
    // The CLI adds its own context keys (aws:cdk:…, feature flags): they pass the unknown-key check.
    await run(process.execPath, [cli, 'synth', '--quiet', '--no-notices', '--no-version-reporting', '-c', 'stage=dev', '-o', out], { cwd: PROJECT_ROOT, env, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 });

    const names = stackNames('dev');
    const service = JSON.parse(readFileSync(join(out, `${names.service}.template.json`), 'utf8')) as { Resources: Record<string, { Type: string; Properties: any }> };
    assert.ok(existsSync(join(out, `${names.data}.template.json`)));
    const functions = Object.entries(service.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    assert.equal(functions.length, FUNCTION_NAMES.length);
    const ours = tempOutdir();
    for (const [id, fn] of functions) {
      const key = JSON.stringify(fn.Properties.Code.S3Key ?? '');
      const asset = readdirSync(out).find((d) => d.startsWith('asset.') && key.includes(d.slice('asset.'.length)));
      assert.ok(asset, `${id}: no bundled asset`);
      const code = readFileSync(join(out, asset, 'index.mjs'), 'utf8');
      assert.ok(code.startsWith(ESM_REQUIRE_BANNER), `${id}: the createRequire banner opens the bundle`);
      assert.ok(existsSync(join(out, asset, 'index.mjs.map')), `${id}: source map`);
      assert.deepEqual(staticSdkImports(code), [], `${id}: the AWS SDK is bundled, not imported from the runtime`);
      for (const external of BUNDLING.externalModules) {
        const dynamic = code.split(`import("${external}")`).length - 1;
        const anywhere = code.split(`"${external}"`).length - 1;
        assert.equal(anywhere, dynamic, `${id}: ${external} is only ever loaded by dynamic import()`);
      }
      assert.ok(code.length < 2 * 1024 * 1024, `${id}: ${code.length} bytes — something big slipped into the bundle`);
      const name = FUNCTION_NAMES.find((n) => id.startsWith(`ExchangeFunctions${n.charAt(0).toUpperCase()}${n.slice(1)}Function`)) as FunctionName | undefined;
      assert.ok(name, `${id}: which function?`);
      const bundle = await buildFunctionBundle(name, join(ours, name));
      assert.ok(readFileSync(bundle.file).equals(readFileSync(join(out, asset, 'index.mjs'))), `${name}: the CDK's asset differs from buildFunctionBundle's (${readFileSync(join(out, asset, 'index.mjs')).length} vs ${bundle.bytes} bytes)`);
    }
  });

  test('the CLI refuses a synth without -c stage, and a misspelled key, before bundling anything', { timeout: 60_000 }, async () => {
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' };
    const cli = join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
    const refusal = async (...context: string[]) => {
      const error = await run(process.execPath, [cli, 'synth', '--quiet', '--no-notices', '--no-version-reporting', ...context.flatMap((c) => ['-c', c]), '-o', tempOutdir()], { cwd: PROJECT_ROOT, env, timeout: 50_000 }).then(
        () => assert.fail(`synth with ${context.join(' ')} was not refused`),
        (e: { stderr?: string }) => e,
      );
      return String(error.stderr);
    };
    assert.match(await refusal(), /stage: required: -c stage=<stage> picks the stage's file/);
    assert.match(await refusal('stage=dev', 'workerMaxConcurency=4'), /workerMaxConcurency: unknown key in the context \(-c or cdk\.json\) \(did you mean workerMaxConcurrency\?\)/);
  });
});
