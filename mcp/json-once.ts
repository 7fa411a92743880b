import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * Results that never change (the tool list) are turned into JSON once, not on every request that returns
 * them: `serialisedOnce` keeps the text, and the HTTP transport writes it into the response as it is.
 * The value must not change afterwards: it is frozen, all the way down, so an attempt fails loudly (ESM is strict).
 */
const texts = new WeakMap<object, string>();

export function serialisedOnce<T extends object>(value: T): T {
  texts.set(value, JSON.stringify(value));
  return deepFreeze(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Structured content whose JSON a tool has already made (it is the text content beside it) is marked on the first
 * object among its values: the SDK hands the transport a copy of the structured content (its result check
 * rebuilds the object) holding the same values, so that value finds the text again. A property, not a WeakMap:
 * a WeakMap entry whose value holds its key kept every page alive through young-generation collections (V8
 * collects such ephemerons only in full collections), and the heap grew with each request. Not enumerable and
 * keyed by a symbol, so JSON, Object.keys, spreads and equality checks do not see it.
 */
const MADE = Symbol('trailbook.madeJson');

function firstObjectValue(data: Record<string, unknown>): object | undefined {
  for (const key in data) {
    const v = data[key];
    if (typeof v === 'object' && v !== null) return v;
  }
  return undefined;
}

type Marked = { [MADE]?: { data: Record<string, unknown>; text: string; quoted?: () => string } };

/**
 * Notes that `text` is JSON.stringify(data), for `messageJson` to write instead of serialising `data` again;
 * `quoted`, when given, makes JSON.stringify(text) another way (from parts escaped before), when it is written.
 */
export function knownJson(data: Record<string, unknown>, text: string, quoted?: () => string): void {
  const key = firstObjectValue(data) as Marked | undefined;
  if (key && Object.isExtensible(key)) Object.defineProperty(key, MADE, { value: { data, text, quoted }, configurable: true, writable: true });
}

/** True when `copy` has the same keys as `data`, in the same order, with the very same values. */
function sameShallow(copy: Record<string, unknown>, data: Record<string, unknown>): boolean {
  const a = Object.keys(copy);
  const b = Object.keys(data);
  return a.length === b.length && a.every((k, i) => k === b[i] && copy[k] === data[k]);
}

const onlyKeys = (o: object, keys: string[]): boolean => {
  const own = Object.keys(o);
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
};

/**
 * A tools/call answer `{result: {content: [text], structuredContent}}` whose text is the structured content's
 * JSON (structuredResult): written from that text, once as it is and once as a JSON string, instead of
 * serialising the events (or rows) a second time and escaping the first. The same characters as
 * JSON.stringify(message); undefined for any other message.
 */
export function splicedResultJson(message: JSONRPCMessage): string | undefined {
  if (!('result' in message) || !onlyKeys(message, ['result', 'jsonrpc', 'id'])) return undefined;
  const result = message.result as { content?: unknown; structuredContent?: Record<string, unknown> };
  const sc = result.structuredContent;
  if (typeof sc !== 'object' || sc === null || !Array.isArray(result.content) || result.content.length !== 1) return undefined;
  const known = (firstObjectValue(sc) as Marked | undefined)?.[MADE];
  if (!known || !onlyKeys(result, ['content', 'structuredContent'])) return undefined;
  const content = result.content[0] as { type?: unknown; text?: unknown };
  if (!onlyKeys(content, ['type', 'text']) || content.type !== 'text' || content.text !== known.text || !sameShallow(sc, known.data)) return undefined;
  const quoted = known.quoted ? known.quoted() : JSON.stringify(known.text);
  return `{"result":{"content":[{"type":"text","text":${quoted}}],"structuredContent":${known.text}},"jsonrpc":${JSON.stringify(message.jsonrpc)},"id":${JSON.stringify(message.id)}}`;
}

/**
 * JSON.stringify(data) where the value of data's first key is written as `json` (its JSON, made beforehand):
 * the rest of the object serialised around it, in the same key order.
 */
export function jsonWithFirstValue(data: Record<string, unknown>, json: string): string {
  const [head, tail] = aroundFirstValue(data);
  return head + json + tail;
}

/**
 * JSON.stringify(JSON.stringify(data)) where the value of data's first key is written as `quoted`, the inside of
 * the JSON string of its JSON (made beforehand): escaping JSON text is character by character, so the parts'
 * escapes joined are the whole's.
 */
export function quotedWithFirstValue(data: Record<string, unknown>, quoted: string): string {
  const [head, tail] = aroundFirstValue(data);
  return `${JSON.stringify(head).slice(0, -1)}${quoted}${JSON.stringify(tail).slice(1)}`;
}

/** The JSON of `data` before and after the value of its first key. */
function aroundFirstValue(data: Record<string, unknown>): [string, string] {
  let first: string | undefined;
  for (const key in data) {
    first = key;
    break;
  }
  if (first === undefined) throw new Error('jsonWithFirstValue: the object has no key');
  const name = JSON.stringify(first);
  const rest = JSON.stringify({ ...data, [first]: 0 }); // {"<first>":0,...}
  return [`{${name}:`, rest.slice(name.length + 3)];
}

/** A JSON-RPC message as JSON, reusing the text of a result serialised once or of structured content already made. */
export function messageJson(message: JSONRPCMessage): string {
  if ('result' in message && typeof message.result === 'object' && message.result !== null) {
    const text = texts.get(message.result);
    if (text !== undefined) return `{"result":${text},"jsonrpc":"2.0","id":${JSON.stringify(message.id)}}`;
    const spliced = splicedResultJson(message);
    if (spliced !== undefined) return spliced;
  }
  return JSON.stringify(message);
}
