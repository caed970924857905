/**
 * The plan check's ports on the real clients: `#onec/trade` (catalog items, field map) and
 * `#goodwix/client` (login, catalog). Thin: every 1C and Goodwix name stays in those modules.
 */
import { createGoodwixClient } from '#goodwix/client';
import { GoodwixNotFoundError } from '#goodwix/errors';
import { OneCTrade } from '#onec/trade';
import type { PlanConnectors } from './check-plan.ts';

export const clientConnectors: PlanConnectors = {
  oneC(plan, credentials) {
    const trade = OneCTrade.connect({
      baseUrl: plan.onec.baseUrl,
      login: credentials.login,
      password: credentials.password,
      requestTimeoutMs: plan.onec.timeoutMs,
      coldStartTimeoutMs: plan.onec.coldStartTimeoutMs,
    });
    return {
      async getRef(catalog, ref) {
        const item = await trade.readCatalogItem(catalog, ref);
        return item ? { name: item.description || null, deletionMark: item.deletionMark === true } : null;
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
    const client = createGoodwixClient({
      baseUrl: plan.goodwix.baseUrl,
      email: plan.goodwix.email,
      password,
      catalogId: plan.goodwix.catalogId,
    });
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
