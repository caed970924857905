import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFieldMapping, parseMetadata } from '#onec/metadata';
import { catalogSpecs, exchangeFunctions, freeStockRegisterSpec, orderSpec, reserveRegisterSpec, shipmentRowSetSpec, shipmentSpec } from '#onec/fields';
import { exchangeMapping } from '#onec/trade';
import { OneCInvalidResponseError } from '#onec/errors';
import { xmlTags } from '#onec/xml';
import { basicAuth, startOneCSandbox } from '#local/onec/sandbox';
import { readRecording, recordingsDir, RECORDINGS_MISSING } from '#test/recordings';

const skipReal = recordingsDir() ? false : RECORDINGS_MISSING;

/** What the recorded publication (msg001) publishes of what the exchange needs. */
const publishedInRecording = {
  entities: [orderSpec, shipmentSpec, shipmentRowSetSpec, catalogSpecs.counterparties, catalogSpecs.products],
  functions: exchangeFunctions,
};

/** Applies `edit` to the text of one <EntityType>/<ComplexType> element of the document. */
function editType(xml: string, typeName: string, edit: (block: string) => string): string {
  for (const tag of ['EntityType', 'ComplexType']) {
    const start = xml.indexOf(`<${tag} Name="${typeName}"`);
    if (start < 0) continue;
    const end = xml.indexOf(`</${tag}>`, start);
    return xml.slice(0, start) + edit(xml.slice(start, end)) + xml.slice(end);
  }
  throw new Error(`no type ${typeName}`);
}

function dropProperty(block: string, name: string): string {
  return block.replace(new RegExp(`<Property Name="${name}"[^>]*/>`, 's'), '');
}

