import type { AgentMcpClient } from './tools.ts';

export const STATUS_URI = 'cloudtrail://status';

/** The data source status as the MCP server reports it; the agent still works when it cannot be read. */
export async function readSourceStatus(client: AgentMcpClient, signal?: AbortSignal): Promise<string> {
  try {
    const res = await client.readResource({ uri: STATUS_URI }, { signal });
    const text = res.contents
      .map((c) => ('text' in c && typeof c.text === 'string' ? c.text : ''))
      .filter(Boolean)
      .join('\n');
    return text.length > 4000 ? `${text.slice(0, 4000)}…` : text || '(empty status)';
  } catch (err) {
    return `(status unavailable: ${err instanceof Error ? err.message : String(err)})`;
  }
}

export function systemPrompt(opts: { status: string; toolNames: string[]; serverInstructions?: string; now?: Date }): string {
  const now = (opts.now ?? new Date()).toISOString();
  return [
    'You are a CloudTrail analyst working inside Trailbook, a notebook for investigating AWS CloudTrail activity.',
    'Answer the user\'s question from the CloudTrail data, using the tools to look it up. Do not guess: if the data does not show something, say so.',
    `Tools available: ${opts.toolNames.join(', ') || '(none)'}.`,
    'Give tool arguments exactly as each tool\'s input schema describes them (including time formats). Start narrow (event name counts, a time window, one principal) before pulling many events.',
    ...(opts.serverInstructions ? [`The CloudTrail tool server says: ${opts.serverInstructions}`] : []),
    'Cite the CloudTrail eventID of every event you rely on, e.g. (event 3f1c...-...), and name principals by ARN or user name and times in UTC ISO 8601.',
    'Be concise: a short direct answer first, then the evidence. Use Markdown.',
    `Current time: ${now}.`,
    'Data source status (from cloudtrail://status):',
    opts.status,
  ].join('\n');
}
