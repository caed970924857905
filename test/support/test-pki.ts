/**
 * Certificates made at test time with the `openssl` binary (Node cannot sign certificates): a
 * CA of the supplier's own and a server certificate for 127.0.0.1 issued by it, valid for a
 * day. Nothing is committed, so nothing expires in the repository. Tests skip, naming the
 * reason, when `openssl` is absent (`opensslMissing`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  /** PEM of the CA certificate: what a plan's `onec.caBundle` holds. */
  readonly cert: string;
  /** A server certificate (and its key) for 127.0.0.1 issued by this CA. */
  issueServer(name: string): { key: string; cert: string };
  close(): void;
}

/** Why TLS tests cannot run here, or undefined when they can. */
export const opensslMissing: string | undefined = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'the openssl binary is not installed: the test certificates cannot be made';
  }
})();

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A new CA (EC P-256, one day) in a temporary folder, removed by `close()`. */
export function createTestCa(commonName: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'gw1c-pki-'));
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1',
    '-subj', `/O=Test supplier/CN=${commonName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let serial = 0;
  return {
    cert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    issueServer(name) {
      serial += 1;
      const base = `server-${serial}`;
      writeFileSync(join(dir, `${base}.ext`), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n');
      openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`]);
      openssl(dir, ['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(1000 + serial), '-days', '1', '-out', `${base}.crt`, '-extfile', `${base}.ext`]);
      return { key: readFileSync(join(dir, `${base}.key`), 'utf8'), cert: readFileSync(join(dir, `${base}.crt`), 'utf8') };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
