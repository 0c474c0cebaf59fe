/**
 * PHI that has to cross services without being readable on the way: the backfill runner (partners) carries
 * each patient's SSN from care-requests to pop-health's matcher, and the API never returns an SSN in full.
 * care-requests seals it (AES-256-GCM under a key derived from the internal secret, which only Care Graph
 * services hold, for one purpose); pop-health opens it. A response, a log line or the runner's memory only
 * ever hold the sealed form, which differs at every seal and tells nothing of the number.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomFillSync } from 'node:crypto';

const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** IVs drawn from the system's random source at a time: a page of a few thousand seals pays a few draws, not one each. */
const IVS_PER_DRAW = 256;

export class Sealer {
  private readonly key: Buffer;
  private readonly ivs = Buffer.alloc(IV_BYTES * IVS_PER_DRAW);
  private nextIv = IVS_PER_DRAW;

  /** A sealer for `purpose` (its own key: a value sealed for one purpose does not open for another). */
  constructor(secret: Uint8Array, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'care-graph-sealing', purpose, 32));
  }

  /** `text` sealed: `v1.` + base64url(iv, ciphertext, tag), different at every call. */
  seal(text: string): string {
    const iv = this.freshIv();
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** 12 random bytes never handed out before (GCM needs a nonce used once under a key; 96 random bits make a repeat negligible). */
  private freshIv(): Buffer {
    if (this.nextIv === IVS_PER_DRAW) {
      randomFillSync(this.ivs);
      this.nextIv = 0;
    }
    const start = this.nextIv * IV_BYTES;
    this.nextIv += 1;
    // A copy: the cipher keeps no reference, but the sealed value's bytes are concatenated from it below.
    return Buffer.from(this.ivs.subarray(start, start + IV_BYTES));
  }

  /** The text `seal` sealed, or null for anything else (another key or purpose, a changed byte, not sealed at all). */
  open(sealed: string): string | null {
    if (!sealed.startsWith(VERSION)) return null;
    const text = sealed.slice(VERSION.length);
    const bytes = Buffer.from(text, 'base64url');
    // Only the canonical encoding: base64 lets the spare bits of the last character vary without changing a
    // byte, and a sealed value that was changed must not open, however it was changed.
    if (bytes.length < IV_BYTES + TAG_BYTES || bytes.toString('base64url') !== text) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}

/** The purpose an SSN is sealed for: the matcher's input. */
export const SSN_FOR_MATCHING = 'ssn-for-matching';
