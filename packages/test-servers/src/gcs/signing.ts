import { createHash, createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GcsError } from './http';

/** The service account whose key signs URLs in tests. */
export const SIGNER_EMAIL = 'flowkit-test@flowkit-test.iam.gserviceaccount.com';

const refused = (why: string) => new GcsError(403, 'SignatureDoesNotMatch', `The request signature we calculated does not match the signature you provided: ${why}.`);

/**
 * V4 signed URLs (`X-Goog-Algorithm=GOOG4-RSA-SHA256`), checked as GCS checks them: the canonical
 * request rebuilt from what arrived, the signature verified with the service account's public key,
 * the expiry enforced. The key pair is made here; `credentials()` is the service-account key file a
 * client signs with (read by Application Default Credentials through GOOGLE_APPLICATION_CREDENTIALS).
 */
export class UrlSigner {
  private readonly publicKey: KeyObject;
  private readonly privateKeyPem: string;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.publicKey = publicKey;
    this.privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  /** A service-account key file's content. Its token URI is never used: clients send no tokens to a custom endpoint. */
  credentials(): Record<string, string> {
    return {
      type: 'service_account',
      project_id: 'flowkit-test',
      private_key_id: 'flowkit-test-key',
      private_key: this.privateKeyPem,
      client_email: SIGNER_EMAIL,
      client_id: '1',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
  }

  static isSigned(query: URLSearchParams): boolean {
    return query.has('X-Goog-Signature');
  }

  /** Throws 400/403 as GCS does unless the request carries a valid, unexpired signature. */
  verify(req: IncomingMessage, url: URL): void {
    const query = url.searchParams;
    if (query.get('X-Goog-Algorithm') !== 'GOOG4-RSA-SHA256') throw new GcsError(400, 'invalid', 'Only GOOG4-RSA-SHA256 signed URLs are supported.');
    const [email, ...scope] = (query.get('X-Goog-Credential') ?? '').split('/');
    if (email !== SIGNER_EMAIL) throw refused(`unknown signer ${email}`);
    const date = query.get('X-Goog-Date') ?? '';
    const signedAt = Date.parse(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    if (Number.isNaN(signedAt) || Date.now() > signedAt + Number(query.get('X-Goog-Expires')) * 1000) {
      throw new GcsError(400, 'ExpiredToken', 'Invalid argument: the signed URL has expired.');
    }
    const signedHeaders = query.get('X-Goog-SignedHeaders') ?? '';
    const headers = signedHeaders
      .split(';')
      .map((name) => `${name}:${name === 'host' ? (req.headers.host ?? '').replace(/:\d+$/, '') : String(req.headers[name] ?? '').trim()}\n`)
      .join('');
    const canonicalQuery = [...query.entries()]
      .filter(([key]) => key !== 'X-Goog-Signature')
      .map(([key, value]) => [strictEncode(key), strictEncode(value)])
      .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1))
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
    const canonicalRequest = [req.method, url.pathname, canonicalQuery, headers, signedHeaders, 'UNSIGNED-PAYLOAD'].join('\n');
    const toSign = ['GOOG4-RSA-SHA256', date, scope.join('/'), createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const signature = Buffer.from(query.get('X-Goog-Signature') ?? '', 'hex');
    if (!createVerify('RSA-SHA256').update(toSign).verify(this.publicKey, signature)) throw refused('the signature does not match the request');
  }
}

/** RFC 3986 encoding, as the canonical query string of a V4 signature uses. */
function strictEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
