#!/usr/bin/env node
// Runs every bench/*.bench.ts (or those matching the arguments), each in its own process so peak
// memory figures do not leak between benchmarks, and writes bench/REPORT.md and .bench-out/report.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const filters = process.argv.slice(2);
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
mkdirSync('.bench-out', { recursive: true });
const sections = [];
for (const file of files) {
  const out = join('.bench-out', `${file}.json`);
  if (existsSync(out)) rmSync(out);
  console.log(`\n== ${file}`);
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', 'bench/run-one.ts', file, out],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0 || !existsSync(out)) {
    sections.push({
      file,
      title: file,
      description: 'FAILED',
      rows: [{ kind: 'metric', name: 'exit status', value: r.status ?? -1, unit: '' }],
    });
    continue;
  }
  sections.push(JSON.parse(readFileSync(out, 'utf8')));
}
// A filtered run keeps the other benchmarks' latest sections (from .bench-out) in the report.
for (const name of readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts') && !files.includes(f))
  .sort()) {
  const previous = join('.bench-out', `${name}.json`);
  if (existsSync(previous))
    sections.push({ ...JSON.parse(readFileSync(previous, 'utf8')), previousRun: true });
}
sections.sort((a, b) => String(a.file).localeCompare(String(b.file)));
// Sections of the committed report that this run has no figures for (neither run now nor in
// .bench-out) are kept as they were, in their place: a filtered run on a fresh clone must not drop
// the other benchmarks' last figures.
const kept = keptSections(sections.map((s) => s.title));
const md = [
  '# Benchmark report',
  '',
  `Run ${new Date().toISOString()} on ${process.platform} ${process.arch}, Node ${process.version}, scale ${process.env.NHSFLOWS_BENCH_SCALE ?? '1'}.`,
  '',
];
const rendered = new Map();
for (const s of sections) {
  const start = md.length;
  md.push(
    `## ${s.title}`,
    '',
    `${s.description}${s.previousRun ? ' (from an earlier run)' : ''}`,
    '',
    '| measure | value | unit / target | note |',
    '|---|---|---|---|',
  );
  for (const row of s.rows) {
    if (row.kind === 'metric')
      md.push(`| ${row.name} | ${fmt(row.value)} | ${row.unit} | ${row.note ?? ''} |`);
    else {
      const met = row.target
        ? row.target.op === '>='
          ? row.value >= row.target.value
          : row.value <= row.target.value
        : undefined;
      const target = row.target
        ? `target ${row.target.op} ${row.target.value} (${met ? 'met' : 'MISSED'})`
        : 'ratio';
      md.push(`| ${row.name} | ${fmt(row.value)} | ${target} | ${row.note ?? ''} |`);
    }
  }
  md.push('');
  rendered.set(s.title, md.splice(start));
}
const order = [...kept.keys()];
for (const title of rendered.keys()) if (!kept.has(title)) order.push(title);
for (const title of order) md.push(...(rendered.get(title) ?? kept.get(title)));
writeFileSync('bench/REPORT.md', md.join('\n'));
writeFileSync(join('.bench-out', 'report.json'), JSON.stringify(sections, null, 2));
console.log('\nwrote bench/REPORT.md');
/** The committed report's sections by title (in report order), each as its lines. */
function keptSections(titlesNow) {
  const out = new Map();
  if (!existsSync('bench/REPORT.md')) return out;
  const text = readFileSync('bench/REPORT.md', 'utf8');
  for (const part of text.split(/^(?=## )/m).slice(1)) {
    const title = part.slice(3, part.indexOf('\n')).trim();
    const lines = part.replace(/\n+$/, '').split('\n');
    if (!titlesNow.includes(title) && !lines[2]?.includes('(from an earlier run)'))
      lines[2] = `${lines[2] ?? ''} (from an earlier run)`;
    out.set(title, [...lines, '']);
  }
  return out;
}

function fmt(v) {
  return typeof v === 'number'
    ? Math.abs(v) >= 100
      ? Math.round(v).toLocaleString('en-GB')
      : v.toFixed(2)
    : String(v);
}
