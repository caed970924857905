/**
 * The exchange with a scripted proxy in front of each sandbox (`./proxy.ts`): the real clients
 * talk to the proxies, so a test can hand the exchange one hostile answer in the middle of a
 * real exchange. DynamoDB Local and the sandboxes are started once per file; each `world()` is a
 * fresh table and plan. `onecDirect` bypasses the proxy (to check what 1C really holds).
 */
import { after, before } from 'node:test';
import { GoodwixClient } from '#goodwix/client';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { demoPlan } from '#local/runtime/demo-plan';
import { OneCTrade } from '#onec/trade';
import { parsePlan, type Plan } from '#plans/plan';
import { BindingRepository } from '#store/bindings';
import type { SyncPorts, SyncRequest } from '#sync/order-sync';
import { OneCReferences } from '#sync/references';
import { useDynamoDb } from '#test/dynamodb';
import { planId } from '#test/plans';
import { startProxy, type ScriptedProxy } from './proxy.ts';

export interface HostileWorld {
  readonly plan: Plan;
  readonly onecSandbox: OneCSandbox;
  readonly goodwixSandbox: GoodwixSandbox;
  readonly onecProxy: ScriptedProxy;
  readonly goodwixProxy: ScriptedProxy;
  /** The exchange's 1C client (through the proxy) */
  readonly onec: OneCTrade;
  /** Straight to the 1C sandbox, for the checks */
  readonly onecDirect: OneCTrade;
  readonly goodwix: GoodwixClient;
  readonly bindings: BindingRepository;
  ports(): SyncPorts;
  request(orderId: number | string, extra?: Partial<SyncRequest>): SyncRequest;
}

export function useHostileExchange() {
  const dynamo = useDynamoDb();
  let onecSandbox: OneCSandbox | undefined;
  let goodwixSandbox: GoodwixSandbox | undefined;
  let onecProxy: ScriptedProxy | undefined;
  let goodwixProxy: ScriptedProxy | undefined;
  const clients: { close(): void }[] = [];

  before(async () => {
    [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'empty' })]);
    [onecProxy, goodwixProxy] = await Promise.all([startProxy(onecSandbox.baseUrl), startProxy(goodwixSandbox.baseUrl)]);
  });
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all([onecProxy?.close(), goodwixProxy?.close()]);
    await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
  });

  return {
    get onecSandbox() {
      return onecSandbox!;
    },
    get goodwixSandbox() {
      return goodwixSandbox!;
    },
    get onecProxy() {
      return onecProxy!;
    },
    get goodwixProxy() {
      return goodwixProxy!;
    },
    async world(): Promise<HostileWorld> {
      const store = await dynamo.newStore();
      onecProxy!.clear();
      goodwixProxy!.clear();
      const input = demoPlan({ onecBaseUrl: onecProxy!.baseUrl, goodwixBaseUrl: goodwixProxy!.baseUrl });
      const plan = parsePlan({ ...input, id: planId('bad') });
      const onec = OneCTrade.connect({
        baseUrl: onecProxy!.baseUrl, login: onecSandbox!.login, password: onecSandbox!.password,
        requestTimeoutMs: 3_000, coldStartTimeoutMs: 5_000, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
      });
      const onecDirect = OneCTrade.connect({ baseUrl: onecSandbox!.baseUrl, login: onecSandbox!.login, password: onecSandbox!.password });
      const goodwix = new GoodwixClient({
        baseUrl: goodwixProxy!.baseUrl, email: goodwixSandbox!.supplier.email, password: goodwixSandbox!.supplier.password, catalogId: goodwixSandbox!.catalogId,
        timeoutMs: 3_000, maxAttempts: 2, sleep: async () => {},
      });
      clients.push(onec, onecDirect);
      const bindings = new BindingRepository(store);
      return {
        plan, onecSandbox: onecSandbox!, goodwixSandbox: goodwixSandbox!, onecProxy: onecProxy!, goodwixProxy: goodwixProxy!, onec, onecDirect, goodwix, bindings,
        ports: () => ({ plan, onec, goodwix, bindings, refs: new OneCReferences(onec) }),
        request: (orderId, extra = {}) => ({ planId: plan.id, runId: 'bad-input', orderId: String(orderId), ...extra }),
      };
    },
  };
}
