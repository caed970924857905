/**
 * A small stock and reserve engine behind Post/Unpost, shaped like UT 11's registers.
 *
 * Register records are written at posting and kept until the document is reposted, unposted or
 * deleted — as in 1C, a PATCH of a posted document does not touch its records: re-post it.
 *
 * * AccumulationRegister_ТоварыНаСкладах (dimensions Номенклатура, Характеристика, Склад, …;
 *   resources ВНаличии, КОтгрузке): the opening stock (a seeded recorder of a type the
 *   publication does not expose) and shipments (Expense ВНаличии).
 * * AccumulationRegister_ТоварыКОтгрузке (dimensions Склад, Номенклатура, Характеристика,
 *   ДокументОтгрузки = the order, Получатель = its partner, …; resources ВРезерве, КОтгрузке): a posted order with Статус
 *   КОбеспечению or КОтгрузке writes, per non-cancelled row, Receipt ВРезерве for
 *   ВариантОбеспечения = СоСклада and Receipt КОтгрузке for Отгрузить, at the row's Склад_Key or
 *   the header's. НеСогласован, Закрыт and an empty status reserve nothing. A posted shipment
 *   writes Expense against the order (КОтгрузке first, then ВРезерве, never below zero).
 *   An order never reserves less than was already shipped against it, so its balance is
 *   max(0, ordered − shipped).
 * * AccumulationRegister_СвободныеОстатки (Номенклатура, Характеристика, Склад; ВНаличии,
 *   ВРезервеСоСклада, ВРезервеПодЗаказ): derived, for each recorder, from its records in the two
 *   registers above — ВНаличии from ТоварыНаСкладах, ВРезервеСоСклада = ВРезерве + КОтгрузке of
 *   ТоварыКОтгрузке (all the sandbox's reserves are from stock; ВРезервеПодЗаказ stays 0).
 * * Free stock of (product, variant, warehouse) = ВНаличии − Σ over orders of max(0, their balance).
 *   Posting an order whose open quantity exceeds the free stock fails (500 -1, nothing written);
 *   so does posting a shipment of more than is free plus what its own orders hold.
 */
import { internal } from './errors.ts';
import { EMPTY_REF, NS, ORDER_SET, SALE_SET, UNDEFINED_TYPE, registerByName, type EntityDef, type RegisterDef } from './model.ts';
import { compositeOf, round, type Rec, type Row } from './values.ts';
import { presentation, type OneCBase } from './base.ts';

export const STOCK = 'AccumulationRegister_ТоварыНаСкладах';
export const TO_SHIP = 'AccumulationRegister_ТоварыКОтгрузке';
export const FREE = 'AccumulationRegister_СвободныеОстатки';
/** The order dimension of ТоварыКОтгрузке in live UT 11 bases (composite). */
export const ORDER_DIM = 'ДокументОтгрузки';
/** Who the goods go to (composite): the order's partner. */
export const RECIPIENT_DIM = 'Получатель';
const PARTNER_TYPE = `${NS}.Catalog_Партнеры`;

/** One register record, with every record field (composites as X + X_Type). */
export type Movement = Rec;

interface RecorderRecords {
  readonly recorderType: string;
  readonly byRegister: Map<string, Movement[]>;
}

const EPS = 1e-9;
const key = (product: string, variant: string, warehouse: string): string => `${product}|${variant}|${warehouse}`;

interface Bal { reserve: number; toShip: number }

const tidy = (n: number): number => round(n, 6);

/**
 * Register records by recorder, with running totals kept up to date on every write so that
 * posting costs the size of the document, not of the base: ВНаличии per stock key, the
 * ТоварыКОтгрузке balance per order and stock key, and per stock key the stock held by orders
 * (Σ over orders of max(0, ВРезерве + КОтгрузке)).
 */
export class Registers {
  private readonly byRecorder = new Map<string, RecorderRecords>();
  private readonly stock = new Map<string, number>();
  private readonly orders = new Map<string, Map<string, Bal>>();
  private readonly held = new Map<string, number>();

  set(recorder: string, recorderType: string, register: string, rows: Movement[]): void {
    const entry = this.byRecorder.get(recorder) ?? { recorderType, byRegister: new Map<string, Movement[]>() };
    this.account(register, entry.byRegister.get(register) ?? [], -1);
    entry.byRegister.set(register, rows);
    this.account(register, rows, 1);
    this.byRecorder.set(recorder, entry);
    if (register === STOCK || register === TO_SHIP) entry.byRegister.set(FREE, freeStockRecords(entry.byRegister));
  }

