import type { SourceRow } from '../domain/datasets/source-tables.js';
import type { PatientActivity } from './patient-activity.js';
import type { CatalogueMerger } from './synthetic-catalogue.js';

/**
 * Plants the reference data's trust mergers into one patient's activity: every spell that ended
 * (was discharged) before the merger, every A&E attendance that arrived and every imaging test done
 * before it, at the successor trust, is recorded under the predecessor's code instead, with no site
 * (the predecessor's sites are not in the reference). That is what the predecessor submitted while
 * it existed, so the marts must show it under the successor (docs/marts.md, reporting organisation).
 * A spell still open on the merger day stays with the successor, so no row names a closed trust
 * after it closed (which validation would reject as UNKNOWN_ORGANISATION).
 *
 * Deterministic and draws no random numbers: every other row, and every other patient, is as
 * generated. Returns the rows relabelled.
 */
export function plantMergers(activity: PatientActivity, mergers: readonly CatalogueMerger[]): number {
  let relabelled = 0;
  const relabel = (row: SourceRow, merger: CatalogueMerger): void => {
    row.provider_code = merger.predecessor;
    if ('site_code' in row) row.site_code = null;
    relabelled++;
  };
  for (const merger of mergers) {
    for (const spell of activity.spells)
      if (
        spell.spellRow.provider_code === merger.successor &&
        spell.dischargeDay !== null &&
        spell.dischargeDay < merger.fromDay
      ) {
        relabel(spell.spellRow, merger);
        for (const row of spell.rows) relabel(row, merger);
      }
    for (const a of activity.attendances)
      if (a.row.provider_code === merger.successor && a.arrivalDay < merger.fromDay) relabel(a.row, merger);
    for (const i of activity.imaging)
      if (i.row.provider_code === merger.successor && i.day < merger.fromDay) relabel(i.row, merger);
  }
  return relabelled;
}
