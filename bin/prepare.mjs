#!/usr/bin/env node
// The `prepare` script: `npm install` / `npm ci` in a checkout build dist/, so `npx nhs-flows …` works
// straight after installing. npm runs the root package's `prepare` even with `--omit=dev`; there the
// compiler is absent and this step says so and succeeds (see bin/build-dist.mjs).
import { buildDist } from './build-dist.mjs';

const result = buildDist();
if (result.reason) {
  console.log(`nhs-flows prepare: not building dist/: ${result.reason}`);
} else if (!result.built) {
  console.error(
    `nhs-flows prepare: tsc -p tsconfig.json failed (exit ${result.status}); fix the errors and run npm run build`,
  );
  process.exit(result.status);
}
