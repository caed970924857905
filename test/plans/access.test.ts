import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planAccessIssues, type PlanAccess, type PlanConnections } from '#plans/access';

const access: PlanAccess = { secretsPrefix: 'local/', allowPlainHttp: false, allowedHosts: null };

describe('plan access rules, checked again before connecting', () => {
  test('refuses a base URL that carries credentials in a plan that did not go through the schema, without repeating them', () => {
    // Prepare: a plan built by hand (or stored before the schema refused credentials).
    const plan: PlanConnections = {
      id: 'alfa',
      goodwix: { baseUrl: 'https://supplier:Pa55-w0rd-gw@pub.goodwix.com', passwordSecret: 'local/alfa/goodwix-password' },
      onec: { baseUrl: 'https://onec-user-5e8a@erp.example/trade/odata/standard.odata/', credentialsSecret: 'local/alfa/onec-credentials' },
    };
    // Act
    const issues = planAccessIssues(plan, access);
    // Assess
    assert.deepEqual(issues, [
      "plan.goodwix.baseUrl: must not carry credentials: put them in the plan's secrets (docs/plans.md)",
      "plan.onec.baseUrl: must not carry credentials: put them in the plan's secrets (docs/plans.md)",
    ]);
    const said = issues.join('\n');
    for (const secret of ['supplier', 'Pa55-w0rd-gw', 'onec-user-5e8a']) assert.ok(!said.includes(secret), `${secret} was repeated: ${said}`);
  });
});
