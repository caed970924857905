/**
 * Errors of the 1C sandbox. An `ODataError` becomes 1C's error body:
 * `{"odata.error":{"code":"<n>","message":{"lang":"ru","value":"<text>"}}}` with the HTTP status
 * real 1C pairs with that code.
 */
import { AppError } from '#platform/errors';

export abstract class OneCSandboxError extends AppError {}

/** 1C's OData error codes and the HTTP statuses they come with. */
export const ODATA_CODES = {
  /** internal error or a configuration handler's message (posting, writing) */
  internal: { code: '-1', status: 500 },
  /** a value cannot be parsed (bad guid, number, date, enum) */
  badValue: { code: '1', status: 400 },
  /** unknown path segment, field or method */
  unknownSegment: { code: '6', status: 400 },
  /** the entity does not exist */
  notFound: { code: '9', status: 404 },
  /** $filter syntax */
  filterSyntax: { code: '14', status: 400 },
} as const;

export type ODataCodeName = keyof typeof ODATA_CODES;

export class ODataError extends OneCSandboxError {
  readonly code: string;
  readonly retryable: boolean;
  readonly status: number;
  readonly odataCode: string;

  constructor(kind: ODataCodeName, message: string) {
    super(message, { context: { odataCode: ODATA_CODES[kind].code } });
    this.odataCode = ODATA_CODES[kind].code;
    this.status = ODATA_CODES[kind].status;
    this.code = `ONEC_SANDBOX_ODATA_${this.odataCode}`;
    this.retryable = this.status >= 500;
  }

  body(): { 'odata.error': { code: string; message: { lang: 'ru'; value: string } } } {
    return { 'odata.error': { code: this.odataCode, message: { lang: 'ru', value: this.message } } };
  }
}

export const badValue = (message: string): ODataError => new ODataError('badValue', message);
export const unknownSegment = (segment: string): ODataError =>
  new ODataError('unknownSegment', `Сегмент пути "${segment}" не найден!`);
export const notFound = (): ODataError => new ODataError('notFound', 'Экземпляр сущности не найден');
export const filterSyntax = (detail: string): ODataError =>
  new ODataError('filterSyntax', `Ошибка разбора выражения $filter: ${detail}`);
export const internal = (message: string): ODataError => new ODataError('internal', message);
