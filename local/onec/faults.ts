/**
 * Fault injection for the 1C sandbox, per instance and changeable at run time.
 *
 * * `latencyMs` — added to every request.
 * * `balanceFullMs` — the timing model of register balances (see the field).
 * * `coldStartMs` + `idleMs` — the first request after the publication sat idle for `idleMs`
 *   (and the very first request) waits `coldStartMs` (real 1C: 30 s+ while it starts a session);
 *   requests arriving meanwhile wait for the same start.
 * * `errorRate` / `failNext` — answer 500 code -1 before doing anything.
 * * `hangRate` / `hangNext` — accept the request and never answer (until `close()`).
 * * `lostResponseRate` / `loseNextResponses` — perform the request (the write is committed), then
 *   destroy the connection without answering.
 * * `match` — restricts the error/hang/lost faults (rates and counters) to matching requests,
 *   e.g. `{ method: 'POST', entitySet: 'Document_ЗаказКлиента' }` or a predicate. Latency and
 *   cold start apply to every request.
 * * `seed` — seeds the random generator the rates draw from (set it again to restart the
 *   sequence); the generator only draws for rates above zero, so runs are reproducible.
 *
 * Counters are checked before rates, in the order fail → hang → lose.
 */

import { z } from 'zod';

export interface FaultRequest {
  readonly method: string;
  /** Path below the service root, decoded, e.g. `Document_ЗаказКлиента(guid'…')/Post` */
  readonly path: string;
  readonly entitySet?: string;
  /** `Post`, `Unpost`, `Balance`, `$metadata`, … when the path names one */
  readonly action?: string;
}

export type FaultMatch =
  | { readonly method?: string; readonly entitySet?: string; readonly action?: string; readonly pathIncludes?: string }
  | ((request: FaultRequest) => boolean);

export interface OneCFaults {
  latencyMs: number;
  /**
   * The timing model of register balances: what summing a whole register costs (a live UT base
   * took 12–25 s for an unconditioned `ТоварыКОтгрузке` balance). A balance with a Condition
   * costs this times the share of the register's records the Condition admits (1C sums through
   * the register's dimension index: a condition on `Склад` reads that warehouse's records only);
   * one without costs all of it. 0 (default): balances answer at once.
   */
  balanceFullMs: number;
  coldStartMs: number;
  idleMs: number;
  errorRate: number;
  failNext: number;
  hangRate: number;
  hangNext: number;
  lostResponseRate: number;
  loseNextResponses: number;
  match: FaultMatch | undefined;
  seed: number;
}

export type FaultDecision = 'error' | 'hang' | 'lost' | undefined;

export const DEFAULT_FAULTS: Readonly<OneCFaults> = {
  latencyMs: 0,
  balanceFullMs: 0,
  coldStartMs: 0,
  idleMs: 60_000,
  errorRate: 0,
  failNext: 0,
  hangRate: 0,
  hangNext: 0,
  lostResponseRate: 0,
  loseNextResponses: 0,
  match: undefined,
  seed: 1,
};

/** mulberry32: small, fast, good enough for fault dice, and reproducible from a seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function matches(match: FaultMatch | undefined, r: FaultRequest): boolean {
  if (!match) return true;
  if (typeof match === 'function') return match(r);
  return (match.method === undefined || match.method.toUpperCase() === r.method.toUpperCase())
    && (match.entitySet === undefined || match.entitySet === r.entitySet)
    && (match.action === undefined || match.action === r.action)
    && (match.pathIncludes === undefined || r.path.includes(match.pathIncludes));
}

export class FaultState {
  private state: OneCFaults;
  private rng: () => number;

  constructor(private readonly initial: Partial<OneCFaults> = {}) {
    this.state = { ...DEFAULT_FAULTS, ...initial };
    this.rng = mulberry32(this.state.seed);
  }

  get current(): OneCFaults {
    return { ...this.state };
  }

  set(patch: Partial<OneCFaults>): void {
    for (const [k, v] of Object.entries(patch)) {
      if (k !== 'match' && k !== 'seed' && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw new RangeError(`fault ${k} must be a non-negative number`);
      if (k.endsWith('Rate') && (v as number) > 1) throw new RangeError(`fault ${k} must be within 0..1`);
    }
    this.state = { ...this.state, ...patch };
    if (patch.seed !== undefined) this.rng = mulberry32(patch.seed);
  }

  /** Back to the options the sandbox was started with, random sequence restarted. */
  reset(): void {
    this.state = { ...DEFAULT_FAULTS, ...this.initial };
    this.rng = mulberry32(this.state.seed);
  }

  /** Which fault, if any, hits this request (consumes counters and dice). */
  decide(r: FaultRequest): FaultDecision {
    const s = this.state;
    if (!matches(s.match, r)) return undefined;
    if (s.failNext > 0) { s.failNext -= 1; return 'error'; }
    if (s.hangNext > 0) { s.hangNext -= 1; return 'hang'; }
    if (s.loseNextResponses > 0) { s.loseNextResponses -= 1; return 'lost'; }
    if (s.errorRate > 0 && this.rng() < s.errorRate) return 'error';
    if (s.hangRate > 0 && this.rng() < s.hangRate) return 'hang';
    if (s.lostResponseRate > 0 && this.rng() < s.lostResponseRate) return 'lost';
    return undefined;
  }
}

/**
 * What `PATCH /_sandbox/faults` accepts: the settings `faults.set` takes, as JSON (a `match` is
 * an object there, never a predicate; `null` clears it). Unknown fields are refused.
 */
export const faultsPatch = z.strictObject({
  latencyMs: z.number().int().min(0).optional(),
  coldStartMs: z.number().int().min(0).optional(),
  idleMs: z.number().int().min(0).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  failNext: z.number().int().min(0).optional(),
  hangRate: z.number().min(0).max(1).optional(),
  hangNext: z.number().int().min(0).optional(),
  lostResponseRate: z.number().min(0).max(1).optional(),
  loseNextResponses: z.number().int().min(0).optional(),
  match: z.strictObject({
    method: z.string().min(1).optional(),
    entitySet: z.string().min(1).optional(),
    action: z.string().min(1).optional(),
    pathIncludes: z.string().min(1).optional(),
  }).nullable().optional(),
  seed: z.number().int().optional(),
});

/** The settings as JSON: a predicate `match` shows as the text "predicate". */
export function faultsView(f: OneCFaults): Record<string, unknown> {
  return { ...f, match: typeof f.match === 'function' ? 'predicate' : (f.match ?? null) };
}
