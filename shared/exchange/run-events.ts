// Stage 6 of 6, run events: takes the table's changes (run items, order entries) and hands run.* and order.conflict events to EventBridge.
/**
 * Run events — `run.started`, `run.completed`, `run.attention`, `run.failed`, `order.conflict` —
 * derived from the table's own changes instead of being put by the functions that make them: a
 * run item written is `run.started`, a run item leaving `running` is `run.completed` /
 * `run.attention` (orders parked, reserves not refreshed) / `run.failed`, a
 * run's order entry turning `done` with conflicts is `order.conflict`. Each of these changes
 * happens exactly once and is committed before it can be seen, so an event can no longer be
 * lost between the state change and the bus (a function killed in between, a bus refusing):
 * the table's stream carries it to the events function until the bus takes it. Delivery is at
 * least once; `eventId` is the same on every delivery of one event. docs/events.md documents
 * source, detail-types and detail.
 *
 * The table's stream → run events → the bus: the use case of the events function (and of the
 * local runtime, which reads DynamoDB Local's stream with the same records).
 *
 * Records are handled in stream order. When the bus fails, the answer names the first record
 * whose events were not all put: Lambda retries the shard from there (records before it are
 * not repeated), so an event is never skipped. A record whose images cannot be read is logged
 * as an error with its keys and passed over: it cannot become readable by retrying, and holding
 * the shard for it would stop every later event.
 */
import type { RunCounter } from '#store/runs';
import { keys } from '#store/table';
import { streamImage, type StreamRecord } from '#store/stream';
import { EventPublishError } from '#aws/errors';
import { log, type Logger } from '#platform/logger';

export const EVENT_SOURCE = 'goodwix-1c-exchange';
export const RUN_EVENT_TYPES = ['run.started', 'run.completed', 'run.attention', 'run.failed', 'order.conflict'] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

export type EventDetailValue = string | number | boolean | null;

export interface RunEvent {
  readonly type: RunEventType;
  /** The same on every delivery of this event: `<runId>/<type>` or `<runId>/order.conflict/<orderId>` */
  readonly eventId: string;
  readonly planId: string;
  readonly runId: string;
  readonly at: string;
  readonly detail?: Readonly<Record<string, EventDetailValue>>;
}

/** An item change of the table, images unmarshalled (absent: no such image). */
export interface TableChange {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly oldImage?: Readonly<Record<string, unknown>> | undefined;
  readonly newImage?: Readonly<Record<string, unknown>> | undefined;
}

const isRunItem = (sk: string) => sk.startsWith(keys.runPrefix);
const isRunOrderItem = (sk: string) => sk.startsWith(keys.runOrderItemPrefix);

/** Whether an item with this sort key can be an event at all (runs and their order entries); no other item is read. */
function mayBeRunEvent(sk: string): boolean {
  return isRunItem(sk) || isRunOrderItem(sk);
}
const RUN_COUNTERS_IN_DETAIL: readonly RunCounter[] = ['exported', 'updatedInOneC', 'updatedInGoodwix', 'conflicts', 'failed'];

/**
 * The events one change of the table means (none for most changes). Pure: the events function
 * and the local runtime both call it on the stream's records.
 */
export function runEventsOfChange(change: TableChange): RunEvent[] {
  const item = change.newImage;
  if (!item || change.eventName === 'REMOVE') return [];
  const sk = String(item['sk'] ?? '');
  const planId = text(item['planId']);
  const runId = text(item['runId']);
  if (!planId || !runId) return [];

  if (isRunItem(sk)) {
    if (change.eventName === 'INSERT' && item['status'] === 'running') {
      return [
        event('run.started', planId, runId, text(item['startedAt']) ?? '', {
          trigger: text(item['trigger']) ?? null,
          ...optional('slot', item['slot']),
          ...optional('orderId', item['orderId']),
        }),
      ];
    }
    const status = item['status'];
    if (change.eventName === 'MODIFY' && change.oldImage?.['status'] === 'running' && (status === 'completed' || status === 'attention' || status === 'failed')) {
      const counters = (item['counters'] ?? {}) as Record<string, unknown>;
      return [
        event(`run.${status}`, planId, runId, text(item['endedAt']) ?? '', {
          trigger: text(item['trigger']) ?? null,
          status,
          errorCount: whole(item['errorCount']),
          ...Object.fromEntries(RUN_COUNTERS_IN_DETAIL.map((name) => [name, whole(counters[name])])),
          ...optional('summary', item['summary']),
        }),
      ];
    }
    return [];
  }

  if (isRunOrderItem(sk)) {
    const detail = (item['detail'] ?? {}) as Record<string, unknown>;
    const conflicts = whole(detail['conflicts']);
    const becameDone = item['state'] === 'done' && change.oldImage?.['state'] !== 'done';
    const orderId = text(item['orderId']);
    if (!becameDone || conflicts === 0 || !orderId) return [];
    return [
      {
        ...event('order.conflict', planId, runId, text(item['at']) ?? '', {
          orderId,
          onecNumber: text(detail['onecNumber']) ?? null,
          conflicts,
          fields: text(detail['conflictFields']) ?? '',
        }),
        eventId: `${runId}/order.conflict/${orderId}`,
      },
    ];
  }
  return [];
}