  clear(recorder: string): void {
    const entry = this.byRecorder.get(recorder);
    if (!entry) return;
    for (const [register, rows] of entry.byRegister) this.account(register, rows, -1);
    this.byRecorder.delete(recorder);
  }

  private account(register: string, rows: readonly Movement[], k: 1 | -1): void {
    for (const m of rows) {
      const s = sign(m) * k;
      const sk = stockKeyOf(m);
      if (register === STOCK) {
        this.stock.set(sk, tidy((this.stock.get(sk) ?? 0) + s * Number(m.ВНаличии)));
      } else if (register === TO_SHIP) {
        const order = String(m[ORDER_DIM]);
        const perOrder = this.orders.get(order) ?? new Map<string, Bal>();
        const b = perOrder.get(sk) ?? { reserve: 0, toShip: 0 };
        const before = Math.max(0, b.reserve + b.toShip);
        b.reserve = tidy(b.reserve + s * Number(m.ВРезерве));
        b.toShip = tidy(b.toShip + s * Number(m.КОтгрузке));
        const after = Math.max(0, b.reserve + b.toShip);
        perOrder.set(sk, b);
        this.orders.set(order, perOrder);
        this.held.set(sk, tidy((this.held.get(sk) ?? 0) + after - before));
      }
    }
  }

  /** Records one recorder wrote to a register. */
  recordsOf(recorder: string, register: string): readonly Movement[] {
    return this.byRecorder.get(recorder)?.byRegister.get(register) ?? [];
  }

  /** Every record of a register, recorder by recorder. */
  records(register: string): Movement[] {
    const out: Movement[] = [];
    for (const entry of this.byRecorder.values()) out.push(...(entry.byRegister.get(register) ?? []));
    return out;
  }

  /** Record sets of a register: one per recorder that has records in it. */
  recordSets(register: string): { recorder: string; recorderType: string; rows: Movement[] }[] {
    const out: { recorder: string; recorderType: string; rows: Movement[] }[] = [];
    for (const [recorder, entry] of this.byRecorder) {
      const rows = entry.byRegister.get(register);
      if (rows && rows.length > 0) out.push({ recorder, recorderType: entry.recorderType, rows });
    }
    return out;
  }

  /** ВНаличии at a stock key, optionally without one recorder's records. */
  onHand(sk: string, exceptRecorder?: string): number {
    let v = this.stock.get(sk) ?? 0;
    if (exceptRecorder) for (const m of this.recordsOf(exceptRecorder, STOCK)) if (stockKeyOf(m) === sk) v -= sign(m) * Number(m.ВНаличии);
    return tidy(v);
  }

  /** An order's ТоварыКОтгрузке balance at a stock key, optionally without one recorder's records. */
  orderBalance(order: string, sk: string, exceptRecorder?: string): Bal {
    const b = this.orders.get(order)?.get(sk) ?? { reserve: 0, toShip: 0 };
    let { reserve, toShip } = b;
    if (exceptRecorder) {
      for (const m of this.recordsOf(exceptRecorder, TO_SHIP)) {
        if (m[ORDER_DIM] !== order || stockKeyOf(m) !== sk) continue;
        reserve -= sign(m) * Number(m.ВРезерве);
        toShip -= sign(m) * Number(m.КОтгрузке);
      }
    }
    return { reserve: tidy(reserve), toShip: tidy(toShip) };
  }

  /** Stock keys an order has a ТоварыКОтгрузке balance at. */
  orderKeys(order: string): string[] {
    return [...(this.orders.get(order)?.keys() ?? [])];
  }

  /**
   * Stock held at a key by orders other than `exceptOrders`, counting the balances without
   * `exceptRecorder`'s records.
   */
  heldExcept(sk: string, exceptOrders: ReadonlySet<string>, exceptRecorder?: string): number {
    const affected = new Set(exceptOrders);
    if (exceptRecorder) for (const m of this.recordsOf(exceptRecorder, TO_SHIP)) if (stockKeyOf(m) === sk) affected.add(String(m[ORDER_DIM]));
    let v = this.held.get(sk) ?? 0;
    for (const o of affected) {
      const now = this.orderBalance(o, sk);
      v -= Math.max(0, now.reserve + now.toShip);
      if (!exceptOrders.has(o)) {
        const without = this.orderBalance(o, sk, exceptRecorder);
        v += Math.max(0, without.reserve + without.toShip);
      }
    }
    return tidy(v);
  }
}

