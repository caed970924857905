/**
 * Secrets Manager through Powertools Parameters, cached in the execution environment: a warm
 * Lambda reads each secret at most once per `maxAgeSeconds` (default 5 minutes, not per request),
 * or at once when asked `fresh` (the credentials were just refused: the secret may have rotated).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider as PowertoolsSecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretAccessDeniedError, SecretNotFoundError, SecretUnavailableError, type ReadOptions, type SecretsProvider } from '#secrets/secrets';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['secretsmanager:GetSecretValue'] as const;

export interface AwsSecretsOptions {
  /** Cache lifetime in seconds; at least 300 unless a test says otherwise. */
  readonly maxAgeSeconds?: number;
  readonly client?: SecretsManagerClient;
}

export class AwsSecretsProvider implements SecretsProvider {
  readonly #client: SecretsManagerClient | undefined;
  #powertools: PowertoolsSecretsProvider | undefined;
  readonly #maxAge: number;

  constructor(options: AwsSecretsOptions = {}) {
    this.#client = options.client;
    this.#maxAge = options.maxAgeSeconds ?? 300;
  }

  /** Built on the first read, not at module init: a function may serve many requests that read no secret. */
  get #provider(): PowertoolsSecretsProvider {
    this.#powertools ??= new PowertoolsSecretsProvider({ awsSdkV3Client: this.#client ?? new SecretsManagerClient({}) });
    return this.#powertools;
  }

  async getSecret(ref: string, options: ReadOptions = {}): Promise<string> {
    let value: unknown;
    try {
      // `fresh`: read through to Secrets Manager (and cache the answer) after a refusal.
      value = await this.#provider.get(ref, { maxAge: this.#maxAge, ...(options.fresh ? { forceFetch: true } : {}) });
    } catch (error) {
      const cause = (error as { cause?: { name?: string } }).cause ?? error;
      const name = (cause as { name?: string }).name;
      if (name === 'ResourceNotFoundException') throw new SecretNotFoundError(ref, { cause: stripMessage(cause) });
      if (name === 'AccessDeniedException') throw new SecretAccessDeniedError(ref, { cause: stripMessage(cause) });
      throw new SecretUnavailableError(ref, { cause: stripMessage(cause) });
    }
    if (typeof value !== 'string') throw new SecretNotFoundError(ref);
    return value;
  }
}

/** Keep the SDK error's name only: nothing of a secret may travel in a cause. */
function stripMessage(error: unknown): { name: string } {
  return { name: (error as { name?: string }).name ?? 'Error' };
}
