/**
 * Deployment configuration: CDK context values (`cdk deploy -c stage=prod -c alarmEmail=…`), each
 * with a documented default. Context given on the command line arrives as strings; this module
 * parses and checks every value and refuses to synthesise naming each bad one.
 * docs/deploy.md lists the keys.
 */
import { z } from 'zod';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export interface ExchangeConfig {
  /** Deployment stage; part of the stack names and of the secrets prefix. Default `dev`. */
  readonly stage: string;
  /** Account to pin the stacks to; default: the CLI's (`CDK_DEFAULT_ACCOUNT`), or none (env-agnostic). */
  readonly account?: string;
  /** Region to pin the stacks to; default: the CLI's (`CDK_DEFAULT_REGION`), or none (env-agnostic). */
  readonly region?: string;
  /** E-mail subscribed to the alarm topic the stack creates. Default: none (subscribe later). */
  readonly alarmEmail?: string;
  /** An existing SNS topic for alarms instead of a new one. Default: a new topic. */
  readonly alarmTopicArn?: string;
  /** Worker invocations at once (the order queue's event source `maxConcurrency`): calls toward 1C. Default 5, 2..1000. */
  readonly workerMaxConcurrency: number;
  /** Retention of the functions', API access and run-event logs, days. Default 90. */
  readonly logRetentionDays: number;
  /** Powertools log level of every function. Default `INFO`. */
  readonly logLevel: LogLevel;
  /** How long runs and their per-order entries are kept in the table (TTL), days. Default 90. */
  readonly runRetentionDays: number;
  /** Lease of a run's lock, seconds. Default 900. */
  readonly lockTtlSeconds: number;
  /** Secrets Manager cache per execution environment, seconds. Default 300. */
  readonly secretsCacheSeconds: number;
  /** Control API steady-state requests per second (stage throttling). Default 10. */
  readonly apiRateLimit: number;
  /** Control API burst. Default 20. */
  readonly apiBurstLimit: number;
  /**
   * Whether the stack sets API Gateway's account-wide CloudWatch role (needed once per account
   * and region for access and execution logs). Default true; false where it is already set.
   */
  readonly apiGatewayCloudWatchRole: boolean;
  /**
   * Hosts the plans may connect to (`-c allowedHosts=erp.example.com,*.goodwix.com`): any other
   * is refused when a plan is saved and before connecting. Default: none listed (any host,
   * https only).
   */
  readonly allowedHosts?: readonly string[];
}

export const DEFAULTS = {
  stage: 'dev',
  workerMaxConcurrency: 5,
  logRetentionDays: 90,
  logLevel: 'INFO',
  runRetentionDays: 90,
  lockTtlSeconds: 900,
  secretsCacheSeconds: 300,
  apiRateLimit: 10,
  apiBurstLimit: 20,
  apiGatewayCloudWatchRole: true,
} as const satisfies Partial<ExchangeConfig>;

/** The context keys this app reads (`-c key=value` or `cdk.json` → `context`). */
export const CONTEXT_KEYS = [
  'stage',
  'account',
  'region',
  'alarmEmail',
  'alarmTopicArn',
  'workerMaxConcurrency',
  'logRetentionDays',
  'logLevel',
  'runRetentionDays',
  'lockTtlSeconds',
  'secretsCacheSeconds',
  'apiRateLimit',
  'apiBurstLimit',
  'apiGatewayCloudWatchRole',
  'allowedHosts',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

const int = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max));

const bool = () =>
  z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'expected true or false' }));

const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** `a.example,*.b.example` on the command line, or a list in cdk.json. */
const hostList = () =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((h) => h.trim()).filter((h) => h !== '') : v),
    z.array(z.string().trim().toLowerCase().regex(HOST, 'expected host names, e.g. erp.example.com,*.goodwix.com')),
  );

const optionalString = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' || v === null ? undefined : v), z.optional(schema));

const configSchema = z
  .object({
    stage: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'expected 1–20 of a-z, 0-9 and -, starting with a letter').default(DEFAULTS.stage),
    account: optionalString(z.string().regex(/^\d{12}$/, 'expected a 12-digit account id')),
    region: optionalString(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region such as eu-central-1')),
    alarmEmail: optionalString(z.email()),
    alarmTopicArn: optionalString(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, 'expected an SNS topic ARN')),
    workerMaxConcurrency: int(2, 1000).default(DEFAULTS.workerMaxConcurrency),
    logRetentionDays: int(1, 3653)
      .refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v), `expected one of ${LOG_RETENTION_DAYS.join(', ')}`)
      .default(DEFAULTS.logRetentionDays),
    logLevel: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(LOG_LEVELS)).default(DEFAULTS.logLevel),
    runRetentionDays: int(1, 3650).default(DEFAULTS.runRetentionDays),
    lockTtlSeconds: int(60, 86_400).default(DEFAULTS.lockTtlSeconds),
    secretsCacheSeconds: int(300, 86_400).default(DEFAULTS.secretsCacheSeconds),
    apiRateLimit: int(1, 10_000).default(DEFAULTS.apiRateLimit),
    apiBurstLimit: int(1, 5_000).default(DEFAULTS.apiBurstLimit),
    apiGatewayCloudWatchRole: bool().default(DEFAULTS.apiGatewayCloudWatchRole),
    allowedHosts: optionalString(hostList()),
  })
  .refine((c) => !(c.alarmEmail && c.alarmTopicArn), { message: 'give alarmEmail or alarmTopicArn, not both (subscribe the e-mail to your topic)', path: ['alarmTopicArn'] });

export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`Invalid deployment context: ${issues.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the configuration from context values (as `app.node.tryGetContext` answers them) and,
 * for account and region when absent, the CLI's `CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`.
 */
export function parseConfig(context: Readonly<Partial<Record<ContextKey, unknown>>>, env: Readonly<Record<string, string | undefined>> = {}): ExchangeConfig {
  const input: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) if (context[key] !== undefined) input[key] = context[key];
  input['account'] ??= env['CDK_DEFAULT_ACCOUNT'];
  input['region'] ??= env['CDK_DEFAULT_REGION'];
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || 'context'}: ${i.message}`));
  const { account, region, alarmEmail, alarmTopicArn, allowedHosts, ...rest } = result.data;
  return {
    ...rest,
    ...(allowedHosts?.length ? { allowedHosts } : {}),
    ...(account ? { account } : {}),
    ...(region ? { region } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(alarmTopicArn ? { alarmTopicArn } : {}),
  };
}

/** Reads every context key from a construct tree node (`app.node`). */
export function contextOf(node: { tryGetContext(key: string): unknown }): Partial<Record<ContextKey, unknown>> {
  const out: Partial<Record<ContextKey, unknown>> = {};
  for (const key of CONTEXT_KEYS) {
    const value = node.tryGetContext(key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Name prefix of the plans' secrets in Secrets Manager: `goodwix-1c-exchange/<stage>/`. */
export function secretsPrefix(stage: string): string {
  return `goodwix-1c-exchange/${stage}/`;
}
