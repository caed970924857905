/**
 * The whole exchange on one machine for a test file: both sandboxes seeded with the demo
 * supplier, DynamoDB Local, and the real clients pointed at them. Each test gets a fresh table
 * and plan through `world()`; sandboxes are shared by the file and restarted by `fresh: true`.
 *
 *   const exchange = useExchange();
 *   const w = await exchange.world();        // in a test
 *   await syncOrder(w.ports, w.request(orderId));
 */
import { after, before } from 'node:test';
import { GoodwixClient } from '#goodwix/client';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { demoPlan } from '#local/runtime/demo-plan';
import { OneCTrade } from '#onec/trade';
import { parsePlan, type Plan, type PlanInput } from '#plans/plan';
import { BindingRepository } from '#store/bindings';
import type { SyncPorts, SyncRequest } from '#sync/order-sync';
import { OneCReferences } from '#sync/references';
import { useDynamoDb } from './dynamodb.ts';
import { planId } from './plans.ts';

export interface World {
  readonly plan: Plan;
  readonly onecSandbox: OneCSandbox;
  readonly goodwixSandbox: GoodwixSandbox;
  /** The 1C client, also how tests act as a 1C manager */
  readonly onec: OneCTrade;
  readonly goodwix: GoodwixClient;
  readonly bindings: BindingRepository;
  /** Fresh ports (new reference cache), as a new worker batch would have */
  ports(): SyncPorts;
  /** A request as a new run would send it (each call its own run id, unless `extra.runId`) */
  request(orderId: number | string, extra?: Partial<SyncRequest>): SyncRequest;
}

let runs = 0;

/** `extraProducts`: generated products both sandboxes list (`bulkProducts` of #local/demo/supplier), for big orders. */
export function useExchange(options: { extraProducts?: number } = {}) {
  const sandboxes = () => Promise.all([startOneCSandbox({ seed: 'demo', extraProducts: options.extraProducts ?? 0 }), startGoodwixSandbox({ seed: 'empty', extraProducts: options.extraProducts ?? 0 })]);
  const dynamo = useDynamoDb();
  let onecSandbox: OneCSandbox | undefined;
  let goodwixSandbox: GoodwixSandbox | undefined;
  const clients: { close(): void }[] = [];

  before(async () => {
    [onecSandbox, goodwixSandbox] = await sandboxes();
  });
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
  });

  return {
    async world(overrides: { orders?: Partial<PlanInput['orders']>; fresh?: boolean } = {}): Promise<World> {
      if (overrides.fresh) {
        await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
        [onecSandbox, goodwixSandbox] = await sandboxes();
      }
      const store = await dynamo.newStore();
      const onecSb = onecSandbox!;
      const gwSb = goodwixSandbox!;
      const input = demoPlan({ onecBaseUrl: onecSb.baseUrl, goodwixBaseUrl: gwSb.baseUrl });
      const plan = parsePlan({ ...input, id: planId('sync'), orders: { ...input.orders, ...overrides.orders } });
      // Small budgets and quick retries: the sandboxes answer at once unless a test says otherwise.
      const onec = OneCTrade.connect({
        baseUrl: onecSb.baseUrl, login: onecSb.login, password: onecSb.password,
        requestTimeoutMs: 3_000, coldStartTimeoutMs: 5_000, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
      });
      const goodwix = new GoodwixClient({
        baseUrl: gwSb.baseUrl, email: gwSb.supplier.email, password: gwSb.supplier.password, catalogId: gwSb.catalogId,
        timeoutMs: 3_000, maxAttempts: 3, sleep: async () => {},
      });
      clients.push(onec);
      const bindings = new BindingRepository(store);
      return {
        plan, onecSandbox: onecSb, goodwixSandbox: gwSb, onec, goodwix, bindings,
        ports: () => ({ plan, onec, goodwix, bindings, refs: new OneCReferences(onec) }),
        request: (orderId, extra = {}) => ({ planId: plan.id, runId: `run-${++runs}`, orderId: String(orderId), ...extra }),
      };
    },
  };
}
