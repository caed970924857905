/**
 * The CDK app (`cdk.json` runs `npx tsx infra/app.ts`). `-c stage=<stage>` is required and picks
 * `config/<stage>.json`; keys and defaults: infra/config.ts and docs/deploy.md.
 *
 *     npx cdk synth -c stage=dev                      # offline, no credentials needed
 *     npx cdk deploy --all -c stage=prod              # config/prod.json holds prod's values
 */
import { fileURLToPath } from 'node:url';
import { buildExchangeApp } from './exchange-app.ts';

const { app } = buildExchangeApp({}, { configDir: fileURLToPath(new URL('../config/', import.meta.url)) });
app.synth();
