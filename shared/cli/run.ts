// Runs the CLI from sources (tests, development: `node --import tsx shared/cli/run.ts <command>`).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
