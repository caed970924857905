/**
 * The EventBridge side of the run events (`#exchange/run-events`): PutEvents in chunks, a refused entry
 * reported with how many were put before it, so the stream resumes exactly there.
 *
 * IAM: events:PutEvents on the bus.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EventPublishError } from './errors.ts';
import { EVENT_SOURCE, type EventPublisher, type RunEvent } from '#exchange/run-events';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['events:PutEvents'] as const;

/** PutEvents takes at most ten entries. */
const PUT_EVENTS_MAX = 10;

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: readonly RunEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += PUT_EVENTS_MAX) {
      const chunk = events.slice(start, start + PUT_EVENTS_MAX);
      let entries;
      try {
        const result = await this.client.send(
          new PutEventsCommand({
            Entries: chunk.map((e) => ({
              EventBusName: this.busName,
              Source: EVENT_SOURCE,
              DetailType: e.type,
              Time: new Date(e.at),
              Detail: JSON.stringify({ eventId: e.eventId, planId: e.planId, runId: e.runId, at: e.at, ...e.detail }),
            })),
          }),
        );
        entries = (result.FailedEntryCount ?? 0) > 0 ? (result.Entries ?? []) : [];
      } catch (error) {
        throw new EventPublishError(`Could not put ${chunk[0]!.type}: ${(error as Error).name}`, start, { cause: error, context: contextOf(chunk[0]!) });
      }
      const refused = entries.findIndex((entry) => entry.ErrorCode);
      if (refused >= 0) {
        const at = chunk[refused]!;
        throw new EventPublishError(`EventBridge refused ${at.type}: ${entries[refused]!.ErrorCode}`, start + refused, { context: contextOf(at) });
      }
    }
  }
}

function contextOf(event: RunEvent): Record<string, string> {
  return { planId: event.planId, runId: event.runId, eventId: event.eventId };
}


/** The bus's publisher for a function: the region from its environment, the bus by name. */
export function eventBridgePublisher(config: { readonly region?: string | undefined; readonly busName: string }): EventPublisher {
  return new EventBridgePublisher(new EventBridgeClient(config.region ? { region: config.region } : {}), config.busName);
}