/** A recorder's СвободныеОстатки records, from its ТоварыНаСкладах and ТоварыКОтгрузке ones. */
function freeStockRecords(byRegister: ReadonlyMap<string, readonly Movement[]>): Movement[] {
  const reg = registerByName.get(FREE)!;
  const out: Movement[] = [];
  const add = (m: Movement, onHand: number, fromStock: number): void => {
    if (onHand === 0 && fromStock === 0) return;
    out.push(movement(reg, { ref: String(m.Recorder), type: String(m.Recorder_Type) }, String(m.Period), out.length + 1, m.RecordType === 'Expense' ? 'Expense' : 'Receipt', {
      Номенклатура_Key: String(m.Номенклатура_Key), Характеристика_Key: String(m.Характеристика_Key), Склад_Key: String(m.Склад_Key),
      ВНаличии: onHand, ВРезервеСоСклада: fromStock,
    }));
  };
  for (const m of byRegister.get(STOCK) ?? []) add(m, Number(m.ВНаличии), 0);
  for (const m of byRegister.get(TO_SHIP) ?? []) add(m, 0, tidy(Number(m.ВРезерве) + Number(m.КОтгрузке)));
  return out;
}

function sign(m: Movement): number {
  return m.RecordType === 'Expense' ? -1 : 1;
}

function movement(
  reg: RegisterDef,
  recorder: { ref: string; type: string },
  period: string,
  lineNumber: number,
  recordType: 'Receipt' | 'Expense',
  values: Record<string, string | number | boolean>,
): Movement {
  const m: Movement = {
    Recorder: recorder.ref, Recorder_Type: recorder.type, Period: period, LineNumber: lineNumber, Active: true, RecordType: recordType,
  };
  for (const f of [...reg.dimensions, ...reg.resources, ...reg.attributes]) {
    if (f.kind === 'Composite') { m[f.name] = ''; m[`${f.name}_Type`] = UNDEFINED_TYPE; } else m[f.name] = f.kind === 'Guid' ? EMPTY_REF : f.kind === 'Boolean' ? false : 0;
  }
  return Object.assign(m, values);
}

function stockKeyOf(m: Movement): string {
  return key(String(m.Номенклатура_Key), String(m.Характеристика_Key), String(m.Склад_Key));
}

/** The reserve engine: posting, unposting and the balances it reads. */
export class Engine {
  readonly registers = new Registers();

  constructor(private readonly base: OneCBase) {}

  // ---- posting ---------------------------------------------------------------------------------

  /**
   * Post. In load mode (`1C_OData_DataLoadMode: true`) UT's posting handler does not run: the
   * document is marked posted and writes no register records — nothing is reserved.
   */
  post(def: EntityDef, ref: string, operational: boolean, opts: { loadMode?: boolean } = {}): Rec {
    const rec = this.base.require(def.set, ref);
    if (def.set === ORDER_SET && operational) {
      throw internal(`Ошибка при вызове метода контекста (Провести): Документ "${def.title}" не может быть проведен в оперативном режиме (PostingModeOperational=true). Используйте неоперативное проведение.`);
    }
    if (rec.DeletionMark === true) {
      throw this.postingFailed(def, rec, ['Помеченный на удаление документ не может быть проведен']);
    }
    if (opts.loadMode) this.registers.clear(ref);
    else if (def.set === ORDER_SET) this.postOrder(def, rec);
    else if (def.set === SALE_SET) this.postSale(def, rec);
    const next = structuredClone(rec);
    next.Posted = true;
    return this.base.commit(def, next);
  }

  unpost(def: EntityDef, ref: string): Rec {
    const rec = this.base.require(def.set, ref);
    this.registers.clear(ref);
    const next = structuredClone(rec);
    next.Posted = false;
    return this.base.commit(def, next);
  }

  /** Deleting a document deletes its register records. */
  deleted(ref: string): void {
    this.registers.clear(ref);
  }

  private postingFailed(def: EntityDef, rec: Rec, lines: string[]): Error {
    return internal(`Ошибка при вызове метода контекста (Провести): Не удалось провести "${presentation(def, rec)}"!\n${lines.join('\n')}`);
  }

