/**
 * The sandbox's information base: catalogs and documents in memory, writes with 1C's rules.
 *
 * Writes (POST/PATCH) are barely validated, as in real 1C: unknown fields are ignored, long
 * strings cut, references to missing objects stored as they are, fill checks not run (they run
 * at posting). Values that cannot be converted fail with code 1. A tabular section in a write
 * replaces the whole section; `LineNumber` must be 1..n in order (missing → 500 -1, otherwise
 * wrong → 400 code 1). New order rows get `КодСтроки = ++МаксимальныйКодСтроки`.
 * `DataVersion` rises on every write, even one that changes nothing; there is no optimistic
 * locking.
 */
import { badValue, internal, notFound } from './errors.ts';
import {
  EMPTY_DATE, EMPTY_REF, NS, ORDER_SET, UNDEFINED_TYPE, recordType, sectionRecordType, type EntityDef, type RecordType, type SectionDef,
} from './model.ts';
import { applyComposite, emptyRecord, emptyRow, isGuid, newRef, nowLocal, parseScalar, round, type Rec, type Row } from './values.ts';

/** Base64 of an 8-byte big-endian counter, like 1C's DataVersion ("AAAAAAAAAAI=" = 2). */
export function dataVersion(n: number): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b.toString('base64');
}

/** Fields a client cannot write: the platform sets them. */
const READ_ONLY = new Set(['Ref_Key', 'DataVersion', 'Posted', 'Predefined', 'PredefinedDataName']);

export interface WriteOptions {
  readonly isNew: boolean;
  /**
   * `1C_OData_DataLoadMode: true` (ОбменДанными.Загрузка): the configuration's handlers do not
   * run — no КодСтроки, СуммаДокумента, Автор; only the platform's number and date.
   */
  readonly loadMode?: boolean;
}

export class OneCBase {
  private readonly objects = new Map<string, Map<string, Rec>>();
  private readonly versions = new Map<string, number>();
  private readonly counters = new Map<string, number>();
  readonly types = new Map<string, RecordType>();
  /** Unit of measure names by ref (the unit catalog itself is not published) */
  readonly unitNames = new Map<string, string>();

  constructor(readonly entities: readonly EntityDef[]) {
    for (const e of entities) {
      this.objects.set(e.set, new Map());
      this.types.set(e.set, recordType(e.set, e.fields, e.sections));
      for (const s of e.sections) this.types.set(`${e.set}_${s.name}`, sectionRecordType(e, s));
    }
  }

  def(set: string): EntityDef | undefined {
    return this.entities.find((e) => e.set === set);
  }

  list(set: string): Rec[] {
    return [...(this.objects.get(set)?.values() ?? [])];
  }

  get(set: string, ref: string): Rec | undefined {
    return this.objects.get(set)?.get(ref);
  }

  require(set: string, ref: string): Rec {
    const rec = this.get(set, ref);
    if (!rec) throw notFound();
    return rec;
  }

  /** Rows of a tabular section as an entity set (`Document_ЗаказКлиента_Товары`). */
  sectionRows(def: EntityDef, s: SectionDef): Rec[] {
    return this.list(def.set).flatMap((rec) => ((rec[s.name] as Row[]) ?? []).map((row) => ({ Ref_Key: rec.Ref_Key as string, ...row })));
  }

  /** An empty row of a tabular section, every field at its empty value. */
  emptyRow(def: EntityDef, section: string, lineNumber: number): Row {
    return emptyRow(def.sections.find((s) => s.name === section)!, lineNumber);
  }

  setCounter(key: string, value: number): void {
    this.counters.set(key, value);
  }

  private nextCounter(key: string): number {
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    return n;
  }

  /** Stores a record as it is (seed); gives it DataVersion 1 unless it has one. */
  insert(def: EntityDef, values: Rec): Rec {
    const rec = { ...emptyRecord(def.fields, def.sections), ...values };
    const ref = String(rec.Ref_Key);
    this.versions.set(ref, 1);
    rec.DataVersion = dataVersion(1);
    this.objects.get(def.set)!.set(ref, rec);
    return rec;
  }

  /** Commits a new state of an object: DataVersion rises, whatever changed. */
  commit(def: EntityDef, rec: Rec): Rec {
    const ref = String(rec.Ref_Key);
    const v = (this.versions.get(ref) ?? 0) + 1;
    this.versions.set(ref, v);
    rec.DataVersion = dataVersion(v);
    this.objects.get(def.set)!.set(ref, rec);
    return rec;
  }

  remove(def: EntityDef, ref: string): void {
    this.objects.get(def.set)!.delete(ref);
  }

  /**
   * POST: a new object from the body, with platform defaults and the document's own handlers.
   * `author` is the login: a new order's Автор becomes the user of that name, as UT fills it.
   */
  create(def: EntityDef, body: Record<string, unknown>, opts: { author?: string; loadMode?: boolean } = {}): Rec {
    let ref = newRef();
    if (Object.hasOwn(body, 'Ref_Key') && body.Ref_Key !== null && body.Ref_Key !== '' && body.Ref_Key !== EMPTY_REF) {
      if (typeof body.Ref_Key !== 'string' || !isGuid(body.Ref_Key)) throw badValue(`Невозможно преобразовать значение "${String(body.Ref_Key)}" свойства "Ref_Key" к типу Edm.Guid`);
      ref = body.Ref_Key.toLowerCase();
      if (this.get(def.set, ref)) throw internal(`Ошибка при записи объекта: объект с идентификатором ${ref} уже существует`);
    }
    const rec: Rec = { ...emptyRecord(def.fields, def.sections), Ref_Key: ref };
    this.apply(def, rec, body, { isNew: true });
    if (def.set === ORDER_SET && rec.Автор_Type === UNDEFINED_TYPE && opts.author !== undefined && !opts.loadMode) {
      const user = this.list('Catalog_Пользователи').find((u) => u.Description === opts.author);
      if (user) {
        rec.Автор = user.Ref_Key as string;
        rec.Автор_Type = `${NS}.Catalog_Пользователи`;
      }
    }
    this.beforeWrite(def, rec, { isNew: true, loadMode: opts.loadMode === true });
    return this.commit(def, rec);
  }

