import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { compileContract } from '../../../shared/domain/datasets/contract-engine.js';
import { DATASET_DECLARATIONS } from '../../../shared/domain/datasets/dataset-declarations.js';
import type { SourceRowValue } from '../../../shared/domain/datasets/source-tables.js';
import { wireColumn } from '../../../shared/domain/datasets/wire-schema.js';
import { CLEAN_ROWS, EXTRACT_DATE } from './clean-rows.js';

/**
 * The zod wire schema is generated from the same declaration as the hot-path row contract: for
 * any value in any column, the schema accepts it exactly when the contract's wire-form checks
 * (type, size, required; the contract compiled without the table's NHS rules) accept it.
 */
const reference = loadReferenceData();

const value: fc.Arbitrary<SourceRowValue> = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.boolean(),
  fc.integer({ min: -3_000_000_000, max: 3_000_000_000 }),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 30 }),
  fc.stringMatching(/^-?[0-9]{1,14}(\.[0-9]{1,4})?$/),
  fc.stringMatching(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/),
  fc
    .date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc
    .date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().replace('Z', '+01:00')),
);

for (const dataset of DATASET_DECLARATIONS)
  for (const declared of dataset.tables) {
    const table = declared.table;
    test(`the generated ${table} zod schema and its row contract agree on the wire form of every column`, () => {
      const wireOnly = {
        ...declared,
        columns: declared.columns.map((c) => ({ ...c, rules: [] })),
        rowRules: [],
      };
      const contract = compileContract(dataset, wireOnly, reference, { asOf: EXTRACT_DATE });
      fc.assert(
        fc.property(fc.constantFrom(...declared.columns), value, (col, v) => {
          const zodOk = wireColumn(col).safeParse(v).success;
          const result = contract.check({ ...CLEAN_ROWS[table], [col.name]: v });
          const failure = result.ok ? undefined : result.failures.find((f) => f.field === col.name);
          assert.equal(
            zodOk,
            failure === undefined,
            `${col.name} = ${JSON.stringify(v)}: ${failure?.rule ?? 'accepted'}`,
          );
        }),
        { numRuns: 2000 },
      );
    });
  }
