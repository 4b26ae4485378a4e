#!/usr/bin/env node
// The nhs-flows CLI (built output). `npm start` builds first; see README.
import('../dist/shared/cli/main.js')
  .then((m) => m.main(process.argv.slice(2)))
  .then((code) => process.exit(code ?? 0))
  .catch((error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
