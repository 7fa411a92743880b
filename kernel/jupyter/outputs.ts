import type { Output } from '../../notebook/format.ts';
import { joinSource } from '../../notebook/kernel-metadata.ts';
import type { ExecuteReply } from '../protocol.ts';

/**
 * The runtime's outputs are nbformat outputs (what the workbench shows and saves); on iopub each
 * becomes the message nbformat derived it from, with the same MIME bundle, so a notebook saved by
 * JupyterLab holds what the workbench would have saved.
 */

export interface IopubOutput {
  msgType: 'stream' | 'display_data' | 'execute_result' | 'error';
  content: Record<string, unknown>;
}

export function iopubOutput(output: Output): IopubOutput {
  switch (output.output_type) {
    case 'stream':
      return { msgType: 'stream', content: { name: output.name, text: joinSource(output.text) } };
    case 'display_data':
      return { msgType: 'display_data', content: { data: output.data, metadata: output.metadata, transient: {} } };
    case 'execute_result':
      return { msgType: 'execute_result', content: { execution_count: output.execution_count, data: output.data, metadata: output.metadata } };
    case 'error':
      return { msgType: 'error', content: { ename: output.ename, evalue: output.evalue, traceback: output.traceback } };
  }
}

/**
 * `execute_reply` content. An interrupted or restarted cell ("aborted" in the runtime) is an error
 * to Jupyter, as a KeyboardInterrupt is in IPython: its status 'aborted' means "never run".
 */
export function executeReplyContent(reply: ExecuteReply): Record<string, unknown> {
  if (reply.status === 'ok') return { status: 'ok', execution_count: reply.executionCount, user_expressions: {}, payload: [] };
  const error = reply.outputs.findLast((o) => o.output_type === 'error');
  return {
    status: 'error',
    execution_count: reply.executionCount,
    ename: error?.ename ?? 'Error',
    evalue: error?.evalue ?? `the cell ended with status ${reply.status}`,
    traceback: error?.traceback ?? [],
  };
}
