import { z } from 'zod';
import { SOURCE_TABLE_NAMES } from '../domain/datasets/source-tables.js';
import { DEFECT_CLASSES, type DefectClass } from './defect-classes.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const share = z.number().min(0).max(1);
const perYear = z.number().min(0).max(50);

/**
 * Pathway and activity rates. `…PerPersonYear` are Poisson means per patient-year before the age
 * and deprivation multipliers; the pathway rates (`…After…`) are probabilities per index event and
 * are what the generation report's planted pathway counts measure.
 */
export const pathwayRatesSchema = z.object({
  emergencyAdmissionsPerPersonYear: perYear.default(0.05),
  electiveAdmissionsPerPersonYear: perYear.default(0.07),
  aeAttendancesPerPersonYear: perYear.default(0.25),
  /** Share of A&E attendances that end in an emergency admission (method 21), before age weighting. */
  aeAdmittedShare: share.default(0.22),
  highCostPatientShare: share.default(0.01),
  highCostAdmissionsPerPersonYear: perYear.default(4),
  /** Probability that an emergency discharge (alive) is followed by prescriptions within 90 days. */
  prescriptionsAfterEmergencyDischarge90d: share.default(0.6),
  /** Probability that an emergency discharge (alive) is followed by an MH referral within 30 days. */
  mhReferralAfterEmergencyDischarge30d: share.default(0.1),
  /** Probability that an A&E attendance is followed by an imaging test within 7 days (same provider). */
  imagingAfterAe7d: share.default(0.25),
  /** Probability that an A&E attendance is followed by a community referral within 30 days. */
  communityReferralAfterAe30d: share.default(0.08),
  /** Background community referrals (caseload), seasonal with a growth trend. */
  communityReferralsPerPersonYear: perYear.default(0.04),
  /** Background MH referrals (not after an admission). */
  mhReferralsPerPersonYear: perYear.default(0.01),
  /** Share of patients on long-term repeat medication. */
  repeatPrescribingPatientShare: share.default(0.06),
  /** GP direct-access imaging. */
  gpDirectImagingPerPersonYear: perYear.default(0.04),
});
export type PathwayRates = z.infer<typeof pathwayRatesSchema>;

/**
 * Configuration of one synthetic population. Parsed once; the same configuration and catalogue
 * always give the same rows, byte for byte.
 */
export const populationConfigSchema = z
  .object({
    /** 32-bit unsigned seed. */
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    /** Number of patients (the NHS 999 test range holds about 909k valid numbers). */
    patients: z.number().int().min(1).max(900_000).default(1_000),
    /** Stop after the patient whose rows bring SUS episodes to at least this many (bench mode). */
    maxEpisodes: z.number().int().min(1).optional(),
    /** Activity period (inclusive); no generated clean date is later than `endDate`. */
    startDate: isoDate.default('2023-04-01'),
    endDate: isoDate.default('2025-03-31'),
    /** Rows per yielded batch (and per insert call). */
    batchSize: z.number().int().min(1).max(100_000).default(5_000),
    rates: pathwayRatesSchema.default(pathwayRatesSchema.parse({})),
    defects: z
      .object({
        classes: z.array(z.enum(DEFECT_CLASSES)).default([...DEFECT_CLASSES]),
        /** Probability per eligible unit (row, spell, referral) for each enabled class. */
        rate: share.default(0.004),
        /** Keep at most this many planted keys per class and table in the report's side list. */
        maxKeysPerClass: z.number().int().min(0).default(100_000),
      })
      .default({ classes: [...DEFECT_CLASSES], rate: 0.004, maxKeysPerClass: 100_000 }),
    /** One character prefixed to every generated key, so populations generated apart never collide. */
    idNamespace: z
      .string()
      .regex(/^[A-Z]$/, 'one upper-case letter')
      .default('G'),
    /**
     * Tables to emit (default all). Rows of other tables are not emitted; with only
     * `sus_apc_episode` the later pathway steps are skipped, and the SUS rows are identical to
     * those of a full run (SUS rows are drawn before any other dataset's).
     */
    tables: z.array(z.enum(SOURCE_TABLE_NAMES)).min(1).optional(),
    /** Key block: keys start at block·10⁹ (rows) and block·10⁸ (spells, defect rows); change simulation uses one block per round. */
    keyBlock: z.number().int().min(0).max(99).default(0),
    /** Index of the first patient (new activity for new patients continues after existing ones). */
    patientOffset: z.number().int().min(0).default(0),
  })
  .refine((c) => c.startDate <= c.endDate, {
    message: 'startDate must not be after endDate',
    path: ['startDate'],
  })
  .refine((c) => c.patientOffset + c.patients <= 900_000, {
    message: 'patientOffset + patients must be at most 900000 (999-range NHS numbers)',
    path: ['patients'],
  });

export type PopulationConfig = z.infer<typeof populationConfigSchema>;
export type PopulationConfigInput = z.input<typeof populationConfigSchema>;

/** Parses `--defects all|none|a,b,c` into defect classes; unknown names are listed in one error. */
export function parseDefectSelection(value: string): DefectClass[] {
  if (value === 'all') return [...DEFECT_CLASSES];
  if (value === 'none' || value === '') return [];
  const names = value.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(DEFECT_CLASSES as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new RangeError(
      `unknown defect class(es) ${unknown.join(', ')}; expected all, none or a list of ${DEFECT_CLASSES.join(', ')}`,
    );
  return names as DefectClass[];
}
