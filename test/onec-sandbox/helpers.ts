/**
 * Helpers for the 1C sandbox tests: plain fetch against a sandbox started on a free port, and
 * small factories for orders and shipments built from the demo supplier.
 */
import { basicAuth, startOneCSandbox, type OneCSandbox, type OneCSandboxOptions } from '#local/onec/sandbox';
import { demoBuyers, demoOneC, demoOneCOrders, demoProducts } from '#local/demo/supplier';

export const EMPTY_REF = '00000000-0000-0000-0000-000000000000';
export const EMPTY_DATE = '0001-01-01T00:00:00';
export const ORDERS = 'Document_ЗаказКлиента';
export const SALES = 'Document_РеализацияТоваровУслуг';

export const demo = {
  buyer: demoBuyers[0]!,
  branch: demoBuyers[1]!,
  contractBuyer: demoBuyers[2]!,
  bosch: demoProducts[0]!,
  makita: demoProducts[1]!,
  screws: demoProducts[2]!,
  jacket: demoProducts[5]!,
  level: demoProducts[8]!,
  main: demoOneC.warehouses.main.ref,
  north: demoOneC.warehouses.north.ref,
  integrationOrder: demoOneCOrders[0]!,
  vat20: demoOneC.vatRates.vat20.ref,
};

export type Json = Record<string, any>;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

/** Builds a query string, every value percent-encoded. */
export function qs(params: Record<string, string | number | undefined>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
}

