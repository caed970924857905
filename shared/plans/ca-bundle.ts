/**
 * A plan's `onec.caBundle`: the PEM certificate(s) of the CA that issued the 1C publication's
 * certificate, for a supplier whose publication is not signed by a public CA. The 1C client of
 * that plan trusts them (and only them) for that publication (`#onec/client`, `ca`).
 *
 * Kept in the plan, not in a secret: a CA certificate is public by design (it is sent in every
 * handshake), the operator sees in the plan which CA is trusted, and a secret would only add a
 * read, a grant and a cost. What would be a secret — a private key — is refused.
 */
import { X509Certificate } from 'node:crypto';
import * as z from '#platform/zod';

/** Longest bundle accepted: a root and intermediates are a few KiB; the plan item stays small. */
export const CA_BUNDLE_MAX_LENGTH = 32_768;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** What is wrong with a bundle, for people; undefined when it is one or more PEM certificates and nothing else. */
export function caBundleProblem(text: string): string | undefined {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) return 'holds a private key: only the CA certificate belongs in a plan (and the key nowhere near it)';
  const blocks = [...text.matchAll(BLOCK)];
  if (blocks.length === 0) return 'expected PEM certificates: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----';
  const rest = text.replace(BLOCK, '').trim();
  if (rest !== '') return 'expected PEM certificates and nothing else between them';
  for (const [index, block] of blocks.entries()) {
    if (block[1] !== 'CERTIFICATE') return `block ${index + 1} is a ${block[1]}, not a CERTIFICATE`;
    try {
      new X509Certificate(block[0]);
    } catch {
      return `certificate ${index + 1} is not a readable X.509 certificate`;
    }
  }
  return undefined;
}

export const caBundleSchema = z.string().check(
  z.maxLength(CA_BUNDLE_MAX_LENGTH, `expected at most ${CA_BUNDLE_MAX_LENGTH} characters of PEM certificates`),
  (ctx) => {
    const problem = caBundleProblem(ctx.value);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  },
);
