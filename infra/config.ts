/**
 * Deployment configuration: a stage's file `config/<stage>.json`, chosen by `-c stage=<stage>`,
 * with CDK context values (`-c key=value`, cdk.json) over it, each with a documented default.
 * Context given on the command line arrives as strings; this module parses and checks every
 * value, refuses keys it does not know (a misspelled key would otherwise fall back to its
 * default unseen), and refuses to synthesise naming each bad one. docs/deploy.md lists the keys.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** How the functions that call 1C reach it (docs/deploy.md, "Network"). */
export const NETWORK_MODES = ['public', 'nat', 'existing'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/** AWS services the functions in a VPC may reach through VPC endpoints instead of a NAT. */
export const VPC_ENDPOINT_SERVICES = ['dynamodb', 'sqs', 'secretsmanager'] as const;
export type VpcEndpointService = (typeof VPC_ENDPOINT_SERVICES)[number];

/** What the VPC topologies share. */
interface VpcNetworkBase {
  /**
   * VPC endpoints the stack creates: `dynamodb` is a gateway endpoint (free; on the private
   * subnets' route tables), `sqs` and `secretsmanager` interface endpoints (billed per hour and
   * zone). A service without one is reached through the VPC's NAT. Default `dynamodb`.
   */
  readonly endpoints: readonly VpcEndpointService[];
  /** TCP ports the functions may open outside the VPC (1C, Goodwix, AWS APIs). Default `443`. */
  readonly egressPorts: readonly number[];
}

/** The functions stay outside any VPC and reach 1C over the internet from AWS's addresses (today's). */
export interface PublicNetwork {
  readonly mode: 'public';
}

/** A VPC of the stack's own: the functions that call 1C in private subnets, out through NAT gateways with fixed Elastic IPs. */
export interface NatNetwork extends VpcNetworkBase {
  readonly mode: 'nat';
  /** NAT gateways (each with its Elastic IP), one per zone. Default 2 (or one per `eipAllocationIds`), 1..2. */
  readonly natGateways: number;
  /**
   * Elastic IPs to put the NAT gateways on, instead of new ones the stack allocates: addresses
   * the supplier already allows, or the retained ones of an earlier deployment. One per NAT gateway.
   */
  readonly eipAllocationIds?: readonly string[];
  /** The two zones of the VPC. Default: the region's first two, resolved at deploy time (`Fn::GetAZs`), so synth needs no lookup. */
  readonly availabilityZones?: readonly string[];
}

/** A VPC that already reaches 1C (site-to-site VPN, Direct Connect), given by id: nothing is looked up at synth. */
export interface ExistingNetwork extends VpcNetworkBase {
  readonly mode: 'existing';
  readonly vpcId: string;
  readonly privateSubnetIds: readonly string[];
  /** Zone of each private subnet, in the same order. */
  readonly availabilityZones: readonly string[];
  /** Route table of each private subnet, in the same order: needed for the DynamoDB gateway endpoint. */
  readonly privateSubnetRouteTableIds?: readonly string[];
}

export type NetworkConfig = PublicNetwork | NatNetwork | ExistingNetwork;

export interface ExchangeConfig {
  /** Deployment stage; part of the stack names and of the secrets prefix. Required by the CDK app (`deploymentContext`); `dev` when built without it (tests). */
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
  /** Where the functions that call 1C run (`network` and the keys that go with it). Default `public`. */
  readonly network: NetworkConfig;
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
  network: { mode: 'public' },
} as const satisfies Partial<ExchangeConfig>;

export const NETWORK_DEFAULTS = {
  natGateways: 2,
  endpoints: ['dynamodb'],
  egressPorts: [443],
} as const satisfies Partial<NatNetwork>;

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
  'network',
  'natGateways',
  'natEipAllocationIds',
  'vpcId',
  'privateSubnetIds',
  'privateSubnetRouteTableIds',
  'availabilityZones',
  'vpcEndpoints',
  'egressPorts',
] as const;

/** The keys that belong to a VPC topology, and which topologies accept each. */
const NETWORK_KEYS: Readonly<Record<string, readonly NetworkMode[]>> = {
  natGateways: ['nat'],
  natEipAllocationIds: ['nat'],
  vpcId: ['existing'],
  privateSubnetIds: ['existing'],
  privateSubnetRouteTableIds: ['existing'],
  availabilityZones: ['nat', 'existing'],
  vpcEndpoints: ['nat', 'existing'],
  egressPorts: ['nat', 'existing'],
};
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

/** A list from `-c key=a,b` (a string) or from cdk.json (an array). */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v),
    z.array(item).min(1, 'expected at least one value (comma-separated on the command line)'),
  );
