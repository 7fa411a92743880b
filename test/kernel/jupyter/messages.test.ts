import { describe, expect, it } from 'vitest';
import { createMessage, decode, encode, Signer, WireError } from '../../../kernel/jupyter/messages.ts';

const KEY = 'a0436f6c-1916-498b-8eb9-e81ab9368e84';
const header = '{"msg_id":"1","msg_type":"kernel_info_request","session":"s","username":"u","date":"2024-01-01T00:00:00Z","version":"5.3"}';
const frames = (...parts: string[]) => parts.map((p) => Buffer.from(p));

describe('Jupyter wire codec', () => {
  it("signs as jupyter_client's Session does (HMAC-SHA256 over the four JSON frames)", () => {
    // Computed with jupyter_client 7.4.9: Session(key=KEY).sign(frames)
    expect(new Signer('hmac-sha256', KEY).sign(frames(header, '{}', '{}', '{}'))).toBe('379f8cbe4b106c65c7596fbc516e45f8cdc83e589819e90cf25d93eb8ac82655');
  });

  it('decodes a signed message with routing identities and buffers', () => {
    const signer = new Signer('hmac-sha256', KEY);
    const body = frames(header, '{}', '{"cellId":"x"}', '{"code":"1"}');
    const parts = [Buffer.from('client-id'), Buffer.from('<IDS|MSG>'), Buffer.from(signer.sign(body)), ...body, Buffer.from([1, 2])];
    const { identities, message } = decode(parts, new Signer('hmac-sha256', KEY));
    expect(identities.map(String)).toEqual(['client-id']);
    expect(message.header).toMatchObject({ msg_id: '1', msg_type: 'kernel_info_request', version: '5.3' });
    expect(message.parent_header).toEqual({});
    expect(message.metadata).toEqual({ cellId: 'x' });
    expect(message.content).toEqual({ code: '1' });
    expect(message.buffers).toEqual([Buffer.from([1, 2])]);
  });

  it('round-trips what it encodes, replies carrying their parent header', () => {
    const signer = new Signer('hmac-sha256', KEY);
    const parent = createMessage('client', 'execute_request', { code: 'x' }).header;
    const reply = createMessage('kernel', 'execute_reply', { status: 'ok' }, parent);
    const { message } = decode(encode(reply, [Buffer.from('id')], signer), new Signer('hmac-sha256', KEY));
    expect(message.header).toEqual(reply.header);
    expect(message.parent_header).toEqual(parent);
    expect(reply.header.version).toBe('5.3');
    expect(Number.isNaN(Date.parse(reply.header.date!))).toBe(false);
  });

  it('rejects a bad signature, a replayed message and a missing delimiter', () => {
    const signer = new Signer('hmac-sha256', KEY);
    const body = frames(header, '{}', '{}', '{}');
    const good = [Buffer.from('<IDS|MSG>'), Buffer.from(signer.sign(body)), ...body];
    const forged = [Buffer.from('<IDS|MSG>'), Buffer.from(new Signer('hmac-sha256', 'other key').sign(body)), ...body];
    const verifier = new Signer('hmac-sha256', KEY);
    expect(() => decode(forged, verifier)).toThrow(new WireError('invalid signature'));
    decode(good, verifier);
    expect(() => decode(good, verifier)).toThrow(/duplicate signature/);
    expect(() => decode(body, verifier)).toThrow(/no <IDS\|MSG> delimiter/);
    expect(() => decode([Buffer.from('<IDS|MSG>'), Buffer.from('')], verifier)).toThrow(/expected 5 frames/);
  });

  it('rejects a malformed header even when signed', () => {
    const signer = new Signer('hmac-sha256', KEY);
    const body = frames('{"msg_type":"kernel_info_request"}', '{}', '{}', '{}');
    expect(() => decode([Buffer.from('<IDS|MSG>'), Buffer.from(signer.sign(body)), ...body], signer)).toThrow(/header is malformed: msg_id/);
  });

  it('signs nothing and checks nothing with an empty key, as the specification allows', () => {
    const signer = new Signer('hmac-sha256', '');
    const body = frames(header, '{}', '{}', '{}');
    expect(signer.sign(body)).toBe('');
    expect(decode([Buffer.from('<IDS|MSG>'), Buffer.from(''), ...body], signer).message.header.msg_id).toBe('1');
  });

  it('names an unsupported signature scheme', () => {
    expect(() => new Signer('rsa-sha256', KEY)).toThrow(/unsupported signature_scheme "rsa-sha256"/);
  });
});
