/**
 * Building blocks of the functions' configuration schemas (one per function, parsed at module
 * load from `process.env`): environment values are strings; numbers are whole and bounded.
 */
import * as z from './zod.ts';
import { describeZodError } from './zod.ts';

export const envString = () => z.string().check(z.trim(), z.minLength(1, 'required'));

export const envUrl = () => z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/** A whole number from the environment, with a default and bounds. */
export const envInt = (fallback: number, min: number, max: number) =>
  z._default(
    z.pipe(
      z.pipe(z.string().check(z.regex(/^\d+$/, 'expected a whole number')), z.transform(Number)),
      z.int().check(z.gte(min), z.lte(max)),
    ),
    fallback,
  );

export class ConfigurationError extends Error {
  constructor(functionName: string, issues: readonly string[]) {
    super(`Invalid configuration of the ${functionName} function: ${issues.join('; ')}`);
    this.name = 'ConfigurationError';
  }
}

/** Parses the environment against a function's schema; throws naming every bad variable. */
export function parseConfig<S extends z.ZodMiniType>(functionName: string, schema: S, env: Readonly<Record<string, string | undefined>>): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) throw new ConfigurationError(functionName, describeZodError(result.error));
  return result.data;
}

/** What every function's configuration has (the rest is its own). */
export const commonEnv = {
  TABLE_NAME: envString(),
  /** Lease of a run's lock, seconds */
  LOCK_TTL_SECONDS: envInt(900, 60, 86_400),
  /** How long runs and their entries are kept, days */
  RUN_RETENTION_DAYS: envInt(90, 1, 3650),
  /** Local development only: DynamoDB Local / SQS emulator endpoints */
  DYNAMODB_ENDPOINT: z.optional(envUrl()),
  SQS_ENDPOINT: z.optional(envUrl()),
  AWS_REGION: z.optional(envString()),
};

const commonSchema = z.object(commonEnv);
/** The part of a function's parsed configuration every function has: what `commonPorts` reads. */
export type CommonConfig = Readonly<z.output<typeof commonSchema>>;

/** How long a secret read from Secrets Manager is cached, seconds (never per request) */
export const secretsCacheEnv = () => envInt(300, 300, 86_400);

const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * What the plans of a deployment may reach (`#plans/access`), for the functions that read
 * secrets and connect: api, collector, worker.
 */
export const accessEnv = {
  /** The plans' secrets name prefix, ending in `/`: a plan's secrets lie below `<prefix><planId>/` */
  SECRETS_PREFIX: z.string().check(z.regex(/^[A-Za-z0-9/_+=.@-]*\/$/, 'expected a secret name prefix ending in /, e.g. goodwix-1c-exchange/prod/')),
  /** Comma-separated host names (`*.domain` for sub-domains) plans may connect to; absent: any */
  ALLOWED_HOSTS: z.optional(
    z.pipe(
      z.string().check(z.trim(), z.minLength(1, 'required')),
      z.transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '')),
    ).check(z.refine((hosts) => hosts.length > 0 && hosts.every((h) => HOST.test(h)), 'expected comma-separated host names, e.g. erp.example.com,*.goodwix.com')),
  ),
  /** `true` in the local runtime only: plain http to any host (AWS: https, http to loopback only) */
  ALLOW_PLAIN_HTTP: z._default(z.pipe(z.enum(['true', 'false']), z.transform((v) => v === 'true')), false),
};