  /**
   * ДокументОтгрузки and Получатель of an order's ТоварыКОтгрузке records. A shipment's expense
   * takes the recipient of the order's own receipts, so the two always meet in one balance row.
   */
  private orderDimensions(order: string, recipient?: string): Record<string, string> {
    const own = this.registers.recordsOf(order, TO_SHIP).find((m) => m.RecordType === 'Receipt');
    const partner = recipient ?? (own ? String(own[RECIPIENT_DIM]) : String(this.base.get(ORDER_SET, order)?.Партнер_Key ?? EMPTY_REF));
    return {
      [ORDER_DIM]: order, [`${ORDER_DIM}_Type`]: `${NS}.${ORDER_SET}`,
      [RECIPIENT_DIM]: partner, [`${RECIPIENT_DIM}_Type`]: partner === EMPTY_REF ? UNDEFINED_TYPE : PARTNER_TYPE,
    };
  }

  private describeProduct(product: string, variant: string): string {
    const p = this.base.get('Catalog_Номенклатура', product);
    const name = p ? String(p.Description) : `<Объект не найден> (${product})`;
    if (variant === EMPTY_REF) return name;
    const v = this.base.get('Catalog_ХарактеристикиНоменклатуры', variant);
    return `${name}, ${v ? String(v.Description) : `<Объект не найден> (${variant})`}`;
  }

  private describeWarehouse(ref: string): string {
    const w = this.base.get('Catalog_Склады', ref);
    return w ? String(w.Description) : `<Объект не найден> (${ref})`;
  }

  private unitOf(product: string): string {
    return this.base.unitNames.get(String(this.base.get('Catalog_Номенклатура', product)?.ЕдиницаИзмерения_Key ?? '')) ?? 'шт';
  }

  private fmt(n: number): string {
    return String(round(n, 3)).replace('.', ',');
  }

  /** Fill checks 1C runs at posting (ОбработкаПроверкиЗаполнения). */
  private fillCheckOrder(rec: Rec): string[] {
    const errors: string[] = [];
    const need = (field: string, caption: string): void => {
      if (rec[field] === EMPTY_REF || rec[field] === '') errors.push(`Поле "${caption}" не заполнено`);
    };
    need('Партнер_Key', 'Клиент');
    need('Контрагент_Key', 'Контрагент');
    need('Организация_Key', 'Организация');
    need('Валюта_Key', 'Валюта');
    need('Статус', 'Статус');
    const agreement = this.base.get('Catalog_СоглашенияСКлиентами', String(rec.Соглашение_Key));
    if (agreement?.ИспользуютсяДоговорыКонтрагентов === true && rec.Договор_Key === EMPTY_REF) {
      errors.push(`Поле "Договор" не заполнено (соглашение "${String(agreement.Description)}" предусматривает расчеты по договорам)`);
    }
    const rows = (rec.Товары as Row[]) ?? [];
    for (const row of rows) {
      if (row.Номенклатура_Key === EMPTY_REF) errors.push(`Не заполнена колонка "Номенклатура" в строке ${row.LineNumber} списка "Товары"`);
      if (!(Number(row.Количество) > 0) && row.Отменено !== true) errors.push(`Не заполнена колонка "Количество" в строке ${row.LineNumber} списка "Товары"`);
      const variant = String(row.ВариантОбеспечения);
      if (variant === '' && row.Отменено !== true && (rec.Статус === 'КОбеспечению' || rec.Статус === 'КОтгрузке')) {
        errors.push(`Не заполнена колонка "Вариант обеспечения" в строке ${row.LineNumber} списка "Товары"`);
      }
      if ((variant === 'СоСклада' || variant === 'Отгрузить') && row.Склад_Key === EMPTY_REF && rec.Склад_Key === EMPTY_REF) {
        errors.push(`Не заполнена колонка "Склад" в строке ${row.LineNumber} списка "Товары"`);
      }
    }
    return errors;
  }

