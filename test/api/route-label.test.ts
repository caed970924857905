import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { routeLabel } from '#functions/api/routes';

describe('the route label of the api logs', () => {
  test('names the matched route by its pattern, never by the ids in the path', () => {
    // Act
    const label = routeLabel({ method: 'POST', segments: ['plans', 'acme-tools', 'orders', '100042', 'resync'] });
    // Assess
    assert.equal(label, 'POST /plans/{planId}/orders/{orderId}/resync');
  });

  test('gives one label per route whatever the ids', () => {
    const a = routeLabel({ method: 'GET', segments: ['plans', 'a', 'runs', '01J0000000000000000000000A'] });
    const b = routeLabel({ method: 'GET', segments: ['plans', 'b', 'runs', '01J0000000000000000000000B'] });
    assert.equal(a, b);
    assert.equal(a, 'GET /plans/{planId}/runs/{runId}');
  });

  test('calls a path no route matches unmatched, keeping the caller\'s text out of the logs', () => {
    const label = routeLabel({ method: 'GET', segments: ['plans', 'p', 'secrets', 'x'.repeat(500)] });
    assert.equal(label, 'GET unmatched');
  });
});
