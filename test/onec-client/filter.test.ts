import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { and, cast, datetime, decimal, eq, ge, guid, isFilter, lt, ne, not, or, render, substringof } from '#onec/filter';
import { OneCInvalidArgumentError } from '#onec/errors';

const REF = '8d1d7287-6240-11f1-9296-08002761f3c5';

describe('$filter builder', () => {
  test('quotes strings with single quotes doubled so a value cannot end the literal', () => {
    // Prepare
    const hostile = "GW-1' or 1 eq 1 or Number eq '";
    // Act
    const text = render(eq('НомерПоДаннымКлиента', hostile));
    // Assess
    assert.equal(text, "НомерПоДаннымКлиента eq 'GW-1'' or 1 eq 1 or Number eq '''");
  });

  test('writes guids, dates, numbers and booleans as 1C literals', () => {
    assert.equal(render(eq('Ref_Key', guid(REF.toUpperCase()))), `Ref_Key eq guid'${REF}'`);
    assert.equal(render(ge('Date', datetime('2024-05-31'))), "Date ge datetime'2024-05-31T00:00:00'");
    assert.equal(render(lt('Date', datetime('2024-05-31T13:45'))), "Date lt datetime'2024-05-31T13:45:00'");
    assert.equal(render(eq('Количество', 1e-7)), 'Количество eq 0.0000001');
    assert.equal(render(eq('Сумма', 1e21)), 'Сумма eq 1000000000000000000000');
    assert.equal(render(eq('Цена', decimal('5490.50'))), 'Цена eq 5490.50');
    assert.equal(render(ne('Posted', false)), 'Posted ne false');
  });

  test('casts a guid for composite-typed fields', () => {
    assert.equal(
      render(eq('ЗаказКлиента', cast(REF, 'Document_ЗаказКлиента'))),
      `ЗаказКлиента eq cast(guid'${REF}', 'Document_ЗаказКлиента')`,
    );
  });

  test('parenthesises compound operands and leaves simple ones bare', () => {
    // Prepare
    const a = eq('Posted', true);
    const b = or(eq('Ref_Key', guid(REF)), eq('Number', 'A-1'));
    // Act
    const text = render(and(a, b, not(eq('DeletionMark', true))));
    // Assess
    assert.equal(text, `Posted eq true and (Ref_Key eq guid'${REF}' or Number eq 'A-1') and (not DeletionMark eq true)`);
    assert.equal(render(or(a)), 'Posted eq true');
  });

  test('substringof quotes its needle', () => {
    assert.equal(render(substringof("O'Brien", 'Description')), "substringof('O''Brien', Description)");
  });

  test('refuses malformed guids, dates, decimals, numbers, field names and foreign filters', () => {
    const refused = (fn: () => unknown) => assert.throws(fn, OneCInvalidArgumentError);
    refused(() => guid("8d1d7287-6240-11f1-9296-08002761f3c5' or '1"));
    refused(() => guid('not-a-guid'));
    refused(() => datetime("2024-05-31' or 1 eq 1"));
    refused(() => datetime('2024-02-30'));
    refused(() => datetime('2024-05-31T25:00:00'));
    refused(() => decimal('1e5'));
    refused(() => eq('Сумма', Number.NaN));
    refused(() => eq('Ref_Key eq Ref_Key or Number', 'x'));
    refused(() => eq("Number'", 'x'));
    refused(() => cast(REF, "Document_X', 'Y"));
    refused(() => and());
    refused(() => and({ text: '1 eq 1', compound: false } as never));
    refused(() => eq('Number', { text: "'x' or 1 eq 1" } as never));
  });

  test('only the builder makes filters', () => {
    assert.equal(isFilter(eq('Number', 'x')), true);
    assert.equal(isFilter({ text: 'Number eq 1', compound: false }), false);
  });
});
