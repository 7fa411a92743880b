import type { Command } from '../command.ts';

// Placeholder until this command's issue lands; it only reports that it is not built yet.
const command: Command = {
  name: 'run',
  summary: 'not built yet',
  usage: 'Usage: trailbook run (not built yet)',
  async run() {
    console.error('trailbook run is not built yet');
    return 1;
  },
};
export default command;
