/**
 * Decimals into 1C's Edm.Double, over random decimal strings: every value the writer accepts
 * comes back from the double exactly, and every value it refuses really does not fit the field
 * (1C UT 11: money Число(15,2), quantity Число(15,3), percent Число(5,2)). The oracle below
 * reads the digits off the string and shares no code with the writer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Big } from '#core/decimal';
import { OneCInvalidArgumentError } from '#onec/errors';
import { writeValue } from '#onec/values';

const fields = [
  { kind: 'money', digits: 15, scale: 2 },
  { kind: 'quantity', digits: 15, scale: 3 },
  { kind: 'percent', digits: 5, scale: 2 },
] as const;

/** Whether `text` fits Число(digits, scale): significant digits before and after the point. */
function fits(text: string, digits: number, scale: number): boolean {
  const [whole = '', fraction = ''] = text.replace(/^-/, '').split('.');
  const before = whole.replace(/^0+/, '');
  const after = fraction.replace(/0+$/, '');
  return before.length <= digits - scale && after.length <= scale;
}

const digitString = (min: number, max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));

/** Decimal strings of up to 20 digits before the point and 6 after, often near the limits. */
const decimalText = fc
  .tuple(fc.boolean(), fc.oneof(digitString(1, 20), fc.constantFrom('9999999999999', '10000000000000', '999', '1000', '999999999999')), fc.option(digitString(1, 6), { nil: undefined }))
  .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}`);

for (const field of fields) {
  test(`${field.kind}: accepted values round-trip exactly through the double, refused ones do not fit Число(${field.digits},${field.scale})`, () => {
    fc.assert(
      fc.property(decimalText, (text) => {
        let written: unknown;
        try {
          written = writeValue(field.kind, text, 'Товары.Поле');
        } catch (error) {
          assert.ok(error instanceof OneCInvalidArgumentError, String(error));
          assert.equal(fits(text, field.digits, field.scale), false, `${text} fits Число(${field.digits},${field.scale}) yet was refused`);
          return;
        }
        assert.equal(typeof written, 'number');
        assert.ok(Number.isFinite(written as number));
        assert.ok(fits(text, field.digits, field.scale), `${text} does not fit Число(${field.digits},${field.scale}) yet was written as ${String(written)}`);
        // What 1C reads back from the JSON number, at the field's scale, is exactly what we sent.
        const back = new Big(JSON.parse(JSON.stringify(written)) as number).round(field.scale, Big.roundHalfUp);
        assert.ok(back.eq(new Big(text)), `${text} came back as ${back.toFixed(field.scale)}`);
      }),
      { numRuns: 2000 },
    );
  });
}