/**
 * Stream filters of the events function's event source (Lambda event filtering, one pattern
 * per rule of `runEventsOfChange`), so the function is invoked only for the few changes that
 * are events, not for every counter update and binding write. `runEventsOfChange` still
 * decides: the filters only spare invocations.
 */
export const RUN_EVENT_FILTER_PATTERNS: readonly Record<string, unknown>[] = [
  { eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: keys.runPrefix }] } }, NewImage: { status: { S: ['running'] } } } },
  {
    eventName: ['MODIFY'],
    dynamodb: { Keys: { sk: { S: [{ prefix: keys.runPrefix }] } }, OldImage: { status: { S: ['running'] } }, NewImage: { status: { S: ['completed', 'attention', 'failed'] } } },
  },
  {
    eventName: ['INSERT', 'MODIFY'],
    dynamodb: { Keys: { sk: { S: [{ prefix: keys.runOrderItemPrefix }] } }, NewImage: { state: { S: ['done'] }, detail: { M: { conflicts: { N: [{ 'anything-but': ['0'] }] } } } } },
  },
];

function event(type: RunEventType, planId: string, runId: string, at: string, detail: Record<string, EventDetailValue>): RunEvent {
  return { type, eventId: `${runId}/${type}`, planId, runId, at, detail };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function whole(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function optional(name: string, value: unknown): Record<string, string> {
  const s = text(value);
  return s ? { [name]: s } : {};
}

/** Where events go: EventBridge in AWS, the console locally, memory in tests. */
export interface EventPublisher {
  /**
   * Puts the events in order. Throws EventPublishError (retryable) when one is refused;
   * `putCount` on the error says how many of the first events were put.
   */
  publish(events: readonly RunEvent[]): Promise<void>;
}

/** Collects events in memory (tests, and the local runtime's record of what it printed). */
export class MemoryEventPublisher implements EventPublisher {
  readonly events: RunEvent[] = [];
  constructor(private readonly print?: (line: string) => void) {}

  async publish(events: readonly RunEvent[]): Promise<void> {
    for (const event of events) {
      this.events.push(event);
      if (this.print) {
        const detail = event.detail ? ` ${Object.entries(event.detail).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
        this.print(`[event] ${event.at} ${event.type} plan=${event.planId} run=${event.runId}${detail}`);
      }
    }
  }
}

export interface ForwardResult {
  /** Events put on the bus */
  readonly published: number;
  /** Of those, `run.failed` events: the events function counts them itself, so the alarm cannot miss one */
  readonly failedRuns: number;
  /** Records passed over because their images could not be read (logged with their keys) */
  readonly unreadable: number;
  /** Sequence number of the first record to retry (absent: all done) */
  readonly retryFrom?: string;
}

export type { StreamRecord };

export function tableChangeOf(record: StreamRecord): TableChange | null {
  const name = record.eventName;
  if (name !== 'INSERT' && name !== 'MODIFY' && name !== 'REMOVE') return null;
  const sk = (record.dynamodb?.Keys?.['sk'] as { S?: unknown } | undefined)?.S;
  if (typeof sk !== 'string' || !mayBeRunEvent(sk)) return null;
  return { eventName: name, oldImage: streamImage(record.dynamodb?.OldImage), newImage: streamImage(record.dynamodb?.NewImage) };
}

export async function forwardRunEvents(records: readonly StreamRecord[], publisher: EventPublisher, options: { logger?: Logger } = {}): Promise<ForwardResult> {
  const events: RunEvent[] = [];
  const recordOfEvent: number[] = [];
  let unreadable = 0;
  records.forEach((record, index) => {
    let change: TableChange | null;
    try {
      change = tableChangeOf(record);
    } catch (error) {
      unreadable += 1;
      log(options).error('stream record not readable; no event taken from it', { keys: JSON.stringify(record.dynamodb?.Keys ?? {}), sequenceNumber: record.dynamodb?.SequenceNumber, error });
      return;
    }
    for (const event of change ? runEventsOfChange(change) : []) {
      events.push(event);
      recordOfEvent.push(index);
    }
  });
  const failedRuns = (put: number) => events.slice(0, put).filter((e) => e.type === 'run.failed').length;
  if (events.length === 0) return { published: 0, failedRuns: 0, unreadable };
  try {
    await publisher.publish(events);
    return { published: events.length, failedRuns: failedRuns(events.length), unreadable };
  } catch (error) {
    if (!(error instanceof EventPublishError)) throw error;
    const failed = events[error.putCount];
    const record = records[recordOfEvent[error.putCount] ?? 0];
    log(options).warn('events not put; the stream will deliver them again', { planId: failed?.planId, runId: failed?.runId, eventId: failed?.eventId, error });
    const retryFrom = record?.dynamodb?.SequenceNumber;
    // Without a sequence number Lambda cannot resume mid-batch: fail the whole batch.
    if (!retryFrom) throw error;
    return { published: error.putCount, failedRuns: failedRuns(error.putCount), unreadable, retryFrom };
  }
}
