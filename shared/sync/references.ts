/**
 * Resolves what a Goodwix order names (buyer, products, VAT rates, cancel reasons) to 1C
 * references, and back. 1C stores references to objects it does not have as broken links
 * without a word, so every reference is checked here before it is written; a failure names the
 * product, buyer or rate at fault and parks the order.
 *
 * One instance per batch of orders: catalogs read once are kept for its lifetime.
 */
import { Big, percent, type Decimal } from '#core/decimal';
import type { GoodwixOrderBuyer, GoodwixOrderLine } from '#goodwix/model';
import type { CatalogItem } from '#onec/fields';
import type { OneCTrade } from '#onec/trade';
import { MissingContractError, UnknownVatRateError, UnmappedProductError, UnmatchedBuyerError } from './errors.ts';

export interface BuyerRefs {
  readonly counterparty: string;
  readonly partner: string;
}

export type Agreement = CatalogItem<'agreements'>;

export class OneCReferences {
  private vatRatesPromise?: Promise<CatalogItem<'vatRates'>[]>;
  private reasonsPromise?: Promise<CatalogItem<'cancelReasons'>[]>;
  private readonly agreements = new Map<string, Promise<Agreement | undefined>>();
  private readonly buyers = new Map<string, Promise<BuyerRefs>>();
  private readonly products = new Map<string, CatalogItem<'products'> | null>();
  private readonly characteristics = new Map<string, CatalogItem<'characteristics'> | null>();

  constructor(private readonly onec: OneCTrade) {}

  // ---- VAT ------------------------------------------------------------------------------------

  private vatRates(): Promise<CatalogItem<'vatRates'>[]> {
    this.vatRatesPromise ??= forgetOnFailure(
      (async () => {
        const out: CatalogItem<'vatRates'>[] = [];
        for await (const item of this.onec.listCatalog('vatRates')) if (!item.deletionMark) out.push(item);
        return out;
      })(),
      () => (this.vatRatesPromise = undefined),
    );
    return this.vatRatesPromise;
  }

  /**
   * The Catalog_СтавкиНДС entry for a rate. Where two entries share a rate ("0%" and
   * "Без НДС"), the product's own default entry wins, then the first by name.
   */
  async vatRef(rate: Decimal, context: { preferred?: string | null; line: string }): Promise<string> {
    const matching = (await this.vatRates()).filter((v) => new Big(v.rate).eq(rate));
    const chosen = matching.find((v) => v.ref === context.preferred) ?? [...matching].sort((a, b) => a.description.localeCompare(b.description))[0];
    if (!chosen) {
      throw new UnknownVatRateError(`${context.line}: VAT rate ${percent(rate)}% has no Catalog_СтавкиНДС entry in 1C`, { context: { vatRate: rate } });
    }
    return chosen.ref;
  }

  async vatRateOf(ref: string | null, line: string): Promise<Decimal> {
    if (ref === null) return percent(0);
    const entry = (await this.vatRates()).find((v) => v.ref === ref);
    if (!entry) throw new UnknownVatRateError(`${line}: its VAT rate ${ref} is not in Catalog_СтавкиНДС`, { context: { vatRef: ref } });
    return percent(entry.rate);
  }

  // ---- cancel reasons ---------------------------------------------------------------------------

  private reasons(): Promise<CatalogItem<'cancelReasons'>[]> {
    this.reasonsPromise ??= forgetOnFailure(
      (async () => {
        const out: CatalogItem<'cancelReasons'>[] = [];
        for await (const item of this.onec.listCatalog('cancelReasons')) out.push(item);
        return out;
      })(),
      () => (this.reasonsPromise = undefined),
    );
    return this.reasonsPromise;
  }

  /** The reason 1C knows by this name, or the plan's reason for cancellations from Goodwix. */
  async reasonRef(name: string | null, fallback: string): Promise<string> {
    if (name === null) return fallback;
    const wanted = name.trim().toLowerCase();
    const found = (await this.reasons()).find((r) => !r.deletionMark && r.description.trim().toLowerCase() === wanted);
    return found?.ref ?? fallback;
  }

  async reasonName(ref: string | null): Promise<string | null> {
    if (ref === null) return null;
    return (await this.reasons()).find((r) => r.ref === ref)?.description ?? null;
  }

  // ---- agreement, buyer, contract ---------------------------------------------------------------

  async agreement(ref: string): Promise<Agreement | undefined> {
    let pending = this.agreements.get(ref);
    if (!pending) {
      pending = forgetOnFailure(this.onec.readCatalogItem('agreements', ref), () => this.agreements.delete(ref));
      this.agreements.set(ref, pending);
    }
    return pending;
  }

  /**
   * The buyer's 1C counterparty: the one the supplier matched in Goodwix, checked against the
   * buyer's ИНН/КПП; otherwise the single counterparty with that ИНН and КПП. ИНН alone picks
   * the wrong one for branches, so it is never enough, and several matches are never guessed.
   */
  buyer(buyer: GoodwixOrderBuyer): Promise<BuyerRefs> {
    const key = `${buyer.counterpartyId ?? ''}|${buyer.partnerId ?? ''}|${buyer.inn}|${buyer.kpp ?? ''}`;
    let pending = this.buyers.get(key);
    if (!pending) {
      pending = forgetOnFailure(this.resolveBuyer(buyer), () => this.buyers.delete(key));
      this.buyers.set(key, pending);
    }
    return pending;
  }

