/**
 * The table's stream → run events → the bus: the use case of the events function (and of the
 * local runtime, which reads DynamoDB Local's stream with the same records).
 *
 * Records are handled in stream order. When the bus fails, the answer names the first record
 * whose events were not all put: Lambda retries the shard from there (records before it are
 * not repeated), so an event is never skipped. A record whose images cannot be read is logged
 * as an error with its keys and passed over: it cannot become readable by retrying, and holding
 * the shard for it would stop every later event.
 */
import { streamImage, type StreamRecord } from '#store/stream';
import { EventPublishError } from './errors.ts';
import { mayBeRunEvent, runEventsOfChange, type EventPublisher, type RunEvent, type TableChange } from './events.ts';
import { log } from '#platform/logger';
import type { Logger } from '#platform/logger';

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
