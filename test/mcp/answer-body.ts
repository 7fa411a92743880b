/**
 * The JSON-RPC messages of the answer to an MCP POST, read by its content type, as the Streamable HTTP spec lets a
 * server choose: `application/json` (one message, or an array for a batch) or `text/event-stream` (each event's
 * data is one message). Throws on any other type, so a test never reads an error page as "no messages".
 */
export function answerMessages(contentType: string | null | undefined, body: string): any[] {
  const type = contentType?.split(';', 1)[0].trim().toLowerCase();
  if (type === 'application/json') return [JSON.parse(body)].flat();
  if (type === 'text/event-stream') {
    return body
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => JSON.parse(l.slice(l.startsWith('data: ') ? 6 : 5)));
  }
  throw new Error(`not an MCP answer (content type ${contentType ?? 'none'}): ${body.slice(0, 200)}`);
}
