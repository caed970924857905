/**
 * Fault injection for the Goodwix sandbox, changeable while it runs. Faults hit the ERP-facing
 * API (`/api/v1/…`) only, never the `/_sandbox/…` routes the tests and the demo drive it with.
 *
 * Per request, in this order: hang (never answer) → 429 → 5xx → latency → the real answer,
 * which a "lost response" fault computes (the change is applied) and then loses by cutting the
 * connection. Names follow the 1C sandbox's faults (local/onec/faults.ts) where they mean the same.
 * The `…Next` counters are deterministic and consumed first; the `…Rate` shares draw from a
 * seeded generator, so a given seed and request sequence always fail the same way.
 */
export interface GoodwixFaults {
  /** Added before every API answer, in milliseconds. */
  latencyMs: number;
  /** A random extra in [0, latencyJitterMs) on top of latencyMs. */
  latencyJitterMs: number;
  /** Share (0..1) of API requests answered with `errorStatus`. */
  errorRate: number;
  /** The next n API requests are answered with `errorStatus`. */
  failNext: number;
  errorStatus: 500 | 502 | 503 | 504;
  /** Share (0..1) of API requests answered 429 with Retry-After. */
  rateLimitRate: number;
  /** The next n API requests are answered 429 with Retry-After. */
  rateLimitNext: number;
  /** The Retry-After value (seconds) sent with every 429. */
  retryAfterSeconds: number;
  /** Share (0..1) of API requests that are never answered (the socket stays open). */
  hangRate: number;
  /** The next n API requests are never answered. */
  hangNext: number;
  /** Share (0..1) of API requests that are processed but whose answer is lost (connection cut). */
  lostResponseRate: number;
  /** The next n API requests are processed and their answer lost. */
  loseNextResponses: number;
  /** Lifetime of tokens issued from now on. */
  tokenTtlSeconds: number;
  /** When set, faults (and latency) hit only matching requests: method and/or path text, or a predicate. */
  match: GoodwixFaultMatch | null;
  /** Seed of the generator behind the rates and the jitter. */
  seed: number;
}

export type GoodwixFaultMatch =
  | { readonly method?: string; readonly pathIncludes?: string }
  | ((request: { method: string; path: string }) => boolean);

export const defaultFaults: GoodwixFaults = {
  latencyMs: 0,
  latencyJitterMs: 0,
  errorRate: 0,
  failNext: 0,
  errorStatus: 503,
  rateLimitRate: 0,
  rateLimitNext: 0,
  retryAfterSeconds: 1,
  hangRate: 0,
  hangNext: 0,
  lostResponseRate: 0,
  loseNextResponses: 0,
  tokenTtlSeconds: 3600,
  match: null,
  seed: 1,
};

export type FaultDecision =
  | { kind: 'hang' }
  | { kind: 'rateLimit'; retryAfterSeconds: number }
  | { kind: 'fail'; status: number }
  | { kind: 'pass'; delayMs: number; drop: boolean };

/** mulberry32: small, fast, good enough for fault dice. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultController {
  private state: GoodwixFaults;
  private random: () => number;

  constructor(initial: Partial<GoodwixFaults> = {}) {
    this.state = { ...defaultFaults, ...initial };
    validateFaults(this.state);
    this.random = seededRandom(this.state.seed);
  }

  get current(): Readonly<GoodwixFaults> {
    return { ...this.state };
  }

  set(partial: Partial<GoodwixFaults>): void {
    const next = { ...this.state, ...partial };
    validateFaults(next);
    this.state = next;
    if (partial.seed !== undefined) this.random = seededRandom(next.seed);
  }

  /** Back to no faults; the token lifetime given at start stays. */
  reset(keep: Partial<GoodwixFaults> = {}): void {
    this.state = { ...defaultFaults, ...keep };
    this.random = seededRandom(this.state.seed);
  }

  decide(method: string, path: string): FaultDecision {
    const s = this.state;
    if (s.match && !matches(s.match, method, path)) return { kind: 'pass', delayMs: 0, drop: false };
    if (s.hangNext > 0) {
      s.hangNext -= 1;
      return { kind: 'hang' };
    }
    if (s.hangRate > 0 && this.random() < s.hangRate) return { kind: 'hang' };
    if (s.rateLimitNext > 0) {
      s.rateLimitNext -= 1;
      return { kind: 'rateLimit', retryAfterSeconds: s.retryAfterSeconds };
    }
    if (s.rateLimitRate > 0 && this.random() < s.rateLimitRate) return { kind: 'rateLimit', retryAfterSeconds: s.retryAfterSeconds };
    if (s.failNext > 0) {
      s.failNext -= 1;
      return { kind: 'fail', status: s.errorStatus };
    }
    if (s.errorRate > 0 && this.random() < s.errorRate) return { kind: 'fail', status: s.errorStatus };
    let drop = false;
    if (s.loseNextResponses > 0) {
      s.loseNextResponses -= 1;
      drop = true;
    } else if (s.lostResponseRate > 0 && this.random() < s.lostResponseRate) drop = true;
    const jitter = s.latencyJitterMs > 0 ? Math.floor(this.random() * s.latencyJitterMs) : 0;
    return { kind: 'pass', delayMs: s.latencyMs + jitter, drop };
  }
}

function matches(match: GoodwixFaultMatch, method: string, path: string): boolean {
  if (typeof match === 'function') return match({ method, path });
  if (match.method && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match.pathIncludes && !path.includes(match.pathIncludes)) return false;
  return true;
}

function validateFaults(f: GoodwixFaults): void {
  const shares: (keyof GoodwixFaults)[] = ['errorRate', 'rateLimitRate', 'hangRate', 'lostResponseRate'];
  for (const key of shares) {
    const v = f[key] as number;
    if (!(typeof v === 'number' && v >= 0 && v <= 1)) throw new RangeError(`faults.${key} must be a share between 0 and 1`);
  }
  const counts: (keyof GoodwixFaults)[] = ['latencyMs', 'latencyJitterMs', 'failNext', 'rateLimitNext', 'retryAfterSeconds', 'hangNext', 'loseNextResponses'];
  for (const key of counts) {
    const v = f[key] as number;
    if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`faults.${key} must be a whole number >= 0`);
  }
  if (![500, 502, 503, 504].includes(f.errorStatus)) throw new RangeError('faults.errorStatus must be 500, 502, 503 or 504');
  if (!(typeof f.tokenTtlSeconds === 'number' && f.tokenTtlSeconds > 0)) throw new RangeError('faults.tokenTtlSeconds must be > 0');
  if (!Number.isInteger(f.seed)) throw new RangeError('faults.seed must be an integer');
}
