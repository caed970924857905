/**
 * The exchange plan: which Goodwix catalog, which 1C base, when to run and how to fill 1C
 * orders. Validated with zod/mini (it ships in every Lambda); documented field by field in
 * docs/plans.md. A plan holds references to secrets, never a password.
 */
import * as z from '#platform/zod';
import { describeZodError } from '#platform/zod';
import { PlanValidationError } from './errors.ts';
import { isValidTimeZone } from './zoned-time.ts';
import { caBundleSchema } from './ca-bundle.ts';
import { ORDER_STATUSES, type OrderStatus } from '#core/canonical';

/** `Статус` of `ЗаказКлиента` (СтатусыЗаказовКлиентов), OData names. */
export const ONEC_ORDER_STATUSES = ['НеСогласован', 'КОбеспечению', 'КОтгрузке', 'Закрыт'] as const;
export type OneCOrderStatus = (typeof ONEC_ORDER_STATUSES)[number];

/** The statuses a new 1C order may get: "К выполнению / В резерве" or "На согласовании". */
export const NEW_ORDER_STATUSES = ['КОбеспечению', 'НеСогласован'] as const;
export type NewOrderStatus = (typeof NEW_ORDER_STATUSES)[number];

/**
 * `ВариантОбеспечения` a new order's rows may get. `ПереданРанее` ("передан ранее") describes
 * goods already handed over and makes no sense for an order arriving from Goodwix.
 */
export const RESERVATION_VARIANTS = ['СоСклада', 'Отгрузить', 'РезервироватьПоМереПоступления', 'КОбеспечению', 'НеТребуется'] as const;
export type ReservationVariant = (typeof RESERVATION_VARIANTS)[number];

/** `ПорядокРасчетов` of the order. */
export const SETTLEMENT_ORDERS = ['ПоЗаказам', 'ПоДоговорамКонтрагентов', 'ПоДоговорамНакладным', 'ПоЗаказамНакладным', 'ПоНакладным'] as const;
export type SettlementOrder = (typeof SETTLEMENT_ORDERS)[number];

/** Order statuses as Goodwix shows them: the canonical model's vocabulary (`#core/canonical`). */
export const GOODWIX_ORDER_STATUSES = ORDER_STATUSES;
export type GoodwixOrderStatus = OrderStatus;

/** What a Goodwix-side rejection or cancellation does to the 1C order. */
export const GOODWIX_STATUS_ACTIONS = ['cancel', 'ignore'] as const;
export type GoodwixStatusAction = (typeof GOODWIX_STATUS_ACTIONS)[number];

export const DAYS_OF_WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

/**
 * Row `ВариантОбеспечения` when the plan does not name one: rows of an order created
 * "К выполнению / В резерве" reserve from the warehouse at once (`СоСклада`); rows of an order
 * created "На согласовании" are registered as needing provision (`КОбеспечению`, "К обеспечению")
 * and wait for a manager to reserve them by hand. `НеТребуется` ("Не обеспечивать") would tell
 * 1C the goods need no provision at all, so approving the order later would reserve nothing.
 */
export function defaultReservation(newOrderStatus: NewOrderStatus): ReservationVariant {
  return newOrderStatus === 'КОбеспечению' ? 'СоСклада' : 'КОбеспечению';
}

export const DEFAULT_GOODWIX_BASE_URL = 'https://pub.goodwix.com';
export const DEFAULT_TIME_ZONE = 'Europe/Moscow';

const EMPTY_REF = '00000000-0000-0000-0000-000000000000';
const ODATA_ROOT_SUFFIX = '/odata/standard.odata/';

/** A plan id: the control API's `{planId}` (docs/control-api.openapi.json repeats the pattern). */
export const PLAN_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
export const PLAN_ID_RULE = 'expected a slug: 1–64 lower-case latin letters, digits and inner hyphens';

export function isPlanId(value: string): boolean {
  return PLAN_ID_PATTERN.test(value);
}

const slug = z.string().check(z.regex(PLAN_ID_PATTERN, PLAN_ID_RULE));

/**
 * A Secrets Manager secret name (locally: a key of the local secrets file). The secret holds the
 * value; the plan only names it. Which names a plan may use (its own, below
 * `<prefix><planId>/`) is the deployment's rule, checked at save and at read (`#plans/access`).
 */
const secretRef = z.string().check(
  z.regex(/^[A-Za-z0-9/_+=.@:-]{1,2048}$/, 'expected a secret name or ARN (letters, digits and /_+=.@:-), not the secret itself'),
);

const oneCRef = z.guid('expected a 1C reference (Ref_Key guid)').check(
  z.refine((value) => value !== EMPTY_REF, 'must not be the empty reference'),
);

/**
 * A 1C reference of the plan: its Ref_Key, or its 1C name (`{ "name": "Основной склад" }`).
 * The plan check resolves a name to its Ref_Key and stores both (`{ name, ref }`); runs use the
 * stored `ref` only and never look a name up themselves (docs/plans.md, "1C references").
 */
