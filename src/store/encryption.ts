/**
 * Encryption at rest for the kinds that hold secrets, as the Kubernetes API server's aesgcm
 * provider does it: the whole stored object is sealed with AES-256-GCM under a key kept apart from
 * the database, and prefixed `k8s:enc:aesgcm:v1:<key name>:` so rows written before encryption
 * (plain JSON) still read, and a row sealed with another key is recognised as such.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DroverError } from '../api/errors.js';

export const ENCRYPTED_PREFIX = 'k8s:enc:';
const PROVIDER = 'aesgcm:v1';

/** A row that cannot be opened with the key the store was given. */
export class DecryptionError extends DroverError {
  readonly code = 'DECRYPTION_FAILED';
  readonly reason = 'InternalError' as const;
  readonly httpStatus = 500;
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

export class AtRestCipher {
  /** Short, public name of the key (a hash of it): says which key sealed a row. */
  readonly keyName: string;
  private readonly prefix: string;

  /** `key`: 32 bytes. `where`: where the key lives, for error messages. */
  constructor(private readonly key: Buffer, private readonly where: string) {
    if (key.length !== 32) throw new DecryptionError(`the encryption key in ${where} must be 32 bytes (base64 of them), got ${key.length}`);
    this.keyName = `key-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
    this.prefix = `${ENCRYPTED_PREFIX}${PROVIDER}:${this.keyName}:`;
  }

  seal(plain: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${this.prefix}${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
  }

  /** The plain text of a stored body: sealed ones are opened, plain ones returned as they are. */
  open(stored: string): string {
    if (!stored.startsWith(ENCRYPTED_PREFIX)) return stored;
    if (!stored.startsWith(this.prefix)) {
      const name = stored.slice(ENCRYPTED_PREFIX.length).split(':').slice(0, 3).join(':');
      throw new DecryptionError(`a stored object was encrypted with another key (${name}) than the one in ${this.where} (${PROVIDER}:${this.keyName}): restore that key file, or its Secrets cannot be read`);
    }
    const raw = Buffer.from(stored.slice(this.prefix.length), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError(`a stored object could not be decrypted with the key in ${this.where}: it is damaged, or was sealed with another key`);
    }
  }
}

/** A store body that says it is sealed: the plain text of a row never starts so (JSON starts with `{`). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(ENCRYPTED_PREFIX);
}

/**
 * The cipher for the key file at `path` (base64 of 32 bytes, as the API server's
 * EncryptionConfiguration takes it). A missing file is made (0600) when `create`, else an error:
 * a configured key that is not there must not silently become a new one.
 */
export function loadKeyFile(path: string, create: boolean): AtRestCipher {
  if (!existsSync(path)) {
    if (!create) throw new KeyFileError(`the key that encrypts Secrets in the store (${path}, from secretsKeyFile / DROVER_SECRETS_KEY_FILE) does not exist: restore it, or point the setting at the right file`);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new KeyFileError(`cannot read the key that encrypts Secrets in the store (${path}): ${(err as Error).message}`);
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new KeyFileError(`the key file ${path} must hold 32 bytes in base64 (head -c 32 /dev/urandom | base64), it holds ${key.length}`);
  return new AtRestCipher(key, path);
}

export class KeyFileError extends DroverError {
  readonly code = 'KEY_FILE';
  readonly reason = 'InternalError' as const;
  readonly httpStatus = 500;
  constructor(message: string) {
    super(message);
    this.name = 'KeyFileError';
  }
}