describe('$metadata check', { skip: skipReal }, () => {
  test('passes on the real UT $metadata for everything that publication publishes', () => {
    // Prepare
    const xml = readRecording('msg001_metadata.xml');
    // Act
    const problems = checkFieldMapping(xml, publishedInRecording);
    // Assess
    assert.deepEqual(problems, []);
  });

  test('names the catalogs and register the recorded publication does not publish', () => {
    // Act
    const problems = checkFieldMapping(readRecording('msg001_metadata.xml'), exchangeMapping);
    // Assess: only whole entity sets are missing, no field of a published one
    assert.ok(problems.length > 0);
    assert.ok(problems.every((p) => p.kind === 'entity-set-missing'), problems.map((p) => p.message).join('\n'));
    const missing = problems.map((p) => p.entity);
    assert.ok(missing.includes('Catalog_СтавкиНДС'));
    assert.ok(missing.includes('AccumulationRegister_ТоварыКОтгрузке'));
    assert.ok(!missing.includes('Document_ЗаказКлиента'));
  });

  test('reports each missing, renamed or retyped field by name on a doctored copy', () => {
    // Prepare: an "older UT" without СтавкаНДС_Key in the rows, a retyped quantity, a renamed header field
    let xml = readRecording('msg001_metadata.xml');
    xml = editType(xml, 'Document_ЗаказКлиента_Товары_RowType', (b) => dropProperty(b, 'СтавкаНДС_Key')
      .replace(/(<Property Name="Количество"\s+Type=")Edm\.Double"/, '$1Edm.String"'));
    xml = editType(xml, 'Document_ЗаказКлиента', (b) => b.replace('Name="НомерПоДаннымКлиента"', 'Name="мк_НомерПоДаннымКлиента"'));
    xml = editType(xml, 'Document_РеализацияТоваровУслуг', (b) => dropProperty(b, 'ЗаказКлиента_Type'));
    // Act
    const messages = checkFieldMapping(xml, publishedInRecording).map((p) => p.message);
    // Assess
    assert.deepEqual(messages.sort(), [
      'Document_ЗаказКлиента.НомерПоДаннымКлиента: missing (this base has мк_НомерПоДаннымКлиента)',
      'Document_ЗаказКлиента_Товары.СтавкаНДС_Key: missing (this base has УдалитьСтавкаНДС)',
      'Document_ЗаказКлиента_Товары.Количество: is Edm.String, expected Edm.Double (quantity)',
      'Document_РеализацияТоваровУслуг.ЗаказКлиента_Type: missing',
    ].sort());
  });

  test('reports a missing tabular section and a missing bound function', () => {
    // Prepare
    let xml = readRecording('msg001_metadata.xml');
    xml = editType(xml, 'Document_РеализацияТоваровУслуг', (b) => b.replace(/<Property Name="Товары"[^>]*\/>/s, ''));
    xml = xml.replace(/<FunctionImport Name="Unpost"(?:(?!<\/FunctionImport>).)*StandardODATA\.Document_ЗаказКлиента"\/>\s*<Parameter[^>]*\/>\s*<\/FunctionImport>/s, '');
    // Act
    const messages = checkFieldMapping(xml, publishedInRecording).map((p) => p.message);
    // Assess
    assert.deepEqual(messages.sort(), [
      'Document_ЗаказКлиента/Unpost: bound function missing',
      'Document_РеализацияТоваровУслуг.Товары: tabular section missing',
    ]);
  });

  test('parses the real $metadata into entity sets, types and bound functions', () => {
    // Act
    const meta = parseMetadata(readRecording('msg001_metadata.xml'));
    // Assess
    assert.equal(meta.namespace, 'StandardODATA');
    assert.equal(meta.entitySets.get('Document_ЗаказКлиента'), 'Document_ЗаказКлиента');
    assert.deepEqual(meta.entityTypes.get('Document_ЗаказКлиента')?.properties.get('Товары'), {
      type: 'Collection(Document_ЗаказКлиента_Товары_RowType)', nullable: true,
    });
    assert.equal(meta.complexTypes.get('Document_ЗаказКлиента_Товары_RowType')?.properties.get('КодСтроки')?.type, 'Edm.Int64');
    const post = meta.functions.find((f) => f.name === 'Post' && f.bindingType === 'Document_ЗаказКлиента');
    assert.equal(post?.parameters.get('PostingModeOperational'), 'Edm.Boolean');
  });
});

describe('XML tokenizer', () => {
  test('skips prolog, comments, CDATA and DOCTYPE and decodes attribute entities', () => {
    // Prepare
    const xml = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><!-- <Fake/> --><a:Root x='1 &amp; 2' y="&#1044;&#x41;">
      <![CDATA[<NotATag/>]]><Leaf Name="&lt;&quot;&apos;&gt;"/></a:Root>`;
    // Act
    const tags = [...xmlTags(xml)];
    // Assess
    assert.deepEqual(tags, [
      { kind: 'start', name: 'Root', attributes: { x: '1 & 2', y: 'ДA' }, selfClosing: false },
      { kind: 'start', name: 'Leaf', attributes: { Name: `<"'>` }, selfClosing: true },
      { kind: 'end', name: 'Root' },
    ]);
  });

  test('rejects a document that is not CSDL or not XML with a clear error', () => {
    assert.throws(() => parseMetadata('<html><body>502 Bad Gateway</body></html>'), OneCInvalidResponseError);
    assert.throws(() => parseMetadata('<Schema Namespace="x"><EntityType Name="a'), /not well-formed/);
  });
});

describe('$metadata check against the 1C sandbox', () => {
  test('finds the reserve and free-stock registers with the live UT 11 dimensions and resources', async (t) => {
    // Prepare
    const onec = await startOneCSandbox();
    t.after(() => onec.close());
    const xml = await (await fetch(`${onec.baseUrl}$metadata`, { headers: { authorization: basicAuth(onec.login, onec.password) } })).text();
    // Act
    const problems = checkFieldMapping(xml, { ...exchangeMapping, registers: [reserveRegisterSpec, freeStockRegisterSpec] });
    // Assess
    assert.deepEqual(problems, []);
  });
});