const optionalList = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === '' || v === null ? undefined : v), z.optional(list(item)));

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
    network: z.enum(NETWORK_MODES, { error: `expected one of ${NETWORK_MODES.join(', ')}` }).default(DEFAULTS.network.mode),
    natGateways: z.optional(int(1, 2)),
    natEipAllocationIds: optionalList(z.string().regex(/^eipalloc-[0-9a-f]{8,17}$/, 'expected Elastic IP allocation ids such as eipalloc-0123456789abcdef0')),
    vpcId: optionalString(z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC id such as vpc-0123456789abcdef0')),
    privateSubnetIds: optionalList(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'expected subnet ids such as subnet-0123456789abcdef0')),
    privateSubnetRouteTableIds: optionalList(z.string().regex(/^rtb-[0-9a-f]{8,17}$/, 'expected route table ids such as rtb-0123456789abcdef0')),
    availabilityZones: optionalList(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'expected zone names such as eu-central-1a')),
    vpcEndpoints: optionalList(z.enum([...VPC_ENDPOINT_SERVICES, 'none'], { error: `expected ${VPC_ENDPOINT_SERVICES.join(', ')} or none` })),
    egressPorts: optionalList(int(1, 65_535)),
  })
  .refine((c) => !(c.alarmEmail && c.alarmTopicArn), { message: 'give alarmEmail or alarmTopicArn, not both (subscribe the e-mail to your topic)', path: ['alarmTopicArn'] })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
    for (const [key, modes] of Object.entries(NETWORK_KEYS)) {
      if (c[key as keyof typeof c] !== undefined && !modes.includes(c.network)) issue(key, `only with network=${modes.join(' or network=')} (network is ${c.network})`);
    }
    if (c.vpcEndpoints && c.vpcEndpoints.length > 1 && c.vpcEndpoints.includes('none')) issue('vpcEndpoints', 'none cannot be combined with endpoints');
    if (c.vpcEndpoints && new Set(c.vpcEndpoints).size !== c.vpcEndpoints.length) issue('vpcEndpoints', 'expected each endpoint once');
    if (c.network === 'nat' && c.availabilityZones && c.availabilityZones.length !== 2) issue('availabilityZones', 'expected two zones for the VPC');
    if (c.natEipAllocationIds) {
      const gateways = c.natGateways ?? c.natEipAllocationIds.length;
      if (c.natEipAllocationIds.length !== gateways || gateways > 2) issue('natEipAllocationIds', `expected one allocation per NAT gateway (${c.natGateways ?? '1 or 2'})`);
      if (new Set(c.natEipAllocationIds).size !== c.natEipAllocationIds.length) issue('natEipAllocationIds', 'expected each allocation once');
    }
    if (c.network !== 'existing') return;
    if (!c.vpcId) issue('vpcId', 'required with network=existing');
    if (!c.privateSubnetIds) issue('privateSubnetIds', 'required with network=existing: the subnets the functions run in (comma-separated)');
    const subnets = c.privateSubnetIds?.length ?? 0;
    if (!c.availabilityZones) issue('availabilityZones', 'required with network=existing: the zone of each private subnet, in the same order');
    else if (subnets && c.availabilityZones.length !== subnets) issue('availabilityZones', `expected one zone per private subnet (${subnets}), in the same order`);
    const endpoints = c.vpcEndpoints ?? NETWORK_DEFAULTS.endpoints;
    if (endpoints.includes('dynamodb') && !c.privateSubnetRouteTableIds) {
      issue('privateSubnetRouteTableIds', 'required for the DynamoDB gateway endpoint (vpcEndpoints includes dynamodb, the default): the route table of each private subnet; or set vpcEndpoints without dynamodb if the VPC has one');
    } else if (c.privateSubnetRouteTableIds && subnets && c.privateSubnetRouteTableIds.length !== subnets) {
      issue('privateSubnetRouteTableIds', `expected one route table per private subnet (${subnets}), in the same order`);
    }
  });

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
  const { account, region, alarmEmail, alarmTopicArn, allowedHosts, network, natGateways, natEipAllocationIds, vpcId, privateSubnetIds, privateSubnetRouteTableIds, availabilityZones, vpcEndpoints, egressPorts, ...rest } = result.data;
  const endpoints = vpcEndpoints?.filter((e): e is VpcEndpointService => e !== 'none') ?? [...NETWORK_DEFAULTS.endpoints];
  const vpcBase = { endpoints, egressPorts: [...new Set(egressPorts ?? NETWORK_DEFAULTS.egressPorts)] };
  const networkConfig: NetworkConfig =
    network === 'nat'
      ? {
          mode: 'nat',
          ...vpcBase,
          natGateways: natGateways ?? natEipAllocationIds?.length ?? NETWORK_DEFAULTS.natGateways,
          ...(natEipAllocationIds ? { eipAllocationIds: natEipAllocationIds } : {}),
          ...(availabilityZones ? { availabilityZones } : {}),
        }
      : network === 'existing'
        ? {
            mode: 'existing',
            ...vpcBase,
            vpcId: vpcId!,
            privateSubnetIds: privateSubnetIds!,
            availabilityZones: availabilityZones!,
            ...(privateSubnetRouteTableIds ? { privateSubnetRouteTableIds } : {}),
          }
        : { mode: 'public' };
  return {
    ...rest,
    ...(allowedHosts?.length ? { allowedHosts } : {}),
    network: networkConfig,
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

/**
 * Context keys CDK and its CLI own that are not namespaced with `:` or `@` (feature flags are
 * `@aws-cdk/…`, the CLI's own `aws:cdk:…`, cached lookups `availability-zones:account=…`).
 */
const CDK_PLAIN_KEYS: readonly string[] = ['acknowledged-issue-numbers'];

/** Whether a context key is one of ours by its shape: CDK's keys carry a namespace. */
function looksOurs(key: string): boolean {
  return !/[:@/]/.test(key) && !CDK_PLAIN_KEYS.includes(key);
}

/** The known key a misspelled one most likely meant (case, dashes, one or two letters off). */
function nearestKey(key: string): ContextKey | undefined {
  const norm = (k: string) => k.toLowerCase().replace(/[-_.\s]/g, '');
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i += 1) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j += 1) {
        const here = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = here;
      }
    }
    return row[b.length]!;
  };
  let best: { key: ContextKey; d: number } | undefined;
  for (const known of CONTEXT_KEYS) {
    const d = distance(norm(key), norm(known));
    if (d <= 2 && (!best || d < best.d)) best = { key: known, d };
  }
  return best?.key;
}

