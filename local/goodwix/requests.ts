/**
 * Shapes of what the sandbox accepts, checked with classic zod (local-only code). A shape error
 * is a 400 naming the field; rules about the content (quantities, transitions) are 422s raised
 * by the world.
 */
import { z } from 'zod';
import { orderStatuses } from './model.ts';
import { ApiProblem, fieldPath } from './problem.ts';

/**
 * Decimal strings of any scale up to 6 (rounded half-up to the field's), no wider than the field
 * they land in: money 13 digits before the point, quantities 12, percents 3 — 1C's Число(15,2),
 * Число(15,3) and Число(5,2). A sign passes the shape; a negative value is refused by the rules
 * (422), as the contract's non-negative patterns say.
 */
const decimalOf = (before: number) =>
  z.string().regex(new RegExp(`^-?\\d{1,${before}}(\\.\\d{1,6})?$`), `Expected a decimal string such as "12.50", at most ${before} digits before the point and 6 after`);
const money = decimalOf(13);
const quantity = decimalOf(12);
const percent = decimalOf(3);
/** Quantities of the /_sandbox actions (tests' own, not the contract). */
const decimal = z.string().regex(/^-?\d{1,15}(\.\d{1,6})?$/, 'Expected a decimal string such as "12.50"');
/** Ids in bodies, as in paths: 1..999999999999. */
const id = z.number().int().min(1).max(999_999_999_999);
const text = (max: number) => z.string().min(1).max(max);
const erpDate = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'Expected the ERP date as YYYY-MM-DDTHH:mm:ss');
const erpStatus = z.enum(orderStatuses);

export const loginBody = z.strictObject({ email: text(320), password: text(200) });

const erpOrderRef = z.strictObject({
  orderId: text(100).nullable().optional(),
  number: text(100).nullable().optional(),
  date: erpDate.nullable().optional(),
});

const lineFields = {
  cancelledQuantity: quantity.optional(),
  cancelReason: text(500).nullable().optional(),
  shippedQuantity: quantity.optional(),
  discountPercent: percent.optional(),
  discountAmount: money.optional(),
  vatRate: percent.optional(),
  vatAmount: money.optional(),
  amount: money.optional(),
  erpLineId: text(100).nullable().optional(),
};

export const orderUpdateBody = z.strictObject({
  expectedVersion: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  status: erpStatus.optional(),
  statusReason: text(500).nullable().optional(),
  erp: erpOrderRef.optional(),
  lines: z
    .strictObject({
      update: z.array(z.strictObject({ id: text(100), quantity: quantity.optional(), price: money.optional(), ...lineFields })).max(1000).optional(),
      add: z.array(z.strictObject({ productId: id, quantity, price: money, ...lineFields })).max(1000).optional(),
      remove: z.array(text(100)).max(1000).optional(),
    })
    .optional(),
});

export const reservesBody = z.strictObject({
  reserves: z
    .array(
      z.strictObject({
        quantity,
        orderId: id.nullable().optional(),
        erp: erpOrderRef.nullable().optional(),
      }),
    )
    .max(1000),
});

// ------------------------------------------------------------------ /_sandbox/… bodies

const qty = z.union([decimal, z.number()]);

export const placeOrderBody = z.strictObject({
  buyerId: z.number().int().positive(),
  priceListId: z.number().int().positive().optional(),
  lines: z.array(z.strictObject({ productId: z.number().int().positive(), quantity: qty })).min(1).max(200),
  comment: z.string().max(1000).nullable().optional(),
});

export const bulkOrdersBody = z.strictObject({
  count: z.number().int().min(1).max(100_000),
  confirmed: z.boolean().optional(),
  linesPerOrder: z.number().int().min(1).max(10).optional(),
});

/** `PUT /_sandbox/supplier/password`: the supplier's new password. */
export const passwordBody = z.strictObject({ password: z.string().min(1).max(200) });

export const reasonBody = z.strictObject({ reason: z.string().max(500).nullable().optional() }).default({});

export const cancelLineBody = z
  .strictObject({ quantity: qty.optional(), reason: z.string().max(500).nullable().optional() })
  .default({});

export const editLineBody = z.strictObject({ quantity: qty.optional(), price: qty.optional(), discountPercent: qty.optional() });

export const manualReserveBody = z.strictObject({
  productId: z.number().int().positive(),
  quantity: qty,
  orderId: z.number().int().positive().nullable().optional(),
});

export const faultsBody = z.strictObject({
  latencyMs: z.number().int().min(0).optional(),
  latencyJitterMs: z.number().int().min(0).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  failNext: z.number().int().min(0).optional(),
  errorStatus: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
  rateLimitRate: z.number().min(0).max(1).optional(),
  rateLimitNext: z.number().int().min(0).optional(),
  retryAfterSeconds: z.number().int().min(0).optional(),
  hangRate: z.number().min(0).max(1).optional(),
  hangNext: z.number().int().min(0).optional(),
  lostResponseRate: z.number().min(0).max(1).optional(),
  loseNextResponses: z.number().int().min(0).optional(),
  tokenTtlSeconds: z.number().positive().optional(),
  match: z.strictObject({ method: z.string().optional(), pathIncludes: z.string().optional() }).nullable().optional(),
  seed: z.number().int().optional(),
});

/** Parses or throws a 400 naming the first offending field and listing them all. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ field: fieldPath(i.path) || '(body)', message: i.message }));
  const first = issues[0] ?? { field: '(body)', message: 'Invalid body' };
  throw new ApiProblem(400, 'invalid_request', `${first.field}: ${first.message}`, { field: first.field, issues });
}