const oneCRefSetting = z.union([
  oneCRef,
  z.strictObject({
    name: z.string().check(z.trim(), z.minLength(1, 'expected the 1C name of the item'), z.maxLength(150)),
    ref: z.optional(oneCRef),
  }),
], { error: 'expected a 1C reference (Ref_Key guid) or { "name": "<the name in 1C>" }' });
export type OneCRefSetting = z.output<typeof oneCRefSetting>;

/** The Ref_Key a reference setting holds: the guid, or the one the check resolved its name to (null: not yet). */
export function refKey(setting: OneCRefSetting): string | null {
  return typeof setting === 'string' ? setting : (setting.ref ?? null);
}

/** How messages name a reference setting: its Ref_Key, or «its name». */
export function refLabel(setting: OneCRefSetting): string {
  return typeof setting === 'string' ? setting : `«${setting.name}»`;
}

/** The refusal of a base URL with a user name or password in it; `#plans/access` repeats it before connecting. */
export const URL_CREDENTIALS_RULE = "must not carry credentials: put them in the plan's secrets (docs/plans.md)";

/**
 * Whether `url` carries a user name or password (`https://user:pw@host`). Such a URL would keep
 * a secret in the table and in every answer showing the plan, and fetch refuses it quoting it
 * whole, which would carry it into errors and logs. A URL that does not parse: false (the URL
 * rule refuses it).
 */
export function carriesCredentials(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { username, password } = new URL(url);
  return username !== '' || password !== '';
}

// The credentials rule's message is fixed: an issue must never quote the URL, as it quotes the secret.
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).check(
  z.refine((url) => !carriesCredentials(url), URL_CREDENTIALS_RULE),
);

const hhmm = z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time as HH:MM (00:00–23:59)'));

const isoDate = z.iso.date('expected a date as YYYY-MM-DD');

const positiveInt = (max: number) => z.int().check(z.positive(), z.lte(max));

const timeZone = z.string().check(
  z.refine(isValidTimeZone, 'unknown time zone (expected an IANA name such as Europe/Moscow)'),
);

// The object schemas are built on first parse (`z.lazy`), not at module load: a cold start
// whose first requests read no plan skips their construction (`docs/performance.md`, "Bundles").
const goodwixSchema = z.lazy(() => z.strictObject({
  baseUrl: z._default(
    z.pipe(httpUrl, z.transform((url) => url.replace(/\/+$/, ''))),
    DEFAULT_GOODWIX_BASE_URL,
  ),
  catalogId: z.int().check(z.positive()),
  email: z.email('expected an e-mail address'),
  /** Secret holding the supplier's Goodwix password (the secret string is the password). */
  passwordSecret: secretRef,
}));

const oneCSchema = z.lazy(() => z.strictObject({
  baseUrl: z.pipe(
    httpUrl.check(
      z.refine(
        (url) => new URL(url).pathname.replace(/\/?$/, '/').endsWith(ODATA_ROOT_SUFFIX),
        `expected the OData root, ending in ${ODATA_ROOT_SUFFIX}`,
      ),
    ),
    z.transform((url) => url.replace(/\/?$/, '/')),
  ),
  /** Secret holding `{"login": "…", "password": "…"}` for the 1C publication. */
  credentialsSecret: secretRef,
  timeoutMs: z._default(positiveInt(600_000), 15_000),
  coldStartTimeoutMs: z._default(positiveInt(600_000), 60_000),
  maxConcurrency: z._default(positiveInt(32), 2),
  /** PEM certificate(s) of the supplier's own CA that issued the publication's certificate (`./ca-bundle.ts`). */
  caBundle: z.optional(caBundleSchema),
}).check(
  z.refine((onec) => onec.caBundle === undefined || onec.baseUrl.startsWith('https:'), { message: 'a CA bundle applies to an https baseUrl only', path: ['caBundle'] }),
));

const scheduleSchema = z.lazy(() => z
  .strictObject({
    enabled: z._default(z.boolean(), false),
    timeZone: z._default(timeZone, DEFAULT_TIME_ZONE),
    start: z._default(hhmm, '00:00'),
    end: z._default(hhmm, '00:00'),
    everyMinutes: z._default(positiveInt(1440), 15),
    daysOfWeek: z._default(
      z.array(z.enum(DAYS_OF_WEEK)).check(
        z.minLength(1, 'expected at least one day'),
        z.refine((days) => new Set(days).size === days.length, 'expected each day once'),
      ),
      [...DAYS_OF_WEEK],
    ),
    firstDate: z.optional(isoDate),
    lastDate: z.optional(isoDate),
  })
  .check(
    z.refine((s) => s.firstDate === undefined || s.lastDate === undefined || s.firstDate <= s.lastDate, {
      message: 'must not be before firstDate',
      path: ['lastDate'],
    }),
  ));

