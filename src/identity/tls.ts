/**
 * The server's TLS material. Unless the user brings a certificate and key (config `tlsCertFile`,
 * `tlsKeyFile`), Drover is its own certificate authority: a CA made at the first start that
 * needs one (`$DROVER_HOME/ca.crt`, `ca.key` 0600, ten years) signs a server certificate
 * (`server.crt`, `server.key` 0600, one year) for the names the server answers to. The server
 * certificate is made again when those names change, when it has less than 30 days left, or when
 * it was not signed by the CA on file. Clients trust the CA through the kubeconfig's
 * `certificate-authority-data`.
 *
 * Keys are RSA 2048, made by Node's crypto; node-forge (Node cannot write certificates) builds
 * and signs the certificates.
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
export const SERVER_CERT_FILE = 'server.crt';
export const SERVER_KEY_FILE = 'server.key';

const DAY = 24 * 3600 * 1000;
const CA_DAYS = 3650;
const SERVER_DAYS = 365;
/** A server certificate with less left than this is made again at start. */
const RENEW_BEFORE_DAYS = 30;

export interface TlsMaterial {
  /** PEM certificate chain the server presents. */
  cert: string;
  key: string;
  /** PEM of the CA clients should trust (written into the kubeconfig); undefined: the system's. */
  ca: string | undefined;
  /** Whether the server certificate was made (or made again) by this call. */
  issued: boolean;
}

export interface TlsOptions {
  /** The user's own certificate (PEM, may hold the chain) and key: used as they are. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** The CA clients need to trust the user's certificate, when it is not publicly trusted. */
  caFile?: string | undefined;
  now?: number;
}

function writePrivate(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

function newKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function serial(): string {
  // Positive (high bit clear), 16 bytes, as RFC 5280 asks.
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

function makeCa(now: number): { cert: string; key: string } {
  const { privatePem, publicPem } = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + CA_DAYS * DAY);
  const subject = [{ name: 'commonName', value: 'drover-ca' }, { name: 'organizationName', value: 'Drover' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privatePem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: privatePem };
}

function makeServerCert(ca: { cert: string; key: string }, names: readonly string[], now: number): { cert: string; key: string } {
  const { privatePem, publicPem } = newKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + SERVER_DAYS * DAY);
  cert.setSubject([{ name: 'commonName', value: names[0] ?? 'localhost' }, { name: 'organizationName', value: 'Drover' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // 2 = dNSName, 7 = iPAddress.
    { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.key), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: privatePem };
}

/** The names (DNS and IP) a certificate is good for, as Node reads its subjectAltName. */
export function certificateNames(pem: string): string[] {
  const alt = new X509Certificate(pem).subjectAltName ?? '';
  return alt
    .split(', ')
    .map((s) => s.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
}

/** The names a certificate must cover, sorted, duplicates dropped (IPv6 as Node prints them). */
export function normalizeNames(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of names) {
    const n = raw.trim().replace(/^\[|\]$/g, '').toLowerCase();
    if (!n || n === '0.0.0.0' || n === '::') continue;
    out.add(isIP(n) === 6 ? ipv6Canonical(n) : n);
  }
  return [...out].sort();
}

function ipv6Canonical(ip: string): string {
  // Node prints SAN IPv6 addresses in full, uppercase, without "::" compression.
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.toUpperCase().replace(/^0+(?=.)/, '')).join(':');
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const x = normalizeNames(a);
  const y = normalizeNames(b);
  return x.length === y.length && x.every((n, i) => n === y[i]);
}

function read(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/**
 * The certificate and key the server presents for `names`, made or renewed in `home` as needed,
 * or the user's own (options) read as they are.
 */
export function serverTls(home: string, names: readonly string[], opts: TlsOptions = {}): TlsMaterial {
  const now = opts.now ?? Date.now();
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) throw new Error('tlsCertFile and tlsKeyFile go together: set both, or neither (Drover then makes its own CA)');
    return { cert: readFileSync(opts.certFile, 'utf8'), key: readFileSync(opts.keyFile, 'utf8'), ca: opts.caFile ? readFileSync(opts.caFile, 'utf8') : undefined, issued: false };
  }
  const caCertPath = join(home, CA_CERT_FILE);
  const caKeyPath = join(home, CA_KEY_FILE);
  let ca = { cert: read(caCertPath), key: read(caKeyPath) };
  if (!ca.cert || !ca.key || Date.parse(new X509Certificate(ca.cert).validTo) < now + RENEW_BEFORE_DAYS * DAY) {
    const made = makeCa(now);
    writePrivate(caKeyPath, made.key);
    // Public, but in a 0700 home: 0644 lets the owner hand it to other tools as it is.
    writePrivate(caCertPath, made.cert, 0o644);
    ca = made;
  }
  const caPem = ca.cert!;
  const certPath = join(home, SERVER_CERT_FILE);
  const keyPath = join(home, SERVER_KEY_FILE);
  const cert = read(certPath);
  const key = read(keyPath);
  const wanted = normalizeNames(names);
  if (cert && key) {
    const x = new X509Certificate(cert);
    const fresh = Date.parse(x.validTo) > now + RENEW_BEFORE_DAYS * DAY;
    if (fresh && x.verify(new X509Certificate(caPem).publicKey) && sameNames(certificateNames(cert), wanted)) return { cert, key, ca: caPem, issued: false };
  }
  const made = makeServerCert({ cert: caPem, key: ca.key! }, wanted, now);
  writePrivate(keyPath, made.key);
  writePrivate(certPath, made.cert, 0o644);
  return { cert: made.cert, key: made.key, ca: caPem, issued: true };
}
