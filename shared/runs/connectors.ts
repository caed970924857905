/**
 * The plan check's ports on the real clients: `#onec/trade` (catalog items, field map) and
 * `#goodwix/client` (login, catalog). Thin: every 1C and Goodwix name stays in those modules.
 */
import { GoodwixNotFoundError } from '#goodwix/errors';
import { connectGoodwix, connectOneC, type ClientTuning } from '#sync/plan-clients';
import type { PlanConnectors } from './check-plan.ts';

/** The check's ports on clients built as the exchange builds them (`tuning`: tests' pacing). */
export function clientConnectorsWith(tuning: ClientTuning = {}): PlanConnectors {
  return {
    oneC(plan, credentials) {
      const trade = connectOneC(plan, credentials, tuning);
      return {
        async getRef(catalog, ref) {
          const item = await trade.readCatalogItem(catalog, ref);
          return item ? { name: item.description || null, deletionMark: item.deletionMark === true } : null;
        },
        async choices(catalog, query) {
          return trade.findCatalogChoices(catalog, query);
        },
        async checkFieldMapping() {
          return (await trade.checkFieldMapping()).map((problem) => problem.message);
        },
        close() {
          trade.close();
        },
      };
    },
    goodwix(plan, password) {
      const client = connectGoodwix(plan, password, tuning);
      return {
        async login() {
          await client.login();
        },
        async catalogExists() {
          try {
            await client.catalog();
            return true;
          } catch (error) {
            if (error instanceof GoodwixNotFoundError) return false;
            throw error;
          }
        },
      };
    },
  };
}

export const clientConnectors: PlanConnectors = clientConnectorsWith();
