import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPESCRIPT_METADATA } from '../../../notebook/format.ts';
import type { KernelHandle } from '../../../kernel/protocol.ts';
import { startKernel } from '../helpers.ts';
import { JupyterClient, outputsOf, type Msg } from './client.ts';

/**
 * The Jupyter kernel over ZeroMQ, driven by a client written from the messaging specification:
 * the same process and sockets JupyterLab or nbclient would use.
 */

let client: JupyterClient;
beforeAll(async () => {
  client = await JupyterClient.launch();
  await client.ready();
  await client.warmTypecheck(); // the cells below compare exact outputs
  // The runtime starts after kernel_info; on a busy machine (or after a source change, a bundle rebuild) that takes a while.
  await client.execute('1', {}, 110_000);
}, 120_000);
afterAll(() => client?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const types = (iopub: Msg[]) => iopub.map((m) => m.header.msg_type);
/** The result of a cell. */
async function value(code: string): Promise<string> {
  const { reply, iopub } = await client.execute(code);
  const result = iopub.find((m) => m.header.msg_type === 'execute_result');
  if (!result) throw new Error(`no result for ${code}: ${JSON.stringify(reply.content)}`);
  return result.content.data['text/plain'];
}

/**
 * What a cell prints once it is in the state a test interrupts. Printed first, it would leave the
 * rest of the synchronous part to run after it: on a loaded machine the interrupt can land there,
 * before the loop (or the variable it counts in) exists.
 */
const STARTED = 'console.log("started")';

/** Starts a cell and resolves once it printed STARTED (and ran 100 ms more). */
async function startCell(code: string): Promise<string> {
  const id = await client.send('shell', 'execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
  const first = await client.waitFor('iopub', (m) => m.parent_header.msg_id === id && ['stream', 'error'].includes(m.header.msg_type));
  if (first.header.msg_type !== 'stream') throw new Error(`the cell failed before it started: ${JSON.stringify(first.content)}`);
  await sleep(100);
  return id;
}

describe('Jupyter kernel: messages and channels', () => {
  it('answers kernel_info with protocol 5.3 and the language_info notebooks carry, between busy and idle', async () => {
    const id = await client.send('shell', 'kernel_info_request');
    const reply = await client.reply('shell', id);
    expect(reply.header.msg_type).toBe('kernel_info_reply');
    expect(reply.header.version).toBe('5.3');
    expect(reply.header.session).not.toBe(client.session);
    expect(reply.content).toMatchObject({ status: 'ok', protocol_version: '5.3', implementation: 'trailbook', debugger: false, language_info: TYPESCRIPT_METADATA.language_info });
    await client.iopubFor(id);
    const states = client.received.iopub.filter((m) => m.parent_header.msg_id === id && m.header.msg_type === 'status').map((m) => m.content.execution_state);
    expect(states).toEqual(['busy', 'idle']);
  });

  it('answers on the control channel too, and echoes heartbeats', async () => {
    const reply = await client.request('control', 'kernel_info_request');
    expect(reply.content.protocol_version).toBe('5.3');
    expect(await client.heartbeat('ping-42')).toBe('ping-42');
  });

  it('ignores and logs a message with a bad signature, and a replayed one', async () => {
    const forged = client.frames('kernel_info_request', {}, false);
    await client.sendFrames('shell', forged.frames);
    const good = client.frames('kernel_info_request', {});
    await client.sendFrames('shell', good.frames);
    await client.reply('shell', good.id);
    await client.sendFrames('shell', good.frames); // the same signed frames again
    const after = await client.request('shell', 'kernel_info_request');
    expect(after.content.status).toBe('ok');
    await sleep(200);
    expect(client.received.shell.filter((m) => m.parent_header.msg_id === forged.id)).toEqual([]);
    expect(client.received.shell.filter((m) => m.parent_header.msg_id === good.id)).toHaveLength(1);
    expect(client.stderr).toContain('ignored a message on shell: invalid signature');
    expect(client.stderr).toContain('ignored a message on shell: duplicate signature');
  });

  it('answers comm_info, and closes a comm it has no target for', async () => {
    expect((await client.request('shell', 'comm_info_request', { target_name: 'jupyter.widget' })).content).toEqual({ status: 'ok', comms: {} });
    const id = await client.send('shell', 'comm_open', { comm_id: 'c1', target_name: 'jupyter.widget', data: {} });
    const close = await client.waitFor('iopub', (m) => m.parent_header.msg_id === id && m.header.msg_type === 'comm_close');
    expect(close.content.comm_id).toBe('c1');
  });

  it('answers is_complete from the kernel compiler', async () => {
    const ask = async (code: string) => (await client.request('shell', 'is_complete_request', { code })).content;
    expect(await ask('const a = 1')).toEqual({ status: 'complete' });
    expect(await ask('for (const x of [1, 2]) {')).toMatchObject({ status: 'incomplete', indent: '  ' });
    expect(await ask('const s = `line one')).toMatchObject({ status: 'incomplete' });
    expect(await ask('const a = )')).toMatchObject({ status: 'invalid' });
  });
});

describe('Jupyter kernel: execution', () => {
  it('runs a cell: execute_input, the result, and an ok reply with the execution count', async () => {
    const { reply, iopub } = await client.execute('const answer = 40 + 2; answer');
    expect(reply.content).toMatchObject({ status: 'ok', user_expressions: {}, payload: [] });
    const count = reply.content.execution_count;
    expect(count).toBeGreaterThan(0);
    expect(types(iopub)).toEqual(['execute_input', 'execute_result']);
    expect(iopub[0]!.content).toEqual({ code: 'const answer = 40 + 2; answer', execution_count: count });
    expect(iopub[1]!.content).toEqual({ execution_count: count, data: { 'text/plain': '42' }, metadata: {} });
    const next = await client.execute('answer + 1');
    expect(next.reply.content.execution_count).toBe(count + 1);
  });

  it('streams stdout and stderr, and displays, with the same MIME bundles as the workbench kernel', async () => {
    const cells = [
      'console.log("out"); console.error("err")',
      'display(html`<b>bold</b>`); display(md`# Title`)',
      '[{ a: 1, b: "x" }, { a: 2, b: "y" }]',
      '({ nested: { list: [1, 2, 3] } })',
    ];
    let workbench: { kernel: KernelHandle; close: () => Promise<void> } | undefined;
    try {
      workbench = await startKernel();
      for (const code of cells) {
        const viaJupyter = outputsOf((await client.execute(code)).iopub).map((m): Record<string, any> => ({ type: m.header.msg_type, ...m.content }));
        const viaWorkbench = (await workbench.kernel.execute({ code })).outputs;
        expect(viaJupyter.length, code).toBe(viaWorkbench.length);
        viaWorkbench.forEach((o, i) => {
          const j = viaJupyter[i]!;
          expect(j.type).toBe(o.output_type);
          if (o.output_type === 'stream') expect({ name: j.name, text: j.text }).toEqual({ name: o.name, text: o.text });
          if (o.output_type === 'display_data' || o.output_type === 'execute_result') expect({ data: j.data, metadata: j.metadata }).toEqual({ data: o.data, metadata: o.metadata });
        });
      }
    } finally {
      await workbench?.close();
    }
    const { iopub } = await client.execute('console.log("a"); console.error("b")');
    expect(outputsOf(iopub).map((m) => [m.content.name, m.content.text])).toEqual([['stdout', 'a\n'], ['stderr', 'b\n']]);
  });

  it('reports an error on iopub and in the reply, with the traceback in cell positions', async () => {
    const { reply, iopub } = await client.execute('const f = () => {\n  throw new TypeError("no such trail");\n};\nf()');
    expect(reply.content).toMatchObject({ status: 'error', ename: 'TypeError', evalue: 'no such trail' });
    expect(reply.content.traceback[0]).toBe('TypeError: no such trail');
    expect(reply.content.traceback.join('\n')).toMatch(/<cell \d+>:2:/);
    const error = iopub.find((m) => m.header.msg_type === 'error')!;
    expect(error.content).toEqual({ ename: reply.content.ename, evalue: reply.content.evalue, traceback: reply.content.traceback });
  });

  it('aborts the cells queued behind a failing one (stop_on_error), and runs them when asked not to stop', async () => {
    const content = (code: string, stop = true) => ({ code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: stop });
    const first = await client.send('shell', 'execute_request', content('await new Promise((r) => setTimeout(r, 300)); throw new Error("first")'));
    const second = await client.send('shell', 'execute_request', content('globalThis.ranSecond = true'));
    expect((await client.reply('shell', first)).content.status).toBe('error');
    expect((await client.reply('shell', second)).content.status).toBe('aborted');
    await client.iopubFor(second);
    expect(await value('typeof globalThis.ranSecond')).toBe("'undefined'");

    const a = await client.send('shell', 'execute_request', content('await new Promise((r) => setTimeout(r, 300)); throw new Error("again")', false));
    const b = await client.send('shell', 'execute_request', content('globalThis.ranAfter = true; 1'));
    expect((await client.reply('shell', a)).content.status).toBe('error');
    expect((await client.reply('shell', b)).content.status).toBe('ok');
  });

  it('publishes output a timer makes after its cell finished under that cell', async () => {
    const { reply } = await client.execute('setTimeout(() => console.log("late"), 200); "now"');
    const late = await client.waitFor('iopub', (m) => m.header.msg_type === 'stream' && m.content.text === 'late\n');
    expect(late.parent_header.msg_id).toBe(reply.parent_header.msg_id);
  });
});

describe('Jupyter kernel: interrupt', () => {
  it('interrupts a synchronous infinite loop on interrupt_request and keeps state', async () => {
    await client.execute('const kept = "still here"; let spins = 0;');
    const id = await startCell(`while (true) { if (spins++ === 0) ${STARTED} }`);
    const interrupt = await client.request('control', 'interrupt_request');
    expect(interrupt.content).toEqual({ status: 'ok' });
    const reply = await client.reply('shell', id);
    expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(await value('kept')).toBe("'still here'");
    expect(Number(await value('spins'))).toBeGreaterThan(0);
  });

  it('interrupts an await loop and keeps state', async () => {
    const id = await startCell(`let ticks = 0; while (true) { ticks++; if (ticks === 2) ${STARTED}; await new Promise((r) => setTimeout(r, 1)); }`);
    await client.request('control', 'interrupt_request');
    expect((await client.reply('shell', id)).content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    const ticks = Number(await value('ticks'));
    expect(ticks).toBeGreaterThan(0);
    await sleep(100);
    expect(Number(await value('ticks'))).toBe(ticks);
    expect(await value('kept')).toBe("'still here'");
  });

  it('stops a synchronous part where the interrupt lands: a name declared after that point is left unset, and a cell naming it has no result', async () => {
    // The busy wait stands in for a loaded machine holding the cell up between its print and its set-up,
    // where the interrupt of the await-loop test above once landed when it printed first.
    const id = await startCell(`${STARTED}; const until = Date.now() + 60_000; while (Date.now() < until); let late = 1;`);
    await client.request('control', 'interrupt_request');
    expect((await client.reply('shell', id)).content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    const { reply, iopub } = await client.execute('late');
    expect(reply.content.status).toBe('ok');
    expect(types(iopub)).toEqual(['execute_input']);
    expect(await value('kept')).toBe("'still here'");
  });

  it('interrupts on SIGINT to the kernel process, for clients that interrupt by signal', async () => {
    const id = await startCell(`${STARTED}; while (true) {}`);
    client.process.kill('SIGINT');
    expect((await client.reply('shell', id)).content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(await value('kept')).toBe("'still here'");
  });
});

describe('Jupyter kernel: completion and inspection', () => {
  it('completes the methods of cloudtrail after the dot, from the prelude types', async () => {
    const code = 'const page = await cloudtrail.';
    const reply = await client.request('shell', 'complete_request', { code, cursor_pos: code.length }, 120_000);
    expect(reply.content.status).toBe('ok');
    expect(reply.content.matches).toEqual(expect.arrayContaining(['lookupEvents', 'events', 'eventNames', 'principals', 'status', 'call']));
    expect(reply.content.cursor_start).toBe(code.length);
    expect(reply.content.cursor_end).toBe(code.length);
    const types = reply.content.metadata._jupyter_types_experimental as { text: string; type: string }[];
    expect(types.find((t) => t.text === 'lookupEvents')?.type).toBe('function');
  });

  it('completes a partial name and names declared by earlier cells, counting code points', async () => {
    await client.execute('const trailSummary = { regions: ["eu-west-1"] };');
    const code = 'const note = "ünïcode 🚀"; trailSum';
    const reply = await client.request('shell', 'complete_request', { code, cursor_pos: [...code].length });
    expect(reply.content.matches).toEqual(['trailSummary']);
    expect(reply.content.cursor_start).toBe([...code].length - 'trailSum'.length);
    const members = await client.request('shell', 'complete_request', { code: 'trailSummary.re', cursor_pos: 15 });
    expect(members.content.matches).toEqual(['regions']);
  });

  it('inspects a prelude method with its signature and docs', async () => {
    const code = 'cloudtrail.lookupEvents';
    const reply = await client.request('shell', 'inspect_request', { code, cursor_pos: code.length, detail_level: 0 });
    expect(reply.content).toMatchObject({ status: 'ok', found: true });
    expect(reply.content.data['text/plain']).toContain('lookupEvents(args?: CloudTrailLookupArgs)');
    expect(reply.content.data['text/markdown']).toContain('```typescript');
    const nothing = await client.request('shell', 'inspect_request', { code: '   ', cursor_pos: 1, detail_level: 0 });
    expect(nothing.content).toMatchObject({ status: 'ok', found: false, data: {} });
  });
});

describe('Jupyter kernel: shutdown', () => {
  it('shuts down on shutdown_request with restart, and a relaunch on the same connection file starts fresh', async () => {
    const reply = await client.request('control', 'shutdown_request', { restart: true });
    expect(reply.content).toEqual({ status: 'ok', restart: true });
    expect(await client.exited).toBe(0);
    client = await client.relaunch();
    await client.ready();
    expect(await value('typeof kept')).toBe("'undefined'");
    const { reply: first } = await client.execute('1 + 1');
    expect(first.content.execution_count).toBe(2);
  });
});
