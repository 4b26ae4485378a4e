import { sourceTable, type SourceTableName } from '../../../domain/datasets/source-tables.js';
import { GOLD_TABLES } from '../../../domain/gold/gold-tables.js';
import type { PortableRow } from '../../../domain/gold/portable-types.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import { OMOP_TABLES, omopPortableColumns } from '../../../domain/omop/omop-cdm-tables.js';
import { checkOmop, type OmopCheck } from '../../../domain/omop/omop-checks.js';
import {
  buildOmop,
  type GoldActivity,
  type GoldExtract,
  type OmopBuild,
  type OmopGoldSource,
} from '../../../domain/omop/omop-mapping.js';
import type { OmopVocabulary } from '../../../domain/omop/omop-vocabulary.js';
import type { ProjectId } from '../../../domain/pseudonymise/projects.js';
import type { ParquetLake } from '../../ports/parquet-lake.port.js';
import type { OptOutApplication } from '../opt-out.use-case.js';
import type { Warehouse } from '../../ports/warehouse.port.js';

/**
 * OMOP CDM v5.4 from the gold star schema in the warehouse (docs/omop.md): reads the facts and
 * dimensions it maps, builds the tables, and runs the DQD-style checks against the warehouse's own
 * counts. What `nhs-flows omop` writes to a directory and `publishOmopToLake` to the lake.
 */
export interface OmopExport {
  readonly build: OmopBuild;
  readonly checks: readonly OmopCheck[];
  readonly passed: boolean;
}

const FACT_SOURCES: Readonly<Record<Exclude<OmopGoldSource, 'dim_patient'>, SourceTableName>> = {
  fact_apc_spell: 'sus_apc_spell',
  fact_apc_episode: 'sus_apc_episode',
  fact_ecds_attendance: 'ecds_attendance',
  fact_csds_contact: 'csds_care_contact',
  fact_mhsds_contact: 'mhsds_care_contact',
  fact_dids_test: 'dids_imaging_test',
  fact_prescribing: 'prescribing_item',
};

/** Facts whose rows name their patient only through a referral (the referral's source table). */
const REFERRAL_OF: Readonly<Partial<Record<keyof typeof FACT_SOURCES, SourceTableName>>> = {
  fact_csds_contact: 'csds_referral',
  fact_mhsds_contact: 'mhsds_referral',
};

export interface OmopExportOptions {
  /** Source codes mapped to standard concepts through it when given (docs/omop.md). */
  readonly vocabulary?: OmopVocabulary;
  /** The National Data Opt-out in force: withheld records are left out at their activity date. */
  readonly optOut?: OptOutApplication;
}

