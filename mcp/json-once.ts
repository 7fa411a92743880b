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

/** A JSON-RPC message as JSON, reusing the text of a result serialised once. */
export function messageJson(message: JSONRPCMessage): string {
  if ('result' in message && typeof message.result === 'object' && message.result !== null) {
    const text = texts.get(message.result);
    if (text !== undefined) return `{"result":${text},"jsonrpc":"2.0","id":${JSON.stringify(message.id)}}`;
  }
  return JSON.stringify(message);
}