function unknownKeyIssue(key: string, where: string): string {
  const hint = nearestKey(key);
  return `${key}: unknown key${where}${hint ? ` (did you mean ${hint}?)` : ''}; known keys: docs/deploy.md, "Configuration"`;
}

/** Where a stage's configuration file lives: `<dir>/<stage>.json`. */
export function stageConfigPath(configDir: string, stage: string): string {
  return join(configDir, `${stage}.json`);
}

export interface DeploymentContextOptions {
  /** The folder of the stages' files (`config/` of the repository for the CDK app). */
  readonly configDir: string;
}

/**
 * The context the app is configured with, for `cdk synth/deploy`: `-c stage=<stage>` is
 * required and picks `config/<stage>.json`, which must exist (a mistyped stage is refused
 * rather than deployed as a new one); the file's values, then the context's (`-c`, cdk.json)
 * over them. Unknown keys are refused, in the file and in the context, naming each; CDK's own
 * context keys (namespaced: `aws:cdk:…`, `@aws-cdk/…`, lookups) pass.
 *
 * No default stage: a deploy without `-c stage` cannot be told apart from one that forgot
 * `-c stage=prod`, and a default would create a second stage from it (docs/deploy.md).
 */
export function deploymentContext(node: { getAllContext(): Record<string, unknown> }, options: DeploymentContextOptions): Partial<Record<ContextKey, unknown>> {
  const all = node.getAllContext();
  const issues: string[] = [];
  for (const key of Object.keys(all)) {
    if (looksOurs(key) && !(CONTEXT_KEYS as readonly string[]).includes(key)) issues.push(unknownKeyIssue(key, ' in the context (-c or cdk.json)'));
  }
  const stage = all['stage'];
  if (stage === undefined || stage === '') {
    issues.push(`stage: required: -c stage=<stage> picks the stage's file ${stageConfigPath(options.configDir, '<stage>')} (e.g. -c stage=dev)`);
    throw new ConfigError(issues);
  }
  if (typeof stage !== 'string' || !/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    issues.push('stage: expected 1–20 of a-z, 0-9 and -, starting with a letter');
    throw new ConfigError(issues);
  }
  const file = stageConfigPath(options.configDir, stage);
  const fromFile = readStageFile(file, issues);
  if (issues.length) throw new ConfigError(issues);
  const fromContext = contextOf({ tryGetContext: (key) => all[key] });
  return { ...fromFile, ...fromContext };
}

/** A stage's file: a JSON object of known keys other than `stage` (the file's name is the stage). */
function readStageFile(file: string, issues: string[]): Partial<Record<ContextKey, unknown>> {
  if (!existsSync(file)) {
    issues.push(`stage: no file ${file}: create it (\`{}\` takes every default) or check the stage's spelling`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    issues.push(`${file}: not JSON (${(error as Error).message})`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    issues.push(`${file}: expected a JSON object of configuration keys`);
    return {};
  }
  const out: Partial<Record<ContextKey, unknown>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'stage') issues.push(`stage: not in ${file}: the file's name is the stage`);
    else if ((CONTEXT_KEYS as readonly string[]).includes(key)) out[key as ContextKey] = value;
    else issues.push(unknownKeyIssue(key, ` in ${file}`));
  }
  return out;
}

/** Name prefix of the plans' secrets in Secrets Manager: `goodwix-1c-exchange/<stage>/`. */
export function secretsPrefix(stage: string): string {
  return `goodwix-1c-exchange/${stage}/`;
}
