import { defaultReferenceDir } from '../adapters/local/reference-data.loader.js';
import { LocalReferenceFiles } from '../adapters/local/reference-files.local.js';
import {
  importReferenceFile,
  referenceImportRequestSchema,
  type ReferenceImportOutcome,
} from '../application/use-cases/reference-import.use-case.js';
import { REFERENCE_LAYOUTS, REFERENCE_LAYOUT_IDS } from '../domain/reference/reference-import-layouts.js';
import type { CliCommand } from './cli-io.js';

/**
 * `nhs-flows reference import`: reads one official reference file in its published layout (ODS
 * extracts, the NHS Payment Scheme APC sheet, ONSPD, BNF, dm+d) and writes the project's versioned,
 * effective-dated reference files into the reference folder the pipeline loads (docs/reference-data.md).
 */
export const referenceCommand: CliCommand = {
  name: 'reference',
  summary:
    'reference data: import an official file (ODS, tariff, ONSPD, BNF, dm+d) into the reference folder',
  usage:
    'nhs-flows reference import --layout <layout> --file <path> (--published <YYYY-MM-DD> | --effective-from <YYYY-MM-DD>) ' +
    '[--financial-year <YYYY/YY>] [--lsoa-vintage 2011|2021] [--postcode-areas B,NR,…] [--successors <succ.csv>] [--reference-dir <dir>] [--json]',
  options: {
    layout: {
      type: 'string',
      description: `the published layout (docs/reference-data.md lists the columns each reads): ${REFERENCE_LAYOUT_IDS.map((id) => `${id} = ${REFERENCE_LAYOUTS[id].publishedAs}`).join('; ')}`,
    },
    file: { type: 'string', description: 'the official file, as published (CSV)' },
    published: {
      type: 'string',
      description:
        "the file's publication date, YYYY-MM-DD (recorded in the manifest; the date rows without their own take effect)",
    },
    'effective-from': {
      type: 'string',
      description: 'instead of --published: the date the rows take effect, YYYY-MM-DD',
    },
    'financial-year': {
      type: 'string',
      description: 'nhs-payment-scheme-apc: the financial year of the prices, e.g. 2025/26',
    },
    'lsoa-vintage': {
      type: 'string',
      description: 'onspd: which LSOA column to read, 2021 (lsoa21, the default) or 2011 (lsoa11)',
    },
    'postcode-areas': {
      type: 'string',
      description:
        'onspd: keep only these postcode areas, comma-separated (e.g. B,NR,IP): a smaller file for one system',
    },
    successors: {
      type: 'string',
      description:
        'ods-etr / ods-ets / ods-epraccur: the ODS successor file (succ.csv) to record successors from',
    },
    'reference-dir': {
      type: 'string',
      description:
        "the reference folder to write (default: the repository's reference/, which the pipeline loads)",
    },
    json: { type: 'boolean', description: 'print the outcome as JSON' },
  },
  run: async (args, io) => {
    const [action, ...extra] = args.positionals;
    if (action !== 'import' || extra.length > 0) {
      io.err(
        `nhs-flows reference: unknown action '${[action, ...extra].filter(Boolean).join(' ')}'\n\nusage: ${referenceCommand.usage}`,
      );
      return 2;
    }
    const v = args.values;
    const str = (name: string): string | undefined => (typeof v[name] === 'string' ? v[name] : undefined);
    const published = str('published');
    const effectiveFrom = str('effective-from');
    if ((published === undefined) === (effectiveFrom === undefined)) {
      io.err('nhs-flows reference: give exactly one of --published and --effective-from (YYYY-MM-DD)');
      return 2;
    }
    const request = referenceImportRequestSchema.safeParse({
      layout: str('layout'),
      file: str('file'),
      publishedOn: published ?? effectiveFrom,
      ...(str('financial-year') !== undefined ? { financialYear: str('financial-year') } : {}),
      ...(str('lsoa-vintage') !== undefined ? { lsoaVintage: str('lsoa-vintage') } : {}),
      ...(str('postcode-areas') !== undefined
        ? { postcodeAreas: (str('postcode-areas') ?? '').split(',').map((a) => a.trim().toUpperCase()) }
        : {}),
      ...(str('successors') !== undefined ? { successorsFile: str('successors') } : {}),
    });
    if (!request.success) {
      const flag: Record<string, string> = {
        layout: '--layout',
        file: '--file',
        publishedOn: published !== undefined ? '--published' : '--effective-from',
        financialYear: '--financial-year',
        lsoaVintage: '--lsoa-vintage',
        postcodeAreas: '--postcode-areas',
        successorsFile: '--successors',
      };
      const problems = request.error.issues.map((i) => {
        const key = String(i.path[0] ?? '');
        return `${flag[key] ?? key}: ${key === 'layout' ? `expected one of ${REFERENCE_LAYOUT_IDS.join(', ')}` : i.message}`;
      });
      io.err(`nhs-flows reference: ${problems.join('; ')}\n\nusage: ${referenceCommand.usage}`);
      return 2;
    }
    const dir = str('reference-dir') ?? defaultReferenceDir();
    const files = new LocalReferenceFiles(dir);
    const outcome = await importReferenceFile(request.data, files);
    io.out(
      v.json === true
        ? JSON.stringify({ referenceDir: files.dir, ...outcome }, null, 2)
        : renderOutcome(outcome, files.dir),
    );
    return 0;
  },
};

function renderOutcome(o: ReferenceImportOutcome, dir: string): string {
  const skipped = Object.entries(o.skipped);
  return [
    `${o.unchanged ? 'already imported' : 'imported'}: ${o.sourceFile} (layout ${o.layout}, sha256 ${o.sha256.slice(0, 12)}…${o.encoding === 'utf-8' ? '' : `, read as ${o.encoding}`}) as version ${o.version}`,
    ...o.files.map((f) => `  ${f.path}: ${f.rows} rows${f.written ? ', written' : ', unchanged'}`),
    `  ${o.rowsRead} source rows read${skipped.length > 0 ? `; left out: ${skipped.map(([why, n]) => `${n} ${why}`).join('; ')}` : ''}`,
    `reference folder: ${dir} (MANIFEST.json lists the files; the pipeline loads them when it starts)`,
  ].join('\n');
}
