/**
 * The CDK app (`cdk.json` runs `npx tsx infra/app.ts`). Context keys and defaults:
 * infra/config.ts and docs/deploy.md.
 *
 *     npx cdk synth                                   # offline, no credentials needed
 *     npx cdk deploy --all -c stage=prod -c alarmEmail=ops@example.com -c workerMaxConcurrency=4
 */
import { buildExchangeApp } from './exchange-app.ts';

const { app } = buildExchangeApp();
app.synth();