export class Http {
  constructor(readonly sandbox: OneCSandbox, private readonly auth: string = basicAuth(sandbox.login, sandbox.password)) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(this.sandbox.baseUrl + path, {
      method,
      headers: { authorization: this.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: Json = {};
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      json = {};
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  get(path: string, headers?: Record<string, string>): Promise<Answer> {
    return this.call('GET', path, undefined, headers);
  }

  /** GET of a collection with query options, `$format=json` added. */
  list(set: string, params: Record<string, string | number | undefined> = {}): Promise<Answer> {
    return this.get(`${set}?${qs({ $format: 'json', ...params })}`);
  }

  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer> {
    return this.call('POST', path, body, headers);
  }

  patch(path: string, body: unknown, headers?: Record<string, string>): Promise<Answer> {
    return this.call('PATCH', path, body, headers);
  }

  async create(set: string, body: Json): Promise<Json> {
    const a = await this.post(`${set}?$format=json`, body);
    if (a.status !== 201) throw new Error(`create ${set}: ${a.status} ${a.text}`);
    return a.json;
  }

  async read(set: string, ref: string): Promise<Json> {
    const a = await this.get(`${set}(guid'${ref}')?$format=json`);
    if (a.status !== 200) throw new Error(`read ${set}: ${a.status} ${a.text}`);
    return a.json;
  }

  async update(set: string, ref: string, body: Json): Promise<Json> {
    const a = await this.patch(`${set}(guid'${ref}')?$format=json`, body);
    if (a.status !== 200) throw new Error(`patch ${set}: ${a.status} ${a.text}`);
    return a.json;
  }

  postDoc(set: string, ref: string): Promise<Answer> {
    return this.post(`${set}(guid'${ref}')/Post?PostingModeOperational=false`);
  }

  unpostDoc(set: string, ref: string): Promise<Answer> {
    return this.post(`${set}(guid'${ref}')/Unpost?PostingModeOperational=false`);
  }

  /** ВРезерве + КОтгрузке rows of ТоварыКОтгрузке for a product. */
  async reserves(productRef: string): Promise<Json[]> {
    const a = await this.get(`AccumulationRegister_ТоварыКОтгрузке/Balance(Condition='Номенклатура_Key eq guid''${productRef}''')?$format=json`);
    if (a.status !== 200) throw new Error(`reserves: ${a.status} ${a.text}`);
    return a.json.value as Json[];
  }

  /** Reserved quantity of one order for a product (ВРезерве + КОтгрузке). */
  async reservedBy(orderRef: string, productRef: string): Promise<number> {
    return (await this.reserves(productRef))
      .filter((r) => r.ДокументОтгрузки === orderRef)
      .reduce((s, r) => s + Number(r.ВРезервеBalance) + Number(r.КОтгрузкеBalance), 0);
  }

  /** ВНаличии of a product at a warehouse (optionally a variant). */
  async onHand(productRef: string, warehouse: string, variant = EMPTY_REF): Promise<number> {
    const cond = `Номенклатура_Key eq guid''${productRef}'' and Склад_Key eq guid''${warehouse}'' and Характеристика_Key eq guid''${variant}''`;
    const a = await this.get(`AccumulationRegister_ТоварыНаСкладах/Balance(Condition='${cond}')?$format=json`);
    if (a.status !== 200) throw new Error(`onHand: ${a.status} ${a.text}`);
    return (a.json.value as Json[]).reduce((s, r) => s + Number(r.ВНаличииBalance), 0);
  }
}

export async function startSandbox(options: OneCSandboxOptions = {}): Promise<{ sandbox: OneCSandbox; http: Http }> {
  const sandbox = await startOneCSandbox({ port: 0, ...options });
  return { sandbox, http: new Http(sandbox) };
}

export interface LineSpec {
  product?: { ref: string; price: string };
  variant?: string;
  qty?: number;
  provision?: string;
  warehouse?: string;
  cancelled?: boolean;
  reason?: string;
}

/** A complete order for buyer 3001 under the standard agreement, as the exchange would send it. */
export function orderBody(lines: LineSpec[] = [{}], overrides: Json = {}): Json {
  const buyer = demo.buyer;
  return {
    Date: '2025-11-27T10:00:00',
    Организация_Key: demoOneC.organization.ref,
    Партнер_Key: buyer.partnerRef,
    Контрагент_Key: buyer.counterpartyRef,
    Соглашение_Key: demoOneC.agreements.standard.ref,
    Валюта_Key: demoOneC.currency.ref,
    Склад_Key: demo.main,
    Менеджер_Key: demoOneC.manager.ref,
    ЦенаВключаетНДС: true,
    НалогообложениеНДС: 'ПродажаОблагаетсяНДС',
    ХозяйственнаяОперация: 'РеализацияКлиенту',
    ПорядокРасчетов: 'ПоЗаказам',
    Статус: 'КОбеспечению',
    НомерПоДаннымКлиента: 'GW-100500',
    Товары: lines.map((l, i) => {
      const p = l.product ?? demo.makita;
      const qty = l.qty ?? 1;
      const sum = Number(p.price) * qty;
      return {
        LineNumber: i + 1,
        Номенклатура_Key: p.ref,
        Характеристика_Key: l.variant ?? EMPTY_REF,
        Количество: qty,
        КоличествоУпаковок: qty,
        Цена: Number(p.price),
        Сумма: sum,
        СтавкаНДС_Key: demo.vat20,
        СуммаНДС: Math.round((sum * 20) / 120 * 100) / 100,
        СуммаСНДС: sum,
        ВариантОбеспечения: l.provision ?? 'СоСклада',
        ...(l.warehouse ? { Склад_Key: l.warehouse } : {}),
        ...(l.cancelled ? { Отменено: true, ПричинаОтмены_Key: l.reason ?? demoOneC.cancelReasons.outOfStock.ref } : {}),
      };
    }),
    ...overrides,
  };
}

/** A shipment of an order's rows (quantities given per product ref). */
export function shipmentBody(orderRef: string, lines: { product: { ref: string; price: string }; qty: number; variant?: string; warehouse?: string }[], overrides: Json = {}): Json {
  const buyer = demo.buyer;
  return {
    Date: '2025-11-28T12:00:00',
    Организация_Key: demoOneC.organization.ref,
    Партнер_Key: buyer.partnerRef,
    Контрагент_Key: buyer.counterpartyRef,
    Соглашение_Key: demoOneC.agreements.standard.ref,
    Валюта_Key: demoOneC.currency.ref,
    Склад_Key: demo.main,
    ЦенаВключаетНДС: true,
    ХозяйственнаяОперация: 'РеализацияКлиенту',
    ЗаказКлиента: orderRef,
    ЗаказКлиента_Type: 'StandardODATA.Document_ЗаказКлиента',
    Статус: 'Отгружено',
    Товары: lines.map((l, i) => ({
      LineNumber: i + 1,
      Номенклатура_Key: l.product.ref,
      Характеристика_Key: l.variant ?? EMPTY_REF,
      Количество: l.qty,
      КоличествоУпаковок: l.qty,
      Цена: Number(l.product.price),
      Сумма: Number(l.product.price) * l.qty,
      ЗаказКлиента: orderRef,
      ЗаказКлиента_Type: 'StandardODATA.Document_ЗаказКлиента',
      ...(l.warehouse ? { Склад_Key: l.warehouse } : {}),
    })),
    ...overrides,
  };
}
