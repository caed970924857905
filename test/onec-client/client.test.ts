/**
 * The 1C client against the 1C sandbox over HTTP: orders created, read, updated, posted; change
 * probes; shipments; reserves; catalogs; errors as 1C answers them; the $metadata check.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOneCSandbox } from '#local/onec/sandbox';
import { OneCClient } from '#onec/client';
import {
  errorFromResponse, OneCAuthError, OneCBadRequestError, OneCBusinessError, OneCNotFoundError, OneCPostingRefusedError,
} from '#onec/errors';
import { and, eq, gt, guid } from '#onec/filter';
import { exchangeMapping, OneCTrade } from '#onec/trade';
import { checkFieldMapping } from '#onec/metadata';
import { demoBuyers, demoOneC } from '#local/demo/supplier';
import { line, orderInput, product } from '#test/onec-orders';

type Sandbox = Awaited<ReturnType<typeof startOneCSandbox>>;
let sandbox: Sandbox;
let trade: OneCTrade;
let serial = 0;
const clientNumber = (): string => `GW-T${process.pid % 10000}-${++serial}`;

before(async () => {
  sandbox = await startOneCSandbox({ port: 0, seed: 'demo' });
  trade = OneCTrade.connect({ baseUrl: sandbox.baseUrl, login: sandbox.login, password: sandbox.password, requestTimeoutMs: 5000, coldStartTimeoutMs: 5000 });
});
after(async () => {
  trade?.close();
  await sandbox?.close();
});
beforeEach(() => sandbox.faults.reset());

describe('1C client against the sandbox: orders', () => {
  test('authenticates with a Cyrillic login and refuses a wrong password as a permanent auth error', async () => {
    // Prepare
    assert.match(sandbox.login, /[А-Яа-я]/);
    const wrong = new OneCClient({ baseUrl: sandbox.baseUrl, login: sandbox.login, password: `${sandbox.password}x` });
    // Act / Assess
    assert.ok((await trade.client.list('Catalog_Склады', { top: 1 })).value.length === 1);
    await assert.rejects(wrong.list('Catalog_Склады'), (e: unknown) => e instanceof OneCAuthError && !e.retryable);
    wrong.close();
  });

  test('creates an order and reads it back with every value in our formats', async () => {
    // Prepare
    const number = clientNumber();
    const input = orderInput(number, [line(product('SMR-3535'), '3'), line(product('KRT-UT'), '2', { variant: product('KRT-UT').variants![1]!.ref, discountPercent: '5.00' })]);
    // Act
    const created = await trade.createOrder(input);
    const read = await trade.readOrder(created.ref);
    // Assess
    assert.deepEqual(read, created);
    assert.match(read.number, /\S/);
    assert.match(read.dataVersion, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(read.clientNumber, number);
    assert.equal(read.posted, false);
    assert.equal(read.status, 'КОбеспечению');
    assert.equal(read.contract, null, 'an empty ref is null');
    assert.equal(read.shipmentDate, null, 'an empty date is null');
    assert.equal(read.clientDate, '2024-05-31T10:00:00');
    assert.equal(read.operation, 'РеализацияКлиенту');
    assert.equal(read.amount, '6486.50');
    assert.deepEqual(read.items.map((i) => [i.lineNumber, i.lineCode]), [[1, 1], [2, 2]]);
    const [screws, jacket] = read.items;
    assert.equal(screws!.quantity, '3.000');
    assert.equal(screws!.price, '420.50');
    assert.equal(screws!.amount, '1261.50');
    assert.equal(screws!.vatAmount, '210.25');
    assert.equal(screws!.characteristic, null);
    assert.equal(jacket!.characteristic, product('KRT-UT').variants![1]!.ref);
    assert.equal(jacket!.manualDiscountPercent, '5.00');
    assert.equal(jacket!.manualDiscountAmount, '275.00');
    assert.equal(jacket!.amount, '5225.00');
    assert.equal(jacket!.provision, 'СоСклада');
  });

  test('finds an order by its stable key and nothing for another key', async () => {
    // Prepare
    const number = clientNumber();
    const created = await trade.createOrder(orderInput(number, [line(product('PRC-HB'), '10')]));
    // Act
    const found = await trade.findOrdersByClientNumber(number);
    const none = await trade.findOrdersByClientNumber(`${number}-other`);
    // Assess
    assert.deepEqual(found.map((o) => o.ref), [created.ref]);
    assert.deepEqual(none, []);
  });

  test('a stable key with quotes and an injected condition cannot widen the lookup', async () => {
    // Prepare: several orders exist; the hostile key matches none of them
    await trade.createOrder(orderInput(clientNumber(), [line(product('PRC-HB'), '1')]));
    const hostile = "x' or 1 eq 1 or 'a' eq 'a";
    const quoted = `O'Neil-${serial}`;
    const withQuote = await trade.createOrder(orderInput(quoted, [line(product('PRC-HB'), '1')]));
    // Act
    const viaHostile = await trade.findOrdersByClientNumber(hostile);
    const viaQuoted = await trade.findOrdersByClientNumber(quoted);
    const all = await trade.client.list('Document_ЗаказКлиента', { select: ['Ref_Key'] });
    // Assess
    assert.ok(all.value.length > 1);
    assert.deepEqual(viaHostile, []);
    assert.deepEqual(viaQuoted.map((o) => o.ref), [withQuote.ref]);
  });

  test('replaces Товары whole: LineNumber 1..n, existing КодСтроки kept, new rows numbered by 1C', async () => {
    // Prepare
    const created = await trade.createOrder(orderInput(clientNumber(), [
      line(product('SMR-3535'), '1'), line(product('DBL-0640'), '2'), line(product('PRC-HB'), '3'),
    ]));
    const [first, , third] = created.items;
    // Act: drop row 2, put row 3 first, change row 1, add a new row
    const updated = await trade.updateOrder(created.ref, {
      comment: 'changed',
      items: [
        line(product('PRC-HB'), '3', { lineCode: third!.lineCode }),
        line(product('SMR-3535'), '4', { lineCode: first!.lineCode }),
        line(product('LNT-4850'), '5'),
      ],
    });
    // Assess
    assert.equal(updated.comment, 'changed');
    assert.deepEqual(updated.items.map((i) => [i.lineNumber, i.lineCode, i.quantity]), [[1, 3, '3.000'], [2, 1, '4.000'], [3, 4, '5.000']]);
    assert.deepEqual(await trade.readOrder(created.ref), updated);
    assert.notEqual(updated.dataVersion, created.dataVersion);
  });

  test('keeps fields of existing rows the field map does not know when replacing Товары', async () => {
    // Prepare: 1C gives each row an ИдентификаторСтроки we never map
    const created = await trade.createOrder(orderInput(clientNumber(), [line(product('SMR-3535'), '1')]));
    const before = await trade.client.getByKey('Document_ЗаказКлиента', created.ref, { select: ['Товары'] });
    const rowId = (before.Товары as Record<string, unknown>[])[0]!.ИдентификаторСтроки;
    // Act
    await trade.updateOrder(created.ref, { items: [line(product('SMR-3535'), '2', { lineCode: created.items[0]!.lineCode })] });
    // Assess
    const afterRaw = await trade.client.getByKey('Document_ЗаказКлиента', created.ref, { select: ['Товары'] });
    assert.equal((afterRaw.Товары as Record<string, unknown>[])[0]!.ИдентификаторСтроки, rowId);
  });

  test('posts and unposts, re-reading the document after the empty 200', async () => {
    // Prepare
    const created = await trade.createOrder(orderInput(clientNumber(), [line(product('BSH-GSB13'), '2')]));
    // Act
    const posted = await trade.postOrder(created.ref);
    const reserves = await trade.readReserves({ products: [product('BSH-GSB13').ref] });
    const unposted = await trade.unpostOrder(created.ref);
    const after = await trade.readReserves({ products: [product('BSH-GSB13').ref] });
    // Assess
    assert.equal(posted.posted, true);
    assert.notEqual(posted.dataVersion, created.dataVersion);
    const mine = reserves.filter((r) => r.order?.ref === created.ref);
    assert.deepEqual(mine.map((r) => [r.product, r.warehouse, r.reserved]), [[product('BSH-GSB13').ref, demoOneC.warehouses.main.ref, '2.000']]);
    assert.deepEqual(mine[0]!.order, { ref: created.ref, type: 'Document_ЗаказКлиента' });
    assert.equal(unposted.posted, false);
    assert.equal(after.some((r) => r.order?.ref === created.ref), false);
  });

  test('posting more than the free stock is refused with 1C\'s message, permanently', async () => {
    // Prepare: URV-600 has 3 in stock
    const created = await trade.createOrder(orderInput(clientNumber(), [line(product('URV-600'), '50')]));
    // Act / Assess
    await assert.rejects(trade.postOrder(created.ref), (e: unknown) => {
      assert.ok(e instanceof OneCPostingRefusedError, String(e));
      assert.equal(e.code, 'ONEC_POSTING_REFUSED');
      assert.equal(e.retryable, false);
      assert.equal(e.oneCCode, '-1');
      assert.match(e.oneCMessage ?? '', /Недостаточно/);
      assert.match(e.message, /Недостаточно/);
      return true;
    });
    assert.equal((await trade.readOrder(created.ref)).posted, false);
  });

  test('maps each 1C error code to its typed error', async () => {
    // Prepare
    const created = await trade.createOrder(orderInput(clientNumber(), [line(product('PRC-HB'), '1')]));
    await trade.postOrder(created.ref);
    const missing = '00000000-0000-0000-0000-0000000000aa';
    // Act / Assess: 9 — no such object
    await assert.rejects(trade.readOrder(missing), (e: unknown) => e instanceof OneCNotFoundError && e.oneCCode === '9' && e.status === 404);
    assert.equal(await trade.findOrder(missing), undefined);
    // 6 — unknown field
    await assert.rejects(trade.client.list('Document_ЗаказКлиента', { select: ['НетТакогоПоля'] }), (e: unknown) => e instanceof OneCBadRequestError && e.oneCCode === '6');
    // 6 — unknown entity set
    await assert.rejects(trade.client.list('Catalog_НетТакого'), (e: unknown) => e instanceof OneCBadRequestError && e.oneCCode === '6');
    // 1 — a value that cannot be converted
    await assert.rejects(trade.client.update('Document_ЗаказКлиента', created.ref, { Date: 'not a date' }), (e: unknown) => e instanceof OneCBadRequestError && e.oneCCode === '1');
    // 14 — a $filter 1C cannot evaluate (a tabular section's field on the document)
    await assert.rejects(trade.client.list('Document_ЗаказКлиента', { filter: eq('Товары/Количество', 1) }), (e: unknown) => e instanceof OneCBadRequestError && e.oneCCode === '14');
    // -1 — a handler refuses: a posted document cannot be marked for deletion
    await assert.rejects(trade.updateOrder(created.ref, { deletionMark: true }), (e: unknown) => e instanceof OneCBusinessError && e.oneCCode === '-1' && !e.retryable);
  });

  test('reads DataVersion of 250 orders in a handful of requests with short URLs', async (t) => {
    // Prepare
    const urls: number[] = [];
    const probe = OneCTrade.connect({
      baseUrl: sandbox.baseUrl, login: sandbox.login, password: sandbox.password,
      onRequest: (e) => { if (e.method === 'GET') urls.push(e.urlLength); },
    });
    const refs: string[] = [];
    for (let i = 0; i < 250; i++) {
      const created = await trade.client.create('Document_ЗаказКлиента', { Партнер_Key: demoBuyers[0]!.partnerRef, НомерПоДаннымКлиента: clientNumber() });
      refs.push(created.Ref_Key as string);
    }
    await trade.updateOrder(refs[7]!, { deletionMark: true });
    const missing = '00000000-0000-0000-0000-0000000000bb';
    sandbox.stats.reset();
    // Act
    const versions = await probe.readDataVersions([...refs, missing, refs[0]!]);
    // Assess
    assert.equal(versions.size, 250);
    assert.equal(versions.has(missing), false);
    assert.deepEqual(Object.keys(versions.get(refs[0]!)!).sort(), ['dataVersion', 'deletionMark', 'posted', 'ref', 'status']);
    assert.equal(versions.get(refs[7]!)!.deletionMark, true);
    assert.equal(versions.get(refs[7]!)!.dataVersion, (await trade.readOrder(refs[7]!)).dataVersion);
    const requests = sandbox.stats.count({ method: 'GET', entitySet: 'Document_ЗаказКлиента' }) - 1;
    assert.ok(requests <= 15 && requests >= 2, `${requests} requests`);
    t.diagnostic(`readDataVersions: 250 orders in ${requests} requests, longest URL ${Math.max(...urls)}`);
    assert.equal(urls.length, requests);
    assert.ok(urls.every((length) => length <= 2000), `URL lengths ${urls.join(', ')}`);
    probe.close();
  });
});

describe('1C client against the sandbox: shipments, reserves, catalogs, metadata', () => {
  test('lists posted shipments of orders with their per-row order link', async () => {
    // Prepare: an order, posted, shipped in part by a posted shipment
    const order = await trade.createOrder(orderInput(clientNumber(), [line(product('LNT-4850'), '4', { provision: 'Отгрузить' })]));
    await trade.postOrder(order.ref);
    const other = await trade.createOrder(orderInput(clientNumber(), [line(product('LNT-4850'), '1')]));
    const row = order.items[0]!;
    const link = { ref: order.ref, type: 'Document_ЗаказКлиента' };
    const shipment = await trade.createShipment({
      order: link, organization: demoOneC.organization.ref, partner: order.partner, counterparty: order.counterparty, agreement: order.agreement,
      warehouse: demoOneC.warehouses.main.ref, currency: demoOneC.currency.ref, operation: 'РеализацияКлиенту',
      items: [{
        product: row.product, characteristic: null, packaging: null, packageQuantity: '3.000', quantity: '3.000', price: row.price,
        amount: '447.00', vatRate: row.vatRate, vatAmount: '74.50', amountWithVat: '447.00', warehouse: demoOneC.warehouses.main.ref, order: link,
      }],
    });
    const unposted = await trade.createShipment({ order: link, items: [] });
    await trade.postShipment(shipment.ref);
    // Act
    const shipments = await trade.listShipmentsForOrders([order.ref, other.ref]);
    const withUnposted = await trade.listShipmentsForOrders([order.ref], { includeUnposted: true });
    // Assess
    assert.deepEqual(shipments.map((s) => s.ref), [shipment.ref]);
    assert.equal(shipments[0]!.posted, true);
    assert.deepEqual(shipments[0]!.order, link);
    assert.deepEqual(shipments[0]!.items.map((i) => [i.quantity, i.order?.ref]), [['3.000', order.ref]]);
    assert.deepEqual(withUnposted.map((s) => s.ref).sort(), [shipment.ref, unposted.ref].sort());
  });

  test('finds a shipment covering several orders by its rows', async () => {
    // Prepare: two posted orders shipped by one shipment whose header names no order
    const a = await trade.createOrder(orderInput(clientNumber(), [line(product('DBL-0640'), '2', { provision: 'Отгрузить' })]));
    const b = await trade.createOrder(orderInput(clientNumber(), [line(product('DBL-0640'), '3', { provision: 'Отгрузить' })]));
    await trade.postOrder(a.ref);
    await trade.postOrder(b.ref);
    const row = (o: typeof a, qty: string) => ({
      product: o.items[0]!.product, characteristic: null, packaging: null, packageQuantity: qty, quantity: qty, price: o.items[0]!.price,
      amount: '0.00', vatRate: o.items[0]!.vatRate, vatAmount: '0.00', amountWithVat: '0.00', warehouse: demoOneC.warehouses.main.ref,
      order: { ref: o.ref, type: 'Document_ЗаказКлиента' },
    });
    const shipment = await trade.createShipment({
      order: null, organization: demoOneC.organization.ref, partner: a.partner, counterparty: a.counterparty, agreement: a.agreement,
      warehouse: demoOneC.warehouses.main.ref, currency: demoOneC.currency.ref, items: [row(a, '2.000'), row(b, '1.000')],
    });
    await trade.postShipment(shipment.ref);
    // Act
    const forA = await trade.listShipmentsForOrders([a.ref]);
    const forBoth = await trade.listShipmentsForOrders([a.ref, b.ref]);
    // Assess
    assert.deepEqual(forA.map((s) => s.ref), [shipment.ref]);
    assert.equal(forA[0]!.order, null);
    assert.deepEqual(forA[0]!.items.map((i) => [i.order?.ref, i.quantity]), [[a.ref, '2.000'], [b.ref, '1.000']]);
    assert.deepEqual(forBoth.map((s) => s.ref), [shipment.ref]);
  });

  test('pages a register balance conditioned on a warehouse, filtered on a resource, in a stable order', async () => {
    // Prepare: a few orders holding stock at the main warehouse
    for (const sku of ['SMR-3535', 'LNT-4850', 'SMR-3535']) {
      const o = await trade.createOrder(orderInput(clientNumber(), [line(product(sku), '1')]));
      await trade.postOrder(o.ref);
    }
    const register = 'AccumulationRegister_ТоварыКОтгрузке';
    const query = {
      condition: eq('Склад_Key', guid(demoOneC.warehouses.main.ref)),
      dimensions: ['Склад', 'Номенклатура', 'Характеристика', 'ДокументОтгрузки', 'Получатель'],
      filter: gt('ВРезервеBalance', 0),
      select: ['Номенклатура_Key', 'ДокументОтгрузки', 'ВРезервеBalance'],
      orderby: ['Номенклатура_Key', 'Характеристика_Key', 'ДокументОтгрузки', 'Получатель'],
    };
    const whole = await trade.client.balance(register, query);
    sandbox.stats.reset();
    // Act
    const paged: unknown[] = [];
    for await (const row of trade.client.iterateBalance(register, query, { pageSize: 2 })) paged.push(row);
    // Assess
    assert.ok(whole.length >= 4, JSON.stringify(whole));
    assert.deepEqual(paged, whole);
    assert.ok((whole as Record<string, unknown>[]).every((r) => Number(r.ВРезервеBalance) > 0 && Object.keys(r).length === 4), 'selected, with the composite\'s _Type');
    const requests = sandbox.stats.requests.map((r) => r.path);
    assert.equal(requests.length, Math.floor(whole.length / 2) + 1);
    assert.ok(sandbox.stats.requests.every((r) => r.warning === undefined), 'conditioned');
  });

  test('a warehouse\'s whole reserve balance has its own time budget: slower than the quick reads\' budget, it is read once', async () => {
    // Prepare: a client whose reads give up after 300 ms; 1C answers in 800 ms
    const quick = OneCTrade.connect({ baseUrl: sandbox.baseUrl, login: sandbox.login, password: sandbox.password, requestTimeoutMs: 300, coldStartTimeoutMs: 300, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    try {
      sandbox.faults.set({ latencyMs: 800 });
      sandbox.stats.reset();
      // Act
      const rows: unknown[] = [];
      for await (const r of quick.readWarehouseReserves(demoOneC.warehouses.main.ref)) rows.push(r);
      const plain = quick.client.balance('AccumulationRegister_ТоварыКОтгрузке', { condition: eq('Склад_Key', guid(demoOneC.warehouses.main.ref)) });
      // Assess
      assert.ok(rows.length > 0);
      assert.equal(sandbox.stats.requests.filter((r) => r.path.includes('/Balance(')).length, 1, 'one request, not a timeout and a retry');
      await assert.rejects(plain, (error: Error & { code?: string }) => error.code === 'ONEC_TIMEOUT', 'the same balance within the quick budget times out');
    } finally {
      quick.close();
    }
  });

  test('pages through a collection with $top/$skip and $expand needs $select', async () => {
    // Prepare
    const { count } = await trade.client.list('Catalog_Номенклатура', { top: 0, inlinecount: true });
    sandbox.stats.reset();
    // Act
    const all: unknown[] = [];
    for await (const item of trade.client.iterate('Catalog_Номенклатура', { select: ['Ref_Key'] }, { pageSize: 3 })) all.push(item);
    const expanded = await trade.client.list('Catalog_Контрагенты', { top: 1, select: ['Ref_Key', 'Партнер'], expand: ['Партнер'] });
    // Assess
    assert.equal(all.length, count);
    assert.equal(new Set(all.map((x) => (x as { Ref_Key: string }).Ref_Key)).size, count);
    assert.equal(sandbox.stats.count({ entitySet: 'Catalog_Номенклатура' }), Math.floor(count! / 3) + 1);
    assert.equal(typeof (expanded.value[0] as { Партнер: { Description: string } }).Партнер.Description, 'string');
  });

  test('reads catalog items by ref in one request per chunk', async () => {
    // Prepare
    const buyers = demoBuyers.map((b) => b.counterpartyRef);
    // Act
    const items = await trade.readCatalogItems('counterparties', [...buyers, '00000000-0000-0000-0000-0000000000cc']);
    const vat = await trade.readCatalogItem('vatRates', demoOneC.vatRates.vat20.ref);
    const branches = await trade.findCounterparties({ inn: demoBuyers[0]!.inn });
    // Assess
    assert.equal(items.size, demoBuyers.length);
    const first = items.get(demoBuyers[0]!.counterpartyRef)!;
    assert.deepEqual([first.inn, first.kpp, first.partner], [demoBuyers[0]!.inn, demoBuyers[0]!.kpp, demoBuyers[0]!.partnerRef]);
    assert.equal(vat?.rate, '20.00');
    assert.equal(branches.length, 2);
    assert.equal(await trade.readCatalogItem('vatRates', '00000000-0000-0000-0000-0000000000cc'), undefined);
  });

  test('passes the $metadata check on the sandbox, fetching $metadata once per client', async () => {
    // Prepare
    const c = OneCTrade.connect({ baseUrl: sandbox.baseUrl, login: sandbox.login, password: sandbox.password });
    sandbox.stats.reset();
    // Act
    const problems = await c.checkFieldMapping();
    await c.assertFieldMapping();
    // Assess
    assert.deepEqual(problems.map((p) => p.message), []);
    assert.equal(sandbox.stats.requests.filter((r) => r.path === '$metadata').length, 1);
    c.close();
  });

  test('filters with and/or and typed literals against 1C', async () => {
    // Prepare
    const a = await trade.createOrder(orderInput(clientNumber(), [line(product('PRC-HB'), '1')]));
    // Act
    const page = await trade.client.list('Document_ЗаказКлиента', {
      filter: and(eq('Ref_Key', guid(a.ref)), eq('Posted', false), eq('НомерПоДаннымКлиента', a.clientNumber)),
      select: ['Ref_Key', 'Number'],
      inlinecount: true,
    });
    // Assess
    assert.equal(page.count, 1);
    assert.deepEqual(page.value, [{ Ref_Key: a.ref, Number: a.number }]);
  });
});

void checkFieldMapping;
void exchangeMapping;

describe('1C client against the sandbox: a malformed body', () => {
  test('the sandbox\'s answer to a body that is not JSON maps to a permanent bad request, not a retry', async () => {
    // Prepare: what 1C answers when the body cannot be read (the client itself always sends JSON)
    const created = await trade.createOrder(orderInput(clientNumber(), [line(product('SMR-3535'), '1')]));
    const resource = `Document_ЗаказКлиента(guid'${created.ref}')?$format=json`;
    const answer = await fetch(`${sandbox.baseUrl}${resource}`, {
      method: 'PATCH',
      headers: { authorization: `Basic ${Buffer.from(`${sandbox.login}:${sandbox.password}`, 'utf8').toString('base64')}`, 'content-type': 'application/json' },
      body: '{"Комментарий": ',
    });
    // Act
    const error = errorFromResponse({ method: 'PATCH', resource, entitySet: 'Document_ЗаказКлиента' }, answer.status, await answer.json());
    // Assess
    assert.equal(answer.status, 500);
    assert.ok(error instanceof OneCBadRequestError, error.constructor.name);
    assert.equal(error.retryable, false);
    assert.equal(error.oneCCode, '-1');
    assert.equal((await trade.readOrder(created.ref)).dataVersion, created.dataVersion, 'nothing written');
  });
});
