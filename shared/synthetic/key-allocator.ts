import { SOURCE_TABLE_NAMES, type SourceTableName } from '../domain/datasets/source-tables.js';
import { emptyTableCounts } from './generation-report.js';

/** Key prefix letter per table (after the namespace letter); `D` marks rows added by a defect. */
export const TABLE_KEY_LETTER: Readonly<Record<SourceTableName, string>> = {
  sus_apc_spell: 'H',
  sus_apc_episode: 'E',
  prescribing_item: 'P',
  mhsds_referral: 'R',
  mhsds_care_contact: 'C',
  mhsds_cluster_assessment: 'A',
  mhsds_hospital_spell: 'M',
  mhsds_ward_stay: 'W',
  ecds_attendance: 'T',
  csds_referral: 'Q',
  csds_care_contact: 'K',
  dids_imaging_test: 'I',
};

/** Allocates primary keys: `<namespace><table letter><11 digits>`, or `<namespace>D<letter><10 digits>` for defect rows. */
export class KeyAllocator {
  private readonly clean = emptyTableCounts();
  private readonly defect = emptyTableCounts();
  private readonly versions = emptyTableCounts();
  private spell: number;
  /** `keyBlock` b starts row keys at b·10⁹ and spell/defect keys at b·10⁸, so later runs never reuse a key. */
  constructor(
    private readonly namespace: string,
    keyBlock = 0,
  ) {
    for (const table of SOURCE_TABLE_NAMES) {
      this.clean[table] = keyBlock * 1_000_000_000;
      this.defect[table] = keyBlock * 100_000_000;
    }
    this.spell = keyBlock * 100_000_000;
  }
  next(table: SourceTableName): string {
    const n = ++this.clean[table];
    return `${this.namespace}${TABLE_KEY_LETTER[table]}${String(n).padStart(11, '0')}`;
  }
  nextDefect(table: SourceTableName): string {
    const n = ++this.defect[table];
    return `${this.namespace}D${TABLE_KEY_LETTER[table]}${String(n).padStart(10, '0')}`;
  }
  nextSpellNumber(): string {
    return `${this.namespace}S${String(++this.spell).padStart(10, '0')}`;
  }
  /** The next change version for a table, as SQL Server `rowversion` would give (files only; the embedded source overwrites it). */
  nextVersion(table: SourceTableName): string {
    return String(++this.versions[table]);
  }
}
