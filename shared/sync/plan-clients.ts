/**
 * The two clients of a plan, built from the plan and its secrets, and kept for the life of the
 * Lambda container: the Goodwix token and the 1C connections (and 1C's slow first call) are
 * paid once, not per message. A plan whose connection settings changed gets new clients.
 *
 * Credentials rotate: the secrets are read again once they are older than the secrets cache
 * (`SECRETS_CACHE_SECONDS`), and at once, bypassing every cache, when either system refuses
 * them with 401 — the refused request is then repeated once with the new ones, so an order
 * never parks for a password that was changed a minute ago.
 */
import { GoodwixClient, type GoodwixRequestEvent } from '#goodwix/client';
import type { RequestEvent } from '#onec/client';
import { OneCTrade } from '#onec/trade';
import { assertPlanAccess, secretScope, type PlanAccess } from '#plans/access';
import type { Plan } from '#plans/plan';
import { getGoodwixPassword, getOneCCredentials, type OneCCredentials, type ReadOptions, type SecretsProvider } from '#secrets/secrets';
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

/** Asked by a client refused with 401 (see `refreshCredentials` of `#onec/client`, `refreshPassword` of `#goodwix/client`). */
export interface CredentialRefresh {
  readonly onec?: () => Promise<OneCCredentials | null>;
  readonly goodwix?: () => Promise<string | null>;
}

/**
 * A plan's 1C client, from its settings and its credentials: with `connectGoodwix`, the one
 * place that turns a plan into connections (the sync's cache below, the plan check's connectors).
 */
export function connectOneC(plan: Plan, credentials: OneCCredentials, tuning: ClientTuning = {}, observer?: ClientObserver, refresh: CredentialRefresh = {}): OneCTrade {
  return OneCTrade.connect({
    baseUrl: plan.onec.baseUrl,
    login: credentials.login,
    password: credentials.password,
    requestTimeoutMs: plan.onec.timeoutMs,
    coldStartTimeoutMs: plan.onec.coldStartTimeoutMs,
    ...(plan.onec.caBundle === undefined ? {} : { ca: plan.onec.caBundle }),
    ...(tuning.onecRetry ? { retry: tuning.onecRetry } : {}),
    ...(observer ? { onRequest: (event: RequestEvent) => observer.onec(event, plan.id) } : {}),
    ...(refresh.onec ? { refreshCredentials: refresh.onec } : {}),
  });
}

/** A plan's Goodwix client, from its settings and the supplier's password. */
export function connectGoodwix(plan: Plan, password: string, tuning: ClientTuning = {}, observer?: ClientObserver, refresh: CredentialRefresh = {}): GoodwixClient {
  return new GoodwixClient({
    baseUrl: plan.goodwix.baseUrl,
    email: plan.goodwix.email,
    password,
    catalogId: plan.goodwix.catalogId,
    ...(tuning.goodwixMaxAttempts ? { maxAttempts: tuning.goodwixMaxAttempts } : {}),
    ...(tuning.goodwixBackoff ? { backoff: tuning.goodwixBackoff } : {}),
    ...(tuning.goodwixTimeoutMs ? { timeoutMs: tuning.goodwixTimeoutMs } : {}),
    ...(observer ? { onRequest: (event: GoodwixRequestEvent) => observer.goodwix(event, plan.id) } : {}),
    ...(refresh.goodwix ? { refreshPassword: refresh.goodwix } : {}),
  });
}

/** A plan's credentials for both systems, read through its secret scope. */
export interface PlanCredentials {
  readonly onec: OneCCredentials;
  readonly goodwixPassword: string;
}

export async function readPlanCredentials(secrets: SecretsProvider, access: PlanAccess, plan: Plan, options: ReadOptions = {}): Promise<PlanCredentials> {
  const scope = secretScope(access, plan.id);
  const [onec, goodwixPassword] = await Promise.all([
    getOneCCredentials(secrets, plan.onec.credentialsSecret, scope, options),
    getGoodwixPassword(secrets, plan.goodwix.passwordSecret, scope, options),
  ]);
  return { onec, goodwixPassword };
}

export interface PlanClientOptions {
  /** The deployment's rules: checked before the secrets are read and the clients made */
  readonly access: PlanAccess;
  /** Credentials older than this are read again (`SECRETS_CACHE_SECONDS`; default 300) */
  readonly secretsMaxAgeSeconds?: number;
  readonly tuning?: ClientTuning;
  readonly observer?: ClientObserver;
  /** Epoch milliseconds (tests) */
  readonly now?: () => number;
}

