import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as z from '#platform/zod';
import { describeZodError } from '#platform/zod';

test('zod errors name the field path and speak English', () => {
  const schema = z.object({ schedule: z.object({ every: z.number().check(z.positive()) }) });
  const result = schema.safeParse({ schedule: { every: -1 } });
  assert.equal(result.success, false);
  assert.deepEqual(describeZodError(result.error!, 'plan'), ['plan.schedule.every: Too small: expected number to be >0']);
});