export async function exportOmop(warehouse: Warehouse, options: OmopExportOptions = {}): Promise<OmopExport> {
  const { vocabulary, optOut } = options;
  await warehouse.ensureSchema(GOLD_TABLES);
  const withheld = (r: Record<string, unknown>): boolean => {
    const filter = typeof r.project === 'string' ? optOut?.filters.get(r.project as ProjectId) : undefined;
    return filter !== undefined && filter.withholds(r, r.activity_date);
  };
  // Every column read is cast to VARCHAR in the query: a value is text or null.
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const facts = async (
    fact: keyof typeof FACT_SOURCES,
    extra: Readonly<Record<string, string>> = {},
  ): Promise<{ a: GoldActivity; x: Record<string, string | null> }[]> => {
    const spec = sourceTable(FACT_SOURCES[fact]);
    const hasAgeBand = GOLD_TABLES.find((t) => t.name === fact)?.columns.some((c) => c.name === 'age_band');
    const key = spec.key.map((k) => `CAST(f."${k}" AS VARCHAR(200))`).join(`, '|', `);
    const columns = Object.entries(extra)
      .map(([as, column]) => `, CAST(f."${column}" AS VARCHAR(200)) AS "${as}"`)
      .join('');
    // A contact reaches its patient through its referral (fact_activity holds the referral's member).
    const referral = REFERRAL_OF[fact];
    const token = referral ? 'COALESCE(f.patient_token, r.patient_token)' : 'f.patient_token';
    const ageBand = hasAgeBand ? 'f.age_band' : referral ? 'r.age_band' : 'NULL';
    const join = referral
      ? ` LEFT JOIN fact_activity r ON r.source_table = '${referral}' AND r.project = f.project AND r.record_key = f.referral_id`
      : '';
    const rows = await warehouse.query(
      `SELECT CONCAT(${key}) AS "key", CAST(f.project AS VARCHAR(200)) AS project, CAST(${token} AS VARCHAR(200)) AS patient_token, ` +
        `CAST(f."${spec.providerColumn}" AS VARCHAR(200)) AS provider_code, CAST(f.activity_date AS VARCHAR(200)) AS activity_date, CAST(f.person_id AS VARCHAR(200)) AS person_id, ` +
        `CAST(${ageBand} AS VARCHAR(200)) AS age_band${columns} FROM "${fact}" f${join}`,
    );
    return rows.map((r) => ({
      x: Object.fromEntries(Object.keys(extra).map((k) => [k, text(r[k])])),
      a: {
        key: text(r.key) ?? '',
        project: text(r.project) ?? '',
        patientToken: text(r.patient_token),
        providerCode: text(r.provider_code),
        activityDate: text(r.activity_date)?.slice(0, 10) ?? null,
        ageBand: text(r.age_band),
        withheld: withheld(r),
      },
    }));
  };
  const spells = await facts('fact_apc_spell', {
    spellNumber: 'hospital_provider_spell_number',
    dischargeDate: 'discharge_date',
    admissionSource: 'admission_source',
    dischargeDestination: 'discharge_destination',
  });
  const episodes = await facts('fact_apc_episode', {
    spellNumber: 'hospital_provider_spell_number',
    endDate: 'episode_end_date',
    primaryDiagnosis: 'primary_diagnosis',
    secondaryDiagnoses: 'secondary_diagnoses',
    primaryProcedure: 'primary_procedure',
    primaryProcedureDate: 'primary_procedure_date',
    secondaryProcedures: 'secondary_procedures',
  });
  const attendances = await facts('fact_ecds_attendance', {
    chiefComplaint: 'chief_complaint',
    dischargeDestination: 'discharge_destination',
  });
  const contacts = await facts('fact_csds_contact', { attendOrDna: 'attend_or_dna' });
  const mhsdsContacts = await facts('fact_mhsds_contact', { attendOrDna: 'attend_or_dna' });
  const imagingTests = await facts('fact_dids_test', {
    nicipCode: 'nicip_code',
    snomedCode: 'snomed_code',
    patientSourceSetting: 'patient_source_setting',
  });
  const prescriptions = await facts('fact_prescribing', { bnfCode: 'bnf_code', quantity: 'quantity' });
  const patients = await warehouse.query(
    'SELECT project, patient_token, CAST(sex AS VARCHAR(200)) AS sex, CAST(ethnic_category AS VARCHAR(200)) AS ethnic_category FROM dim_patient WHERE is_current = 1 AND is_deleted = 0',
  );
  const organisations = await warehouse.query(
    'SELECT organisation_code, organisation_name FROM dim_organisation WHERE is_current = 1',
  );
  const gold: GoldExtract = {
    patients: patients.map((r) => ({
      project: text(r.project) ?? '',
      patientToken: text(r.patient_token) ?? '',
      sex: text(r.sex),
      ethnicCategory: text(r.ethnic_category),
    })),
    spells: spells.map((r) => ({
      ...r.a,
      spellNumber: r.x.spellNumber ?? null,
      dischargeDate: r.x.dischargeDate?.slice(0, 10) ?? null,
      admissionSource: r.x.admissionSource ?? null,
      dischargeDestination: r.x.dischargeDestination ?? null,
    })),
    episodes: episodes.map((r) => ({
      ...r.a,
      spellNumber: r.x.spellNumber ?? null,
      endDate: r.x.endDate?.slice(0, 10) ?? null,
      primaryDiagnosis: r.x.primaryDiagnosis ?? null,
      secondaryDiagnoses: r.x.secondaryDiagnoses ?? null,
      primaryProcedure: r.x.primaryProcedure ?? null,
      primaryProcedureDate: r.x.primaryProcedureDate?.slice(0, 10) ?? null,
      secondaryProcedures: r.x.secondaryProcedures ?? null,
    })),
    attendances: attendances.map((r) => ({
      ...r.a,
      chiefComplaint: r.x.chiefComplaint ?? null,
      dischargeDestination: r.x.dischargeDestination ?? null,
    })),
    contacts: contacts.map((r) => ({ ...r.a, attendOrDna: r.x.attendOrDna ?? null })),
    mhsdsContacts: mhsdsContacts.map((r) => ({ ...r.a, attendOrDna: r.x.attendOrDna ?? null })),
    imagingTests: imagingTests.map((r) => ({
      ...r.a,
      nicipCode: r.x.nicipCode ?? null,
      snomedCode: r.x.snomedCode ?? null,
      patientSourceSetting: r.x.patientSourceSetting ?? null,
    })),
    prescriptions: prescriptions.map((r) => ({
      ...r.a,
      bnfCode: r.x.bnfCode ?? null,
      quantity: r.x.quantity === null || r.x.quantity === undefined ? null : Number(r.x.quantity),
    })),
    organisations: organisations.map((r) => ({
      code: text(r.organisation_code) ?? '',
      name: text(r.organisation_name),
    })),
  };

  // Counted apart from the read: a read that lost rows fails the reconciliation.
  const goldCounts: Partial<Record<OmopGoldSource, number>> = {};
  for (const table of ['dim_patient', ...Object.keys(FACT_SOURCES)] as OmopGoldSource[]) {
    const where = table === 'dim_patient' ? ' WHERE is_current = 1 AND is_deleted = 0' : '';
    const [row] = await warehouse.query(`SELECT COUNT(*) AS n FROM "${table}"${where}`);
    goldCounts[table] = Number(row?.n ?? 0);
  }
  const build = buildOmop(gold, vocabulary);
  const checks = checkOmop(build.tables, build.accounts, goldCounts);
  return { build, checks, passed: checks.every((c) => c.passed) };
}

/** The rows of every OMOP table in wire form, table by table in declaration order. */
export function omopPortableTables(
  build: OmopBuild,
): { table: (typeof OMOP_TABLES)[number]; rows: PortableRow[] }[] {
  return OMOP_TABLES.map((table) => ({ table, rows: build.tables[table.name] }));
}

/**
 * Writes an export to the gold container under `omop/run=<runId>/<table>.parquet`
 * (lakePaths.omop): one Parquet file per table, the CDM columns in CDM order.
 */
export async function publishOmopToLake(
  lake: ParquetLake,
  runId: string,
  build: OmopBuild,
): Promise<{ table: string; path: string; rows: number }[]> {
  const out: { table: string; path: string; rows: number }[] = [];
  for (const { table, rows } of omopPortableTables(build)) {
    const path = lakePaths.omop(runId, table.name);
    const written = await lake.write('gold', path, omopPortableColumns(table), rows);
    out.push({ table: table.name, path, rows: written.rows });
  }
  return out;
}
