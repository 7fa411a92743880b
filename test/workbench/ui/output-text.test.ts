import { describe, expect, it } from 'vitest';
import { kernelErrorOutput } from '../../../kernel/error-output.ts';
import { errorText } from '../../../workbench/ui/output-text.ts';

/** What the workbench (and the share report) shows for an error: the message once, then what the traceback adds. */
const shown = (output: Parameters<typeof errorText>[0]) => {
  const { heading, rest } = errorText(output);
  return heading + rest;
};
const count = (text: string, part: string) => text.split(part).length - 1;

describe('errorText', () => {
  it('shows a multi-line message once, then the stack', () => {
    const message = 'Amazon Bedrock is not set up for this notebook.\nSet TRAILBOOK_BEDROCK_MODEL_ID, or\nenable model access in the console.';
    const text = shown(kernelErrorOutput('BedrockSetupError', message, ['    at <cell 3>:1:7']));
    expect(count(text, 'enable model access')).toBe(1);
    expect(count(text, 'Amazon Bedrock is not set up')).toBe(1);
    expect(text).toBe(`BedrockSetupError: ${message}\n    at <cell 3>:1:7`);
  });

  it('shows a one-line kernel error as one line', () => {
    const output = kernelErrorOutput('KernelDied', 'The kernel ran out of memory: limit 64 MB. Variables from earlier cells are gone; the next run starts a fresh kernel.');
    expect(shown(output)).toBe(`KernelDied: ${output.evalue}`);
    expect(errorText(output).rest).toBe('');
  });

  it('does not repeat the shortened first line of outputs saved by older kernels', () => {
    const text = shown({
      output_type: 'error',
      ename: 'KernelDied',
      evalue: 'The kernel exited with code 1. Its state is lost; the next run starts a fresh kernel.',
      traceback: ['KernelDied: The kernel exited with code 1.', 'Variables from earlier cells are gone; the next run starts a fresh kernel.'],
    });
    expect(count(text, 'exited with code 1')).toBe(1);
    expect(text).toContain('\nVariables from earlier cells are gone');
  });

  it('keeps a traceback that does not start with the message, and one whose first line only looks alike', () => {
    expect(shown({ output_type: 'error', ename: 'TypeError', evalue: 'x', traceback: ['\u001b[31mat cell\u001b[0m'] })).toBe('TypeError: x\nat cell');
    expect(shown({ output_type: 'error', ename: 'Error', evalue: 'boom', traceback: ['Error: boomerang', '  at f'] })).toBe('Error: boom\nError: boomerang\n  at f');
  });
});