const goodwixStatus = (fallback: OrderStatus) => z._default(z.enum(GOODWIX_ORDER_STATUSES), fallback);

/**
 * Status mapping both ways. `toGoodwix` has the shape of the sync core's `StatusMap`
 * (`#core/derive-status`): the status Goodwix shows is derived from the deletion mark, then
 * every row cancelled, then shipments, then 1C's `Статус`.
 */
const statusMapSchema = z.lazy(() => z.strictObject({
  toGoodwix: z.prefault(
    z.strictObject({
      byOneCStatus: z.prefault(
        z.strictObject({
          НеСогласован: goodwixStatus('confirmed'),
          КОбеспечению: goodwixStatus('in_progress'),
          КОтгрузке: goodwixStatus('ready_to_ship'),
          Закрыт: goodwixStatus('closed'),
        }),
        {},
      ),
      allLinesCancelled: goodwixStatus('rejected'),
      deleted: goodwixStatus('rejected'),
      partiallyShipped: goodwixStatus('partially_shipped'),
      shipped: goodwixStatus('shipped'),
    }),
    {},
  ),
  /** Goodwix-side endings → what happens to the 1C order: `cancel` cancels every row with `cancelReason`. */
  toOneC: z.prefault(
    z.strictObject({
      rejected: z._default(z.enum(GOODWIX_STATUS_ACTIONS), 'cancel'),
      cancelled: z._default(z.enum(GOODWIX_STATUS_ACTIONS), 'cancel'),
    }),
    {},
  ),
}));

const ordersSchema = z.lazy(() => z.pipe(
  z.strictObject({
    organization: oneCRefSetting,
    warehouse: oneCRefSetting,
    manager: oneCRefSetting,
    agreement: oneCRefSetting,
    cancelReason: oneCRefSetting,
    settlement: z._default(z.enum(SETTLEMENT_ORDERS), 'ПоЗаказам'),
    newOrderStatus: z._default(z.enum(NEW_ORDER_STATUSES), 'КОбеспечению'),
    reservation: z.optional(z.enum(RESERVATION_VARIANTS)),
    statusMap: z.prefault(statusMapSchema, {}),
    /**
     * Orders confirmed in Goodwix before this date (in the plan's time zone) or instant are
     * never created in 1C: connecting an account with a history must not copy years of orders
     * (often entered by hand already). The API fills in the plan's creation time when absent.
     */
    /**
     * A fully shipped order stays watched this many days after its last shipment (a shipment
     * unposted, deleted or corrected still reaches Goodwix), unless it is closed in 1C first.
     */
    watchDaysAfterShipment: z._default(positiveInt(3650), 30),
    exportFrom: z.optional(z.union([isoDate, z.iso.datetime({ offset: true })], { error: 'expected a date as YYYY-MM-DD or an ISO 8601 instant' })),
  }),
  z.transform((orders) => ({ ...orders, reservation: orders.reservation ?? defaultReservation(orders.newOrderStatus) })),
));

export const planSchema = z.lazy(() => z.strictObject({
  id: slug,
  name: z.string().check(z.trim(), z.minLength(1, 'expected a name'), z.maxLength(200)),
  goodwix: goodwixSchema,
  onec: oneCSchema,
  schedule: z.prefault(scheduleSchema, {}),
  orders: ordersSchema,
}));

export type PlanInput = z.input<typeof planSchema>;
export type Plan = z.output<typeof planSchema>;
export type Schedule = Plan['schedule'];
export type OrderSettings = Plan['orders'];
export type StatusMap = OrderSettings['statusMap'];

/**
 * The plan's 1C references, named as people know them, with the 1C client's catalog names
 * (`#onec/fields` `catalogSpecs`), for the check and for messages.
 */
export const PLAN_ONEC_REFS = [
  { field: 'organization', label: 'Организация', catalog: 'organizations' },
  { field: 'warehouse', label: 'Склад', catalog: 'warehouses' },
  { field: 'manager', label: 'Менеджер', catalog: 'users' },
  { field: 'agreement', label: 'Соглашение', catalog: 'agreements' },
  { field: 'cancelReason', label: 'Причина отмены', catalog: 'cancelReasons' },
] as const satisfies readonly { field: keyof OrderSettings; label: string; catalog: string }[];
export type PlanOneCRef = (typeof PLAN_ONEC_REFS)[number];

export type PlanParseResult = { ok: true; plan: Plan } | { ok: false; issues: string[] };

export function safeParsePlan(input: unknown): PlanParseResult {
  const result = planSchema.safeParse(input);
  return result.success ? { ok: true, plan: result.data } : { ok: false, issues: describeZodError(result.error, 'plan') };
}

/** Parses and normalises a plan (defaults filled in); throws `PlanValidationError` naming every problem. */
export function parsePlan(input: unknown): Plan {
  const result = safeParsePlan(input);
  if (!result.ok) throw new PlanValidationError(result.issues);
  return result.plan;
}
