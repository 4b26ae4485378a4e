import { SOURCE_TABLES, type SourceTableName } from '../datasets/source-tables.js';

/**
 * The data-quality items of each source table: every column but the system ones (change version,
 * modified_at), with the values that mean "not known" (defaults) and the DQMI default threshold.
 *
 * This is data, not code: the DQMI methodology (shared/nhs/REFERENCE.md §10.1) makes thresholds
 * item-specific; the published example uses 2–3.5 % and 100 % where defaults are legitimate. The
 * thresholds below follow that range and are this project's choice, not published NHS values.
 */
export interface DqItem {
  readonly table: SourceTableName;
  readonly field: string;
  /** Values meaning "not known / not stated" (exact match). */
  readonly defaults: readonly string[];
  /** Value prefixes meaning "not known" (postcode ZZ99 …). */
  readonly defaultPrefixes: readonly string[];
  /** Share of records allowed to use a default before the item is penalised (0.02 = 2 %; 1 = always fine). */
  readonly defaultThreshold: number;
  /** Whether the item counts towards the dataset's DQMI score (the typical DQMI items, §10.1). */
  readonly inIndex: boolean;
}

interface DefaultSpec {
  readonly defaults?: readonly string[];
  readonly prefixes?: readonly string[];
  readonly threshold?: number;
}

/** Default values by column name (the same meaning wherever the column appears). */
const DEFAULTS: Readonly<Record<string, DefaultSpec>> = {
  sex: { defaults: ['X', '0'], threshold: 0.02 },
  ethnic_category: { defaults: ['Z', '99', 'X'], threshold: 0.035 },
  postcode: { prefixes: ['ZZ99'], threshold: 0.02 },
  gp_practice_code: { defaults: ['V81997', 'V81998', 'V81999'], threshold: 0.02 },
  admission_method: { defaults: ['98', '99'], threshold: 0.02 },
  admission_source: { defaults: ['98', '99'], threshold: 0.02 },
  patient_classification: { defaults: ['9'], threshold: 0.02 },
  // 8 / 98 (spell not finished at episode end) are legitimate on non-final episodes: only "not known" counts.
  discharge_method: { defaults: ['9'], threshold: 0.02 },
  attend_or_dna: { defaults: ['9'], threshold: 0.02 },
};
/** APC discharge destination (ECDS uses SNOMED CT, which has no default code here). */
const APC_DISCHARGE_DESTINATION: DefaultSpec = { defaults: ['99'], threshold: 0.02 };

/** The typical DQMI items (REFERENCE.md §10.1), per table, that make up the dataset score. */
const INDEX_ITEMS: Readonly<Record<SourceTableName, readonly string[]>> = {
  sus_apc_episode: [
    'nhs_number',
    'postcode',
    'gp_practice_code',
    'ethnic_category',
    'sex',
    'date_of_birth',
    'commissioner_code',
    'site_code',
    'admission_method',
    'admission_source',
    'discharge_destination',
    'treatment_function',
    'primary_diagnosis',
    'spell_hrg',
  ],
  prescribing_item: [
    'nhs_number',
    'postcode',
    'sex',
    'date_of_birth',
    'bnf_code',
    'prescribing_practice_code',
  ],
  mhsds_referral: [
    'nhs_number',
    'postcode',
    'gp_practice_code',
    'ethnic_category',
    'sex',
    'date_of_birth',
    'source_of_referral',
    'primary_reason_for_referral',
    'service_team_type',
  ],
  mhsds_care_contact: ['attend_or_dna', 'consultation_medium'],
  mhsds_cluster_assessment: ['care_cluster'],
  ecds_attendance: [
    'nhs_number',
    'postcode',
    'gp_practice_code',
    'ethnic_category',
    'sex',
    'date_of_birth',
    'commissioner_code',
    'site_code',
    'arrival_mode',
    'chief_complaint',
    'acuity',
    'primary_diagnosis',
    'discharge_destination',
  ],
  csds_referral: [
    'nhs_number',
    'postcode',
    'gp_practice_code',
    'sex',
    'date_of_birth',
    'source_of_referral',
    'team_type',
  ],
  csds_care_contact: ['attend_or_dna', 'activity_location_type', 'care_activity_type'],
  dids_imaging_test: [
    'nhs_number',
    'postcode',
    'gp_practice_code',
    'sex',
    'date_of_birth',
    'site_code',
    'patient_source_setting',
    'referrer_code',
    'nicip_code',
    'snomed_code',
    'modality',
  ],
};

const SYSTEM_COLUMNS = new Set(['change_version', 'modified_at']);

function itemsOf(table: SourceTableName): readonly DqItem[] {
  const spec = SOURCE_TABLES[table];
  const index = new Set(INDEX_ITEMS[table]);
  return spec.columns
    .filter((col) => !SYSTEM_COLUMNS.has(col.name))
    .map((col) => {
      const d =
        table === 'sus_apc_episode' && col.name === 'discharge_destination'
          ? APC_DISCHARGE_DESTINATION
          : (DEFAULTS[col.name] ?? {});
      return {
        table,
        field: col.name,
        defaults: d.defaults ?? [],
        defaultPrefixes: d.prefixes ?? [],
        defaultThreshold: d.threshold ?? 1,
        inIndex: index.has(col.name),
      };
    });
}

/** Every table's DQ items, in column order. */
export const DQ_ITEMS: Readonly<Record<SourceTableName, readonly DqItem[]>> = Object.fromEntries(
  (Object.keys(SOURCE_TABLES) as SourceTableName[]).map((t) => [t, itemsOf(t)]),
) as Record<SourceTableName, readonly DqItem[]>;

for (const [table, fields] of Object.entries(INDEX_ITEMS))
  for (const field of fields)
    if (!DQ_ITEMS[table as SourceTableName].some((i) => i.field === field))
      throw new Error(`DQ index item ${table}.${field} is not a column of the table`);

/** The DQ item of a table's field, or undefined for system columns and unknown fields. */
export function dqItem(table: SourceTableName, field: string): DqItem | undefined {
  return DQ_ITEMS[table].find((i) => i.field === field);
}
