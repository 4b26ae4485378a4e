// Runs one benchmark file and writes its section as JSON (called by bench/run.mjs).
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { BenchReport } from './bench-report.js';

interface Row {
  kind: 'metric' | 'ratio';
  name: string;
  value: number;
  unit?: string;
  target?: { op: '>=' | '<='; value: number };
  note?: string;
}

const [file, out] = process.argv.slice(2);
if (!file || !out) throw new Error('usage: run-one.ts <bench file> <out.json>');
const section = { file, title: file, description: '', rows: [] as Row[] };
const report: BenchReport = {
  section: (title, description) => {
    section.title = title;
    section.description = description;
  },
  metric: (name, value, unit, note) => {
    section.rows.push({ kind: 'metric', name, value, unit, note });
    console.log(`  ${name}: ${value.toFixed(2)} ${unit}${note ? ` (${note})` : ''}`);
  },
  ratio: (name, value, target, note) => {
    section.rows.push({ kind: 'ratio', name, value, target, note });
    console.log(`  ${name}: ${value.toFixed(3)}${target ? ` (target ${target.op} ${target.value})` : ''}`);
  },
};
const mod = (await import(pathToFileURL(resolve('bench', file)).href)) as {
  run(report: BenchReport): Promise<void>;
};
await mod.run(report);
writeFileSync(out, JSON.stringify(section));
process.exit(0);
