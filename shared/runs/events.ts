/**
 * Run events: `run.started`, `run.completed`, `run.failed` (and `order.conflict` from the sync)
 * put on the EventBridge bus in AWS; locally appended to the run's journal and printed.
 * docs/api.md ("Events") documents source, detail-types and detail.
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { RunRepository } from '#store/runs';
import { EventPublishError } from './errors.ts';

export const EVENT_SOURCE = 'goodwix-1c-exchange';
export const RUN_EVENT_TYPES = ['run.started', 'run.completed', 'run.failed', 'order.conflict'] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

export type EventDetailValue = string | number | boolean | null;

export interface RunEvent {
  readonly type: RunEventType;
  readonly planId: string;
  readonly runId: string;
  readonly at: string;
  readonly detail?: Readonly<Record<string, EventDetailValue>>;
}

export interface EventPublisher {
  publish(event: RunEvent): Promise<void>;
}

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(event: RunEvent): Promise<void> {
    let failed = 0;
    try {
      const result = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: this.busName,
              Source: EVENT_SOURCE,
              DetailType: event.type,
              Time: new Date(event.at),
              Detail: JSON.stringify({ planId: event.planId, runId: event.runId, at: event.at, ...event.detail }),
            },
          ],
        }),
      );
      failed = result.FailedEntryCount ?? 0;
    } catch (error) {
      throw new EventPublishError(`Could not put ${event.type}: ${(error as Error).name}`, { cause: error, context: { planId: event.planId, runId: event.runId } });
    }
    if (failed > 0) throw new EventPublishError(`EventBridge refused ${event.type}`, { context: { planId: event.planId, runId: event.runId } });
  }
}

/** The local bus: the event goes into the run's journal (`events` of the run) and to the console. */
export class JournalEventPublisher implements EventPublisher {
  constructor(
    private readonly runs: RunRepository,
    private readonly print: (line: string) => void = (line) => console.log(line),
  ) {}

  async publish(event: RunEvent): Promise<void> {
    await this.runs.appendEvent(event.planId, event.runId, { type: event.type, at: event.at, ...(event.detail ? { detail: event.detail } : {}) });
    const detail = event.detail ? ' ' + Object.entries(event.detail).map(([k, v]) => `${k}=${v}`).join(' ') : '';
    this.print(`[event] ${event.at} ${event.type} plan=${event.planId} run=${event.runId}${detail}`);
  }
}

/** Collects events in memory (tests). */
export class MemoryEventPublisher implements EventPublisher {
  readonly events: RunEvent[] = [];
  async publish(event: RunEvent): Promise<void> {
    this.events.push(event);
  }
}