  private async resolveBuyer(buyer: GoodwixOrderBuyer): Promise<BuyerRefs> {
    const who = `buyer ${buyer.id} «${buyer.name}» (ИНН ${buyer.inn}${buyer.kpp ? `, КПП ${buyer.kpp}` : ''})`;
    let counterparty: CatalogItem<'counterparties'> | undefined;
    if (buyer.counterpartyId) {
      counterparty = await this.onec.readCatalogItem('counterparties', buyer.counterpartyId);
      if (!counterparty || counterparty.deletionMark) {
        throw new UnmatchedBuyerError(`${who}: matched to 1C counterparty ${buyer.counterpartyId}, which 1C does not have${counterparty ? ' (marked for deletion)' : ''}`, {
          context: { buyerId: buyer.id, counterparty: buyer.counterpartyId },
        });
      }
      if (counterparty.inn !== buyer.inn || (buyer.kpp && counterparty.kpp && counterparty.kpp !== buyer.kpp)) {
        throw new UnmatchedBuyerError(`${who}: matched to 1C counterparty «${counterparty.description}» with ИНН ${counterparty.inn}, КПП ${counterparty.kpp || '—'}; the match is wrong`, {
          context: { buyerId: buyer.id, counterparty: counterparty.ref },
        });
      }
    } else {
      const found = (await this.onec.findCounterparties({ inn: buyer.inn, kpp: buyer.kpp ?? '' })).filter((c) => !c.deletionMark);
      if (found.length !== 1) {
        throw new UnmatchedBuyerError(
          found.length === 0 ? `${who} has no 1C counterparty: match the buyer in Goodwix` : `${who} matches ${found.length} 1C counterparties: match the buyer in Goodwix, refusing to guess`,
          { context: { buyerId: buyer.id, matches: found.length } },
        );
      }
      counterparty = found[0]!;
    }
    const partner = counterparty.partner ?? buyer.partnerId;
    if (!partner) throw new UnmatchedBuyerError(`${who}: 1C counterparty «${counterparty.description}» has no partner (Партнер)`, { context: { buyerId: buyer.id, counterparty: counterparty.ref } });
    return { counterparty: counterparty.ref, partner };
  }

  /** The contract an order needs when its agreement settles under counterparty contracts. */
  async contract(args: { buyer: GoodwixOrderBuyer; counterparty: string; organization: string }): Promise<string> {
    const who = `buyer ${args.buyer.id} «${args.buyer.name}»`;
    if (args.buyer.contractId) {
      const contract = await this.onec.readCatalogItem('contracts', args.buyer.contractId);
      if (contract && !contract.deletionMark && contract.counterparty === args.counterparty) return contract.ref;
      throw new MissingContractError(`${who}: contract ${args.buyer.contractId} named in Goodwix is not this counterparty's contract in 1C`, { context: { buyerId: args.buyer.id } });
    }
    const found = await this.onec.findContracts({ counterparty: args.counterparty, organization: args.organization });
    if (found.length !== 1) {
      throw new MissingContractError(
        `${who}: the agreement settles under contracts and 1C has ${found.length === 0 ? 'no contract' : `${found.length} contracts`} for this counterparty and organization`,
        { context: { buyerId: args.buyer.id, contracts: found.length } },
      );
    }
    return found[0]!.ref;
  }

  // ---- products ---------------------------------------------------------------------------------

  /** Checks that every line's nomenclature (and characteristic) exists in 1C; names the first that does not. */
  async checkProducts(lines: readonly GoodwixOrderLine[]): Promise<void> {
    // What was found unusable is read again each time: a product someone fixes in 1C counts at once.
    const usable = (ref: string) => {
      const p = this.products.get(ref);
      return Boolean(p && !p.deletionMark && !p.isFolder);
    };
    const usableVariant = (ref: string) => Boolean(this.characteristics.get(ref) && !this.characteristics.get(ref)!.deletionMark);
    const wantedProducts = lines.map((l) => l.nomenclatureId).filter((r) => !usable(r));
    if (wantedProducts.length) {
      const found = await this.onec.readCatalogItems('products', wantedProducts);
      for (const ref of wantedProducts) this.products.set(ref, found.get(ref) ?? null);
    }
    const wantedVariants = lines.map((l) => l.characteristicId).filter((r): r is string => r !== null && !usableVariant(r));
    if (wantedVariants.length) {
      const found = await this.onec.readCatalogItems('characteristics', wantedVariants);
      for (const ref of wantedVariants) this.characteristics.set(ref, found.get(ref) ?? null);
    }
    for (const line of lines) {
      const what = `Goodwix product ${line.productId} (арт. ${line.sku})`;
      const product = this.products.get(line.nomenclatureId);
      if (!product || product.deletionMark || product.isFolder) {
        const why = !product ? 'which 1C does not have' : product.isFolder ? 'which is a group, not a product' : 'which is marked for deletion';
        throw new UnmappedProductError(`${what} has no 1C nomenclature: it refers to ${line.nomenclatureId}, ${why}`, {
          context: { productId: line.productId, sku: line.sku, nomenclature: line.nomenclatureId },
        });
      }
      if (line.characteristicId !== null) {
        const variant = this.characteristics.get(line.characteristicId);
        if (!variant || variant.deletionMark) {
          throw new UnmappedProductError(`${what} has no 1C characteristic: it refers to ${line.characteristicId}, which 1C does not have`, {
            context: { productId: line.productId, sku: line.sku, characteristic: line.characteristicId },
          });
        }
      }
    }
  }

  /** The product's default VAT entry, to choose between entries that share a rate. */
  productVatRef(nomenclature: string): string | null {
    return this.products.get(nomenclature)?.vatRate ?? null;
  }

  productName(nomenclature: string): string | null {
    return this.products.get(nomenclature)?.description ?? null;
  }
}

/** A lookup that failed (1C unreachable) is not kept: the next order asks again. */
function forgetOnFailure<T>(pending: Promise<T>, forget: () => void): Promise<T> {
  pending.catch(forget);
  return pending;
}
