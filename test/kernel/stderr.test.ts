import { describe, expect, it } from 'vitest';
import { StderrFilter } from '../../kernel/stderr.ts';

/** What node 20 wrote to stderr when a kernel ran out of heap (captured from a real kernel). */
const V8_OOM_DUMP = [
  '',
  '<--- Last few GCs --->',
  '',
  '[6978:0x29770d70]    42484 ms: Mark-Compact 81.4 (114.8) -> 81.4 (114.8) MB, 13.34 / 0.00 ms  (average mu = 0.995, current mu = 0.966) allocation failure; scavenge might not succeed',
  '',
  '',
  '<--- JS stacktrace --->',
  '',
  'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
  '----- Native stack trace -----',
  '',
  ' 1: 0xb78db3 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [/usr/bin/node]',
  ' 2: 0xee8300 v8::Utils::ReportOOMFailure(v8::internal::Isolate*, char const*, v8::OOMDetails const&) [/usr/bin/node]',
  '',
].join('\n');

/** Feeds the text in chunks of `size` characters, as a pipe might split it. */
function feed(filter: StderrFilter, text: string, size: number): string {
  let out = '';
  for (let i = 0; i < text.length; i += size) out += filter.push(text.slice(i, i + size));
  return out + filter.flush();
}

describe('kernel stderr filter', () => {
  it.each([1, 7, 64, 10_000])('drops V8 out-of-memory dump and remembers why (chunks of %i)', (size) => {
    const filter = new StderrFilter();
    expect(feed(filter, `warning from a tool\n${V8_OOM_DUMP}`, size)).toBe('warning from a tool\n');
    expect(filter).toMatchObject({ fatal: true, outOfMemory: true, fatalReason: 'Reached heap limit Allocation failed - JavaScript heap out of memory' });
  });

  it('relays other lines whole, blank lines included, and a partial line when flushed', () => {
    const filter = new StderrFilter();
    expect(filter.push('first\n\nsec')).toBe('first\n');
    expect(filter.pending).toBe(true);
    expect(filter.push('ond\nthi')).toBe('\nsecond\n');
    expect(filter.flush()).toBe('thi');
    expect(filter.push('rd\n\n')).toBe('rd\n');
    expect(filter.flush()).toBe('\n');
    expect(filter.pending).toBe(false);
    expect(filter.fatal).toBe(false);
  });

  it('takes the process.exit marker out of the stream and keeps its code', () => {
    const filter = new StderrFilter();
    expect(filter.push('bye\n[kernel] process.exit(3) was called\n')).toBe('bye\n');
    expect(filter.exitCall).toBe('3');
  });

  it('drops other V8 fatal errors too, without calling them out of memory', () => {
    const filter = new StderrFilter();
    expect(feed(filter, '\n#\n# Fatal JavaScript invalid size error 169220804\n#\n#\n#\n#FailureMessage Object: 0x7ffd\n', 5)).toBe('');
    expect(filter).toMatchObject({ fatal: true, outOfMemory: false, fatalReason: 'JavaScript invalid size error 169220804' });
  });
});
