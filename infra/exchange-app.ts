/**
 * Builds the exchange's CDK app: the data stack and the service stack of one stage, with
 * cdk-nag. `infra/app.ts` runs it for `cdk synth/deploy`; the infra tests build it too.
 */
import { App, type AppProps, type Environment } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { contextOf, deploymentContext, parseConfig, type ExchangeConfig } from './config.ts';
import { addNag } from './nag.ts';
import { DataStack } from './stacks/data-stack.ts';
import { ServiceStack } from './stacks/service-stack.ts';

export interface ExchangeApp {
  readonly app: App;
  readonly config: ExchangeConfig;
  readonly data: DataStack;
  readonly service: ServiceStack;
}

export interface BuildOptions {
  /** Run cdk-nag (AwsSolutions). Default true. */
  readonly nag?: boolean;
  /** Environment for account/region defaults. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The folder of the stages' files (`config/<stage>.json`). Given (as `infra/app.ts` does for
   * `cdk synth/deploy`), `-c stage` is required, the stage's file is read and unknown keys are
   * refused (`deploymentContext`); absent, only the app's context configures it (tests).
   */
  readonly configDir?: string;
}

/** Stack names: `Goodwix1CExchange-<stage>-Data` and `Goodwix1CExchange-<stage>-Service`. */
export function stackNames(stage: string): { data: string; service: string } {
  return { data: `Goodwix1CExchange-${stage}-Data`, service: `Goodwix1CExchange-${stage}-Service` };
}

/**
 * Context defaults of the app (the CLI's `-c` and cdk.json override them). Cross-stack
 * references stay CloudFormation exports ("strong"): the data stack cannot drop a table, queue or
 * bus the service stack still uses.
 */
export const APP_CONTEXT_DEFAULTS = {
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
} as const;

export function buildExchangeApp(appProps: AppProps = {}, options: BuildOptions = {}): ExchangeApp {
  const app = new App({ ...appProps, context: { ...APP_CONTEXT_DEFAULTS, ...appProps.context } });
  const context = options.configDir ? deploymentContext(app.node, { configDir: options.configDir }) : contextOf(app.node);
  const config = parseConfig(context, options.env ?? process.env);
  const env: Environment = { ...(config.account ? { account: config.account } : {}), ...(config.region ? { region: config.region } : {}) };
  const names = stackNames(config.stage);
  const tags = { project: 'goodwix-1c-exchange', stage: config.stage };
  const data = new DataStack(app, names.data, { stage: config.stage, network: config.network, logRetention: config.logRetentionDays as RetentionDays, env, tags, description: `Goodwix-1C exchange (${config.stage}): table, queues, event bus${config.network.mode === 'public' ? '' : ', network'}` });
  const service = new ServiceStack(app, names.service, { config, data, env, tags, description: `Goodwix-1C exchange (${config.stage}): functions, API, schedule, monitoring` });
  if (options.nag ?? true) addNag(app);
  return { app, config, data, service };
}
