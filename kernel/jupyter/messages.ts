import { createHmac, getHashes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Jupyter messages on the wire (messaging protocol 5.3): ZeroMQ identities, the `<IDS|MSG>`
 * delimiter, the HMAC of the four JSON frames, the frames themselves, then binary buffers.
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html#the-wire-protocol
 */

export const PROTOCOL_VERSION = '5.3';
const DELIMITER = '<IDS|MSG>';
/** Signatures remembered to refuse a replayed message, as jupyter_client's Session does. */
const REMEMBERED_SIGNATURES = 4096;

export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date?: string;
  version?: string;
  [field: string]: unknown;
}
export interface Message {
  header: Header;
  /** The request this message answers or was caused by; `{}` when none. */
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}

/** A received message and the ZeroMQ routing identities to reply to. */
export interface Incoming {
  identities: Buffer[];
  message: Message;
}

/** A message that must be ignored (and logged): unsigned, badly signed, replayed or malformed. */
export class WireError extends Error {}

export class Signer {
  private readonly algorithm?: string;
  private readonly seen = new Set<string>();

  /** An empty key turns signing off, as the specification allows (the signature frame is then empty). */
  constructor(
    scheme: string,
    private readonly key: string,
  ) {
    if (!key) return;
    const algorithm = /^hmac-(.+)$/.exec(scheme)?.[1];
    if (!algorithm || !getHashes().includes(algorithm)) throw new Error(`unsupported signature_scheme "${scheme}" (expected hmac-sha256 or another hmac-<hash> Node knows)`);
    this.algorithm = algorithm;
  }

  sign(frames: Buffer[]): string {
    if (!this.algorithm) return '';
    const hmac = createHmac(this.algorithm, this.key);
    for (const f of frames) hmac.update(f);
    return hmac.digest('hex');
  }

  /** Throws WireError unless the signature matches and has not been seen before. */
  verify(signature: string, frames: Buffer[]): void {
    if (!this.algorithm) return;
    const expected = Buffer.from(this.sign(frames));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WireError('invalid signature');
    if (this.seen.has(signature)) throw new WireError('duplicate signature (replayed message)');
    this.seen.add(signature);
    if (this.seen.size > REMEMBERED_SIGNATURES) this.seen.delete(this.seen.values().next().value!);
  }
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

export function encode(message: Message, identities: Buffer[], signer: Signer): Buffer[] {
  const frames = [json(message.header), json(message.parent_header), json(message.metadata), json(message.content)];
  return [...identities, Buffer.from(DELIMITER), Buffer.from(signer.sign(frames)), ...frames, ...message.buffers];
}

/**
 * The frames are checked by hand rather than with zod: every message passes here, and loading zod
 * costs 100-200 ms of CPU, most of a Jupyter kernel's launch budget (kernel_info within 300 ms).
 */
type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseObject(frame: Buffer, name: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString('utf8'));
  } catch {
    throw new WireError(`${name} is not JSON`);
  }
  if (!isObject(value)) throw new WireError(`${name} is malformed: (root) expected an object`);
  return value;
}

/** The problems that keep `value` from being a header (msg_id and msg_type required, the other known fields strings). */
function headerIssues(value: JsonObject): string[] {
  const issues: string[] = [];
  for (const field of ['msg_id', 'msg_type']) {
    const v = value[field];
    if (typeof v !== 'string' || v === '') issues.push(`${field} ${v === undefined ? 'is required' : 'must be a non-empty string'}`);
  }
  for (const field of ['session', 'username', 'date', 'version']) if (value[field] !== undefined && typeof value[field] !== 'string') issues.push(`${field} must be a string`);
  return issues;
}

const asHeader = (value: JsonObject): Header => ({ ...value, session: value.session ?? '', username: value.username ?? '' }) as Header;

/** Splits, verifies and parses a multipart message; throws WireError for anything to ignore. */
export function decode(parts: Buffer[], signer: Signer): Incoming {
  const at = parts.findIndex((p) => p.length === DELIMITER.length && p.toString() === DELIMITER);
  if (at < 0) throw new WireError('no <IDS|MSG> delimiter');
  if (parts.length < at + 6) throw new WireError(`expected 5 frames after the delimiter, got ${parts.length - at - 1}`);
  const frames = parts.slice(at + 2, at + 6);
  signer.verify(parts[at + 1]!.toString(), frames);
  const [header, parent, metadata, content] = frames as [Buffer, Buffer, Buffer, Buffer];
  const head = parseObject(header, 'header');
  const issues = headerIssues(head);
  if (issues.length) throw new WireError(`header is malformed: ${issues.join('; ')}`);
  const parentHeader = parseObject(parent, 'parent_header');
  return {
    identities: parts.slice(0, at),
    message: {
      header: asHeader(head),
      // A parent that is no header (some clients send partial ones) counts as none.
      parent_header: Object.keys(parentHeader).length && !headerIssues(parentHeader).length ? asHeader(parentHeader) : {},
      metadata: parseObject(metadata, 'metadata'),
      content: parseObject(content, 'content'),
      buffers: parts.slice(at + 6),
    },
  };
}

/** Read once: every message carries it, and process.env is a slow lookup. */
const USERNAME = process.env.USER ?? 'trailbook';

/** A new message from this kernel's session, answering or caused by `parent`. */
export function createMessage(session: string, msgType: string, content: Record<string, unknown>, parent?: Header, metadata: Record<string, unknown> = {}): Message {
  return {
    header: {
      msg_id: randomUUID(),
      msg_type: msgType,
      session,
      username: USERNAME,
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent_header: parent ?? {},
    metadata,
    content,
    buffers: [],
  };
}
