import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GoodwixContract } from '#test/goodwix-contract';
import { clientFor, RawApi, startGoodwixSandbox, type GoodwixSandbox } from '#test/goodwix-sandbox';

describe('the Goodwix sandbox speaks the documented contract', () => {
  let sandbox: GoodwixSandbox;
  let contract: GoodwixContract;
  let raw: RawApi;

  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'demo' });
    contract = new GoodwixContract();
    raw = new RawApi(sandbox, contract.fetch());
  });
  after(async () => {
    await sandbox.close();
  });

  const assertClean = (): void => {
    assert.deepEqual(contract.violations, [], JSON.stringify(contract.violations, null, 2));
  };

  test('the contract document is OpenAPI 3.1 and every operation has an id and a success answer', () => {
    assert.equal(contract.doc.openapi, '3.1.0');
    for (const op of contract.operations) {
      assert.ok(op.id, `${op.method} ${op.template} has no operationId`);
      assert.ok(op.spec.responses['200'], `${op.id} documents no 200`);
    }
  });

  test('the contract check bites: an order without its version or with a float price is refused', async () => {
    // Prepare
    const { body } = await raw.api('GET', `${raw.catalog}/orders/100001`);
    const { version: _dropped, ...noVersion } = body;
    const floatPrice = { ...body, lines: [{ ...body.lines[0], price: 5490 }] };
    // Act
    const errorsA = contract.checkResponse('GET', `${raw.catalog}/orders/100001`, 200, noVersion, new Headers());
    const errorsB = contract.checkResponse('GET', `${raw.catalog}/orders/100001`, 200, floatPrice, new Headers());
    const errorsC = contract.checkResponse('GET', `${raw.catalog}/orders/100001`, 200, { ...body, extra: 1 }, new Headers());
    // Assess
    assert.match(errorsA.join('\n'), /version/);
    assert.match(errorsB.join('\n'), /price must be string/);
    assert.match(errorsC.join('\n'), /additional properties/);
  });

  test('login, catalog, products, buyers and price lists answer as documented', async () => {
    // Prepare / Act
    const bad = await raw.request('POST', '/api/v1/auth/login', { email: sandbox.supplier.email, password: 'wrong' });
    const malformed = await raw.request('POST', '/api/v1/auth/login', { email: 42 });
    const noToken = await raw.request('GET', raw.catalog);
    await raw.login();
    const catalog = await raw.api('GET', raw.catalog);
    const otherCatalog = await raw.api('GET', '/api/v1/catalogs/1');
    const products = await raw.api('GET', `${raw.catalog}/products?limit=5`);
    const nextProducts = await raw.api('GET', `${raw.catalog}/products?limit=5&cursor=${products.body.nextCursor}`);
    const byErp = await raw.api('GET', `${raw.catalog}/products?nomenclatureId=6b2a1d3e-1c7b-11ef-9a30-0800270bc706`);
    const product = await raw.api('GET', `${raw.catalog}/products/10161`);
    const missingProduct = await raw.api('GET', `${raw.catalog}/products/1`);
    const badLimit = await raw.api('GET', `${raw.catalog}/products?limit=0`);
    const buyers = await raw.api('GET', `${raw.catalog}/buyers`);
    const buyer = await raw.api('GET', `${raw.catalog}/buyers/3004`);
    const missingBuyer = await raw.api('GET', `${raw.catalog}/buyers/9`);
    const priceLists = await raw.api('GET', `${raw.catalog}/price-lists`);
    const priceList = await raw.api('GET', `${raw.catalog}/price-lists/502`);
    const missingPriceList = await raw.api('GET', `${raw.catalog}/price-lists/1`);

    // Assess
    assert.deepEqual(
      [bad.status, malformed.status, noToken.status, catalog.status, otherCatalog.status, products.status, nextProducts.status],
      [401, 400, 401, 200, 404, 200, 200],
    );
    assert.equal(bad.body.error.code, 'invalid_credentials');
    assert.equal(noToken.body.error.code, 'unauthorized');
    assert.equal(byErp.body.items.length, 3);
    assert.equal(product.body.erp.characteristicId, '7c3b2e4f-1c7b-11ef-9a30-0800270bc801');
    assert.deepEqual([missingProduct.status, badLimit.status, missingBuyer.status, missingPriceList.status], [404, 400, 404, 404]);
    assert.equal(badLimit.body.error.details.field, 'limit');
    assert.equal(buyers.body.items.length, 4);
    assert.equal(buyer.body.kpp, null);
    assert.deepEqual(priceLists.body.items.map((p: { autoConfirm: boolean }) => p.autoConfirm), [true, false]);
    assert.equal(priceList.body.autoConfirm, false);
    assertClean();
  });

  test('the order feed, one order and order updates answer as documented, errors included', async () => {
    // Prepare
    const placed = sandbox.actions.placeOrder({ buyerId: 3002, lines: [{ productId: 10101, quantity: 3 }, { productId: 10162, quantity: 1 }] });
    const fresh = sandbox.actions.placeOrder({ buyerId: 3003, lines: [{ productId: 10104, quantity: 1 }] });
    const orderPath = `${raw.catalog}/orders/${placed.id}`;

    // Act
    const feed = await raw.api('GET', `${raw.catalog}/orders?limit=2&status=confirmed,in_progress`);
    const feedNext = await raw.api('GET', `${raw.catalog}/orders?limit=2&status=confirmed,in_progress&cursor=${feed.body.nextCursor}`);
    const since = await raw.api('GET', `${raw.catalog}/orders?changedSince=${encodeURIComponent('2000-01-01T00:00:00Z')}`);
    const badCursor = await raw.api('GET', `${raw.catalog}/orders?cursor=nonsense`);
    const badStatus = await raw.api('GET', `${raw.catalog}/orders?status=new`);
    const one = await raw.api('GET', orderPath);
    const missing = await raw.api('GET', `${raw.catalog}/orders/999`);
    const updated = await raw.api('PATCH', orderPath, {
      expectedVersion: placed.version,
      status: 'in_progress',
      erp: { orderId: '0f0e0d0c-1c7b-11ef-9a30-0800270bd001', number: 'ТД00-000017', date: '2025-03-01T12:00:00' },
      lines: {
        update: [{ id: placed.lines[0]!.id, cancelledQuantity: '1', cancelReason: 'Нет в наличии', erpLineId: '1' }],
        add: [{ productId: 10107, quantity: '2', price: '1290', vatRate: '10', erpLineId: '3' }],
        remove: [placed.lines[1]!.id],
      },
    });
    const stale = await raw.api('PATCH', orderPath, { expectedVersion: placed.version, status: 'shipped' });
    const malformed = await raw.api('PATCH', orderPath, { expectedVersion: updated.body.version, lines: { update: [{ id: 'x', price: 12 }] } });
    const unknownLine = await raw.api('PATCH', orderPath, { expectedVersion: updated.body.version, lines: { update: [{ id: 'ln-none', price: '1' }] } });
    const backwards = await raw.api('PATCH', orderPath, { expectedVersion: updated.body.version, status: 'new' });
    const notConfirmed = await raw.api('PATCH', `${raw.catalog}/orders/${fresh.id}`, { expectedVersion: 1, status: 'in_progress' });

    // Assess
    assert.deepEqual([feed.status, feedNext.status, since.status, one.status, updated.status], [200, 200, 200, 200, 200]);
    assert.equal(feed.body.items.length, 2);
    assert.deepEqual([badCursor.status, badStatus.status, missing.status], [400, 400, 404]);
    assert.equal(badCursor.body.error.code, 'invalid_cursor');
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.code, 'version_conflict');
    assert.equal(stale.body.error.details.currentVersion, updated.body.version);
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.details.field, 'lines.update[0].price');
    assert.equal(unknownLine.status, 422);
    assert.equal(unknownLine.body.error.details.field, 'lines.update[0].id');
    assert.equal(backwards.status, 422);
    assert.equal(backwards.body.error.code, 'invalid_status_transition');
    assert.equal(notConfirmed.status, 409);
    assert.equal(notConfirmed.body.error.code, 'order_not_confirmed');
    assertClean();
  });

  test('reserves answer as documented', async () => {
    // Act
    const put = await raw.api('PUT', `${raw.catalog}/reserves/10101`, {
      reserves: [
        { quantity: '2', orderId: 100001, erp: { orderId: '0f0e0d0c-1c7b-11ef-9a30-0800270bd002', number: 'ТД00-000018', date: '2025-03-01T12:00:00' } },
        { quantity: '5', erp: { number: 'ТД00-000003' } },
      ],
    });
    const list = await raw.api('GET', `${raw.catalog}/reserves?productIds=10101,10109`);
    const noIds = await raw.api('GET', `${raw.catalog}/reserves`);
    const unknownOrder = await raw.api('PUT', `${raw.catalog}/reserves/10101`, { reserves: [{ quantity: '1', orderId: 5 }] });
    const missingProduct = await raw.api('PUT', `${raw.catalog}/reserves/1`, { reserves: [] });

    // Assess
    assert.deepEqual([put.status, list.status, noIds.status, unknownOrder.status, missingProduct.status], [200, 200, 400, 422, 404]);
    assert.deepEqual(list.body.items.map((i: { reserves: { source: string }[] }) => i.reserves.map((r) => r.source)), [['integration', 'integration'], ['manual']]);
    assertClean();
  });

  test('faults answer as documented: 429 with Retry-After, 5xx, an expired token', async () => {
    // Prepare
    sandbox.faults.set({ rateLimitNext: 1, retryAfterSeconds: 3 });
    // Act
    const limited = await raw.api('GET', raw.catalog);
    sandbox.faults.set({ failNext: 1, errorStatus: 503 });
    const unavailable = await raw.api('GET', `${raw.catalog}/orders`);
    sandbox.faults.set({ failNext: 1, errorStatus: 500 });
    const internal = await raw.api('PATCH', `${raw.catalog}/orders/100001`, { expectedVersion: 1 });
    sandbox.faults.reset();
    sandbox.faults.expireTokens();
    const expired = await raw.api('GET', `${raw.catalog}/reserves?productIds=10101`);

    // Assess
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.deepEqual([unavailable.status, internal.status, expired.status], [503, 500, 401]);
    assert.equal(expired.body.error.code, 'token_expired');
    assertClean();
  });

  test('the client sends requests the contract accepts and reads every answer it gets', async () => {
    // Prepare
    const { client } = clientFor(sandbox, { fetch: contract.fetch(), pageSize: 2 });
    const order = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10108, quantity: 4 }] });
    contract.requestViolations.length = 0;

    // Act
    await client.catalog();
    for await (const _ of client.products({ ids: [10101, 10102, 10103] })) void _;
    for await (const _ of client.buyers({ inn: '7712345678' })) void _;
    await client.priceLists();
    for await (const _ of client.orders({ statuses: ['confirmed', 'in_progress'], changedSince: new Date(0) })) void _;
    await client.updateOrder(order.id, {
      expectedVersion: order.version,
      status: 'in_progress',
      erp: { orderId: '0f0e0d0c-1c7b-11ef-9a30-0800270bd003', number: 'ТД00-000019', date: '2025-03-01T13:00:00' },
      changeLines: [{ id: order.lines[0]!.id, price: '140.00', discountPercent: '5.00', cancelledQuantity: '1.000', cancelReason: 'Нет в наличии' }],
      addLines: [{ productId: 10105, quantity: '10.000', price: '35.00', erpLineId: '2' }],
    });
    await client.replaceIntegrationReserves(10108, [{ quantity: '3.000', orderId: order.id }, { quantity: '1.000', erp: { number: 'ТД00-000004' } }]);
    await client.reserves([10108, 10109]);

    // Assess
    assertClean();
    assert.deepEqual(contract.requestViolations, []);
  });

  test('every documented operation was exercised against the sandbox', () => {
    const missing = contract.operations.filter((op) => !contract.seen.has(`${op.id} 200`)).map((op) => op.id);
    assert.deepEqual(missing, []);
    for (const status of ['listOrders 400', 'getOrder 404', 'updateOrder 409', 'updateOrder 422', 'updateOrder 400', 'login 401', 'getCatalog 429', 'listOrders 5XX', 'listReserves 401']) {
      assert.ok(contract.seen.has(status), `${status} was not exercised`);
    }
  });
});
