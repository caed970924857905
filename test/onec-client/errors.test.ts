import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  errorFromResponse, OneCAuthError, OneCBadRequestError, OneCBusinessError, type OneCError, OneCInvalidResponseError,
  OneCLockConflictError, OneCNotFoundError, OneCPostingRefusedError, OneCUnavailableError, type RequestDescription,
} from '#onec/errors';
import { AppError, isRetryable } from '#platform/errors';

const request = { method: 'GET', resource: "Document_ЗаказКлиента(guid'8d1d7287-6240-11f1-9296-08002761f3c5')", entitySet: 'Document_ЗаказКлиента' };

function odataError(code: string, value: string) {
  return { 'odata.error': { code, message: { lang: 'ru', value } } };
}

describe('1C error mapping', () => {
  const cases: [string, number, unknown, new (...a: never[]) => OneCError, string, boolean][] = [
    ['code 9', 404, odataError('9', 'Экземпляр сущности не найден'), OneCNotFoundError, 'ONEC_NOT_FOUND', false],
    ['code 1', 400, odataError('1', 'Невозможно преобразовать значение'), OneCBadRequestError, 'ONEC_BAD_REQUEST', false],
    ['code 6', 400, odataError('6', 'Сегмент пути "Foo" не найден!'), OneCBadRequestError, 'ONEC_BAD_REQUEST', false],
    ['code 14', 400, odataError('14', 'Ошибка разбора выражения $filter'), OneCBadRequestError, 'ONEC_BAD_REQUEST', false],
    ['code -1 to a write', 500, odataError('-1', 'Не удалось записать: Заказ клиента'), OneCBusinessError, 'ONEC_REFUSED', false],
    ['code -1 to a read', 500, odataError('-1', 'Внутренняя ошибка'), OneCUnavailableError, 'ONEC_UNAVAILABLE', true],
    ['code -1 for a lost session', 500, odataError('-1', 'Сеанс отсутствует или удален'), OneCUnavailableError, 'ONEC_UNAVAILABLE', true],
    ['a lock conflict', 500, odataError('-1', 'Конфликт блокировок при выполнении транзакции'), OneCLockConflictError, 'ONEC_LOCK_CONFLICT', true],
    ['401', 401, undefined, OneCAuthError, 'ONEC_AUTH', false],
    ['403 with a body', 403, odataError('-1', 'Нет прав'), OneCAuthError, 'ONEC_AUTH', false],
    ['500 without a body', 500, undefined, OneCUnavailableError, 'ONEC_UNAVAILABLE', true],
    ['503', 503, undefined, OneCUnavailableError, 'ONEC_UNAVAILABLE', true],
    ['429', 429, undefined, OneCUnavailableError, 'ONEC_UNAVAILABLE', true],
    ['404 without a body', 404, undefined, OneCNotFoundError, 'ONEC_NOT_FOUND', false],
  ];
  for (const [name, status, body, type, code, retryable] of cases) {
    test(`maps ${name} to ${code}${retryable ? ' (retryable)' : ' (permanent)'}`, () => {
      // Act
      const error = errorFromResponse({ ...request, method: name.includes('read') ? 'GET' : 'PATCH' }, status, body);
      // Assess
      assert.ok(error instanceof type, `${error.constructor.name} is not ${type.name}`);
      assert.ok(error instanceof AppError);
      assert.equal(error.code, code);
      assert.equal(error.retryable, retryable);
      assert.equal(isRetryable(error), retryable);
      assert.equal(error.status, status);
    });
  }

  test('maps 1C\'s answer to a malformed JSON body (500, code -1) to a permanent bad request, for a create, an update and a posting', () => {
    // Prepare: real 1C answers an unparsable body with 500 and code -1, like a handler's refusal
    const body = odataError('-1', 'Непредвиденный символ при чтении JSON');
    const requests: RequestDescription[] = [{ ...request, method: 'POST' }, { ...request, method: 'PATCH' }, { ...request, method: 'POST', posting: 'post' }];
    for (const r of requests) {
      // Act
      const error = errorFromResponse(r, 500, body);
      // Assess: our request is wrong, repeating it cannot help; not a business refusal of the order either
      assert.ok(error instanceof OneCBadRequestError, `${r.method}${r.posting ? ' post' : ''}: ${error.constructor.name}`);
      assert.equal(error.retryable, false);
      assert.equal(error.oneCCode, '-1');
      assert.match(error.message, /malformed JSON/);
    }
  });

  test('keeps 1C\'s code and Russian message, in the fields and in the context', () => {
    // Act
    const error = errorFromResponse({ ...request, method: 'POST', posting: 'post' }, 500,
      odataError('-1', 'Недостаточно свободного остатка товара «Уровень строительный 600 мм»'));
    // Assess
    assert.ok(error instanceof OneCPostingRefusedError);
    assert.equal(error.code, 'ONEC_POSTING_REFUSED');
    assert.equal(error.oneCCode, '-1');
    assert.equal(error.oneCMessage, 'Недостаточно свободного остатка товара «Уровень строительный 600 мм»');
    assert.equal(error.context.oneCMessage, error.oneCMessage);
    assert.match(error.message, /1C refused to post: Недостаточно свободного остатка/);
    assert.deepEqual(Object.keys(error.toJSON()), ['code', 'message', 'retryable', 'context']);
  });

  test('redacts the password if 1C ever echoes it', () => {
    const error = errorFromResponse(request, 500, odataError('-1', 'login failed for secret-pw'), { redact: (t) => t.replaceAll('secret-pw', '***') });
    assert.doesNotMatch(JSON.stringify(error.toJSON()), /secret-pw/);
  });

  test('an invalid (non-JSON) answer is retryable only for 5xx', () => {
    assert.equal(new OneCInvalidResponseError('x', { status: 502 }).retryable, true);
    assert.equal(new OneCInvalidResponseError('x', { status: 404 }).retryable, false);
    assert.equal(new OneCInvalidResponseError('x').retryable, false);
  });
});
