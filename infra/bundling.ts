/**
 * How the Lambda functions are bundled: one set of esbuild settings, used by the stack
 * (`NodejsFunction` bundling) and by the bundle benchmark (`bench/bundles.ts`), so the size the
 * bench reports is the size that ships.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

/** Repository root (the folder with package.json and package-lock.json). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The functions and their entry files. */
export const FUNCTION_ENTRIES = {
  tick: 'functions/tick/handler.ts',
  api: 'functions/api/handler.ts',
  collector: 'functions/collector/handler.ts',
  worker: 'functions/worker/handler.ts',
  events: 'functions/events/handler.ts',
} as const;
export type FunctionName = keyof typeof FUNCTION_ENTRIES;
export const FUNCTION_NAMES = Object.keys(FUNCTION_ENTRIES) as FunctionName[];

export function entryPath(name: FunctionName): string {
  return join(PROJECT_ROOT, FUNCTION_ENTRIES[name]);
}

/** esbuild target of the Lambda runtime (`NODEJS_22_X`). */
export const BUNDLE_TARGET = 'node22';

/**
 * ESM bundles have no `require`; some CommonJS dependencies inside them call it (e.g. for
 * Node built-ins). The banner defines one from `import.meta.url`.
 */
export const ESM_REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Credential providers of the SDK's default chain that a Lambda function never reaches: Lambda
 * puts the role's credentials in the environment, the chain's first link (`fromEnv`) answers,
 * and these are loaded only by the later links, with dynamic `import()`. Left out of the bundle
 * (≈125 KiB of SSO, STS, INI and IMDS code per function); everything else of the SDK is bundled.
 * The bundle benchmark and the infra test check that nothing imports them statically.
 */
export const UNREACHED_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
] as const;

/**
 * The SDK's event-stream serde, loaded with dynamic `import()` only for an operation with an
 * event-stream member. None of the operations the functions call (DynamoDB, SQS, EventBridge,
 * Secrets Manager) has one, so it is never loaded; ≈20 KiB per function. Should one ever be
 * called, the runtime's own copy of the SDK answers the import.
 */
export const UNREACHED_SDK_MODULES = ['@smithy/core/event-streams'] as const;

/** The settings both the stack and the bench apply. */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  /** Maps point at file names and lines; the sources themselves stay out of the artefact. */
  sourcesContent: false,
  target: BUNDLE_TARGET,
  format: 'esm',
  /** Prefer packages' ES module builds (the AWS SDK's), which tree-shake. */
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  /** 1C's Cyrillic names stay UTF-8 instead of \uXXXX escapes. */
  charset: 'utf8',
  /** The SDK is bundled, not taken from the runtime: a pinned version and a faster cold start. */
  bundleAwsSDK: true,
  externalModules: [...UNREACHED_CREDENTIAL_PROVIDERS, ...UNREACHED_SDK_MODULES] as string[],
} as const;

/** Environment of every function: Node uses the source maps for stack traces. */
export const NODE_OPTIONS = '--enable-source-maps';

/** Bundle size budget per function (minified JavaScript with the SDK bundled, without the source map). */
export const BUNDLE_BUDGET_BYTES = 512 * 1024;

/** Module init budget per function: `import()` of the bundle in a fresh Node process, median CPU time (and wall time on a quiet machine), bench/bundles.ts. */
export const INIT_BUDGET_MS = 60;

/** The file NodejsFunction writes for an ESM bundle (and Lambda loads for handler `index.handler`). */
export const BUNDLE_FILE = 'index.mjs';

/**
 * The same settings as options of esbuild's `build()`, translated the way `NodejsFunction`
 * translates `BUNDLING` into esbuild's command line (aws-lambda-nodejs `Bundling`): the entry
 * given relative to the project root, `index.mjs` in `outdir`. `infra/constructs/exchange-function.ts`
 * passes `charset` as a raw argument because the CDK drops its `charset` prop; the synth test
 * compares the CDK's asset with `buildFunctionBundle`'s output byte for byte.
 */
export function esbuildOptions(name: FunctionName, outdir: string) {
  return {
    entryPoints: [entryPath(name)],
    outfile: join(outdir, BUNDLE_FILE),
    bundle: true,
    platform: 'node' as const,
    target: BUNDLING.target,
    format: BUNDLING.format,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: [...BUNDLING.mainFields],
    banner: { js: BUNDLING.banner },
    charset: BUNDLING.charset,
    external: [...BUNDLING.externalModules],
    metafile: true,
    logLevel: 'silent' as const,
    absWorkingDir: PROJECT_ROOT,
  };
}

export interface FunctionBundle {
  readonly name: FunctionName;
  /** The folder Lambda would see as its task root (`LAMBDA_TASK_ROOT`) */
  readonly dir: string;
  /** `<dir>/index.mjs` */
  readonly file: string;
  /** Size of index.mjs (what the budget counts) */
  readonly bytes: number;
  /** esbuild's metafile: what went into the bundle, by input */
  readonly metafile: esbuild.Metafile;
}

/**
 * Bundles one function as the stack packages it: `<outdir>/index.mjs` and its source map.
 * The bench measures these files and the bundled-handlers test runs them; an outdir outside the
 * project (a temp folder) has no node_modules above it, so anything left out of the bundle fails
 * to load, as in Lambda.
 */
export async function buildFunctionBundle(name: FunctionName, outdir: string): Promise<FunctionBundle> {
  const options = esbuildOptions(name, outdir);
  const result = await esbuild.build(options);
  if (result.errors.length) throw new Error(`${name}: esbuild failed: ${result.errors.map((e) => e.text).join('; ')}`);
  const code = await readFile(options.outfile);
  if (!result.metafile) throw new Error(`${name}: esbuild wrote no metafile`);
  return { name, dir: outdir, file: options.outfile, bytes: code.byteLength, metafile: result.metafile };
}