  /** PATCH: only the fields sent change; a tabular section sent replaces the whole section. */
  update(def: EntityDef, ref: string, body: Record<string, unknown>, opts: { loadMode?: boolean } = {}): Rec {
    const current = this.require(def.set, ref);
    const rec: Rec = structuredClone(current);
    this.apply(def, rec, body, { isNew: false });
    if (def.kind === 'Document' && rec.DeletionMark === true && current.Posted === true) {
      throw internal(`Ошибка при записи объекта "${presentation(def, current)}": проведенный документ не может быть помечен на удаление. Сначала отмените проведение документа.`);
    }
    this.beforeWrite(def, rec, { isNew: false, loadMode: opts.loadMode === true });
    return this.commit(def, rec);
  }

  private apply(def: EntityDef, rec: Rec, body: Record<string, unknown>, _opts: WriteOptions): void {
    for (const f of def.fields) {
      if (READ_ONLY.has(f.name)) continue;
      if (f.kind === 'Composite') {
        applyComposite(f, body, rec);
        continue;
      }
      if (Object.hasOwn(body, f.name)) rec[f.name] = parseScalar(f, body[f.name]);
    }
    for (const s of def.sections) {
      if (!Object.hasOwn(body, s.name)) continue;
      rec[s.name] = this.parseSection(def, s, body[s.name]);
    }
  }

  private parseSection(def: EntityDef, s: SectionDef, raw: unknown): Row[] {
    if (raw === null) return [];
    if (!Array.isArray(raw)) throw badValue(`Неверное значение табличной части "${s.name}": ожидается массив строк`);
    return raw.map((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw badValue(`Неверное значение строки ${i + 1} табличной части "${s.name}"`);
      }
      const body = item as Record<string, unknown>;
      if (!Object.hasOwn(body, 'LineNumber') || body.LineNumber === null || body.LineNumber === '') {
        throw internal(`Ошибка при записи объекта "${def.title}": не задан номер строки (LineNumber) табличной части "${s.name}"`);
      }
      const n = typeof body.LineNumber === 'number' ? body.LineNumber : /^\d+$/u.test(String(body.LineNumber)) ? Number(body.LineNumber) : NaN;
      if (!Number.isInteger(n)) throw badValue(`Невозможно преобразовать значение "${String(body.LineNumber)}" свойства "LineNumber" к типу Edm.Int64`);
      if (n !== i + 1) {
        throw badValue(`Неверный номер строки ${n} табличной части "${s.name}": ожидается ${i + 1} (строки нумеруются с 1 подряд)`);
      }
      const row = emptyRow(s, n);
      for (const f of s.fields) {
        if (f.kind === 'Composite') applyComposite(f, body, row);
        else if (Object.hasOwn(body, f.name)) row[f.name] = parseScalar(f, body[f.name]);
      }
      return row;
    });
  }

  /** What the platform and UT's ПередЗаписью handlers do on every write. */
  private beforeWrite(def: EntityDef, rec: Rec, opts: WriteOptions): void {
    if (def.kind === 'Document') {
      if (rec.Date === EMPTY_DATE) rec.Date = nowLocal();
      if (rec.Number === '') rec.Number = this.nextNumber(def);
      if (opts.loadMode) return;
      const goods = rec.Товары as Row[] | undefined;
      if (goods) {
        if (def.set === ORDER_SET) {
          let max = Math.max(Number(rec.МаксимальныйКодСтроки) || 0, ...goods.map((r) => Number(r.КодСтроки) || 0));
          for (const row of goods) {
            if (!row.КодСтроки) row.КодСтроки = ++max;
            if (row.ИдентификаторСтроки === '') row.ИдентификаторСтроки = newRef();
          }
          rec.МаксимальныйКодСтроки = max;
        }
        // СуммаДокумента = Σ over non-cancelled rows of the amount with VAT (UT's ПередЗаписью).
        const withVat = rec.ЦенаВключаетНДС === true;
        rec.СуммаДокумента = round(goods
          .filter((r) => r.Отменено !== true)
          .reduce((sum, r) => sum + Number(r.Сумма || 0) + (withVat ? 0 : Number(r.СуммаНДС || 0)), 0), 2);
      }
    } else if (def.kind === 'Catalog' && opts.isNew) {
      const code = def.fields.find((f) => f.name === 'Code');
      if (code && rec.Code === '') rec.Code = String(this.nextCounter(`${def.set}#code`)).padStart(Math.min(code.maxLength || 9, 9), '0');
    }
  }

  nextNumber(def: EntityDef): string {
    return `ТД00-${String(this.nextCounter(`${def.set}#number`)).padStart(6, '0')}`;
  }
}

/** "Заказ клиента ТД00-000123 от 27.11.2025 10:15:00", as 1C presents a document in messages. */
export function presentation(def: EntityDef, rec: Rec): string {
  const d = String(rec.Date);
  const date = `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)} ${d.slice(11, 19)}`;
  return def.kind === 'Document' ? `${def.title} ${String(rec.Number)} от ${date}` : String(rec.Description ?? rec.Ref_Key);
}