  private postOrder(def: EntityDef, rec: Rec): void {
    const ref = String(rec.Ref_Key);
    const checks = this.fillCheckOrder(rec);
    if (checks.length > 0) throw this.postingFailed(def, rec, checks);

    // Planned reserve per stock key from the rows.
    const planned = new Map<string, { product: string; variant: string; warehouse: string; reserve: number; toShip: number }>();
    const status = String(rec.Статус);
    if (status === 'КОбеспечению' || status === 'КОтгрузке') {
      for (const row of (rec.Товары as Row[]) ?? []) {
        if (row.Отменено === true) continue;
        const variant = String(row.ВариантОбеспечения);
        if (variant !== 'СоСклада' && variant !== 'Отгрузить') continue;
        const qty = Number(row.Количество);
        if (!(qty > 0)) continue;
        const warehouse = row.Склад_Key !== EMPTY_REF ? String(row.Склад_Key) : String(rec.Склад_Key);
        const k = key(String(row.Номенклатура_Key), String(row.Характеристика_Key), warehouse);
        const p = planned.get(k) ?? { product: String(row.Номенклатура_Key), variant: String(row.Характеристика_Key), warehouse, reserve: 0, toShip: 0 };
        if (variant === 'СоСклада') p.reserve += qty;
        else p.toShip += qty;
        planned.set(k, p);
      }
    }

    // What shipments already took from this order, per key (kept: an order never reserves less).
    // Only the order itself writes receipts for itself, so the rest of its balance is shipments.
    const shipped = new Map<string, { product: string; variant: string; warehouse: string; reserve: number; toShip: number }>();
    for (const k of this.registers.orderKeys(ref)) {
      const others = this.registers.orderBalance(ref, k, ref);
      if (others.reserve >= -EPS && others.toShip >= -EPS) continue;
      const [product, variant, warehouse] = k.split('|') as [string, string, string];
      shipped.set(k, { product, variant, warehouse, reserve: Math.max(0, -others.reserve), toShip: Math.max(0, -others.toShip) });
    }

    // Free stock check.
    const shortages: string[] = [];
    const receipts: { product: string; variant: string; warehouse: string; reserve: number; toShip: number }[] = [];
    for (const k of new Set([...planned.keys(), ...shipped.keys()])) {
      const p = planned.get(k);
      const s = shipped.get(k);
      const base = p ?? s!;
      const reserve = Math.max(p?.reserve ?? 0, s?.reserve ?? 0);
      const toShip = Math.max(p?.toShip ?? 0, s?.toShip ?? 0);
      receipts.push({ product: base.product, variant: base.variant, warehouse: base.warehouse, reserve, toShip });
      const open = reserve + toShip - (s?.reserve ?? 0) - (s?.toShip ?? 0);
      if (open <= EPS) continue;
      const free = this.registers.onHand(k) - this.registers.heldExcept(k, new Set([ref]), ref);
      if (open > free + EPS) {
        shortages.push(
          `Недостаточно свободного остатка товара "${this.describeProduct(base.product, base.variant)}" на складе "${this.describeWarehouse(base.warehouse)}": ` +
          `требуется ${this.fmt(open)} ${this.unitOf(base.product)}, доступно ${this.fmt(Math.max(0, free))} ${this.unitOf(base.product)}`,
        );
      }
    }
    if (shortages.length > 0) throw this.postingFailed(def, rec, shortages);

    const recorder = { ref, type: `${NS}.${ORDER_SET}` };
    const toShipReg = registerByName.get(TO_SHIP)!;
    const stockReg = registerByName.get(STOCK)!;
    const period = String(rec.Date);
    const kot: Movement[] = [];
    const tns: Movement[] = [];
    for (const r of receipts) {
      if (r.reserve <= EPS && r.toShip <= EPS) continue;
      kot.push(movement(toShipReg, recorder, period, kot.length + 1, 'Receipt', {
        ...this.orderDimensions(ref, String(rec.Партнер_Key)),
        Номенклатура_Key: r.product, Характеристика_Key: r.variant, Склад_Key: r.warehouse,
        ВРезерве: round(r.reserve, 3), КОтгрузке: round(r.toShip, 3),
      }));
      if (r.toShip > EPS) {
        tns.push(movement(stockReg, recorder, period, tns.length + 1, 'Receipt', {
          Номенклатура_Key: r.product, Характеристика_Key: r.variant, Склад_Key: r.warehouse, КОтгрузке: round(r.toShip, 3),
        }));
      }
    }
    this.registers.clear(ref);
    this.registers.set(ref, recorder.type, TO_SHIP, kot);
    this.registers.set(ref, recorder.type, STOCK, tns);
  }

