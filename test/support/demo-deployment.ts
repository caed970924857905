/**
 * The demo plan's local deployment for a test file: both sandboxes (1C seeded with the demo base,
 * Goodwix with the demo catalog and no orders), the local runtime with quick client retries and
 * no tick, and a 1C client for what a manager does. Started in `before`, stopped in `after`;
 * every control API answer is checked against docs/control-api.openapi.json.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { DEMO_PLAN_ID } from '#local/runtime/demo-plan';
import { startLocalRuntime, type ApiAnswer, type LocalRuntime } from '#local/runtime/runtime';
import { OneCTrade } from '#onec/trade';
import { checkedApi } from './control-api-contract.ts';

export interface DemoDeployment {
  readonly onecSandbox: OneCSandbox;
  readonly goodwixSandbox: GoodwixSandbox;
  readonly runtime: LocalRuntime;
  /** A 1C client as a manager's tools would use it */
  readonly onec: OneCTrade;
  /** The control API, answers checked against its OpenAPI document */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** "Выполнить обмен": a manual run (or a POST to `path`), waited for until both queues are quiet; the run's journal */
  exchange(path?: string): Promise<Record<string, any>>;
}

/** Starts the deployment before the file's tests and stops it after them. */
export function useDemoDeployment(): DemoDeployment {
  const state: { onecSandbox?: OneCSandbox; goodwixSandbox?: GoodwixSandbox; runtime?: LocalRuntime; onec?: OneCTrade } = {};
  const need = <K extends keyof typeof state>(key: K): NonNullable<(typeof state)[K]> => {
    const value = state[key];
    if (!value) throw new Error(`the demo deployment is not started: ${key} is used outside a test`);
    return value as NonNullable<(typeof state)[K]>;
  };

  before(async () => {
    const [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'empty' })]);
    Object.assign(state, { onecSandbox, goodwixSandbox });
    state.runtime = await startLocalRuntime({
      demo: { onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl },
      tick: false,
      logLevel: 'SILENT',
      print: () => undefined,
      tuning: { onecRetry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 }, goodwixMaxAttempts: 3, goodwixBackoff: { baseMs: 5, maxMs: 20 } },
    });
    state.onec = OneCTrade.connect({ baseUrl: onecSandbox.baseUrl, login: onecSandbox.login, password: onecSandbox.password });
  });

  after(async () => {
    state.onec?.close();
    await state.runtime?.close();
    await Promise.all([state.onecSandbox?.close(), state.goodwixSandbox?.close()]);
  });

  const api = (method: string, path: string, body?: unknown) => checkedApi(need('runtime'))(method, path, body);
  return {
    get onecSandbox() {
      return need('onecSandbox');
    },
    get goodwixSandbox() {
      return need('goodwixSandbox');
    },
    get runtime() {
      return need('runtime');
    },
    get onec() {
      return need('onec');
    },
    api,
    async exchange(path = `/plans/${DEMO_PLAN_ID}/runs`) {
      const started = await api('POST', path);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      await need('runtime').drain({ timeoutMs: 60_000 });
      return (await api('GET', `/plans/${DEMO_PLAN_ID}/runs/${started.body!['runId']}`)).body!;
    },
  };
}
