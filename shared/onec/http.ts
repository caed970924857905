/**
 * One HTTP exchange with 1C over `node:http`/`node:https`: no dependency, a hard time limit on
 * the whole exchange (connect, send, headers, body), and a record of how far it got, which is
 * what decides whether a failed POST may have created something in 1C:
 *
 * - not connected → nothing reached 1C (refused, DNS, connect timeout, a TLS handshake that
 *   failed or never finished — the request is written only after it): safe to repeat anything;
 * - connected → the request may have been read and executed, even if no byte came back.
 *
 * A certificate the handshake refuses is told apart (`certificate`): it is a configuration
 * problem, not an outage.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly timeoutMs: number;
  readonly agent: http.Agent | false;
  readonly maxResponseBytes: number;
  readonly signal?: AbortSignal;
  /** PEM CA certificates that replace the public roots for this request (https only): the plan's `onec.caBundle`. */
  readonly ca?: string;
}

/**
 * OpenSSL's and Node's codes for a server certificate the client refused (untrusted issuer,
 * self-signed, wrong host, expired, revoked, unusable).
 */
const CERTIFICATE_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE', 'CERT_CHAIN_TOO_LONG', 'INVALID_CA', 'INVALID_PURPOSE', 'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Why an exchange ended without a complete response, and how far it had got. */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'network' | 'too-large' | 'aborted' | 'certificate',
    /** A connection to the server was established (the request may have been executed). */
    readonly connected: boolean,
    /** Response headers had arrived before the failure. */
    readonly responseStarted: boolean,
    readonly errorCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpFailure';
  }
}

export function sendHttp(request: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const lib = request.url.protocol === 'https:' ? https : http;
    let connected = false;
    let responseStarted = false;
    let settled = false;
    let failure: HttpFailure | undefined;

    const headers: Record<string, string> = { ...request.headers };
    if (request.body) headers['Content-Length'] = String(request.body.length);

    const tls = request.url.protocol === 'https:' && request.ca !== undefined ? { ca: request.ca } : {};
    const req = lib.request(request.url, { method: request.method, headers, agent: request.agent, ...tls });

    const fail = (f: HttpFailure): void => {
      if (settled) return;
      failure ??= f;
      req.destroy(f);
    };
    const finish = (error: unknown, response?: HttpResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      if (response) {
        resolve(response);
        return;
      }
      if (failure) {
        reject(failure);
        return;
      }
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      const reason = code !== undefined && CERTIFICATE_ERRORS.has(code) ? 'certificate' : 'network';
      reject(new HttpFailure(`${(error as Error | undefined)?.message ?? 'connection failed'}${code ? ` (${code})` : ''}`, reason, connected, responseStarted, code, { cause: error }));
    };

    const timer = setTimeout(() => {
      fail(new HttpFailure(`no complete answer within ${request.timeoutMs} ms`, 'timeout', connected, responseStarted, undefined));
    }, request.timeoutMs);
    const onAbort = (): void => fail(new HttpFailure('aborted by the caller', 'aborted', connected, responseStarted, undefined));
    if (request.signal?.aborted) onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('socket', (socket) => {
      // A kept-alive socket is already connected; a new one connects and, for TLS, must finish
      // the handshake before a byte of the request can go out.
      if (!socket.connecting) connected = true;
      else socket.once(lib === https ? 'secureConnect' : 'connect', () => { connected = true; });
    });
    req.on('error', (error) => finish(error));
    req.on('response', (res) => {
      responseStarted = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > request.maxResponseBytes) {
          fail(new HttpFailure(`answer larger than ${request.maxResponseBytes} bytes`, 'too-large', connected, true, undefined));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error) => finish(error));
      res.on('aborted', () => finish(new Error('the connection closed before the answer was complete')));
      res.on('end', () => {
        if (!res.complete) return finish(new Error('the connection closed before the answer was complete'));
        finish(undefined, {
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          headers: res.headers,
          body: Buffer.concat(chunks),
        });
      });
    });
    req.end(request.body);
  });
}