  /**
   * Fill checks UT runs when a shipment is posted: the header fields it requires (Клиент,
   * Контрагент, Организация, Соглашение when its orders are under an agreement, Валюта, Склад
   * unless every row has its own), the rows, and that every order it ships exists and is posted.
   */
  private fillCheckSale(rec: Rec): string[] {
    const errors: string[] = [];
    const empty = (field: string): boolean => rec[field] === EMPTY_REF || rec[field] === '';
    const rows = (rec.Товары as Row[]) ?? [];
    const headerOrder = compositeOf(rec, 'ЗаказКлиента');
    const orders = new Set<string>();
    if (headerOrder.type === ORDER_SET && headerOrder.value !== EMPTY_REF && headerOrder.value !== '') orders.add(headerOrder.value);
    for (const row of rows) {
      const o = compositeOf(row, 'ЗаказКлиента');
      if (o.type === ORDER_SET && o.value !== EMPTY_REF && o.value !== '') orders.add(o.value);
    }
    const orderRecs = [...orders].map((ref) => ({ ref, rec: this.base.get(ORDER_SET, ref) }));
    const underAgreement = orderRecs.some((o) => o.rec !== undefined && o.rec.Соглашение_Key !== EMPTY_REF);
    const rowsWithoutWarehouse = rows.filter((row) => row.Склад_Key === EMPTY_REF);

    if (empty('Партнер_Key')) errors.push('Поле "Клиент" не заполнено');
    if (empty('Контрагент_Key')) errors.push('Поле "Контрагент" не заполнено');
    if (empty('Организация_Key')) errors.push('Поле "Организация" не заполнено');
    if (underAgreement && empty('Соглашение_Key')) errors.push('Поле "Соглашение" не заполнено');
    if (empty('Валюта_Key')) errors.push('Поле "Валюта" не заполнено');
    const headerWarehouseMissing = empty('Склад_Key') && (rows.length === 0 || rowsWithoutWarehouse.length === rows.length);
    if (headerWarehouseMissing) errors.push('Поле "Склад" не заполнено');
    for (const row of rows) {
      if (row.Номенклатура_Key === EMPTY_REF) errors.push(`Не заполнена колонка "Номенклатура" в строке ${row.LineNumber} списка "Товары"`);
      if (!(Number(row.Количество) > 0)) errors.push(`Не заполнена колонка "Количество" в строке ${row.LineNumber} списка "Товары"`);
      if (!headerWarehouseMissing && row.Склад_Key === EMPTY_REF && empty('Склад_Key')) errors.push(`Не заполнена колонка "Склад" в строке ${row.LineNumber} списка "Товары"`);
    }
    const orderDef = this.base.def(ORDER_SET)!;
    for (const o of orderRecs) {
      if (!o.rec) errors.push(`Поле "Заказ клиента" заполнено некорректно: <Объект не найден> (${o.ref})`);
      else if (o.rec.Posted !== true) errors.push(`Документ "${presentation(orderDef, o.rec)}" не проведен`);
    }
    return errors;
  }

