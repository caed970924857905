/**
 * Credentials of the two systems, read by reference. A plan names secrets
 * (`goodwix.passwordSecret`, `onec.credentialsSecret`); the values live in AWS Secrets Manager
 * (or, locally, in a map or a file outside the repository) and never in the table, a log line
 * or an API answer. Errors name the reference, never the value.
 *
 * Secret formats:
 * * Goodwix password: the secret string is the password, or JSON `{"password": "…"}`.
 * * 1C credentials: JSON `{"login": "Обмен", "password": "…"}`.
 */
import { readFile } from 'node:fs/promises';
import { AppError } from '#platform/errors';
import * as z from '#platform/zod';

export interface ReadOptions {
  /**
   * Bypass the provider's cache: after a system refused the credentials, the secret may have
   * been rotated since it was cached.
   */
  readonly fresh?: boolean;
}

export interface SecretsProvider {
  /** The secret's string value; throws `SecretNotFoundError` / `SecretUnavailableError`. */
  getSecret(ref: string, options?: ReadOptions): Promise<string>;
}

/**
 * Whose secrets a read may touch: a plan reads only secrets named below
 * `<prefix><planId>/` (the deployment's prefix, `goodwix-1c-exchange/<stage>/` in AWS, then
 * the plan's id), so a plan can never name, and have sent elsewhere, another plan's secret.
 */
export interface SecretScope {
  /** The deployment's secrets name prefix, ending in `/` (`SECRETS_PREFIX`) */
  readonly prefix: string;
  readonly planId: string;
}

/** The name every secret of the plan starts with: `<prefix><planId>/`. */
export function planSecretsRoot(scope: SecretScope): string {
  return `${scope.prefix}${scope.planId}/`;
}

/** Whether `ref` names a secret of the scope's plan (a name below its root, not an ARN). */
export function isInScope(ref: string, scope: SecretScope): boolean {
  const root = planSecretsRoot(scope);
  return ref.length > root.length && ref.startsWith(root);
}

export interface OneCCredentials {
  readonly login: string;
  readonly password: string;
}

export abstract class SecretError extends AppError {}

export class SecretNotFoundError extends SecretError {
  readonly code = 'SECRET_NOT_FOUND';
  readonly retryable = false;
  constructor(ref: string, options: { cause?: unknown } = {}) {
    super(`Secret ${ref}: not found`, { ...options, context: { secret: ref } });
  }
}

/** The secret exists but does not hold what it should (e.g. 1C credentials without a login). */
export class SecretInvalidError extends SecretError {
  readonly code = 'SECRET_INVALID';
  readonly retryable = false;
  constructor(ref: string, expected: string) {
    super(`Secret ${ref}: expected ${expected}`, { context: { secret: ref } });
  }
}

/**
 * The function may not read this secret: the stack grants only the deployment's secret prefix
 * (`goodwix-1c-exchange/<stage>/…`, docs/deploy.md). Retrying cannot help; the plan must name a
 * secret under the prefix.
 */
export class SecretAccessDeniedError extends SecretError {
  readonly code = 'SECRET_ACCESS_DENIED';
  readonly retryable = false;
  constructor(ref: string, options: { cause?: unknown } = {}) {
    super(`Secret ${ref}: access denied; plans may only name secrets under the deployment's prefix (docs/deploy.md)`, { ...options, context: { secret: ref } });
  }
}

/** The plan names a secret outside its own (`<prefix><planId>/`): never read. */
export class SecretOutOfScopeError extends SecretError {
  readonly code = 'SECRET_OUT_OF_SCOPE';
  readonly retryable = false;
  constructor(ref: string, scope: SecretScope) {
    super(`Secret ${ref}: not one of plan ${scope.planId}'s secrets; a plan may only name secrets below ${planSecretsRoot(scope)}`, {
      context: { secret: ref, planId: scope.planId },
    });
  }
}

/** Secrets Manager could not be reached or refused for now (throttling, network, 5xx). */
export class SecretUnavailableError extends SecretError {
  readonly code = 'SECRET_UNAVAILABLE';
  readonly retryable = true;
  constructor(ref: string, options: { cause?: unknown } = {}) {
    super(`Secret ${ref}: could not be read`, { ...options, context: { secret: ref } });
  }
}

const oneCCredentialsSchema = z.object({
  login: z.string().check(z.minLength(1)),
  password: z.string(),
});

const passwordObjectSchema = z.object({ password: z.string().check(z.minLength(1)) });

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** Reads a plan's secret; one outside the plan's scope is refused before any read. */
async function readScoped(secrets: SecretsProvider, ref: string, scope: SecretScope, options: ReadOptions): Promise<string> {
  if (!isInScope(ref, scope)) throw new SecretOutOfScopeError(ref, scope);
  return secrets.getSecret(ref, options);
}

export async function getGoodwixPassword(secrets: SecretsProvider, ref: string, scope: SecretScope, options: ReadOptions = {}): Promise<string> {
  const value = await readScoped(secrets, ref, scope, options);
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) {
    const parsed = passwordObjectSchema.safeParse(parseJson(trimmed));
    if (!parsed.success) throw new SecretInvalidError(ref, 'the password, or JSON {"password": "…"}');
    return parsed.data.password;
  }
  if (value === '') throw new SecretInvalidError(ref, 'the password, or JSON {"password": "…"}');
  return value;
}

export async function getOneCCredentials(secrets: SecretsProvider, ref: string, scope: SecretScope, options: ReadOptions = {}): Promise<OneCCredentials> {
  const parsed = oneCCredentialsSchema.safeParse(parseJson(await readScoped(secrets, ref, scope, options)));
  if (!parsed.success) throw new SecretInvalidError(ref, 'JSON {"login": "…", "password": "…"}');
  return parsed.data;
}

/** In-memory secrets for the local runtime and tests. */
export class LocalSecretsProvider implements SecretsProvider {
  readonly #values: Map<string, string>;

  constructor(values: Readonly<Record<string, string | object>> = {}) {
    this.#values = new Map(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }

  /** A JSON file `{ "<ref>": "<string>" | { …object stored as JSON… } }`, e.g. `.local/secrets.json`. */
  static async fromFile(path: string): Promise<LocalSecretsProvider> {
    const content = JSON.parse(await readFile(path, 'utf8')) as unknown;
    const parsed = z.record(z.string(), z.union([z.string(), z.record(z.string(), z.unknown())])).parse(content);
    return new LocalSecretsProvider(parsed);
  }

  set(ref: string, value: string | object): void {
    this.#values.set(ref, typeof value === 'string' ? value : JSON.stringify(value));
  }

  delete(ref: string): void {
    this.#values.delete(ref);
  }

  /** Always the current value: there is no cache to bypass. */
  async getSecret(ref: string, _options?: ReadOptions): Promise<string> {
    const value = this.#values.get(ref);
    if (value === undefined) throw new SecretNotFoundError(ref);
    return value;
  }
}