/** A plan's open clients and the credentials they hold. */
interface Open {
  readonly clients: PlanClients;
  credentials: PlanCredentials;
  /** When the credentials were last read (epoch ms) */
  readAt: number;
  /** Reads in progress (through the cache, and past it): refusals at once share one */
  rereading: { cached: Promise<void> | null; fresh: Promise<void> | null };
}

export class PlanClientCache {
  private readonly entries = new Map<string, { key: string; open: Promise<Open> }>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly secrets: SecretsProvider,
    private readonly options: PlanClientOptions,
  ) {
    this.maxAgeMs = (options.secretsMaxAgeSeconds ?? 300) * 1000;
    this.now = options.now ?? Date.now;
  }

  async get(plan: Plan): Promise<PlanClients> {
    const key = JSON.stringify([plan.goodwix, plan.onec]);
    const found = this.entries.get(plan.id);
    if (found && found.key === key) {
      const open = await found.open;
      if (this.now() - open.readAt >= this.maxAgeMs) await this.reread(plan, open, {});
      return open.clients;
    }
    if (found) void found.open.then((o) => o.clients.onec.close(), () => undefined);
    const open = this.open(plan);
    // A failed open (a secret missing) is not cached: the next message tries again.
    open.catch(() => {
      if (this.entries.get(plan.id)?.open === open) this.entries.delete(plan.id);
    });
    this.entries.set(plan.id, { key, open });
    return (await open).clients;
  }

  /**
   * Reads the plan's secrets again (`fresh`: past every cache) and hands changed credentials to
   * the clients. A failed read keeps the credentials in use: they may still be good.
   */
  private reread(plan: Plan, open: Open, options: ReadOptions): Promise<void> {
    const kind = options.fresh ? 'fresh' : 'cached';
    open.rereading[kind] ??= (async () => {
      try {
        const credentials = await readPlanCredentials(this.secrets, this.options.access, plan, options);
        const before = open.credentials;
        if (credentials.onec.login !== before.onec.login || credentials.onec.password !== before.onec.password) open.clients.onec.client.setCredentials(credentials.onec);
        if (credentials.goodwixPassword !== before.goodwixPassword) open.clients.goodwix.setPassword(credentials.goodwixPassword);
        open.credentials = credentials;
        open.readAt = this.now();
      } catch {
        // Kept as they are, and read again after another cache age (not on every message while
        // Secrets Manager is in trouble); a refusal meanwhile reads past the cache at once.
        if (!options.fresh) open.readAt = this.now();
      } finally {
        open.rereading[kind] = null;
      }
    })();
    return open.rereading[kind];
  }

  private async open(plan: Plan): Promise<Open> {
    assertPlanAccess(plan, this.options.access);
    const credentials = await readPlanCredentials(this.secrets, this.options.access, plan);
    const { tuning = {}, observer } = this.options;
    let open: Open | null = null;
    // Asked by a client refused with 401: the secrets past every cache; null when they did not change.
    const refresh: CredentialRefresh = {
      onec: async () => {
        if (!open) return null;
        const before = open.credentials.onec;
        await this.reread(plan, open, { fresh: true });
        const after = open.credentials.onec;
        return after.login !== before.login || after.password !== before.password ? after : null;
      },
      goodwix: async () => {
        if (!open) return null;
        const before = open.credentials.goodwixPassword;
        await this.reread(plan, open, { fresh: true });
        return open.credentials.goodwixPassword !== before ? open.credentials.goodwixPassword : null;
      },
    };
    const onec = connectOneC(plan, credentials.onec, tuning, observer, refresh);
    const goodwix = connectGoodwix(plan, credentials.goodwixPassword, tuning, observer, refresh);
    const ttl = tuning.referencesTtlMs ?? REFERENCES_TTL_MS;
    let refs: { value: OneCReferences; until: number } | null = null;
    const references = (): OneCReferences => {
      const now = Date.now();
      if (!refs || now >= refs.until) refs = { value: new OneCReferences(onec), until: now + ttl };
      return refs.value;
    };
    open = { clients: { onec, goodwix, references }, credentials, readAt: this.now(), rereading: { cached: null, fresh: null } };
    return open;
  }

  close(): void {
    for (const { open } of this.entries.values()) void open.then((o) => o.clients.onec.close(), () => undefined);
    this.entries.clear();
  }
}
