import type { Command } from '../command.ts';

// Placeholder until this command's issue lands; it only reports that it is not built yet.
const command: Command = {
  name: 'mcp',
  summary: 'not built yet',
  usage: 'Usage: trailbook mcp (not built yet)',
  async run() {
    console.error('trailbook mcp is not built yet');
    return 1;
  },
};
export default command;
