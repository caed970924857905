/**
 * The two clients of a plan, built from the plan and its secrets, and kept for the life of the
 * Lambda container: the Goodwix token and the 1C connections (and 1C's slow first call) are
 * paid once, not per message. A plan whose connection settings changed gets new clients.
 */
import { GoodwixClient, type GoodwixRequestEvent } from '#goodwix/client';
import type { RequestEvent } from '#onec/client';
import { OneCTrade } from '#onec/trade';
import type { Plan } from '#plans/plan';
import { getGoodwixPassword, getOneCCredentials, type OneCCredentials, type SecretsProvider } from '#secrets/secrets';
import { OneCReferences } from './references.ts';

export interface PlanClients {
  readonly onec: OneCTrade;
  readonly goodwix: GoodwixClient;
  /**
   * 1C reference lookups shared by the orders this container exchanges for the plan, renewed
   * every few minutes: VAT rates, cancel reasons, the agreement, products and counterparties
   * are read once per window instead of once per order (they change rarely, and a product
   * marked for deletion meanwhile is still a valid reference in 1C).
   */
  references(): OneCReferences;
}

/** How long reference lookups are reused (default 5 minutes). */
const REFERENCES_TTL_MS = 5 * 60_000;

/** Sees every HTTP attempt of a plan's clients: latency and error metrics. */
export interface ClientObserver {
  onec(event: RequestEvent, planId: string): void;
  goodwix(event: GoodwixRequestEvent, planId: string): void;
}

export interface ClientTuning {
  /** Override the clients' retry pacing (tests, the local runtime) */
  readonly onecRetry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  readonly goodwixMaxAttempts?: number;
  readonly goodwixBackoff?: { baseMs?: number; maxMs?: number };
  /** Goodwix per-attempt budget, ms (default the client's 15 s; the chaos suite's hangs want less) */
  readonly goodwixTimeoutMs?: number;
  /** Reuse of reference lookups, ms (tests set 0: every order reads afresh) */
  readonly referencesTtlMs?: number;
}

/**
 * A plan's 1C client, from its settings and its credentials: with `connectGoodwix`, the one
 * place that turns a plan into connections (the sync's cache below, the plan check's connectors).
 */
export function connectOneC(plan: Plan, credentials: OneCCredentials, tuning: ClientTuning = {}, observer?: ClientObserver): OneCTrade {
  return OneCTrade.connect({
    baseUrl: plan.onec.baseUrl,
    login: credentials.login,
    password: credentials.password,
    requestTimeoutMs: plan.onec.timeoutMs,
    coldStartTimeoutMs: plan.onec.coldStartTimeoutMs,
    ...(plan.onec.caBundle === undefined ? {} : { ca: plan.onec.caBundle }),
    ...(tuning.onecRetry ? { retry: tuning.onecRetry } : {}),
    ...(observer ? { onRequest: (event: RequestEvent) => observer.onec(event, plan.id) } : {}),
  });
}

/** A plan's Goodwix client, from its settings and the supplier's password. */
export function connectGoodwix(plan: Plan, password: string, tuning: ClientTuning = {}, observer?: ClientObserver): GoodwixClient {
  return new GoodwixClient({
    baseUrl: plan.goodwix.baseUrl,
    email: plan.goodwix.email,
    password,
    catalogId: plan.goodwix.catalogId,
    ...(tuning.goodwixMaxAttempts ? { maxAttempts: tuning.goodwixMaxAttempts } : {}),
    ...(tuning.goodwixBackoff ? { backoff: tuning.goodwixBackoff } : {}),
    ...(tuning.goodwixTimeoutMs ? { timeoutMs: tuning.goodwixTimeoutMs } : {}),
    ...(observer ? { onRequest: (event: GoodwixRequestEvent) => observer.goodwix(event, plan.id) } : {}),
  });
}

export class PlanClientCache {
  private readonly entries = new Map<string, { key: string; clients: Promise<PlanClients> }>();

  constructor(
    private readonly secrets: SecretsProvider,
    private readonly tuning: ClientTuning = {},
    private readonly observer?: ClientObserver,
  ) {}

  get(plan: Plan): Promise<PlanClients> {
    const key = JSON.stringify([plan.goodwix, plan.onec]);
    const found = this.entries.get(plan.id);
    if (found && found.key === key) return found.clients;
    if (found) void found.clients.then((c) => c.onec.close(), () => undefined);
    const clients = this.open(plan);
    // A failed open (a secret missing) is not cached: the next message tries again.
    clients.catch(() => this.entries.delete(plan.id));
    this.entries.set(plan.id, { key, clients });
    return clients;
  }

  private async open(plan: Plan): Promise<PlanClients> {
    const [credentials, password] = await Promise.all([getOneCCredentials(this.secrets, plan.onec.credentialsSecret), getGoodwixPassword(this.secrets, plan.goodwix.passwordSecret)]);
    const onec = connectOneC(plan, credentials, this.tuning, this.observer);
    const goodwix = connectGoodwix(plan, password, this.tuning, this.observer);
    const ttl = this.tuning.referencesTtlMs ?? REFERENCES_TTL_MS;
    let refs: { value: OneCReferences; until: number } | null = null;
    const references = (): OneCReferences => {
      const now = Date.now();
      if (!refs || now >= refs.until) refs = { value: new OneCReferences(onec), until: now + ttl };
      return refs.value;
    };
    return { onec, goodwix, references };
  }

  close(): void {
    for (const { clients } of this.entries.values()) void clients.then((c) => c.onec.close(), () => undefined);
    this.entries.clear();
  }
}