  private postSale(def: EntityDef, rec: Rec): void {
    const ref = String(rec.Ref_Key);
    const rows = (rec.Товары as Row[]) ?? [];
    const errors = this.fillCheckSale(rec);
    if (errors.length > 0) throw this.postingFailed(def, rec, errors);

    const headerOrder = compositeOf(rec, 'ЗаказКлиента');
    const taken = new Map<string, Map<string, { reserve: number; toShip: number }>>();
    const recorder = { ref, type: `${NS}.${SALE_SET}` };
    const toShipReg = registerByName.get(TO_SHIP)!;
    const stockReg = registerByName.get(STOCK)!;
    const period = String(rec.Date);
    const kot: Movement[] = [];
    const tns: Movement[] = [];
    const demand = new Map<string, { product: string; variant: string; warehouse: string; qty: number; orders: Set<string> }>();

    for (const row of rows) {
      const qty = Number(row.Количество);
      const product = String(row.Номенклатура_Key);
      const variant = String(row.Характеристика_Key);
      const warehouse = row.Склад_Key !== EMPTY_REF ? String(row.Склад_Key) : String(rec.Склад_Key);
      const k = key(product, variant, warehouse);
      const rowOrder = compositeOf(row, 'ЗаказКлиента');
      const order = rowOrder.type === ORDER_SET && rowOrder.value !== EMPTY_REF ? rowOrder.value
        : headerOrder.type === ORDER_SET && headerOrder.value !== EMPTY_REF ? headerOrder.value : undefined;
      let takeK = 0;
      let takeR = 0;
      if (order) {
        const bal = this.registers.orderBalance(order, k, ref);
        const perOrder = taken.get(order) ?? new Map<string, { reserve: number; toShip: number }>();
        const t = perOrder.get(k) ?? { reserve: 0, toShip: 0 };
        takeK = Math.min(qty, Math.max(0, bal.toShip - t.toShip));
        takeR = Math.min(qty - takeK, Math.max(0, bal.reserve - t.reserve));
        t.toShip += takeK;
        t.reserve += takeR;
        perOrder.set(k, t);
        taken.set(order, perOrder);
        if (takeK + takeR > EPS) {
          kot.push(movement(toShipReg, recorder, period, kot.length + 1, 'Expense', {
            ...this.orderDimensions(order),
            Номенклатура_Key: product, Характеристика_Key: variant, Склад_Key: warehouse,
            ВРезерве: round(takeR, 3), КОтгрузке: round(takeK, 3),
          }));
        }
      }
      tns.push(movement(stockReg, recorder, period, tns.length + 1, 'Expense', {
        Номенклатура_Key: product, Характеристика_Key: variant, Склад_Key: warehouse, ВНаличии: round(qty, 3), КОтгрузке: round(takeK, 3),
      }));
      const d = demand.get(k) ?? { product, variant, warehouse, qty: 0, orders: new Set<string>() };
      d.qty += qty;
      if (order) d.orders.add(order);
      demand.set(k, d);
    }

    // Stock check: free stock plus what this shipment's own orders hold.
    const shortages: string[] = [];
    for (const [k, d] of demand) {
      let own = 0;
      for (const o of d.orders) {
        const b = this.registers.orderBalance(o, k, ref);
        own += Math.max(0, b.reserve + b.toShip);
      }
      const available = this.registers.onHand(k, ref) - this.registers.heldExcept(k, d.orders, ref);
      if (d.qty > available + EPS) {
        shortages.push(
          `Недостаточно товара "${this.describeProduct(d.product, d.variant)}" на складе "${this.describeWarehouse(d.warehouse)}": ` +
          `требуется ${this.fmt(d.qty)} ${this.unitOf(d.product)}, доступно ${this.fmt(Math.max(0, available))} ${this.unitOf(d.product)}` +
          (own > EPS ? ` (в том числе в резерве по заказу ${this.fmt(own)})` : ''),
        );
      }
    }
    if (shortages.length > 0) throw this.postingFailed(def, rec, shortages);

    this.registers.clear(ref);
    this.registers.set(ref, recorder.type, TO_SHIP, kot);
    this.registers.set(ref, recorder.type, STOCK, tns);
  }
}

/**
 * The `Balance` virtual table: records up to `period` (exclusive; all when absent) whose
 * dimensions satisfy `condition`, summed per the requested dimensions (all when absent); rows
 * whose resources are all zero are left out. Resources are named `<Resource>Balance`.
 */
export function balanceRows(
  reg: RegisterDef,
  records: readonly Movement[],
  opts: { period?: string; condition?: (m: Movement) => boolean; dimensions?: readonly string[] },
): Rec[] {
  const dims = opts.dimensions
    ? reg.dimensions.filter((d) => opts.dimensions!.includes(d.name))
    : reg.dimensions;
  const groups = new Map<string, Rec>();
  for (const m of records) {
    if (m.Active === false) continue;
    if (opts.period !== undefined && String(m.Period) >= opts.period) continue;
    if (opts.condition && !opts.condition(m)) continue;
    const parts = dims.map((d) => (d.kind === 'Composite' ? `${String(m[d.name])}@${String(m[`${d.name}_Type`])}` : String(m[d.name])));
    const k = parts.join('|');
    let row = groups.get(k);
    if (!row) {
      row = {};
      for (const d of dims) {
        row[d.name] = m[d.name] as string;
        if (d.kind === 'Composite') row[`${d.name}_Type`] = m[`${d.name}_Type`] as string;
      }
      for (const r of reg.resources) row[`${r.name}Balance`] = 0;
      groups.set(k, row);
    }
    for (const r of reg.resources) row[`${r.name}Balance`] = (row[`${r.name}Balance`] as number) + sign(m) * Number(m[r.name]);
  }
  const out: Rec[] = [];
  for (const row of groups.values()) {
    let nonZero = false;
    for (const r of reg.resources) {
      const v = round(row[`${r.name}Balance`] as number, 3);
      row[`${r.name}Balance`] = v;
      if (v !== 0) nonZero = true;
    }
    if (nonZero) out.push(row);
  }
  return out;
}
