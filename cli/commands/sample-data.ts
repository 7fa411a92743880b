import type { Command } from '../command.ts';

// Placeholder until this command's issue lands; it only reports that it is not built yet.
const command: Command = {
  name: 'sample-data',
  summary: 'not built yet',
  usage: 'Usage: trailbook sample-data (not built yet)',
  async run() {
    console.error('trailbook sample-data is not built yet');
    return 1;
  },
};
export default command;
